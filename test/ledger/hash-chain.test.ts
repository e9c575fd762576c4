import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql } from '../../src/db/client.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

let f: LedgerFixture;

beforeAll(async () => {
  f = await ledgerFixture();
});
afterAll(() => f.db.close());

async function poolWithPostings(n: number): Promise<bigint> {
  const pool = await f.newPool();
  await f.ledger.createAccount(pool, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY' });
  await f.ledger.createAccount(pool, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' });
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: `p${i}`,
        effectiveDate: '2026-03-01',
        entries: [
          { account: 'cash', amount: BigInt(i + 1) },
          { account: 'capital', amount: -BigInt(i + 1) },
        ],
      }),
    ),
  );
  return pool;
}

describe('hash chain', () => {
  it('seals every committed transaction and verifies', async () => {
    const pool = await poolWithPostings(30);
    expect(await f.ledger.seal(pool)).toBe(30);
    const result = await f.ledger.verify(pool);
    expect(result).toMatchObject({ ok: true, checked: 30n, unsealed: 0n });
    const head = await f.ledger.digest(pool);
    expect(head?.seq).toBe(30n);
    expect(head?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the first link whose transaction was changed behind the application', async () => {
    const pool = await poolWithPostings(20);
    await f.ledger.seal(pool);
    const [link] = await f.db.owner<{ seq: bigint; transaction_id: bigint }[]>`
      SELECT seq, transaction_id FROM ledger_chain WHERE pool_id = ${pool.toString()} AND seq = 7`;
    // The owner switches the triggers off and moves money between the two legs: still balanced, still wrong.
    await f.db.owner.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`UPDATE entries SET amount = amount * 2 WHERE pool_id = ${pool.toString()} AND transaction_id = ${link!.transaction_id.toString()}`;
    });
    const result = await f.ledger.verify(pool);
    expect(result).toMatchObject({ ok: false, brokenAt: 7n });
  });

  it('names a link that was removed from the chain', async () => {
    const pool = await poolWithPostings(10);
    await f.ledger.seal(pool);
    await f.db.owner.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`DELETE FROM ledger_chain WHERE pool_id = ${pool.toString()} AND seq = 4`;
    });
    expect(await f.ledger.verify(pool)).toMatchObject({ ok: false, brokenAt: 4n, reason: 'link missing' });
  });

  it('names a transaction slipped into the journal behind the sealer', async () => {
    const pool = await poolWithPostings(5);
    await f.ledger.seal(pool);
    const [cash, capital] = await Promise.all([
      f.ledger.getAccount(pool, 'cash'),
      f.ledger.getAccount(pool, 'capital'),
    ]);
    // Only the owner can stamp a transaction with an old xid; the application role cannot (see database-guards).
    await f.db.owner.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      const [{ id }] = await tx<[{ id: bigint }]>`
        INSERT INTO transactions (pool_id, external_id, kind, effective_date, tx_xid)
        VALUES (${pool.toString()}, 'behind', 'posted', '2026-03-01', '3') RETURNING id`;
      await tx`INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase) VALUES
        (${pool.toString()}, ${id.toString()}, ${cash.id.toString()}, 7, 'CNY', '2026-03-01', 'posted'),
        (${pool.toString()}, ${id.toString()}, ${capital.id.toString()}, -7, 'CNY', '2026-03-01', 'posted')`;
    });
    expect(await f.ledger.verify(pool)).toMatchObject({ ok: false, reason: expect.stringMatching(/never sealed/) });
  });

  it('a digest published earlier no longer matches after the journal is rewritten', async () => {
    const pool = await poolWithPostings(5);
    await f.ledger.seal(pool);
    const published = await f.ledger.digest(pool, 3n);
    await f.db.owner.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`UPDATE transactions SET description = 'rewritten' WHERE pool_id = ${pool.toString()}
                 AND id = (SELECT transaction_id FROM ledger_chain WHERE pool_id = ${pool.toString()} AND seq = 2)`;
    });
    const result = await f.ledger.verify(pool, published!.seq);
    expect(result).toMatchObject({ ok: false, brokenAt: 2n });
  });

  it('seals a transaction that commits after one with a higher id, instead of skipping it', async () => {
    const pool = await poolWithPostings(0);
    const slow = createSql(f.db.appUrl, { max: 1 });
    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((r) => (releaseSlow = r));
    let slowInserted!: () => void;
    const slowHasInserted = new Promise<void>((r) => (slowInserted = r));
    let slowId = 0n;
    const slowTx = slow.begin(async (tx) => {
      const [cash, capital] = await Promise.all([
        f.ledger.getAccount(pool, 'cash'),
        f.ledger.getAccount(pool, 'capital'),
      ]);
      const [{ id }] = await tx<[{ id: bigint }]>`
        WITH t AS (
          INSERT INTO transactions (pool_id, external_id, kind, effective_date)
          VALUES (${pool.toString()}, 'slow', 'posted', '2026-03-01') RETURNING id
        ), e AS (
          INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
          SELECT ${pool.toString()}, t.id, x.account, x.amount, 'CNY', '2026-03-01', 'posted'
            FROM t, (VALUES (${cash.id.toString()}::int8, 9::int8), (${capital.id.toString()}::int8, -9::int8)) AS x(account, amount)
        )
        SELECT id FROM t`;
      slowId = id;
      slowInserted();
      await slowMayCommit;
    });
    await slowHasInserted;
    const fast = await f.ledger.post({
      type: 'post',
      poolId: pool,
      externalId: 'fast',
      effectiveDate: '2026-03-01',
      entries: [
        { account: 'cash', amount: 1n },
        { account: 'capital', amount: -1n },
      ],
    });
    expect(fast.status === 'posted' && fast.transaction.id > slowId).toBe(true);
    // The fast one has committed, but the slow one (lower id) is still open: nothing may be sealed past it.
    expect(await f.ledger.sealAvailable(pool)).toBe(0);
    releaseSlow();
    await slowTx;
    await slow.end();
    expect(await f.ledger.seal(pool)).toBe(2);
    const [first, second] = await f.db.app.sql<{ transaction_id: bigint }[]>`
      SELECT transaction_id FROM ledger_chain WHERE pool_id = ${pool.toString()} ORDER BY seq`;
    expect([first!.transaction_id, second!.transaction_id]).toEqual([
      slowId,
      (fast as { transaction: { id: bigint } }).transaction.id,
    ]);
    expect(await f.ledger.verify(pool)).toMatchObject({ ok: true, checked: 2n, unsealed: 0n });
  });
});
