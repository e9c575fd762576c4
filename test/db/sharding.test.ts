import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';

/**
 * The schema can be sharded by pool (Citus distributing by pool_id): every unique key and every foreign key
 * of a table that carries pool_id includes it. The few tables that do not belong to one pool are named here
 * and documented in docs/architecture.md (Beyond one database) as reference tables.
 */
const REFERENCE_TABLES = new Set([
  'api_keys',
  'idempotency_keys',
  'schema_migrations',
  'users',
  'sessions',
  'login_attempts',
]);

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

it('every unique key and foreign key of a pool table includes its pool', async () => {
  const keys = await db.owner<{ table: string; name: string; kind: string; columns: string[]; pool_column: string }[]>`
    WITH tables AS (
      SELECT c.oid, c.relname,
             CASE WHEN c.relname = 'pools' THEN 'id' ELSE 'pool_id' END AS pool_column
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r'
    ), unique_keys AS (
      SELECT t.relname AS table, i.indexrelid::regclass::text AS name, 'unique' AS kind, t.pool_column,
             array(SELECT a.attname FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k) AS columns
        FROM tables t JOIN pg_index i ON i.indrelid = t.oid WHERE i.indisunique
    ), foreign_keys AS (
      SELECT t.relname AS table, con.conname AS name, 'foreign' AS kind, t.pool_column,
             array(SELECT a.attname FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k) AS columns
        FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid WHERE con.contype = 'f'
    )
    SELECT * FROM unique_keys UNION ALL SELECT * FROM foreign_keys ORDER BY 1, 2`;
  expect(keys.length).toBeGreaterThan(10);
  const offenders = keys.filter((k) => !REFERENCE_TABLES.has(k.table) && !k.columns.includes(k.pool_column));
  expect(offenders, JSON.stringify(offenders)).toEqual([]);
  // Every table is either keyed by pool or named as a reference table.
  const tables = new Set(keys.map((k) => k.table));
  for (const table of tables) {
    const [{ has }] = await db.owner<[{ has: boolean }]>`
      SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = ${table} AND column_name IN ('pool_id')) OR ${table} = 'pools' AS has`;
    expect(has || REFERENCE_TABLES.has(table), table).toBe(true);
  }
});
