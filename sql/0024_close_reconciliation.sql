-- A close records where the month stood against the bank at its last day (the reconciliation's figures),
-- and, when it did not reconcile, the reason the treasury closed it all the same. NULL reconciliation: a
-- close stored before closes kept it.
ALTER TABLE period_closes
  ADD COLUMN reconciliation jsonb CHECK (jsonb_typeof(reconciliation) = 'object'),
  ADD COLUMN unreconciled_reason text,
  ADD CONSTRAINT period_closes_reason_when_unreconciled CHECK (
    reconciliation IS NULL
    OR (reconciliation ->> 'reconciled')::boolean
    OR length(btrim(unreconciled_reason)) > 0
  );
