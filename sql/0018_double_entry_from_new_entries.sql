-- Invariant 1 checked from the rows the statement inserted instead of from the journal's indexes.
--
-- Entries may only be inserted by the command that inserts their transaction, so every entry a new
-- transaction will ever have is among the rows of its command's entry inserts: the balance, the count and
-- the accounts' currency can be checked from the transition table of new entries itself. 0014 found them
-- again through the entries index, transaction by transaction, and probed the transactions once per entry
-- for the command check; now each transaction is probed once and the entries are grouped as inserted (about
-- a sixth of PostgreSQL's work per posting was these two checks). What the entry rows cannot show, a
-- transaction inserted with no entries at all, the transactions' own statement trigger still refuses.
--
-- As before, a check fails closed: a transaction whose entries cannot be shown to come from its own command
-- is refused. A statement whose CTEs insert entries more than once fires the trigger once, with the rows of
-- all of them in one transition table (PostgreSQL since 11), so a transaction's entries are checked together
-- however the statement spreads them.

CREATE OR REPLACE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  command cid;
  bad record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_entries) THEN
    RETURN NULL; -- an INSERT of no rows adds nothing
  END IF;
  -- The command id of this insert, read from one of its rows (see 0001: cmin is the inserting command's id
  -- while a row is never updated or deleted in its own transaction, which the append-only triggers ensure).
  SELECT x.cmin INTO command
    FROM (SELECT pool_id, id FROM new_entries LIMIT 1) n
    JOIN LATERAL (SELECT e.cmin FROM public.entries e WHERE e.pool_id = n.pool_id AND e.id = n.id OFFSET 0) x ON true;
  -- Per transaction of the new entries: inserted by this very command, at least 2 entries, balanced per
  -- currency and phase, each entry in its account's currency.
  SELECT g.transaction_id AS id,
         (command IS NULL OR t.id IS NULL OR t.tx_xid <> pg_current_xact_id() OR NOT coalesce(t.cmin = command, false)) AS foreign_command,
         sum(g.n) AS n,
         string_agg(CASE WHEN g.total <> 0 THEN g.currency || ' ' || g.phase || ' ' || g.total END, ', ') AS unbalanced,
         sum(g.wrong) AS wrong
    INTO bad
    FROM (SELECT e.pool_id, e.transaction_id, e.currency, e.phase, count(*) AS n, sum(e.amount) AS total,
                 count(*) FILTER (WHERE a.currency IS DISTINCT FROM e.currency) AS wrong
            FROM new_entries e
            LEFT JOIN LATERAL (SELECT y.currency FROM public.accounts y WHERE y.pool_id = e.pool_id AND y.id = e.account_id OFFSET 0) a ON true
           GROUP BY e.pool_id, e.transaction_id, e.currency, e.phase) g
    LEFT JOIN LATERAL (SELECT x.id, x.tx_xid, x.cmin FROM public.transactions x WHERE x.pool_id = g.pool_id AND x.id = g.transaction_id OFFSET 0) t ON true
   GROUP BY g.pool_id, g.transaction_id, t.id, t.tx_xid, t.cmin
  HAVING command IS NULL OR t.id IS NULL OR t.tx_xid <> pg_current_xact_id() OR NOT coalesce(t.cmin = command, false)
      OR sum(g.n) < 2 OR bool_or(g.total <> 0) OR sum(g.wrong) > 0
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  ELSIF bad.foreign_command THEN
    RAISE EXCEPTION 'ledger: entries must be inserted by the command that creates their transaction (transaction %)', bad.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
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

-- A new transaction must have entries; what they are is checked above, as they are inserted.
CREATE OR REPLACE FUNCTION ledger_check_new_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bare bigint;
BEGIN
  SELECT n.id INTO bare
    FROM new_transactions n
   WHERE NOT EXISTS (SELECT FROM public.entries e WHERE e.pool_id = n.pool_id AND e.transaction_id = n.id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: transaction % has 0 entries; at least 2 are required', bare
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  END IF;
  RETURN NULL;
END
$$;
