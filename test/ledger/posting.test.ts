import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

let f: LedgerFixture;
let pool: bigint;

beforeAll(async () => {
  f = await ledgerFixture();
  pool = await f.newPool();
  await f.ledger.createAccount(pool, {
    code: 'cash',
    name: 'Pool cash',
    type: 'asset',
    currency: 'CNY',
    noNegative: true,
  });
  await f.ledger.createAccount(pool, { code: 'capital', name: 'Fund capital', type: 'net_assets', currency: 'CNY' });
  await f.ledger.createAccount(pool, { code: 'expense', name: 'Compensation', type: 'expense', currency: 'CNY' });
});
afterAll(() => f.db.close());

describe('post', () => {
  it('posts a balanced transaction and moves both balances', async () => {
    const outcome = await f.ledger.post({
      type: 'post',
      poolId: pool,
      externalId: 'fund-1',
      effectiveDate: '2026-01-05',
      entries: [
        { account: 'cash', amount: 1_000_00n },
        { account: 'capital', amount: -1_000_00n },
      ],
    });
    expect(outcome.status).toBe('posted');
    expect((await f.ledger.balance(pool, 'cash')).posted).toBe(1_000_00n);
    expect((await f.ledger.balance(pool, 'capital')).posted).toBe(1_000_00n);
  });

  it('replays the same external id and refuses it with other content, naming the difference', async () => {
    const again = await f.ledger.post({
      type: 'post',
      poolId: pool,
      externalId: 'fund-1',
      effectiveDate: '2026-01-05',
      entries: [
        { account: 'cash', amount: 1_000_00n },
        { account: 'capital', amount: -1_000_00n },
      ],
    });
    expect(again).toMatchObject({ status: 'posted', replayed: true });
    await expect(
      f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: 'fund-1',
        effectiveDate: '2026-01-06',
        entries: [
          { account: 'cash', amount: 1_000_00n },
          { account: 'capital', amount: -1_000_00n },
        ],
      }),
    ).rejects.toMatchObject({ type: 'idempotency_conflict', details: { differences: ['effectiveDate'] } });
    expect((await f.ledger.balance(pool, 'cash')).posted).toBe(1_000_00n);
  });

  it("answers an id used before with content that cannot even be applied as a reuse, not as that content's fault", async () => {
    await expect(
      f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: 'fund-1',
        effectiveDate: '2026-01-05',
        entries: [
          { account: 'nowhere', amount: 1_000_00n },
          { account: 'capital', amount: -1_000_00n },
        ],
      }),
    ).rejects.toMatchObject({ type: 'idempotency_conflict', details: { differences: ['entries'] } });
  });

  it('refuses an overdraft of a guarded account and remembers the refusal', async () => {
    const pay = {
      type: 'post' as const,
      poolId: pool,
      externalId: 'pay-too-much',
      effectiveDate: '2026-01-07',
      entries: [
        { account: 'expense', amount: 2_000_00n },
        { account: 'cash', amount: -2_000_00n },
      ],
    };
    const first = await f.ledger.post(pay);
    expect(first).toMatchObject({ status: 'refused', refusal: { type: 'insufficient_funds' } });
    // Funds arrive; the same request still answers with its refusal.
    await f.ledger.post({
      type: 'post',
      poolId: pool,
      externalId: 'fund-2',
      effectiveDate: '2026-01-07',
      entries: [
        { account: 'cash', amount: 5_000_00n },
        { account: 'capital', amount: -5_000_00n },
      ],
    });
    expect(await f.ledger.post(pay)).toMatchObject({
      status: 'refused',
      replayed: true,
      refusal: { type: 'insufficient_funds' },
    });
  });

  it('posts an atomic batch whole or not at all, and remembers the refusal of every member', async () => {
    const cashBefore = (await f.ledger.balance(pool, 'cash')).posted;
    const expenseBefore = (await f.ledger.balance(pool, 'expense')).posted;
    const pay = (externalId: string, amount: bigint) => ({
      type: 'post' as const,
      poolId: pool,
      externalId,
      effectiveDate: '2026-01-08',
      entries: [
        { account: 'expense', amount },
        { account: 'cash', amount: -amount },
      ],
    });
    const batch = [pay('batch-small', 1_00n), pay('batch-huge', 1_000_000_00n), pay('batch-small-2', 2_00n)];
    const outcomes = await f.ledger.postBatch(batch);
    expect(outcomes.map((o) => o.status === 'refused' && o.refusal.type)).toEqual([
      'batch_refused',
      'insufficient_funds',
      'batch_refused',
    ]);
    expect((await f.ledger.balance(pool, 'cash')).posted).toBe(cashBefore);
    expect((await f.ledger.balance(pool, 'expense')).posted).toBe(expenseBefore);
    // The small ones stay refused, alone or together: each id was answered once and for all.
    expect(await f.ledger.post(pay('batch-small', 1_00n))).toMatchObject({
      status: 'refused',
      replayed: true,
      refusal: { type: 'batch_refused' },
    });
    const [row] = await f.db.app.sql<[{ n: bigint }]>`
      SELECT count(*) AS n FROM transactions WHERE pool_id = ${pool.toString()} AND external_id LIKE 'batch-%'`;
    expect(row.n).toBe(0n);
  });

  it('rejects an unbalanced request before it reaches the database', async () => {
    await expect(
      f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: 'bad-1',
        effectiveDate: '2026-01-07',
        entries: [
          { account: 'cash', amount: 1n },
          { account: 'capital', amount: -2n },
        ],
      }),
    ).rejects.toMatchObject({ type: 'invalid_posting' });
  });

  it('answers balances as of a past date', async () => {
    expect((await f.ledger.balance(pool, 'cash', '2026-01-05')).posted).toBe(1_000_00n);
    expect((await f.ledger.balance(pool, 'cash', '2026-01-04')).posted).toBe(0n);
    expect((await f.ledger.balance(pool, 'cash', '2026-01-07')).posted).toBe(6_000_00n);
  });
});

describe('a writer that may try a batch only once', () => {
  it('still replays an id seen before (looking it up is not one of the counted attempts)', async () => {
    const once = await ledgerFixture({ writer: { maxAttempts: 1 } });
    try {
      const p = await once.newPool();
      await once.ledger.createAccount(p, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY' });
      await once.ledger.createAccount(p, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' });
      const request = {
        type: 'post' as const,
        poolId: p,
        externalId: 'once',
        effectiveDate: '2026-01-05',
        entries: [
          { account: 'cash', amount: 1n },
          { account: 'capital', amount: -1n },
        ],
      };
      expect(await once.ledger.post(request)).toMatchObject({ status: 'posted', replayed: false });
      expect(await once.ledger.post(request)).toMatchObject({ status: 'posted', replayed: true });
    } finally {
      await once.db.close();
    }
  });
});
