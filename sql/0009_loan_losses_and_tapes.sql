-- When a loan defaulted and what it still owed then: a bank's loss in a year, against the principal it
-- enrolled that year, is what suspends its agreement by rule.
ALTER TABLE loans ADD COLUMN defaulted_month date;
ALTER TABLE loans ADD COLUMN defaulted_outstanding bigint CHECK (defaulted_outstanding >= 0);
-- Loans already defaulted: the first report at or past their terms' overdue days made them so.
UPDATE loans l SET (defaulted_month, defaulted_outstanding) = (
  SELECT r.month, r.outstanding
    FROM loan_reports r
    JOIN agreement_terms t ON t.pool_id = l.pool_id AND t.agreement_id = l.agreement_id AND t.version = l.terms_version
   WHERE r.pool_id = l.pool_id AND r.loan_id = l.id AND r.days_past_due >= t.overdue_days
   ORDER BY r.month LIMIT 1)
 WHERE l.state = 'defaulted';
ALTER TABLE loans ADD CONSTRAINT loans_default_recorded
  CHECK ((state = 'defaulted') = (defaulted_month IS NOT NULL) AND (defaulted_month IS NULL) = (defaulted_outstanding IS NULL));
GRANT UPDATE (defaulted_month, defaulted_outstanding) ON loans TO pool_app;

-- Principal enrolled under an agreement in a year, and the year's defaults, read by index.
CREATE INDEX loans_by_agreement_disbursed ON loans (pool_id, agreement_id, disbursed_on) INCLUDE (principal);
CREATE INDEX loans_by_agreement_defaulted ON loans (pool_id, agreement_id, defaulted_month) INCLUDE (defaulted_outstanding)
  WHERE defaulted_month IS NOT NULL;

-- A suspension made by the system under the agreement's loss rule has no key behind it.
ALTER TABLE agreement_suspensions ALTER COLUMN by_key DROP NOT NULL;

-- Right after a tape has written many rows, the planner's statistics of loans lag behind (autovacuum comes
-- later) and a lookup by reference may scan a bank's whole book per row. The application role may refresh
-- them after a large write; nothing else runs with the owner's rights here.
CREATE FUNCTION refresh_loan_statistics() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  ANALYZE public.loans;
  ANALYZE public.loan_reports;
END
$$;
REVOKE EXECUTE ON FUNCTION refresh_loan_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_loan_statistics() TO pool_app;
