-- The double-entry ledger: books, accounts, the append-only journal, balances and the hash chain.
-- Every key starts with pool_id so that a distributed PostgreSQL can shard by it.
-- Amounts are bigint fen; an entry's amount is positive for a debit and negative for a credit.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pool_app') THEN
    CREATE ROLE pool_app NOLOGIN;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO pool_app;

-- Every query of the application is keyed. A plan cached while a table was small (a prepared statement,
-- a plpgsql query) would otherwise keep scanning it once it is large; for this role a scan is never the
-- right plan where an index exists.
ALTER ROLE pool_app SET enable_seqscan = off;

CREATE TABLE ledger_books (
  pool_id    bigint PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE account_type AS ENUM ('asset', 'liability', 'net_assets', 'income', 'expense');

CREATE TABLE accounts (
  pool_id     bigint NOT NULL REFERENCES ledger_books (pool_id),
  id          bigint GENERATED ALWAYS AS IDENTITY,
  code        text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_.:-]{0,99}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type        account_type NOT NULL,
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  no_negative boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, id),
  UNIQUE (pool_id, code)
);

-- Running totals per account, updated under a row lock by every posting. Debit-normal accounts (assets,
-- expenses) hold debits - credits; the others credits - debits. available = normal balance - pending outflows.
CREATE TABLE account_balances (
  pool_id         bigint NOT NULL,
  account_id      bigint NOT NULL,
  debit_normal    boolean NOT NULL,
  no_negative     boolean NOT NULL,
  posted_debits   bigint NOT NULL DEFAULT 0 CHECK (posted_debits >= 0),
  posted_credits  bigint NOT NULL DEFAULT 0 CHECK (posted_credits >= 0),
  pending_debits  bigint NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits bigint NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  PRIMARY KEY (pool_id, account_id),
  FOREIGN KEY (pool_id, account_id) REFERENCES accounts (pool_id, id),
  -- The last line of defence for invariant 4: a guarded account's available balance never goes below zero.
  CONSTRAINT available_not_negative CHECK (
    NOT no_negative OR (
      CASE WHEN debit_normal
        THEN posted_debits - posted_credits - pending_credits
        ELSE posted_credits - posted_debits - pending_debits
      END) >= 0)
) WITH (fillfactor = 50); -- room on each page for HOT updates of the running totals

-- Movements per account and effective day, so that a balance as of a past date reads a few rows through the
-- primary key instead of scanning the journal. Pending columns net a reservation and its resolution.
CREATE TABLE account_days (
  pool_id         bigint NOT NULL,
  account_id      bigint NOT NULL,
  day             date NOT NULL,
  posted_debits   bigint NOT NULL DEFAULT 0,
  posted_credits  bigint NOT NULL DEFAULT 0,
  pending_debits  bigint NOT NULL DEFAULT 0,
  pending_credits bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (pool_id, account_id, day),
  FOREIGN KEY (pool_id, account_id) REFERENCES accounts (pool_id, id)
) WITH (fillfactor = 50);

CREATE SEQUENCE transactions_id_seq AS bigint;

-- kind: posted (an ordinary posting), pending (a reservation), post_pending and void_pending (the one
-- resolution of a pending transaction), reversal (the one reversal of a posted transaction).
-- The journal's hot tables carry no foreign keys to rows that every posting shares (the book, the pool's
-- cash account): a key-share lock per row on those would serialize concurrent writers. The same integrity
-- is enforced by the triggers below, which run anyway: an entry must belong to a transaction created in the
-- same database transaction, and at commit every entry's account must exist in the transaction's pool (so
-- the pool exists too).
CREATE TABLE transactions (
  pool_id        bigint NOT NULL,
  id             bigint NOT NULL DEFAULT nextval('transactions_id_seq'),
  external_id    text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  kind           text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending', 'reversal')),
  effective_date date NOT NULL,
  refers_to      bigint,
  description    text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  metadata       jsonb NOT NULL DEFAULT '{}',
  tx_xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, id),
  UNIQUE (pool_id, external_id),
  FOREIGN KEY (pool_id, refers_to) REFERENCES transactions (pool_id, id),
  CHECK ((kind IN ('posted', 'pending')) = (refers_to IS NULL))
);
-- A pending transaction is resolved at most once; a transaction is reversed at most once.
CREATE UNIQUE INDEX transactions_refers_to_once ON transactions (pool_id, refers_to) WHERE refers_to IS NOT NULL;
CREATE INDEX transactions_commit_order ON transactions (pool_id, tx_xid, id);

CREATE SEQUENCE entries_id_seq AS bigint;

-- phase: posted (moves the balance), reserve (a pending transaction's hold), release (the end of a hold,
-- the reserve entry negated, written by post_pending and void_pending). Pending balances replay from
-- reserve and release entries exactly as posted balances replay from posted ones.
CREATE TABLE entries (
  pool_id        bigint NOT NULL,
  id             bigint NOT NULL DEFAULT nextval('entries_id_seq'),
  transaction_id bigint NOT NULL,
  account_id     bigint NOT NULL,
  amount         bigint NOT NULL CHECK (amount <> 0),
  currency       char(3) NOT NULL,
  effective_date date NOT NULL,
  phase          text NOT NULL CHECK (phase IN ('posted', 'reserve', 'release')),
  PRIMARY KEY (pool_id, id)
);
CREATE INDEX entries_by_transaction ON entries (pool_id, transaction_id);
CREATE INDEX entries_statement ON entries (pool_id, account_id, effective_date, id) WHERE phase = 'posted';

-- Every external id the engine was asked to post, with its outcome, so that a retry replays a posting or a
-- refusal and never turns one into the other.
CREATE TABLE ledger_requests (
  pool_id        bigint NOT NULL,
  external_id    text NOT NULL,
  request_hash   bytea NOT NULL,
  transaction_id bigint,
  refusal_type   text,
  refusal_detail text,
  request        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, external_id),
  CHECK ((transaction_id IS NULL) = (refusal_type IS NOT NULL))
);

-- The hash chain: one link per committed transaction, in commit order.
CREATE TABLE ledger_chain (
  pool_id        bigint NOT NULL,
  seq            bigint NOT NULL CHECK (seq >= 1),
  transaction_id bigint NOT NULL,
  hash           bytea NOT NULL CHECK (length(hash) = 32),
  sealed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pool_id, seq),
  UNIQUE (pool_id, transaction_id),
  FOREIGN KEY (pool_id, transaction_id) REFERENCES transactions (pool_id, id)
);

-- Where the sealer stopped: the last sealed link and the commit-order position (xid, id) it reached.
CREATE TABLE ledger_chain_heads (
  pool_id  bigint PRIMARY KEY REFERENCES ledger_books (pool_id),
  seq      bigint NOT NULL DEFAULT 0,
  hash     bytea NOT NULL,
  last_xid xid8 NOT NULL DEFAULT '0',
  last_id  bigint NOT NULL DEFAULT 0
);

-- ---------------------------------------------------------------------------------------------------------
-- Invariant 1: every transaction has at least two entries, and they sum to zero per currency and per phase
-- (posted, reserve, release each balance on their own), each in an account of the transaction's pool and
-- currency. Checked at commit (deferred), once per transaction.
--
-- For that check to see every entry a transaction will ever have, a transaction's entries must be inserted
-- by the same SQL command that inserts the transaction (one statement, e.g. with data-modifying CTEs, as
-- the engine does): ledger_check_new_entries compares the command ids (cmin) of the new entries and their
-- transaction. Entries can then never join a transaction after its check, even one brought forward with
-- SET CONSTRAINTS ... IMMEDIATE, nor a committed one.
CREATE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT sum(g.n) AS n,
         string_agg(CASE WHEN g.total <> 0 THEN g.currency || ' ' || g.phase || ' ' || g.total END, ', ') AS unbalanced,
         sum(g.wrong) AS wrong
    INTO bad
    FROM (SELECT e.currency, e.phase, count(*) AS n, sum(e.amount) AS total,
                 count(*) FILTER (WHERE a.currency IS DISTINCT FROM e.currency) AS wrong
            FROM public.entries e
            LEFT JOIN LATERAL (SELECT y.currency FROM public.accounts y WHERE y.pool_id = e.pool_id AND y.id = e.account_id OFFSET 0) a ON true
           WHERE e.pool_id = NEW.pool_id AND e.transaction_id = NEW.id
           GROUP BY e.currency, e.phase) g;
  IF coalesce(bad.n, 0) < 2 THEN
    RAISE EXCEPTION 'ledger: transaction % has % entries; at least 2 are required', NEW.id, coalesce(bad.n, 0)
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  ELSIF bad.unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: transaction % does not balance (%)', NEW.id, bad.unbalanced
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  ELSIF bad.wrong > 0 THEN
    RAISE EXCEPTION 'ledger: transaction % has entries whose account is missing or in another currency', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER transaction_balanced
  AFTER INSERT ON transactions DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();

-- Entries may only be added by the command that creates their transaction (see above). One query per INSERT
-- statement, however many rows: the command id of this insert, read from one of its rows, against the
-- command id that inserted each transaction. It fails closed: no command id read means no entry accepted.
-- (cmin is the inserting command's id only while a row is never updated or deleted in its own transaction,
-- which the append-only triggers guarantee. Tables are schema-qualified so no search_path can shadow them.)
CREATE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  command cid;
  bad bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_entries) THEN
    RETURN NULL; -- an INSERT of no rows adds nothing
  END IF;
  SELECT x.cmin INTO command
    FROM (SELECT pool_id, id FROM new_entries LIMIT 1) n
    JOIN LATERAL (SELECT e.cmin FROM public.entries e WHERE e.pool_id = n.pool_id AND e.id = n.id OFFSET 0) x ON true;
  SELECT n.transaction_id INTO bad
    FROM new_entries n
    LEFT JOIN LATERAL (SELECT x.id, x.tx_xid, x.cmin FROM public.transactions x WHERE x.pool_id = n.pool_id AND x.id = n.transaction_id OFFSET 0) t ON true
   WHERE t.id IS NULL OR t.tx_xid <> pg_current_xact_id() OR NOT coalesce(t.cmin = command, false)
   LIMIT 1;
  IF command IS NULL OR bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: entries must be inserted by the command that creates their transaction (transaction %)', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'transaction_balanced';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER entries_join_new_transactions_only
  AFTER INSERT ON entries REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_entries();

-- Invariant 2: the journal is append-only, whoever asks.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger: % is append-only; % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['accounts', 'transactions', 'entries', 'ledger_requests', 'ledger_chain'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()',
                   t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()',
                   t || '_no_truncate', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Invariant 6: the canonical content of a transaction, hashed into the chain: its fields in a fixed order,
-- free text JSON-quoted so no delimiter is ambiguous, the date formatted explicitly (never by DateStyle),
-- metadata in jsonb's deterministic text form, then its entries in id order. Sealing and verification build
-- it with these two functions and nothing else. STABLE (not IMMUTABLE, as text output of values is stable)
-- so that the planner inlines them.
CREATE FUNCTION ledger_entry_text(id bigint, account_id bigint, amount bigint, currency char(3), phase text)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT concat_ws(',', id, account_id, amount, currency, phase)
$$;

CREATE FUNCTION ledger_content(id bigint, external_id text, kind text, effective_date date, refers_to bigint,
                               description text, metadata jsonb, entries text)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to(concat_ws('|', id, to_json(external_id), kind, to_char(effective_date, 'YYYY-MM-DD'),
                              coalesce(refers_to::text, '-'), to_json(description), metadata, coalesce(entries, '')), 'UTF8')
$$;

CREATE VIEW ledger_canonical AS
SELECT t.pool_id, t.id AS transaction_id, t.tx_xid,
       ledger_content(t.id, t.external_id, t.kind, t.effective_date, t.refers_to, t.description, t.metadata, e.entries) AS content
  FROM transactions t
  CROSS JOIN LATERAL (
    SELECT string_agg(ledger_entry_text(x.id, x.account_id, x.amount, x.currency, x.phase), ';' ORDER BY x.id) AS entries
      FROM entries x WHERE x.pool_id = t.pool_id AND x.transaction_id = t.id) e;

CREATE FUNCTION ledger_genesis_hash(p_pool_id bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(convert_to('pool-ledger genesis ' || p_pool_id, 'UTF8'))
$$;

-- Seals up to p_limit committed transactions of a pool into the chain, in commit order. Only transactions
-- older than every transaction still in flight are sealed (xid below the snapshot's xmin), so one that
-- commits late is sealed on a later call rather than skipped. Returns the number sealed.
CREATE FUNCTION ledger_seal(p_pool_id bigint, p_limit int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  head ledger_chain_heads%ROWTYPE;
  r record;
  n int := 0;
BEGIN
  SELECT * INTO head FROM ledger_chain_heads WHERE pool_id = p_pool_id FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN 0; -- another sealer holds this pool
  END IF;
  FOR r IN
    SELECT c.transaction_id, c.tx_xid, c.content FROM ledger_canonical c
     WHERE c.pool_id = p_pool_id
       AND (c.tx_xid, c.transaction_id) > (head.last_xid, head.last_id)
       AND c.tx_xid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY c.tx_xid, c.transaction_id
     LIMIT p_limit
  LOOP
    head.seq := head.seq + 1;
    head.hash := sha256(head.hash || r.content);
    head.last_xid := r.tx_xid;
    head.last_id := r.transaction_id;
    INSERT INTO ledger_chain (pool_id, seq, transaction_id, hash) VALUES (p_pool_id, head.seq, r.transaction_id, head.hash);
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE ledger_chain_heads SET seq = head.seq, hash = head.hash, last_xid = head.last_xid, last_id = head.last_id
     WHERE pool_id = p_pool_id;
  END IF;
  RETURN n;
END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The application role reads and appends to the journal and nothing more; it keeps running totals.
GRANT SELECT ON ledger_books, accounts, account_balances, account_days, transactions, entries,
                ledger_requests, ledger_chain, ledger_chain_heads, ledger_canonical TO pool_app;
GRANT INSERT ON ledger_books, accounts, account_balances, account_days, entries,
                ledger_requests, ledger_chain, ledger_chain_heads TO pool_app;
-- Not tx_xid nor created_at: they are what the database says, never what a client claims.
GRANT INSERT (pool_id, id, external_id, kind, effective_date, refers_to, description, metadata) ON transactions TO pool_app;

-- No temporary tables, functions or triggers of the application's own (they could run code inside a COMMIT).
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
GRANT UPDATE ON account_balances, account_days, ledger_chain_heads TO pool_app;
GRANT USAGE ON SEQUENCE transactions_id_seq, accounts_id_seq, entries_id_seq TO pool_app;
