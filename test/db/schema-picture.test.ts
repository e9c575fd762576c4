import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { MIGRATIONS_DIR, readMigrations, SCHEMA_FILE } from '../../src/db/migrate.js';

// The suite's setup migrates its template database from nothing and renders it, as `npm run schema` does.
const picture = inject('schemaPicture');

it('sql/schema.sql is the schema the migrations build', async () => {
  const committed = await readFile(join(MIGRATIONS_DIR, SCHEMA_FILE), 'utf8');
  expect(committed, `sql/${SCHEMA_FILE} is not what the migrations build: run \`npm run schema\` and commit it`).toBe(
    picture,
  );
});

it('shows what the migrations left for the application role, down to columns and functions', () => {
  expect(picture).toContain('ALTER ROLE pool_app SET enable_seqscan = off;');
  expect(picture).toContain('GRANT CONNECT ON DATABASE :database TO PUBLIC;');
  expect(picture).toContain(
    'GRANT INSERT (pool_id, id, external_id, kind, effective_date, refers_to, description, metadata) ON TABLE public.transactions TO pool_app;',
  );
  expect(picture).toContain(
    'GRANT EXECUTE ON FUNCTION public.ledger_close_through(p_pool bigint, p_through date) TO pool_app;',
  );
  expect(picture).not.toMatch(/ledger_close_through\(p_pool bigint, p_through date\) TO PUBLIC/);
  // The current body of a function replaced by later migrations: 0020's, which waits for another close.
  expect(picture).toContain("PERFORM pg_advisory_xact_lock(hashtextextended('ledger_close:' || p_pool, 0));");
  // The deferred check of 0001 is gone; the statement trigger of 0014 took its name.
  expect(picture).toContain(
    'CREATE TRIGGER transaction_balanced AFTER INSERT ON public.transactions REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_check_new_transactions();',
  );
  expect(picture).not.toContain('ledger_check_transaction()');
  // PostgreSQL 18 also records NOT NULL as constraints; the picture says it once, on the column.
  expect(picture).not.toMatch(/_not_null /);
});

it('sql/README.md names, for every function, the migrations that define it', async () => {
  const readme = await readFile(join(MIGRATIONS_DIR, 'README.md'), 'utf8');
  const listed = Object.fromEntries(
    [...readme.matchAll(/^\| `(\w+)` \| ([\d, ]+) \|$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );
  const live = [...picture.matchAll(/^CREATE OR REPLACE FUNCTION public\.(\w+)\(/gm)].map((m) => m[1]!);
  const migrations = await readMigrations();
  const definedIn = (name: string) =>
    migrations
      .filter((m) => new RegExp(`CREATE (OR REPLACE )?FUNCTION ${name}\\(`).test(m.sql))
      .map((m) => String(m.version).padStart(4, '0'))
      .join(', ');
  expect(listed, 'the table in sql/README.md').toEqual(Object.fromEntries(live.map((name) => [name, definedIn(name)])));
});
