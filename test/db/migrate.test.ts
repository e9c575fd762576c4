import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate, MigrationError, readMigrations } from '../../src/db/migrate.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

it('records every migration with its checksum and applies nothing twice', async () => {
  const migrations = await readMigrations();
  expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  const rows = await db.owner<{ version: number; checksum: string }[]>`SELECT version, checksum FROM schema_migrations ORDER BY version`;
  expect(rows).toEqual(migrations.map((m) => ({ version: m.version, checksum: m.checksum })));
  expect(await migrate(db.owner, migrations)).toEqual({ applied: [] });
});

it('refuses a migration that changed after it was applied', async () => {
  const migrations = await readMigrations();
  const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
  await expect(migrate(db.owner, edited)).rejects.toThrow(MigrationError);
  await expect(migrate(db.owner, edited)).rejects.toThrow(/0001_ledger was changed after it was applied/);
});

it('applies a new migration after the ones already there', async () => {
  const migrations = await readMigrations();
  const next = { version: migrations.length + 1, name: 'probe', sql: 'CREATE TABLE migration_probe (id int)', checksum: 'probe' };
  expect(await migrate(db.owner, [...migrations, next])).toEqual({ applied: [next.version] });
  const [row] = await db.owner<[{ t: string | null }]>`SELECT to_regclass('migration_probe')::text AS t`;
  expect(row.t).toBe('migration_probe');
});
