-- A treasury step that moves money (a claim's approval, payment or rejection; an award's approval, payment
-- or rejection; a bank's recovery report) is recorded in the ledger transaction that posts its money, not
-- in the request's own transaction after it. A crash between the two commits had left a reservation with no
-- approved claim behind it, invisible to the caps of the next claim on the same loan, which then took the
-- loan's pool share a second time. Now the record and its posting commit together or not at all.
--
-- request_key is the Idempotency-Key of the request that took the step (with by_key, its API key): the
-- retry of a request whose step committed while its answer was lost is recognised and answered, while
-- another request asking for the same step again is refused as a conflict.
ALTER TABLE claim_steps ADD COLUMN request_key text;
ALTER TABLE awards ADD COLUMN decided_by_key bigint, ADD COLUMN request_key text;
GRANT UPDATE (decided_by_key, request_key) ON awards TO pool_app;

-- Records claim steps: each claim must still be in one of the statuses the step starts from, or the whole
-- statement fails (and with it the ledger transaction that carries it), so no posting commits without its
-- record.
CREATE FUNCTION claim_record_steps(steps jsonb) RETURNS void LANGUAGE plpgsql AS $$
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
END $$;

-- The same for awards.
CREATE FUNCTION award_record_steps(steps jsonb) RETURNS void LANGUAGE plpgsql AS $$
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
END $$;

-- A bank's recovery report: the recovery and the pool's part it posts commit together, so the part a later
-- recovery of the same loan may give back is counted from every recovery whose money was posted.
CREATE FUNCTION recovery_record(rows jsonb) RETURNS void LANGUAGE plpgsql AS $$
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
END $$;
