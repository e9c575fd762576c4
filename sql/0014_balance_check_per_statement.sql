-- Invariant 1, checked once per statement instead of once per row at commit.
--
-- The deferred row trigger of 0001 ran one query per transaction inside COMMIT, that is while the writer
-- holds the pool's hot balance rows: with batches of hundreds of postings it was the longest part of the
-- critical section. Deferring bought nothing the journal uses: entries may only be inserted by the command
-- that inserts their transaction (entries_join_new_transactions_only), so when that command ends a
-- transaction has every entry it will ever have. The check now runs at the end of that command, over all
-- the transactions it inserted, in one query; an unbalanced transaction still never commits.

DROP TRIGGER transaction_balanced ON transactions;
DROP FUNCTION ledger_check_transaction();

CREATE FUNCTION ledger_check_new_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- Each transaction the statement inserted, through the index of its entries.
  SELECT n.id, c.n, c.unbalanced, c.wrong
    INTO bad
    FROM new_transactions n
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(g.n), 0) AS n,
             string_agg(CASE WHEN g.total <> 0 THEN g.currency || ' ' || g.phase || ' ' || g.total END, ', ') AS unbalanced,
             coalesce(sum(g.wrong), 0) AS wrong
        FROM (SELECT e.currency, e.phase, count(*) AS n, sum(e.amount) AS total,
                     count(*) FILTER (WHERE a.currency IS DISTINCT FROM e.currency) AS wrong
                FROM public.entries e
                LEFT JOIN LATERAL (SELECT y.currency FROM public.accounts y WHERE y.pool_id = e.pool_id AND y.id = e.account_id OFFSET 0) a ON true
               WHERE e.pool_id = n.pool_id AND e.transaction_id = n.id
               GROUP BY e.currency, e.phase) g
    ) c
   WHERE c.n < 2 OR c.unbalanced IS NOT NULL OR c.wrong > 0
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  ELSIF bad.n < 2 THEN
    RAISE EXCEPTION 'ledger: transaction % has % entries; at least 2 are required', bad.id, bad.n
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  ELSIF bad.unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: transaction % does not balance (%)', bad.id, bad.unbalanced
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  ELSE
    RAISE EXCEPTION 'ledger: transaction % has entries whose account is missing or in another currency', bad.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  END IF;
END
$$;

CREATE TRIGGER transaction_balanced AFTER INSERT ON transactions REFERENCING NEW TABLE AS new_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_transactions();
