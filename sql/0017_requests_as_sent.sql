-- The request an external id was first posted with, kept as the exact canonical JSON text the engine
-- hashed: request_hash is the SHA-256 of these bytes, so every stored request proves its own hash (the
-- CHECK below, for every row written from now on). jsonb kept an equivalent document but not those bytes
-- (it reorders keys and respaces), and parsing it into jsonb was about a tenth of PostgreSQL's work per
-- posting. Rows stored before keep jsonb's rendering of the same document.
--
-- Upgrading: a server built before this migration sends the request as jsonb, which the CHECK refuses; it
-- cannot post once the database is migrated. Replace every server with a build that has it (the type change
-- also rewrites the table under an exclusive lock, so postings wait for it).
ALTER TABLE ledger_requests ALTER COLUMN request TYPE text USING request::text;
ALTER TABLE ledger_requests ADD CONSTRAINT request_matches_hash
  CHECK (request_hash = sha256(convert_to(request, 'UTF8'))) NOT VALID;
