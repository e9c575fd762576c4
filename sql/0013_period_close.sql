-- Closed periods of a pool's books (月结): appended, never changed. Nothing may be dated on or before the
-- latest close: the writer refuses such a posting ('period_closed'), and the database stops one that raced
-- a close (serialization_failure, which the writer retries, and then refuses).
CREATE TABLE ledger_closes (
  pool_id    bigint NOT NULL REFERENCES ledger_books (pool_id),
  through    date NOT NULL,
  closed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, through)
);
CREATE TRIGGER ledger_closes_append_only BEFORE UPDATE OR DELETE ON ledger_closes FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_closes_no_truncate BEFORE TRUNCATE ON ledger_closes FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
GRANT SELECT ON ledger_closes TO pool_app;

-- Closes a pool's books through a day. It waits for every posting in flight and holds new ones off until
-- its transaction commits, so the close sees every posting dated into the period. Closing through a day
-- already closed changes nothing; the latest close is returned.
CREATE FUNCTION ledger_close_through(p_pool bigint, p_through date) RETURNS date
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  latest date;
BEGIN
  LOCK TABLE public.transactions IN SHARE MODE;
  SELECT max(through) INTO latest FROM public.ledger_closes WHERE pool_id = p_pool;
  IF latest IS NOT NULL AND p_through <= latest THEN
    RETURN latest;
  END IF;
  INSERT INTO public.ledger_closes (pool_id, through) VALUES (p_pool, p_through);
  RETURN p_through;
END
$$;
REVOKE EXECUTE ON FUNCTION ledger_close_through(bigint, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_close_through(bigint, date) TO pool_app;

CREATE FUNCTION ledger_check_closed_periods() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.pool_id, n.effective_date, c.through INTO bad
    FROM new_transactions n
    CROSS JOIN LATERAL (SELECT max(x.through) AS through FROM public.ledger_closes x WHERE x.pool_id = n.pool_id) c
   WHERE n.effective_date <= c.through
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: pool % is closed through %; a posting dated % is refused', bad.pool_id, bad.through, bad.effective_date
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER transactions_closed_periods AFTER INSERT ON transactions REFERENCING NEW TABLE AS new_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_closed_periods();

-- What a close recorded: the trial balance through its last day and the hash-chain head that covers it, so
-- that a later check proves the period unchanged.
CREATE TABLE period_closes (
  pool_id        bigint NOT NULL,
  through        date NOT NULL,
  trial_balance  jsonb NOT NULL CHECK (jsonb_typeof(trial_balance) = 'array'),
  chain_seq      bigint NOT NULL,
  chain_hash     text NOT NULL,
  by_key         bigint NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, through),
  FOREIGN KEY (pool_id, through) REFERENCES ledger_closes (pool_id, through)
);
CREATE TRIGGER period_closes_append_only BEFORE UPDATE OR DELETE ON period_closes FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER period_closes_no_truncate BEFORE TRUNCATE ON period_closes FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
GRANT SELECT, INSERT ON period_closes TO pool_app;
