import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate, MigrationError, readMigrations } from '../../src/db/migrate.js';
import { createSql } from '../../src/db/client.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { withDatabase } from '../support/global-setup.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

it('records every migration with its checksum and applies nothing twice', async () => {
  const migrations = await readMigrations();
  expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  const rows = await db.owner<
    { version: number; checksum: string }[]
  >`SELECT version, checksum FROM schema_migrations ORDER BY version`;
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
  const next = {
    version: migrations.length + 1,
    name: 'probe',
    sql: 'CREATE TABLE migration_probe (id int)',
    checksum: 'probe',
  };
  expect(await migrate(db.owner, [...migrations, next])).toEqual({ applied: [next.version] });
  const [row] = await db.owner<[{ t: string | null }]>`SELECT to_regclass('migration_probe')::text AS t`;
  expect(row.t).toBe('migration_probe');
});

it('brings rows written before migrations 8 and 9 to their shapes', async () => {
  const name = `${db.ownerUrl.split('/').pop()!.split('?')[0]}_from7`;
  await db.owner.unsafe(`CREATE DATABASE ${name}`);
  const owner = createSql(withDatabase(db.ownerUrl, name), { max: 1 });
  try {
    const migrations = await readMigrations();
    await migrate(owner, migrations.slice(0, 7));
    // As the application wrote them then: JSON objects sent as strings, a loan defaulted by its report.
    await owner.unsafe(`
      INSERT INTO pools (id, name) VALUES (1, 'p');
      INSERT INTO participants (pool_id, id, kind, name) VALUES (1, 1, 'bank', 'b'), (1, 2, 'enterprise', 'e');
      INSERT INTO agreements (pool_id, id, bank_id, name) VALUES (1, 1, 1, 'a');
      INSERT INTO agreement_terms (pool_id, agreement_id, version, effective_from, pool_share_bp, insurer_share_bp, bank_share_bp, bonus_bp, public_ceiling_bp,
                                   per_loan_cap, per_enterprise_year_cap, per_bank_year_cap, credit_line, overdue_days, filing_window_days, eligible_kinds,
                                   max_principal, max_term_months, suspension_loss_bp)
        VALUES (1, 1, 1, '2026-01-01', 5000, 0, 5000, to_jsonb('{"credit":500}'::text), 8000, 1, 1, 1, 100000, 90, 180, '{credit}', 100000, 24, 300);
      INSERT INTO loans (pool_id, id, bank_id, agreement_id, reference, borrower_id, kind, principal, rate_bp, disbursed_on, matures_on, terms_version, state, outstanding)
        VALUES (1, 1, 1, 1, 'L', 2, 'credit', 1000, 400, '2026-02-01', '2027-02-01', 1, 'defaulted', 900);
      INSERT INTO loan_reports (pool_id, loan_id, month, outstanding, overdue_principal, overdue_interest, days_past_due, classification)
        VALUES (1, 1, '2026-05-01', 950, 100, 0, 40, 'special_mention'), (1, 1, '2026-07-01', 920, 920, 0, 95, 'substandard'), (1, 1, '2026-08-01', 900, 900, 0, 120, 'doubtful');
      INSERT INTO events (pool_id, type, subject, data) VALUES (1, 'loan.defaulted', 'loan/1', to_jsonb('{"days_past_due":95}'::text));`);
    expect(await migrate(owner, migrations)).toEqual({ applied: migrations.slice(7).map((m) => m.version) });
    const [terms] = await owner<[{ bonus: unknown }]>`SELECT bonus_bp AS bonus FROM agreement_terms`;
    expect(terms.bonus).toEqual({ credit: 500 });
    const [event] = await owner<[{ data: unknown }]>`SELECT data FROM events`;
    expect(event.data).toEqual({ days_past_due: 95 });
    const [loan] = await owner<
      [{ month: string; outstanding: bigint }]
    >`SELECT defaulted_month::text AS month, defaulted_outstanding AS outstanding FROM loans`;
    expect(loan).toEqual({ month: '2026-07-01', outstanding: 920n });
    await expect(
      owner`INSERT INTO events (pool_id, type, subject, data) VALUES (1, 't', 's', to_jsonb('{}'::text))`,
    ).rejects.toThrow(/events_data_object/);
    await expect(owner`UPDATE events SET data = '{}'`).rejects.toThrow(/append-only/);
  } finally {
    // The database stays, as every test database does: dropping one forces a checkpoint of the whole
    // cluster while the other test files are writing.
    await owner.end();
  }
});
