import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

/** Invariants 1 and 2 enforced by PostgreSQL itself: plain SQL that bypasses the engine is refused. */

let f: LedgerFixture;
let pool: bigint;
let cash: bigint;
let capital: bigint;
let txId: bigint;

beforeAll(async () => {
  f = await ledgerFixture();
  pool = await f.newPool();
  cash = (await f.ledger.createAccount(pool, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY', noNegative: true })).id;
  capital = (await f.ledger.createAccount(pool, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' })).id;
  await f.ledger.createAccount(pool, { code: 'usd', name: 'USD cash', type: 'asset', currency: 'USD' });
  const outcome = await f.ledger.post({
    type: 'post', poolId: pool, externalId: 'seed', effectiveDate: '2026-02-01',
    entries: [{ account: 'cash', amount: 500n }, { account: 'capital', amount: -500n }],
  });
  if (outcome.status !== 'posted') throw new Error('seed posting refused');
  txId = outcome.transaction.id;
});
afterAll(() => f.db.close());

async function insertRaw(entries: [bigint, bigint, string][]): Promise<void> {
  const sql = f.db.app.sql;
  await sql.begin(async (tx) => {
    const [{ id }] = await tx<[{ id: bigint }]>`
      INSERT INTO transactions (pool_id, external_id, kind, effective_date)
      VALUES (${pool.toString()}, ${'raw-' + Math.random()}, 'posted', '2026-02-02') RETURNING id`;
    for (const [account, amount, currency] of entries) {
      await tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
               VALUES (${pool.toString()}, ${id.toString()}, ${account.toString()}, ${amount.toString()}, ${currency}, '2026-02-02', 'posted')`;
    }
  });
}

describe('double entry, enforced at commit', () => {
  it('refuses an unbalanced transaction inserted with plain SQL', async () => {
    await expect(insertRaw([[cash, 100n, 'CNY'], [capital, -99n, 'CNY']])).rejects.toThrow(/does not balance/);
  });

  it('refuses a transaction with a single entry', async () => {
    await expect(insertRaw([[cash, 100n, 'CNY']])).rejects.toThrow(/at least 2/);
  });

  it('refuses an entry in a currency other than its account', async () => {
    await expect(insertRaw([[cash, 100n, 'USD'], [capital, -100n, 'USD']])).rejects.toThrow(/currency/);
  });

  it('accepts a balanced one, so the refusals above are about balance and nothing else', async () => {
    await expect(insertRaw([[cash, 100n, 'CNY'], [capital, -100n, 'CNY']])).resolves.toBeUndefined();
  });

  it('refuses entries added later to a committed transaction, even balanced ones', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
          SELECT ${pool.toString()}, ${txId.toString()}, x.a, x.amt, 'CNY', '2026-02-01', 'posted'
            FROM (VALUES (${cash.toString()}::int8, 7::int8), (${capital.toString()}::int8, -7::int8)) AS x(a, amt)`,
    ).rejects.toThrow(/can only be added to a transaction created/);
  });

  it('refuses a transaction without entries', async () => {
    await expect(insertRaw([])).rejects.toThrow(/has 0 entries/);
  });

  it('refuses entries added to a transaction after its check was brought forward with SET CONSTRAINTS', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql.begin(async (tx) => {
        const [{ id }] = await tx<[{ id: bigint }]>`
          INSERT INTO transactions (pool_id, external_id, kind, effective_date)
          VALUES (${pool.toString()}, 'early-check', 'posted', '2026-02-02') RETURNING id`;
        const entry = (account: bigint, amount: bigint) =>
          tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
             VALUES (${pool.toString()}, ${id.toString()}, ${account.toString()}, ${amount.toString()}, 'CNY', '2026-02-02', 'posted')`;
        await entry(cash, 10n);
        await entry(capital, -10n);
        await tx`SET CONSTRAINTS transaction_balanced IMMEDIATE`;
        await entry(cash, 5n);
      }),
    ).rejects.toThrow(/not yet checked/);
  });

  it('refuses an unbalanced transaction even when the client forges the note of checked transactions', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql.begin(async (tx) => {
        const [{ id }] = await tx<[{ id: bigint }]>`
          INSERT INTO transactions (pool_id, external_id, kind, effective_date)
          VALUES (${pool.toString()}, 'forged-note', 'posted', '2026-02-02') RETURNING id`;
        await tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase) VALUES
          (${pool.toString()}, ${id.toString()}, ${cash.toString()}, 500, 'CNY', '2026-02-02', 'posted'),
          (${pool.toString()}, ${id.toString()}, ${capital.toString()}, -1, 'CNY', '2026-02-02', 'posted')`;
        await tx`SELECT set_config('ledger.checked', ${`${new Date().toISOString()}|,${pool}:${id},`}, true)`;
        await tx`SELECT set_config('ledger.checked', statement_timestamp()::text || ${`|,${pool}:${id},`}, true)`;
      }),
    ).rejects.toThrow(/does not balance/);
  });

  it('refuses a transaction that balances only across phases (a reservation paid by a posting)', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql.begin(async (tx) => {
        const [{ id }] = await tx<[{ id: bigint }]>`
          INSERT INTO transactions (pool_id, external_id, kind, effective_date)
          VALUES (${pool.toString()}, 'mixed-phases', 'posted', '2026-02-02') RETURNING id`;
        await tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase) VALUES
          (${pool.toString()}, ${id.toString()}, ${capital.toString()}, 500, 'CNY', '2026-02-02', 'reserve'),
          (${pool.toString()}, ${id.toString()}, ${cash.toString()}, -500, 'CNY', '2026-02-02', 'posted')`;
      }),
    ).rejects.toThrow(/does not balance/);
  });

  it('does not let the client choose the commit-order stamp of a transaction', async () => {
    await expect(
      f.db.app.sql`INSERT INTO transactions (pool_id, external_id, kind, effective_date, tx_xid)
                   VALUES (${pool.toString()}, 'old-stamp', 'posted', '2026-02-02', '3')`,
    ).rejects.toThrow(/permission denied/);
  });

  it('refuses a guarded balance below zero even when written directly', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql`UPDATE account_balances SET posted_credits = posted_credits + 1000000 WHERE pool_id = ${pool.toString()} AND account_id = ${cash.toString()}`,
    ).rejects.toThrow(/available_not_negative/);
  });
});

describe('append-only journal', () => {
  const journal = ['transactions', 'entries', 'ledger_requests', 'ledger_chain'];

  it.each(journal)('the application role cannot UPDATE, DELETE or TRUNCATE %s', async (table) => {
    const sql = f.db.app.sql;
    await f.ledger.seal(pool);
    await expect(sql.unsafe(`UPDATE ${table} SET pool_id = pool_id WHERE pool_id = ${pool}`)).rejects.toThrow(/permission denied/);
    await expect(sql.unsafe(`DELETE FROM ${table} WHERE pool_id = ${pool}`)).rejects.toThrow(/permission denied/);
    await expect(sql.unsafe(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/permission denied/);
  });

  it.each(journal)('even the owner cannot UPDATE, DELETE or TRUNCATE %s while the triggers stand', async (table) => {
    const owner = f.db.owner;
    await expect(owner.unsafe(`UPDATE ${table} SET pool_id = pool_id WHERE pool_id = ${pool}`)).rejects.toThrow(/append-only/);
    await expect(owner.unsafe(`DELETE FROM ${table} WHERE pool_id = ${pool}`)).rejects.toThrow(/append-only|violates foreign key/);
    await expect(owner.unsafe(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
  });

  it('still has every row after the attempts', async () => {
    const [row] = await f.db.app.sql<{ n: bigint }[]>`SELECT count(*) AS n FROM entries WHERE pool_id = ${pool.toString()}`;
    expect(row!.n).toBe(4n);
  });
});
