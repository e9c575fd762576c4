import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';
import type { Queryable } from '../../src/db/client.js';
import { insertRawPosting } from '../support/raw-posting.js';

/** Invariants 1 and 2 enforced by PostgreSQL itself: plain SQL that bypasses the engine is refused. */

let f: LedgerFixture;
let pool: bigint;
let cash: bigint;
let capital: bigint;
let txId: bigint;

beforeAll(async () => {
  f = await ledgerFixture();
  pool = await f.newPool();
  cash = (
    await f.ledger.createAccount(pool, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY', noNegative: true })
  ).id;
  capital = (
    await f.ledger.createAccount(pool, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' })
  ).id;
  await f.ledger.createAccount(pool, { code: 'usd', name: 'USD cash', type: 'asset', currency: 'USD' });
  const outcome = await f.ledger.post({
    type: 'post',
    poolId: pool,
    externalId: 'seed',
    effectiveDate: '2026-02-01',
    entries: [
      { account: 'cash', amount: 500n },
      { account: 'capital', amount: -500n },
    ],
  });
  if (outcome.status !== 'posted') throw new Error('seed posting refused');
  txId = outcome.transaction.id;
});
afterAll(() => f.db.close());

/** A transaction written by hand, on 2026-02-02: [account, amount, currency] per entry. */
async function insertRaw(
  entries: [bigint, bigint, string][],
  options: { phase?: string[]; externalId?: string } = {},
): Promise<void> {
  await insertRawPosting(f.db.app.sql, {
    pool,
    externalId: options.externalId ?? 'raw-' + Math.random(),
    day: '2026-02-02',
    entries: entries.map(([account, amount, currency], i) => ({
      account,
      amount,
      currency,
      phase: options.phase?.[i],
    })),
  });
}

describe('double entry, enforced by the statement that writes the transaction', () => {
  it('refuses an unbalanced transaction inserted with plain SQL', async () => {
    await expect(
      insertRaw([
        [cash, 100n, 'CNY'],
        [capital, -99n, 'CNY'],
      ]),
    ).rejects.toThrow(/does not balance/);
  });

  it('refuses a transaction with a single entry', async () => {
    await expect(insertRaw([[cash, 100n, 'CNY']])).rejects.toThrow(/at least 2/);
  });

  it('refuses an entry in a currency other than its account', async () => {
    await expect(
      insertRaw([
        [cash, 100n, 'USD'],
        [capital, -100n, 'USD'],
      ]),
    ).rejects.toThrow(/currency/);
  });

  it('refuses a transaction that balances only across phases (a reservation paid by a posting)', async () => {
    await expect(
      insertRaw(
        [
          [capital, 500n, 'CNY'],
          [cash, -500n, 'CNY'],
        ],
        { phase: ['reserve', 'posted'] },
      ),
    ).rejects.toThrow(/does not balance/);
  });

  it('accepts a balanced one, so the refusals above are about balance and nothing else', async () => {
    await expect(
      insertRaw([
        [cash, 100n, 'CNY'],
        [capital, -100n, 'CNY'],
      ]),
    ).resolves.toBeUndefined();
  });

  it('refuses a transaction without entries', async () => {
    await expect(
      f.db.app
        .sql`INSERT INTO transactions (pool_id, external_id, kind, effective_date) VALUES (${pool.toString()}, 'bare', 'posted', '2026-02-02')`,
    ).rejects.toThrow(/has 0 entries/);
  });

  it('refuses entries added later to a committed transaction, even balanced ones', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
          SELECT ${pool.toString()}, ${txId.toString()}, x.a, x.amt, 'CNY', '2026-02-01', 'posted'
            FROM (VALUES (${cash.toString()}::int8, 7::int8), (${capital.toString()}::int8, -7::int8)) AS x(a, amt)`,
    ).rejects.toThrow(/must be inserted by the command that creates their transaction/);
  });

  it('refuses entries added by a later command of the same database transaction, even balanced ones', async () => {
    const sql = f.db.app.sql;
    await expect(
      sql.begin(async (tx) => {
        const id = await insertRawPosting(tx, {
          pool,
          externalId: 'two-commands',
          day: '2026-02-02',
          entries: [
            { account: cash, amount: 10n },
            { account: capital, amount: -10n },
          ],
        });
        await tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase) VALUES
          (${pool.toString()}, ${id.toString()}, ${cash.toString()}, 10, 'CNY', '2026-02-02', 'posted'),
          (${pool.toString()}, ${id.toString()}, ${capital.toString()}, -10, 'CNY', '2026-02-02', 'posted')`;
      }),
    ).rejects.toThrow(/must be inserted by the command that creates their transaction/);
  });

  it('refuses an unbalanced entry slipped in by a later statement of the same message', async () => {
    // Statements sent together in one simple-query message share their statement time; command ids differ.
    const message = `
      WITH t AS (
        INSERT INTO transactions (pool_id, id, external_id, kind, effective_date) VALUES (${pool}, 900000001, 'slipped-in', 'posted', '2026-02-02') RETURNING id
      )
      INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
        SELECT ${pool}, t.id, x.a, x.amt, 'CNY', '2026-02-02', 'posted' FROM t, (VALUES (${cash}::int8, 10::int8), (${capital}::int8, -10::int8)) AS x(a, amt);
      INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
        VALUES (${pool}, 900000001, ${cash}, 5, 'CNY', '2026-02-02', 'posted');`;
    await expect(f.db.app.sql.begin((tx) => tx.unsafe(message))).rejects.toThrow(
      /must be inserted by the command that creates their transaction/,
    );
  });

  it('checks every transaction a statement inserts, not only the first', async () => {
    const sql = f.db.app.sql;
    const rows = [
      [cash, 100n],
      [capital, -100n], // balanced
      [cash, 100n],
      [capital, -99n], // not
    ];
    await expect(sql`
      WITH t AS (
        INSERT INTO transactions (pool_id, external_id, kind, effective_date)
        SELECT ${pool.toString()}, 'many-' || n || '-' || ${String(Math.random())}, 'posted', '2026-02-02' FROM generate_series(1, 2) n
        RETURNING id
      ), numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM t)
      INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
      SELECT ${pool.toString()}, numbered.id, x.account, x.amount, 'CNY', '2026-02-02', 'posted'
        FROM unnest(${rows.map(([a]) => a!.toString())}::int8[], ${rows.map(([, amt]) => amt!.toString())}::int8[]) WITH ORDINALITY AS x(account, amount, i)
        JOIN numbered ON numbered.n = (x.i + 1) / 2`).rejects.toThrow(/does not balance \(CNY posted 1\)/);
  });

  it('checks a transaction whose entries one statement inserts in two parts as one whole', async () => {
    const inTwoParts = (sql: Queryable, first: bigint, second: bigint) => sql`
      WITH t AS (
        INSERT INTO transactions (pool_id, external_id, kind, effective_date)
        VALUES (${pool.toString()}, ${'parts-' + Math.random()}, 'posted', '2026-02-02') RETURNING id
      ), a AS (
        INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
        SELECT ${pool.toString()}, t.id, ${cash.toString()}, ${first.toString()}, 'CNY', '2026-02-02', 'posted' FROM t
      ), b AS (
        INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
        SELECT ${pool.toString()}, t.id, ${capital.toString()}, ${second.toString()}, 'CNY', '2026-02-02', 'posted' FROM t
      )
      SELECT 1`;
    await expect(inTwoParts(f.db.app.sql, 30n, -29n)).rejects.toThrow(/does not balance \(CNY posted 1\)/);
    // Accepted, then rolled back so that the journal's row count below stays what the other tests left.
    const accepted = f.db.app.sql.begin(async (tx) => {
      await inTwoParts(tx, 30n, -30n);
      throw new Error('accepted; rolled back');
    });
    await expect(accepted).rejects.toThrow('accepted; rolled back');
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

describe('the request each external id was first posted with', () => {
  it('is kept as the exact bytes whose SHA-256 is its request hash', async () => {
    const rows = await f.db.app.sql<{ ok: boolean }[]>`
      SELECT request_hash = sha256(convert_to(request, 'UTF8')) AS ok FROM ledger_requests WHERE pool_id = ${pool.toString()}`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.ok)).toBe(true);
  });

  it('cannot be stored with a hash of something else', async () => {
    await expect(
      f.db.app
        .sql`INSERT INTO ledger_requests (pool_id, external_id, request_hash, refusal_type, refusal_detail, request)
                   VALUES (${pool.toString()}, 'forged', sha256('{"a":1}'), 'insufficient_funds', 'x', '{"a":2}')`,
    ).rejects.toThrow(/request_matches_hash/);
  });
});

describe('append-only journal', () => {
  const journal = ['transactions', 'entries', 'ledger_requests', 'ledger_chain'];

  it.each(journal)('the application role cannot UPDATE, DELETE or TRUNCATE %s', async (table) => {
    const sql = f.db.app.sql;
    await f.ledger.seal(pool);
    await expect(sql.unsafe(`UPDATE ${table} SET pool_id = pool_id WHERE pool_id = ${pool}`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql.unsafe(`DELETE FROM ${table} WHERE pool_id = ${pool}`)).rejects.toThrow(/permission denied/);
    await expect(sql.unsafe(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/permission denied/);
  });

  it.each(journal)('even the owner cannot UPDATE, DELETE or TRUNCATE %s while the triggers stand', async (table) => {
    const owner = f.db.owner;
    await expect(owner.unsafe(`UPDATE ${table} SET pool_id = pool_id WHERE pool_id = ${pool}`)).rejects.toThrow(
      /append-only/,
    );
    await expect(owner.unsafe(`DELETE FROM ${table} WHERE pool_id = ${pool}`)).rejects.toThrow(
      /append-only|violates foreign key/,
    );
    await expect(owner.unsafe(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
  });

  it('still has every row after the attempts', async () => {
    const [row] = await f.db.app.sql<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM entries WHERE pool_id = ${pool.toString()}`;
    expect(row!.n).toBe(4n); // the seed posting and the one balanced raw transaction
  });
});
