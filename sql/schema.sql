-- The schema the migrations in sql/ build, as one picture. Generated from a database migrated from
-- nothing by `npm run schema` (src/db/schema-picture.ts); never edited by hand. A change to the schema is a
-- new migration: run `npm run schema` after adding it and commit both. Owners, grantors and role logins are
-- left out: they belong to an installation, not to the schema.

-- ====================================================================================================
-- Roles

CREATE ROLE pool_app;
ALTER ROLE pool_app SET enable_seqscan = off;

-- ====================================================================================================
-- Database and schema

-- The migrated database, whatever its name: PUBLIC holds only what is granted here.
GRANT CONNECT ON DATABASE :database TO PUBLIC;

GRANT USAGE ON SCHEMA public TO PUBLIC;
GRANT USAGE ON SCHEMA public TO pool_app;

-- ====================================================================================================
-- Types

CREATE TYPE public.account_type AS ENUM ('asset', 'liability', 'net_assets', 'income', 'expense');

CREATE TYPE public.api_role AS ENUM ('admin', 'treasury', 'bank', 'insurer', 'auditor', 'guarantor', 'enterprise');

CREATE TYPE public.participant_kind AS ENUM ('treasury', 'bank', 'insurer', 'guarantor', 'enterprise', 'vc', 'auditor');

-- ====================================================================================================
-- Sequences

-- public.accounts_id_seq is the identity of accounts.id.
GRANT USAGE ON SEQUENCE public.accounts_id_seq TO pool_app;

-- public.agreement_suspensions_id_seq is the identity of agreement_suspensions.id.
GRANT USAGE ON SEQUENCE public.agreement_suspensions_id_seq TO pool_app;

-- public.agreements_id_seq is the identity of agreements.id.
GRANT USAGE ON SEQUENCE public.agreements_id_seq TO pool_app;

-- public.api_keys_id_seq is the identity of api_keys.id.
GRANT USAGE ON SEQUENCE public.api_keys_id_seq TO pool_app;

-- public.appropriations_id_seq is the identity of appropriations.id.
GRANT USAGE ON SEQUENCE public.appropriations_id_seq TO pool_app;

-- public.audit_log_id_seq is the identity of audit_log.id.
GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO pool_app;

-- public.awards_id_seq is the identity of awards.id.
GRANT USAGE ON SEQUENCE public.awards_id_seq TO pool_app;

-- public.claim_steps_id_seq is the identity of claim_steps.id.
GRANT USAGE ON SEQUENCE public.claim_steps_id_seq TO pool_app;

-- public.claims_id_seq is the identity of claims.id.
GRANT USAGE ON SEQUENCE public.claims_id_seq TO pool_app;

CREATE SEQUENCE public.entries_id_seq AS bigint;
GRANT USAGE ON SEQUENCE public.entries_id_seq TO pool_app;

-- public.events_id_seq is the identity of events.id.
GRANT USAGE ON SEQUENCE public.events_id_seq TO pool_app;

-- public.loan_reports_id_seq is the identity of loan_reports.id.
GRANT USAGE ON SEQUENCE public.loan_reports_id_seq TO pool_app;

-- public.loans_id_seq is the identity of loans.id.
GRANT USAGE ON SEQUENCE public.loans_id_seq TO pool_app;

-- public.login_attempts_id_seq is the identity of login_attempts.id.
GRANT USAGE ON SEQUENCE public.login_attempts_id_seq TO pool_app;

-- public.participants_id_seq is the identity of participants.id.
GRANT USAGE ON SEQUENCE public.participants_id_seq TO pool_app;

-- public.pools_id_seq is the identity of pools.id.
GRANT USAGE ON SEQUENCE public.pools_id_seq TO pool_app;

-- public.proposals_id_seq is the identity of proposals.id.
GRANT USAGE ON SEQUENCE public.proposals_id_seq TO pool_app;

-- public.recoveries_id_seq is the identity of recoveries.id.
GRANT USAGE ON SEQUENCE public.recoveries_id_seq TO pool_app;

-- public.statement_imports_id_seq is the identity of statement_imports.id.
GRANT USAGE ON SEQUENCE public.statement_imports_id_seq TO pool_app;

-- public.statement_lines_id_seq is the identity of statement_lines.id.
GRANT USAGE ON SEQUENCE public.statement_lines_id_seq TO pool_app;

-- public.statement_matches_id_seq is the identity of statement_matches.id.
GRANT USAGE ON SEQUENCE public.statement_matches_id_seq TO pool_app;

CREATE SEQUENCE public.transactions_id_seq AS bigint;
GRANT USAGE ON SEQUENCE public.transactions_id_seq TO pool_app;

-- public.users_id_seq is the identity of users.id.
GRANT USAGE ON SEQUENCE public.users_id_seq TO pool_app;

-- ====================================================================================================
-- Functions

CREATE OR REPLACE FUNCTION public.award_record_steps(steps jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
  s jsonb;
  found_rows int;
BEGIN
  FOR s IN SELECT value FROM jsonb_array_elements(steps) LOOP
    UPDATE awards
       SET status = s->>'status',
           amount = coalesce((s->>'amount')::int8, amount),
           breakdown = coalesce(s->'breakdown', breakdown),
           reason = s->>'reason',
           decided_by_key = (s->>'by_key')::int8,
           request_key = s->>'request_key'
     WHERE pool_id = (s->>'pool_id')::int8 AND id = (s->>'award_id')::int8
       AND status IN (SELECT jsonb_array_elements_text(s->'from'));
    GET DIAGNOSTICS found_rows = ROW_COUNT;
    IF found_rows <> 1 THEN
      RAISE EXCEPTION 'award % of pool % is no longer in a status this step starts from', s->>'award_id', s->>'pool_id'
        USING ERRCODE = 'PLC01';
    END IF;
    INSERT INTO events (pool_id, type, subject, participant_id, data)
    VALUES ((s->>'pool_id')::int8, 'award.' || (s->>'status'), 'award/' || (s->>'award_id'), (s->>'participant_id')::int8,
            jsonb_build_object('reason', s->>'reason', 'amount', (SELECT amount::text FROM awards WHERE pool_id = (s->>'pool_id')::int8 AND id = (s->>'award_id')::int8)));
  END LOOP;
END $function$;
GRANT EXECUTE ON FUNCTION public.award_record_steps(steps jsonb) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.claim_record_steps(steps jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
  s jsonb;
  found_rows int;
BEGIN
  FOR s IN SELECT value FROM jsonb_array_elements(steps) LOOP
    UPDATE claims
       SET status = s->>'status',
           amount = coalesce((s->>'amount')::int8, amount),
           breakdown = coalesce(s->'breakdown', breakdown),
           reserve_tx = coalesce((s->>'reserve_tx')::int8, reserve_tx),
           due_by = (s->>'due_by')::date
     WHERE pool_id = (s->>'pool_id')::int8 AND id = (s->>'claim_id')::int8
       AND status IN (SELECT jsonb_array_elements_text(s->'from'));
    GET DIAGNOSTICS found_rows = ROW_COUNT;
    IF found_rows <> 1 THEN
      RAISE EXCEPTION 'claim % of pool % is no longer in a status this step starts from', s->>'claim_id', s->>'pool_id'
        USING ERRCODE = 'PLC01';
    END IF;
    INSERT INTO claim_steps (pool_id, claim_id, status, reason, by_key, request_key)
    VALUES ((s->>'pool_id')::int8, (s->>'claim_id')::int8, s->>'status', s->>'reason', (s->>'by_key')::int8, s->>'request_key');
    INSERT INTO events (pool_id, type, subject, participant_id, data)
    VALUES ((s->>'pool_id')::int8, 'claim.' || (s->>'status'), 'claim/' || (s->>'claim_id'), (s->>'participant_id')::int8,
            jsonb_build_object('reason', s->>'reason', 'amount', (SELECT amount::text FROM claims WHERE pool_id = (s->>'pool_id')::int8 AND id = (s->>'claim_id')::int8)));
  END LOOP;
END $function$;
GRANT EXECUTE ON FUNCTION public.claim_record_steps(steps jsonb) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.idempotency_finish(p_api_key_id bigint, p_key text, p_token uuid, p_status integer, p_body text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE idempotency_keys
     SET status = p_status, body = p_body, finished_at = now(), lease_token = NULL, lease_until = NULL
   WHERE api_key_id = p_api_key_id AND key = p_key AND lease_token = p_token;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the lease on Idempotency-Key % was lost to another attempt', p_key USING ERRCODE = 'PLK01';
  END IF;
END
$function$;
GRANT EXECUTE ON FUNCTION public.idempotency_finish(p_api_key_id bigint, p_key text, p_token uuid, p_status integer, p_body text) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.idempotency_finish_many(p_api_key_ids bigint[], p_keys text[], p_tokens uuid[], p_statuses integer[], p_bodies text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
  lost text;
BEGIN
  WITH x AS (
    SELECT * FROM unnest(p_api_key_ids, p_keys, p_tokens, p_statuses, p_bodies) AS x(api_key_id, key, lease_token, status, body)
  ), target AS (
    -- Rows found by an index probe per key, then updated by their ctid: a plan that never scans the table.
    SELECT k.row_id, x.lease_token, x.status, x.body FROM x
    CROSS JOIN LATERAL (SELECT ctid AS row_id FROM idempotency_keys k WHERE k.api_key_id = x.api_key_id AND k.key = x.key AND k.lease_token = x.lease_token OFFSET 0) k
  ), done AS (
    -- The lease is checked again on the row as updated: another attempt may have taken it over meanwhile.
    UPDATE idempotency_keys k
       SET status = t.status, body = t.body, finished_at = now(), lease_token = NULL, lease_until = NULL
      FROM target t
     WHERE k.ctid = t.row_id AND k.lease_token = t.lease_token
    RETURNING k.api_key_id, k.key
  )
  SELECT min(x.key) INTO lost
    FROM x LEFT JOIN done d ON d.api_key_id = x.api_key_id AND d.key = x.key
   WHERE d.key IS NULL;
  IF lost IS NOT NULL THEN
    RAISE EXCEPTION 'the lease on Idempotency-Key % was lost to another attempt', lost USING ERRCODE = 'PLK01';
  END IF;
END
$function$;
GRANT EXECUTE ON FUNCTION public.idempotency_finish_many(p_api_key_ids bigint[], p_keys text[], p_tokens uuid[], p_statuses integer[], p_bodies text[]) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_check_closed_periods()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_check_closed_periods() TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_check_new_entries()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_check_new_entries() TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_check_new_transactions()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_check_new_transactions() TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_close_through(p_pool bigint, p_through date)
 RETURNS date
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  latest date;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('ledger_close:' || p_pool, 0));
  LOCK TABLE public.transactions IN SHARE MODE;
  SELECT max(through) INTO latest FROM public.ledger_closes WHERE pool_id = p_pool;
  IF latest IS NOT NULL AND p_through <= latest THEN
    RETURN latest;
  END IF;
  INSERT INTO public.ledger_closes (pool_id, through) VALUES (p_pool, p_through);
  RETURN p_through;
END
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_close_through(p_pool bigint, p_through date) TO pool_app;

CREATE OR REPLACE FUNCTION public.ledger_content(id bigint, external_id text, kind text, effective_date date, refers_to bigint, description text, metadata jsonb, entries text)
 RETURNS bytea
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  SELECT convert_to(concat_ws('|', id, to_json(external_id), kind, to_char(effective_date, 'YYYY-MM-DD'),
                              coalesce(refers_to::text, '-'), to_json(description), metadata, coalesce(entries, '')), 'UTF8')
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_content(id bigint, external_id text, kind text, effective_date date, refers_to bigint, description text, metadata jsonb, entries text) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_entry_text(id bigint, account_id bigint, amount bigint, currency character, phase text)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  SELECT concat_ws(',', id, account_id, amount, currency, phase)
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_entry_text(id bigint, account_id bigint, amount bigint, currency character, phase text) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_genesis_hash(p_pool_id bigint)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT sha256(convert_to('pool-ledger genesis ' || p_pool_id, 'UTF8'))
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_genesis_hash(p_pool_id bigint) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  RAISE EXCEPTION 'ledger: % is append-only; % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_refuse_change() TO PUBLIC;

CREATE OR REPLACE FUNCTION public.ledger_seal(p_pool_id bigint, p_limit integer)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
  head ledger_chain_heads%ROWTYPE;
  r record;
  n int := 0;
  seqs bigint[] := '{}';
  ids bigint[] := '{}';
  hashes bytea[] := '{}';
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
    seqs := seqs || head.seq;
    ids := ids || r.transaction_id;
    hashes := hashes || head.hash;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    INSERT INTO ledger_chain (pool_id, seq, transaction_id, hash)
    SELECT p_pool_id, u.seq, u.transaction_id, u.hash FROM unnest(seqs, ids, hashes) AS u(seq, transaction_id, hash);
    UPDATE ledger_chain_heads SET seq = head.seq, hash = head.hash, last_xid = head.last_xid, last_id = head.last_id
     WHERE pool_id = p_pool_id;
  END IF;
  RETURN n;
END
$function$;
GRANT EXECUTE ON FUNCTION public.ledger_seal(p_pool_id bigint, p_limit integer) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.recovery_record(rows jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
  r jsonb;
BEGIN
  FOR r IN SELECT value FROM jsonb_array_elements(rows) LOOP
    INSERT INTO recoveries (pool_id, loan_id, bank_id, reference, recovered_on, gross, costs, pool_part, insurer_part, bank_part)
    VALUES ((r->>'pool_id')::int8, (r->>'loan_id')::int8, (r->>'bank_id')::int8, r->>'reference', (r->>'recovered_on')::date,
            (r->>'gross')::int8, (r->>'costs')::int8, (r->>'pool_part')::int8, (r->>'insurer_part')::int8, (r->>'bank_part')::int8)
    ON CONFLICT (pool_id, loan_id, reference) DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'recovery % of loan % was recorded by another request', r->>'reference', r->>'loan_id' USING ERRCODE = 'PLC01';
    END IF;
    INSERT INTO events (pool_id, type, subject, participant_id, data)
    VALUES ((r->>'pool_id')::int8, 'recovery.reported', 'loan/' || (r->>'loan_id'), (r->>'bank_id')::int8,
            jsonb_build_object('reference', r->>'reference', 'pool_part', r->>'pool_part'));
  END LOOP;
END $function$;
GRANT EXECUTE ON FUNCTION public.recovery_record(rows jsonb) TO PUBLIC;

CREATE OR REPLACE FUNCTION public.refresh_loan_statistics()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  ANALYZE public.loans;
  ANALYZE public.loan_reports;
END
$function$;
GRANT EXECUTE ON FUNCTION public.refresh_loan_statistics() TO pool_app;

-- ====================================================================================================
-- Tables

CREATE TABLE public.account_balances (
  pool_id bigint NOT NULL,
  account_id bigint NOT NULL,
  debit_normal boolean NOT NULL,
  no_negative boolean NOT NULL,
  posted_debits bigint NOT NULL DEFAULT 0,
  posted_credits bigint NOT NULL DEFAULT 0,
  pending_debits bigint NOT NULL DEFAULT 0,
  pending_credits bigint NOT NULL DEFAULT 0,
  CONSTRAINT account_balances_pending_credits_check CHECK ((pending_credits >= 0)),
  CONSTRAINT account_balances_pending_debits_check CHECK ((pending_debits >= 0)),
  CONSTRAINT account_balances_pkey PRIMARY KEY (pool_id, account_id),
  CONSTRAINT account_balances_pool_id_account_id_fkey FOREIGN KEY (pool_id, account_id) REFERENCES public.accounts(pool_id, id),
  CONSTRAINT account_balances_posted_credits_check CHECK ((posted_credits >= 0)),
  CONSTRAINT account_balances_posted_debits_check CHECK ((posted_debits >= 0)),
  CONSTRAINT available_not_negative CHECK (((NOT no_negative) OR (
CASE
    WHEN debit_normal THEN ((posted_debits - posted_credits) - pending_credits)
    ELSE ((posted_credits - posted_debits) - pending_debits)
END >= 0)))
) WITH (fillfactor=50);
GRANT INSERT, SELECT, UPDATE ON TABLE public.account_balances TO pool_app;

CREATE TABLE public.account_days (
  pool_id bigint NOT NULL,
  account_id bigint NOT NULL,
  day date NOT NULL,
  posted_debits bigint NOT NULL DEFAULT 0,
  posted_credits bigint NOT NULL DEFAULT 0,
  pending_debits bigint NOT NULL DEFAULT 0,
  pending_credits bigint NOT NULL DEFAULT 0,
  CONSTRAINT account_days_pkey PRIMARY KEY (pool_id, account_id, day),
  CONSTRAINT account_days_pool_id_account_id_fkey FOREIGN KEY (pool_id, account_id) REFERENCES public.accounts(pool_id, id)
) WITH (fillfactor=50);
GRANT INSERT, SELECT, UPDATE ON TABLE public.account_days TO pool_app;

CREATE TABLE public.accounts (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  code text NOT NULL,
  name text NOT NULL,
  type public.account_type NOT NULL,
  currency character(3) NOT NULL,
  no_negative boolean NOT NULL DEFAULT false,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT accounts_code_check CHECK ((code ~ '^[a-z0-9][a-z0-9_.:-]{0,99}$'::text)),
  CONSTRAINT accounts_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
  CONSTRAINT accounts_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  CONSTRAINT accounts_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT accounts_pool_id_code_key UNIQUE (pool_id, code),
  CONSTRAINT accounts_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.ledger_books(pool_id)
);
CREATE TRIGGER accounts_append_only BEFORE DELETE OR UPDATE ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON public.accounts FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.accounts TO pool_app;

CREATE TABLE public.agreement_exposure (
  pool_id bigint NOT NULL,
  agreement_id bigint NOT NULL,
  used bigint NOT NULL DEFAULT 0,
  CONSTRAINT agreement_exposure_pkey PRIMARY KEY (pool_id, agreement_id),
  CONSTRAINT agreement_exposure_pool_id_agreement_id_fkey FOREIGN KEY (pool_id, agreement_id) REFERENCES public.agreements(pool_id, id),
  CONSTRAINT agreement_exposure_used_check CHECK ((used >= 0))
);
GRANT INSERT, SELECT ON TABLE public.agreement_exposure TO pool_app;
GRANT UPDATE (used) ON TABLE public.agreement_exposure TO pool_app;

CREATE TABLE public.agreement_suspensions (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  agreement_id bigint NOT NULL,
  suspended boolean NOT NULL,
  reason text NOT NULL,
  by_key bigint,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT agreement_suspensions_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT agreement_suspensions_pool_id_agreement_id_fkey FOREIGN KEY (pool_id, agreement_id) REFERENCES public.agreements(pool_id, id),
  CONSTRAINT agreement_suspensions_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);
CREATE INDEX agreement_suspensions_latest ON public.agreement_suspensions USING btree (pool_id, agreement_id, id DESC);
CREATE TRIGGER agreement_suspensions_append_only BEFORE DELETE OR UPDATE ON public.agreement_suspensions FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER agreement_suspensions_no_truncate BEFORE TRUNCATE ON public.agreement_suspensions FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.agreement_suspensions TO pool_app;

CREATE TABLE public.agreement_terms (
  pool_id bigint NOT NULL,
  agreement_id bigint NOT NULL,
  version integer NOT NULL,
  effective_from date NOT NULL,
  pool_share_bp integer NOT NULL,
  insurer_share_bp integer NOT NULL,
  bank_share_bp integer NOT NULL,
  bonus_bp jsonb NOT NULL DEFAULT '{}'::jsonb,
  public_ceiling_bp integer NOT NULL,
  per_loan_cap bigint NOT NULL,
  per_enterprise_year_cap bigint NOT NULL,
  per_bank_year_cap bigint NOT NULL,
  credit_line bigint NOT NULL,
  overdue_days integer NOT NULL DEFAULT 90,
  filing_window_days integer NOT NULL,
  eligible_kinds text[] NOT NULL,
  max_principal bigint NOT NULL,
  max_term_months integer NOT NULL,
  suspension_loss_bp integer NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  covers_interest boolean NOT NULL DEFAULT false,
  step_deadline_days integer NOT NULL DEFAULT 5,
  CONSTRAINT agreement_terms_bank_share_bp_check CHECK (((bank_share_bp >= 0) AND (bank_share_bp <= 10000))),
  CONSTRAINT agreement_terms_bonus_object CHECK ((jsonb_typeof(bonus_bp) = 'object'::text)),
  CONSTRAINT agreement_terms_check CHECK ((((pool_share_bp + insurer_share_bp) + bank_share_bp) = 10000)),
  CONSTRAINT agreement_terms_credit_line_check CHECK ((credit_line >= 0)),
  CONSTRAINT agreement_terms_filing_window_days_check CHECK (((filing_window_days >= 1) AND (filing_window_days <= 3650))),
  CONSTRAINT agreement_terms_insurer_share_bp_check CHECK (((insurer_share_bp >= 0) AND (insurer_share_bp <= 10000))),
  CONSTRAINT agreement_terms_max_principal_check CHECK ((max_principal > 0)),
  CONSTRAINT agreement_terms_max_term_months_check CHECK (((max_term_months >= 1) AND (max_term_months <= 600))),
  CONSTRAINT agreement_terms_overdue_days_check CHECK (((overdue_days >= 1) AND (overdue_days <= 3650))),
  CONSTRAINT agreement_terms_per_bank_year_cap_check CHECK ((per_bank_year_cap >= 0)),
  CONSTRAINT agreement_terms_per_enterprise_year_cap_check CHECK ((per_enterprise_year_cap >= 0)),
  CONSTRAINT agreement_terms_per_loan_cap_check CHECK ((per_loan_cap >= 0)),
  CONSTRAINT agreement_terms_pkey PRIMARY KEY (pool_id, agreement_id, version),
  CONSTRAINT agreement_terms_pool_id_agreement_id_effective_from_key UNIQUE (pool_id, agreement_id, effective_from),
  CONSTRAINT agreement_terms_pool_id_agreement_id_fkey FOREIGN KEY (pool_id, agreement_id) REFERENCES public.agreements(pool_id, id),
  CONSTRAINT agreement_terms_pool_share_bp_check CHECK (((pool_share_bp >= 0) AND (pool_share_bp <= 10000))),
  CONSTRAINT agreement_terms_public_ceiling_bp_check CHECK (((public_ceiling_bp >= 0) AND (public_ceiling_bp <= 10000))),
  CONSTRAINT agreement_terms_step_deadline_days_check CHECK (((step_deadline_days >= 1) AND (step_deadline_days <= 250))),
  CONSTRAINT agreement_terms_suspension_loss_bp_check CHECK (((suspension_loss_bp >= 0) AND (suspension_loss_bp <= 10000))),
  CONSTRAINT agreement_terms_version_check CHECK ((version >= 1))
);
CREATE TRIGGER agreement_terms_append_only BEFORE DELETE OR UPDATE ON public.agreement_terms FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER agreement_terms_no_truncate BEFORE TRUNCATE ON public.agreement_terms FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.agreement_terms TO pool_app;

CREATE TABLE public.agreements (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  bank_id bigint NOT NULL,
  insurer_id bigint,
  name text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT agreements_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  CONSTRAINT agreements_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT agreements_pool_id_bank_id_fkey FOREIGN KEY (pool_id, bank_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT agreements_pool_id_bank_id_insurer_id_key UNIQUE NULLS NOT DISTINCT (pool_id, bank_id, insurer_id),
  CONSTRAINT agreements_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id),
  CONSTRAINT agreements_pool_id_insurer_id_fkey FOREIGN KEY (pool_id, insurer_id) REFERENCES public.participants(pool_id, id)
);
GRANT INSERT, SELECT ON TABLE public.agreements TO pool_app;

CREATE TABLE public.api_keys (
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  prefix text NOT NULL,
  secret_hash bytea NOT NULL,
  role public.api_role NOT NULL,
  pool_id bigint,
  participant_id bigint,
  label text NOT NULL DEFAULT ''::text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  revoked_at timestamp with time zone,
  acts_for bigint,
  CONSTRAINT api_keys_acts_for_fkey FOREIGN KEY (acts_for) REFERENCES public.api_keys(id),
  CONSTRAINT api_keys_check CHECK (((role = 'admin'::public.api_role) = (pool_id IS NULL))),
  CONSTRAINT api_keys_check1 CHECK (((role = ANY (ARRAY['bank'::public.api_role, 'insurer'::public.api_role, 'guarantor'::public.api_role, 'enterprise'::public.api_role])) = (participant_id IS NOT NULL))),
  CONSTRAINT api_keys_label_check CHECK ((length(label) <= 200)),
  CONSTRAINT api_keys_pkey PRIMARY KEY (id),
  CONSTRAINT api_keys_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id),
  CONSTRAINT api_keys_pool_id_participant_id_fkey FOREIGN KEY (pool_id, participant_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
  CONSTRAINT api_keys_secret_hash_check CHECK ((length(secret_hash) = 32))
);
GRANT INSERT, SELECT ON TABLE public.api_keys TO pool_app;
GRANT UPDATE (revoked_at) ON TABLE public.api_keys TO pool_app;

CREATE TABLE public.appropriations (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  reference text NOT NULL,
  amount bigint NOT NULL,
  notified_on date NOT NULL,
  received_on date,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT appropriations_amount_check CHECK ((amount > 0)),
  CONSTRAINT appropriations_check CHECK ((received_on >= notified_on)),
  CONSTRAINT appropriations_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT appropriations_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id),
  CONSTRAINT appropriations_pool_id_reference_key UNIQUE (pool_id, reference),
  CONSTRAINT appropriations_reference_check CHECK (((length(reference) >= 1) AND (length(reference) <= 100)))
);
GRANT INSERT, SELECT ON TABLE public.appropriations TO pool_app;
GRANT UPDATE (received_on) ON TABLE public.appropriations TO pool_app;

CREATE TABLE public.audit_log (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  key_id bigint NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  status integer NOT NULL,
  request_id text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT audit_log_path_check CHECK ((length(path) <= 2000)),
  CONSTRAINT audit_log_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT audit_log_request_id_check CHECK ((length(request_id) <= 200))
);
CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.audit_log TO pool_app;

CREATE TABLE public.awards (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  reference text NOT NULL,
  programme text NOT NULL,
  article integer NOT NULL,
  beneficiary_id bigint NOT NULL,
  item text NOT NULL,
  year integer NOT NULL,
  basis_amount bigint NOT NULL,
  rate_bp integer,
  subkind text,
  facts jsonb NOT NULL,
  amount bigint NOT NULL,
  breakdown jsonb NOT NULL,
  status text NOT NULL DEFAULT 'submitted'::text,
  reason text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  decided_by_key bigint,
  request_key text,
  CONSTRAINT awards_amount_check CHECK ((amount >= 0)),
  CONSTRAINT awards_article_check CHECK (((article >= 1) AND (article <= 8))),
  CONSTRAINT awards_basis_amount_check CHECK ((basis_amount >= 0)),
  CONSTRAINT awards_breakdown_check CHECK ((jsonb_typeof(breakdown) = 'object'::text)),
  CONSTRAINT awards_facts_check CHECK ((jsonb_typeof(facts) = 'object'::text)),
  CONSTRAINT awards_item_check CHECK (((length(item) >= 1) AND (length(item) <= 200))),
  CONSTRAINT awards_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT awards_pool_id_beneficiary_id_fkey FOREIGN KEY (pool_id, beneficiary_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT awards_pool_id_beneficiary_id_reference_key UNIQUE (pool_id, beneficiary_id, reference),
  CONSTRAINT awards_reference_check CHECK (((length(reference) >= 1) AND (length(reference) <= 200))),
  CONSTRAINT awards_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'rejected'::text, 'paid'::text]))),
  CONSTRAINT awards_year_check CHECK (((year >= 2000) AND (year <= 2200)))
);
CREATE INDEX awards_by_beneficiary ON public.awards USING btree (pool_id, beneficiary_id, programme, year);
GRANT INSERT, SELECT ON TABLE public.awards TO pool_app;
GRANT UPDATE (amount, breakdown, status, reason, decided_by_key, request_key) ON TABLE public.awards TO pool_app;

CREATE TABLE public.claim_steps (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  claim_id bigint NOT NULL,
  status text NOT NULL,
  reason text NOT NULL,
  by_key bigint,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  request_key text,
  CONSTRAINT claim_steps_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT claim_steps_pool_id_claim_id_fkey FOREIGN KEY (pool_id, claim_id) REFERENCES public.claims(pool_id, id),
  CONSTRAINT claim_steps_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 1000)))
);
CREATE INDEX claim_steps_by_claim ON public.claim_steps USING btree (pool_id, claim_id, id);
CREATE TRIGGER claim_steps_append_only BEFORE DELETE OR UPDATE ON public.claim_steps FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER claim_steps_no_truncate BEFORE TRUNCATE ON public.claim_steps FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.claim_steps TO pool_app;

CREATE TABLE public.claims (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  loan_id bigint NOT NULL,
  claimant_id bigint NOT NULL,
  claimant_kind text NOT NULL,
  loss_principal bigint NOT NULL,
  loss_interest bigint NOT NULL,
  paid_to_bank bigint,
  documents jsonb NOT NULL,
  amount bigint NOT NULL,
  breakdown jsonb NOT NULL,
  status text NOT NULL DEFAULT 'submitted'::text,
  reserve_tx bigint,
  due_by date,
  loss_year integer NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT claims_amount_check CHECK ((amount >= 0)),
  CONSTRAINT claims_breakdown_check CHECK ((jsonb_typeof(breakdown) = 'object'::text)),
  CONSTRAINT claims_check CHECK (((status = ANY (ARRAY['submitted'::text, 'deferred'::text, 'rejected'::text])) OR (reserve_tx IS NOT NULL) OR (amount = 0))),
  CONSTRAINT claims_claimant_kind_check CHECK ((claimant_kind = ANY (ARRAY['bank'::text, 'insurer'::text]))),
  CONSTRAINT claims_documents_check CHECK ((jsonb_typeof(documents) = 'array'::text)),
  CONSTRAINT claims_loss_interest_check CHECK ((loss_interest >= 0)),
  CONSTRAINT claims_loss_principal_check CHECK ((loss_principal >= 0)),
  CONSTRAINT claims_paid_to_bank_check CHECK ((paid_to_bank >= 0)),
  CONSTRAINT claims_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT claims_pool_id_claimant_id_fkey FOREIGN KEY (pool_id, claimant_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT claims_pool_id_loan_id_claimant_id_key UNIQUE (pool_id, loan_id, claimant_id),
  CONSTRAINT claims_pool_id_loan_id_fkey FOREIGN KEY (pool_id, loan_id) REFERENCES public.loans(pool_id, id),
  CONSTRAINT claims_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'deferred'::text, 'rejected'::text, 'paid'::text, 'closed'::text])))
);
CREATE INDEX claims_by_claimant ON public.claims USING btree (pool_id, claimant_id, id);
CREATE INDEX claims_by_status ON public.claims USING btree (pool_id, status, due_by);
GRANT INSERT, SELECT ON TABLE public.claims TO pool_app;
GRANT UPDATE (amount, breakdown, status, reserve_tx, due_by) ON TABLE public.claims TO pool_app;

CREATE TABLE public.entries (
  pool_id bigint NOT NULL,
  id bigint NOT NULL DEFAULT nextval('public.entries_id_seq'::regclass),
  transaction_id bigint NOT NULL,
  account_id bigint NOT NULL,
  amount bigint NOT NULL,
  currency character(3) NOT NULL,
  effective_date date NOT NULL,
  phase text NOT NULL,
  CONSTRAINT entries_amount_check CHECK ((amount <> 0)),
  CONSTRAINT entries_phase_check CHECK ((phase = ANY (ARRAY['posted'::text, 'reserve'::text, 'release'::text]))),
  CONSTRAINT entries_pkey PRIMARY KEY (pool_id, id)
);
CREATE INDEX entries_by_transaction ON public.entries USING btree (pool_id, transaction_id);
CREATE INDEX entries_statement ON public.entries USING btree (pool_id, account_id, effective_date, id) WHERE (phase = 'posted'::text);
CREATE TRIGGER entries_append_only BEFORE DELETE OR UPDATE ON public.entries FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER entries_join_new_transactions_only AFTER INSERT ON public.entries REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_check_new_entries();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON public.entries FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.entries TO pool_app;

CREATE TABLE public.events (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  tx_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  type text NOT NULL,
  participant_id bigint,
  subject text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT events_data_object CHECK ((jsonb_typeof(data) = 'object'::text)),
  CONSTRAINT events_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT events_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id)
);
CREATE INDEX events_feed ON public.events USING btree (pool_id, tx_xid, id);
CREATE INDEX events_feed_participant ON public.events USING btree (pool_id, participant_id, tx_xid, id);
CREATE TRIGGER events_append_only BEFORE DELETE OR UPDATE ON public.events FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON public.events FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT SELECT ON TABLE public.events TO pool_app;
GRANT INSERT (pool_id, type, participant_id, subject, data) ON TABLE public.events TO pool_app;

CREATE TABLE public.idempotency_keys (
  api_key_id bigint NOT NULL,
  key text NOT NULL,
  fingerprint bytea NOT NULL,
  lease_token uuid,
  lease_until timestamp with time zone,
  status integer,
  body text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  finished_at timestamp with time zone,
  CONSTRAINT idempotency_keys_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES public.api_keys(id),
  CONSTRAINT idempotency_keys_check CHECK (((status IS NULL) = (finished_at IS NULL))),
  CONSTRAINT idempotency_keys_key_check CHECK (((length(key) >= 1) AND (length(key) <= 255))),
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_finished ON public.idempotency_keys USING btree (finished_at);
GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE public.idempotency_keys TO pool_app;

CREATE TABLE public.ledger_books (
  pool_id bigint NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT ledger_books_pkey PRIMARY KEY (pool_id)
);
GRANT INSERT, SELECT ON TABLE public.ledger_books TO pool_app;

CREATE TABLE public.ledger_chain (
  pool_id bigint NOT NULL,
  seq bigint NOT NULL,
  transaction_id bigint NOT NULL,
  hash bytea NOT NULL,
  sealed_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT ledger_chain_hash_check CHECK ((length(hash) = 32)),
  CONSTRAINT ledger_chain_pkey PRIMARY KEY (pool_id, seq),
  CONSTRAINT ledger_chain_pool_id_transaction_id_fkey FOREIGN KEY (pool_id, transaction_id) REFERENCES public.transactions(pool_id, id),
  CONSTRAINT ledger_chain_pool_id_transaction_id_key UNIQUE (pool_id, transaction_id),
  CONSTRAINT ledger_chain_seq_check CHECK ((seq >= 1))
);
CREATE TRIGGER ledger_chain_append_only BEFORE DELETE OR UPDATE ON public.ledger_chain FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON public.ledger_chain FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.ledger_chain TO pool_app;

CREATE TABLE public.ledger_chain_heads (
  pool_id bigint NOT NULL,
  seq bigint NOT NULL DEFAULT 0,
  hash bytea NOT NULL,
  last_xid xid8 NOT NULL DEFAULT '0'::xid8,
  last_id bigint NOT NULL DEFAULT 0,
  CONSTRAINT ledger_chain_heads_pkey PRIMARY KEY (pool_id),
  CONSTRAINT ledger_chain_heads_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.ledger_books(pool_id)
);
GRANT INSERT, SELECT, UPDATE ON TABLE public.ledger_chain_heads TO pool_app;

CREATE TABLE public.ledger_closes (
  pool_id bigint NOT NULL,
  through date NOT NULL,
  closed_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT ledger_closes_pkey PRIMARY KEY (pool_id, through),
  CONSTRAINT ledger_closes_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.ledger_books(pool_id)
);
CREATE TRIGGER ledger_closes_append_only BEFORE DELETE OR UPDATE ON public.ledger_closes FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER ledger_closes_no_truncate BEFORE TRUNCATE ON public.ledger_closes FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT SELECT ON TABLE public.ledger_closes TO pool_app;

CREATE TABLE public.ledger_requests (
  pool_id bigint NOT NULL,
  external_id text NOT NULL,
  request_hash bytea NOT NULL,
  transaction_id bigint,
  refusal_type text,
  refusal_detail text,
  request text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT ledger_requests_check CHECK (((transaction_id IS NULL) = (refusal_type IS NOT NULL))),
  CONSTRAINT ledger_requests_pkey PRIMARY KEY (pool_id, external_id),
  CONSTRAINT request_matches_hash CHECK ((request_hash = sha256(convert_to(request, 'UTF8'::name)))) NOT VALID
);
CREATE TRIGGER ledger_requests_append_only BEFORE DELETE OR UPDATE ON public.ledger_requests FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER ledger_requests_no_truncate BEFORE TRUNCATE ON public.ledger_requests FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.ledger_requests TO pool_app;

CREATE TABLE public.loan_reports (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  loan_id bigint NOT NULL,
  month date NOT NULL,
  outstanding bigint NOT NULL,
  overdue_principal bigint NOT NULL,
  overdue_interest bigint NOT NULL,
  days_past_due integer NOT NULL,
  classification text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT loan_reports_check CHECK ((overdue_principal <= outstanding)),
  CONSTRAINT loan_reports_classification_check CHECK ((classification = ANY (ARRAY['normal'::text, 'special_mention'::text, 'substandard'::text, 'doubtful'::text, 'loss'::text]))),
  CONSTRAINT loan_reports_days_past_due_check CHECK ((days_past_due >= 0)),
  CONSTRAINT loan_reports_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
  CONSTRAINT loan_reports_outstanding_check CHECK ((outstanding >= 0)),
  CONSTRAINT loan_reports_overdue_interest_check CHECK ((overdue_interest >= 0)),
  CONSTRAINT loan_reports_overdue_principal_check CHECK ((overdue_principal >= 0)),
  CONSTRAINT loan_reports_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT loan_reports_pool_id_loan_id_fkey FOREIGN KEY (pool_id, loan_id) REFERENCES public.loans(pool_id, id),
  CONSTRAINT loan_reports_pool_id_loan_id_month_key UNIQUE (pool_id, loan_id, month)
);
CREATE TRIGGER loan_reports_append_only BEFORE DELETE OR UPDATE ON public.loan_reports FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER loan_reports_no_truncate BEFORE TRUNCATE ON public.loan_reports FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.loan_reports TO pool_app;

CREATE TABLE public.loans (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  bank_id bigint NOT NULL,
  agreement_id bigint NOT NULL,
  reference text NOT NULL,
  borrower_id bigint NOT NULL,
  kind text NOT NULL,
  principal bigint NOT NULL,
  rate_bp integer NOT NULL,
  disbursed_on date NOT NULL,
  matures_on date NOT NULL,
  first_loan boolean NOT NULL DEFAULT false,
  policy_number text,
  premium bigint,
  terms_version integer NOT NULL,
  state text NOT NULL DEFAULT 'active'::text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  outstanding bigint NOT NULL,
  defaulted_month date,
  defaulted_outstanding bigint,
  CONSTRAINT loans_check CHECK ((matures_on > disbursed_on)),
  CONSTRAINT loans_default_recorded CHECK ((((state = 'defaulted'::text) = (defaulted_month IS NOT NULL)) AND ((defaulted_month IS NULL) = (defaulted_outstanding IS NULL)))),
  CONSTRAINT loans_defaulted_outstanding_check CHECK ((defaulted_outstanding >= 0)),
  CONSTRAINT loans_outstanding_check CHECK ((outstanding >= 0)),
  CONSTRAINT loans_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT loans_policy_number_check CHECK (((length(policy_number) >= 1) AND (length(policy_number) <= 100))),
  CONSTRAINT loans_pool_id_agreement_id_terms_version_fkey FOREIGN KEY (pool_id, agreement_id, terms_version) REFERENCES public.agreement_terms(pool_id, agreement_id, version),
  CONSTRAINT loans_pool_id_bank_id_fkey FOREIGN KEY (pool_id, bank_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT loans_pool_id_bank_id_reference_key UNIQUE (pool_id, bank_id, reference),
  CONSTRAINT loans_pool_id_borrower_id_fkey FOREIGN KEY (pool_id, borrower_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT loans_premium_check CHECK ((premium >= 0)),
  CONSTRAINT loans_principal_check CHECK ((principal > 0)),
  CONSTRAINT loans_rate_bp_check CHECK (((rate_bp >= 0) AND (rate_bp <= 10000))),
  CONSTRAINT loans_reference_check CHECK (((length(reference) >= 1) AND (length(reference) <= 100))),
  CONSTRAINT loans_state CHECK ((state = ANY (ARRAY['active'::text, 'overdue'::text, 'defaulted'::text, 'repaid'::text])))
);
CREATE INDEX loans_by_agreement_defaulted ON public.loans USING btree (pool_id, agreement_id, defaulted_month) INCLUDE (defaulted_outstanding) WHERE (defaulted_month IS NOT NULL);
CREATE INDEX loans_by_agreement_disbursed ON public.loans USING btree (pool_id, agreement_id, disbursed_on) INCLUDE (principal);
CREATE INDEX loans_by_bank ON public.loans USING btree (pool_id, bank_id, id);
GRANT INSERT, SELECT ON TABLE public.loans TO pool_app;
GRANT UPDATE (state, outstanding, defaulted_month, defaulted_outstanding) ON TABLE public.loans TO pool_app;

CREATE TABLE public.login_attempts (
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  login text NOT NULL,
  address text NOT NULL,
  ok boolean NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT login_attempts_address_check CHECK ((length(address) <= 100)),
  CONSTRAINT login_attempts_login_check CHECK ((length(login) <= 200)),
  CONSTRAINT login_attempts_pkey PRIMARY KEY (id)
);
CREATE INDEX login_attempts_address ON public.login_attempts USING btree (address, created_at);
CREATE INDEX login_attempts_login ON public.login_attempts USING btree (login, created_at);
GRANT DELETE, INSERT, SELECT ON TABLE public.login_attempts TO pool_app;

CREATE TABLE public.participants (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  kind public.participant_kind NOT NULL,
  name text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  credit_code character(18),
  in_zone boolean,
  tech_sme_certificate text,
  tech_sme_expires date,
  credit_rating text,
  CONSTRAINT participants_credit_code_check CHECK ((credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'::text)),
  CONSTRAINT participants_credit_rating_check CHECK ((credit_rating = ANY (ARRAY['AAA'::text, 'AA'::text, 'A'::text, 'BBB'::text, 'BB'::text, 'B'::text, 'CCC'::text, 'CC'::text, 'C'::text]))),
  CONSTRAINT participants_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  CONSTRAINT participants_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT participants_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id),
  CONSTRAINT participants_pool_id_kind_name_key UNIQUE (pool_id, kind, name),
  CONSTRAINT participants_tech_sme_certificate_check CHECK (((length(tech_sme_certificate) >= 1) AND (length(tech_sme_certificate) <= 100)))
);
CREATE UNIQUE INDEX participants_credit_code ON public.participants USING btree (pool_id, kind, credit_code) WHERE (credit_code IS NOT NULL);
GRANT INSERT, SELECT ON TABLE public.participants TO pool_app;

CREATE TABLE public.period_closes (
  pool_id bigint NOT NULL,
  through date NOT NULL,
  trial_balance jsonb NOT NULL,
  chain_seq bigint NOT NULL,
  chain_hash text NOT NULL,
  by_key bigint NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  reconciliation jsonb,
  unreconciled_reason text,
  CONSTRAINT period_closes_pkey PRIMARY KEY (pool_id, through),
  CONSTRAINT period_closes_pool_id_through_fkey FOREIGN KEY (pool_id, through) REFERENCES public.ledger_closes(pool_id, through),
  CONSTRAINT period_closes_reason_when_unreconciled CHECK (((reconciliation IS NULL) OR ((reconciliation ->> 'reconciled'::text))::boolean OR (length(btrim(unreconciled_reason)) > 0))),
  CONSTRAINT period_closes_reconciliation_check CHECK ((jsonb_typeof(reconciliation) = 'object'::text)),
  CONSTRAINT period_closes_trial_balance_check CHECK ((jsonb_typeof(trial_balance) = 'array'::text))
);
CREATE TRIGGER period_closes_append_only BEFORE DELETE OR UPDATE ON public.period_closes FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER period_closes_no_truncate BEFORE TRUNCATE ON public.period_closes FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.period_closes TO pool_app;

CREATE TABLE public.pools (
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  name text NOT NULL,
  currency character(3) NOT NULL DEFAULT 'CNY'::bpchar,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  four_eyes boolean NOT NULL DEFAULT true,
  CONSTRAINT pools_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
  CONSTRAINT pools_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  CONSTRAINT pools_pkey PRIMARY KEY (id)
);
GRANT INSERT, SELECT ON TABLE public.pools TO pool_app;
GRANT UPDATE (four_eyes) ON TABLE public.pools TO pool_app;

CREATE TABLE public.proposals (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  decision text NOT NULL,
  subject text NOT NULL,
  body jsonb NOT NULL,
  reason text NOT NULL,
  proposed_by bigint NOT NULL,
  proposer bigint NOT NULL,
  request_id text NOT NULL DEFAULT ''::text,
  status text NOT NULL DEFAULT 'pending'::text,
  decided_by bigint,
  decided_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT proposals_check CHECK (((status = 'pending'::text) = (decided_at IS NULL))),
  CONSTRAINT proposals_check1 CHECK (((status = 'pending'::text) = (decided_by IS NULL))),
  CONSTRAINT proposals_decision_check CHECK ((decision = ANY (ARRAY['claim.approve'::text, 'claim.pay'::text, 'award.approve'::text, 'award.pay'::text, 'transaction.reverse'::text, 'period.close'::text, 'statement.match'::text, 'statement.book'::text]))),
  CONSTRAINT proposals_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT proposals_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id),
  CONSTRAINT proposals_reason_check CHECK ((length(reason) <= 2000)),
  CONSTRAINT proposals_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'confirmed'::text, 'withdrawn'::text]))),
  CONSTRAINT proposals_subject_check CHECK (((length(subject) >= 1) AND (length(subject) <= 200)))
);
CREATE INDEX proposals_by_subject ON public.proposals USING btree (pool_id, subject, id);
CREATE UNIQUE INDEX proposals_one_pending ON public.proposals USING btree (pool_id, decision, subject) WHERE (status = 'pending'::text);
GRANT INSERT, SELECT ON TABLE public.proposals TO pool_app;
GRANT UPDATE (status, decided_by, decided_at) ON TABLE public.proposals TO pool_app;

CREATE TABLE public.recoveries (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  loan_id bigint NOT NULL,
  bank_id bigint NOT NULL,
  reference text NOT NULL,
  recovered_on date NOT NULL,
  gross bigint NOT NULL,
  costs bigint NOT NULL,
  pool_part bigint NOT NULL,
  insurer_part bigint NOT NULL,
  bank_part bigint NOT NULL,
  received_on date,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT recoveries_bank_part_check CHECK ((bank_part >= 0)),
  CONSTRAINT recoveries_check CHECK (((costs >= 0) AND (costs <= gross))),
  CONSTRAINT recoveries_check1 CHECK ((((pool_part + insurer_part) + bank_part) = (gross - costs))),
  CONSTRAINT recoveries_gross_check CHECK ((gross >= 0)),
  CONSTRAINT recoveries_insurer_part_check CHECK ((insurer_part >= 0)),
  CONSTRAINT recoveries_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT recoveries_pool_id_bank_id_fkey FOREIGN KEY (pool_id, bank_id) REFERENCES public.participants(pool_id, id),
  CONSTRAINT recoveries_pool_id_loan_id_fkey FOREIGN KEY (pool_id, loan_id) REFERENCES public.loans(pool_id, id),
  CONSTRAINT recoveries_pool_id_loan_id_reference_key UNIQUE (pool_id, loan_id, reference),
  CONSTRAINT recoveries_pool_part_check CHECK ((pool_part >= 0)),
  CONSTRAINT recoveries_reference_check CHECK (((length(reference) >= 1) AND (length(reference) <= 100)))
);
GRANT INSERT, SELECT ON TABLE public.recoveries TO pool_app;
GRANT UPDATE (received_on) ON TABLE public.recoveries TO pool_app;

CREATE TABLE public.schema_migrations (
  version integer NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);
GRANT SELECT ON TABLE public.schema_migrations TO pool_app;

CREATE TABLE public.sessions (
  token_hash bytea NOT NULL,
  user_id bigint NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  last_seen_at timestamp with time zone NOT NULL DEFAULT now(),
  expires_at timestamp with time zone NOT NULL,
  ended_at timestamp with time zone,
  address text NOT NULL DEFAULT ''::text,
  user_agent text NOT NULL DEFAULT ''::text,
  CONSTRAINT sessions_address_check CHECK ((length(address) <= 100)),
  CONSTRAINT sessions_pkey PRIMARY KEY (token_hash),
  CONSTRAINT sessions_token_hash_check CHECK ((length(token_hash) = 32)),
  CONSTRAINT sessions_user_agent_check CHECK ((length(user_agent) <= 500)),
  CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id)
);
CREATE INDEX sessions_user ON public.sessions USING btree (user_id);
GRANT INSERT, SELECT ON TABLE public.sessions TO pool_app;
GRANT UPDATE (last_seen_at, ended_at) ON TABLE public.sessions TO pool_app;

CREATE TABLE public.statement_imports (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  sha256 bytea NOT NULL,
  lines integer NOT NULL,
  new_lines integer NOT NULL,
  by_key bigint NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT statement_imports_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT statement_imports_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES public.pools(id)
);
GRANT INSERT, SELECT ON TABLE public.statement_imports TO pool_app;

CREATE TABLE public.statement_lines (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  import_id bigint NOT NULL,
  line_no integer NOT NULL,
  booked_on date NOT NULL,
  bank_ref text NOT NULL,
  amount bigint NOT NULL,
  counterparty text NOT NULL DEFAULT ''::text,
  balance bigint NOT NULL,
  memo text NOT NULL DEFAULT ''::text,
  matched_tx bigint,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT statement_lines_amount_check CHECK ((amount <> 0)),
  CONSTRAINT statement_lines_bank_ref_check CHECK (((length(bank_ref) >= 1) AND (length(bank_ref) <= 100))),
  CONSTRAINT statement_lines_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT statement_lines_pool_id_bank_ref_key UNIQUE (pool_id, bank_ref),
  CONSTRAINT statement_lines_pool_id_import_id_fkey FOREIGN KEY (pool_id, import_id) REFERENCES public.statement_imports(pool_id, id)
);
CREATE INDEX statement_lines_by_day ON public.statement_lines USING btree (pool_id, booked_on, id);
CREATE UNIQUE INDEX statement_lines_one_match ON public.statement_lines USING btree (pool_id, matched_tx) WHERE (matched_tx IS NOT NULL);
CREATE TRIGGER statement_lines_no_delete BEFORE DELETE ON public.statement_lines FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.statement_lines TO pool_app;
GRANT UPDATE (matched_tx) ON TABLE public.statement_lines TO pool_app;

CREATE TABLE public.statement_matches (
  pool_id bigint NOT NULL,
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  line_id bigint NOT NULL,
  tx_id bigint NOT NULL,
  action text NOT NULL,
  by_key bigint,
  reason text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT statement_matches_action_check CHECK ((action = ANY (ARRAY['match'::text, 'unmatch'::text]))),
  CONSTRAINT statement_matches_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT statement_matches_pool_id_line_id_fkey FOREIGN KEY (pool_id, line_id) REFERENCES public.statement_lines(pool_id, id),
  CONSTRAINT statement_matches_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);
CREATE TRIGGER statement_matches_append_only BEFORE DELETE OR UPDATE ON public.statement_matches FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER statement_matches_no_truncate BEFORE TRUNCATE ON public.statement_matches FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT INSERT, SELECT ON TABLE public.statement_matches TO pool_app;

CREATE TABLE public.transactions (
  pool_id bigint NOT NULL,
  id bigint NOT NULL DEFAULT nextval('public.transactions_id_seq'::regclass),
  external_id text NOT NULL,
  kind text NOT NULL,
  effective_date date NOT NULL,
  refers_to bigint,
  description text NOT NULL DEFAULT ''::text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  tx_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT transactions_check CHECK (((kind = ANY (ARRAY['posted'::text, 'pending'::text])) = (refers_to IS NULL))),
  CONSTRAINT transactions_description_check CHECK ((length(description) <= 500)),
  CONSTRAINT transactions_external_id_check CHECK (((length(external_id) >= 1) AND (length(external_id) <= 200))),
  CONSTRAINT transactions_kind_check CHECK ((kind = ANY (ARRAY['posted'::text, 'pending'::text, 'post_pending'::text, 'void_pending'::text, 'reversal'::text]))),
  CONSTRAINT transactions_pkey PRIMARY KEY (pool_id, id),
  CONSTRAINT transactions_pool_id_external_id_key UNIQUE (pool_id, external_id),
  CONSTRAINT transactions_pool_id_refers_to_fkey FOREIGN KEY (pool_id, refers_to) REFERENCES public.transactions(pool_id, id)
);
CREATE INDEX transactions_commit_order ON public.transactions USING btree (pool_id, tx_xid, id);
CREATE UNIQUE INDEX transactions_refers_to_once ON public.transactions USING btree (pool_id, refers_to) WHERE (refers_to IS NOT NULL);
CREATE TRIGGER transaction_balanced AFTER INSERT ON public.transactions REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_check_new_transactions();
CREATE TRIGGER transactions_append_only BEFORE DELETE OR UPDATE ON public.transactions FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER transactions_closed_periods AFTER INSERT ON public.transactions REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_check_closed_periods();
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON public.transactions FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
GRANT SELECT ON TABLE public.transactions TO pool_app;
GRANT INSERT (pool_id, id, external_id, kind, effective_date, refers_to, description, metadata) ON TABLE public.transactions TO pool_app;

CREATE TABLE public.users (
  id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  login text NOT NULL,
  name text NOT NULL,
  key_id bigint NOT NULL,
  password_hash text,
  must_change boolean NOT NULL DEFAULT true,
  created_by bigint,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  disabled_at timestamp with time zone,
  password_expires_at timestamp with time zone,
  CONSTRAINT users_key_id_fkey FOREIGN KEY (key_id) REFERENCES public.api_keys(id),
  CONSTRAINT users_key_id_key UNIQUE (key_id),
  CONSTRAINT users_login_check CHECK ((login ~ '^[a-z0-9][a-z0-9._@-]{1,63}$'::text)),
  CONSTRAINT users_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
  CONSTRAINT users_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX users_login ON public.users USING btree (login);
GRANT INSERT, SELECT ON TABLE public.users TO pool_app;
GRANT UPDATE (password_hash, must_change, disabled_at, password_expires_at) ON TABLE public.users TO pool_app;

-- ====================================================================================================
-- Views

CREATE VIEW public.ledger_canonical AS
 SELECT t.pool_id,
    t.id AS transaction_id,
    t.tx_xid,
    public.ledger_content(t.id, t.external_id, t.kind, t.effective_date, t.refers_to, t.description, t.metadata, e.entries) AS content
   FROM public.transactions t
     CROSS JOIN LATERAL ( SELECT string_agg(public.ledger_entry_text(x.id, x.account_id, x.amount, x.currency, x.phase), ';'::text ORDER BY x.id) AS entries
           FROM public.entries x
          WHERE x.pool_id = t.pool_id AND x.transaction_id = t.id) e;
GRANT SELECT ON TABLE public.ledger_canonical TO pool_app;
