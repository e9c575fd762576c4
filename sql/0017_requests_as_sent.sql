-- The request an external id was first posted with, kept as the exact canonical JSON text the engine
-- hashed: request_hash is the SHA-256 of these bytes, so every stored request proves its own hash (the
-- CHECK below, for every row written from now on). jsonb kept an equivalent document but not those bytes
-- (it reorders keys and respaces), and parsing it into jsonb was about a tenth of PostgreSQL's work per
-- posting. Rows stored before keep jsonb's rendering of the same document.
ALTER TABLE ledger_requests ALTER COLUMN request TYPE text USING request::text;
ALTER TABLE ledger_requests ADD CONSTRAINT request_matches_hash
  CHECK (request_hash = sha256(convert_to(request, 'UTF8'))) NOT VALID;
