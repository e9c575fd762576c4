import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';

/** The records the domain appends (steps, matches, reports, closes) refuse change, for everybody. */
let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

const APPEND_ONLY = [
  'loan_reports',
  'agreement_suspensions',
  'claim_steps',
  'statement_matches',
  'ledger_closes',
  'period_closes',
  'events',
  'agreement_terms',
];

it('refuses UPDATE, DELETE and TRUNCATE on every appended record, as the owner too', async () => {
  for (const table of APPEND_ONLY) {
    // TRUNCATE fires its statement trigger on an empty table too; the row triggers (UPDATE, DELETE) need a
    // row to fire, so the catalog is asked that they are there.
    await expect(db.owner.unsafe(`TRUNCATE ${table} CASCADE`), table).rejects.toThrow(/append-only/);
    const [{ n }] = await db.owner<[{ n: number }]>`
      SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE t.tgrelid = ${table}::regclass AND p.proname = 'ledger_refuse_change' AND NOT t.tgisinternal`;
    expect(n, `${table} has its row and TRUNCATE triggers`).toBe(2);
  }
  // The application role may not even try: it has no UPDATE or DELETE on them (ledger_closes: no INSERT either).
  await expect(db.app.sql`DELETE FROM claim_steps`).rejects.toThrow(/permission denied/);
  await expect(db.app.sql`UPDATE statement_matches SET reason = 'x'`).rejects.toThrow(/permission denied/);
  await expect(db.app.sql`DELETE FROM period_closes`).rejects.toThrow(/permission denied/);
});
