-- The answers of many requests recorded in one statement, in the database transaction that commits their
-- effect (the ledger writer's batch): one call instead of one per request. Like idempotency_finish, it fails
-- with PLK01, naming a key, when any lease was lost, so that the whole batch rolls back.
CREATE FUNCTION idempotency_finish_many(p_api_key_ids bigint[], p_keys text[], p_tokens uuid[], p_statuses int[], p_bodies text[])
RETURNS void LANGUAGE plpgsql AS $$
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
$$;
