import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { createLedger, type Ledger, type PostingOutcome } from '../../src/ledger/index.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

let f: LedgerFixture;
/** Separate engines with their own connections and writers: as separate server processes would be. */
let others: { db: Db; ledger: Ledger }[];

beforeAll(async () => {
  f = await ledgerFixture();
  others = Array.from({ length: 6 }, (_, i) => {
    const db = createDb(f.db.appUrl, { max: 2 });
    return {
      db,
      ledger: createLedger({ sql: db.sql, kysely: db.kysely, writer: { optimisticFrom: i % 2 === 0 ? 1 : 1_000_000 } }),
    };
  });
});
afterAll(async () => {
  await Promise.all(others.map((o) => o.db.close()));
  await f.db.close();
});

async function fundedPool(amount: bigint): Promise<bigint> {
  const pool = await f.newPool();
  await f.ledger.createAccount(pool, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY', noNegative: true });
  await f.ledger.createAccount(pool, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' });
  await f.ledger.createAccount(pool, { code: 'payable', name: 'Claims payable', type: 'liability', currency: 'CNY' });
  await f.ledger.post({
    type: 'post',
    poolId: pool,
    externalId: 'fund',
    effectiveDate: '2026-04-01',
    entries: [
      { account: 'cash', amount },
      { account: 'capital', amount: -amount },
    ],
  });
  return pool;
}

const reserve = (pool: bigint, externalId: string, amount: bigint) =>
  f.ledger.post({
    type: 'post',
    poolId: pool,
    externalId,
    effectiveDate: '2026-04-02',
    pending: true,
    entries: [
      { account: 'payable', amount },
      { account: 'cash', amount: -amount },
    ],
  });

function posted(o: PostingOutcome) {
  if (o.status !== 'posted') throw new Error(`expected posted, got ${JSON.stringify(o)}`);
  return o.transaction;
}

describe('two-phase postings', () => {
  it('a reservation lowers available, not posted; posting part of it releases the rest', async () => {
    const pool = await fundedPool(1_000n);
    const pending = posted(await reserve(pool, 'r1', 600n));
    expect(await f.ledger.balance(pool, 'cash')).toMatchObject({ posted: 1_000n, pending: -600n, available: 400n });
    // A second reservation past what is available is refused.
    expect(await reserve(pool, 'r2', 500n)).toMatchObject({
      status: 'refused',
      refusal: { type: 'insufficient_funds' },
    });
    posted(
      await f.ledger.post({
        type: 'post_pending',
        poolId: pool,
        externalId: 'r1-post',
        effectiveDate: '2026-04-03',
        pending: { id: pending.id },
        entries: [
          { account: 'payable', amount: 250n },
          { account: 'cash', amount: -250n },
        ],
      }),
    );
    expect(await f.ledger.balance(pool, 'cash')).toMatchObject({ posted: 750n, pending: 0n, available: 750n });
    expect(await f.ledger.balance(pool, 'cash', '2026-04-02')).toMatchObject({ posted: 1_000n, available: 400n });
  });

  it('refuses to post more than was reserved', async () => {
    const pool = await fundedPool(1_000n);
    posted(await reserve(pool, 'r', 100n));
    const outcome = await f.ledger.post({
      type: 'post_pending',
      poolId: pool,
      externalId: 'r-post',
      effectiveDate: '2026-04-03',
      pending: { externalId: 'r' },
      entries: [
        { account: 'payable', amount: 101n },
        { account: 'cash', amount: -101n },
      ],
    });
    expect(outcome).toMatchObject({ status: 'refused', refusal: { type: 'post_exceeds_pending' } });
  });

  it('voiding gives the reservation back', async () => {
    const pool = await fundedPool(1_000n);
    posted(await reserve(pool, 'r', 700n));
    posted(
      await f.ledger.post({
        type: 'void_pending',
        poolId: pool,
        externalId: 'r-void',
        effectiveDate: '2026-04-03',
        pending: { externalId: 'r' },
      }),
    );
    expect(await f.ledger.balance(pool, 'cash')).toMatchObject({ posted: 1_000n, pending: 0n, available: 1_000n });
  });

  it('posts or voids a pending transaction at most once under concurrent attempts from several engines', async () => {
    const pool = await fundedPool(10_000n);
    const pending = posted(await reserve(pool, 'race', 3_000n));
    const attempts = others.flatMap((o, i) => [
      o.ledger.post({
        type: 'post_pending',
        poolId: pool,
        externalId: `post-${i}`,
        effectiveDate: '2026-04-03',
        pending: { id: pending.id },
      }),
      o.ledger.post({
        type: 'void_pending',
        poolId: pool,
        externalId: `void-${i}`,
        effectiveDate: '2026-04-03',
        pending: { id: pending.id },
      }),
    ]);
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((o) => o.status === 'posted')).toHaveLength(1);
    expect(
      outcomes
        .filter((o) => o.status === 'refused')
        .every((o) => o.status === 'refused' && o.refusal.type === 'pending_already_resolved'),
    ).toBe(true);
    const cash = await f.ledger.balance(pool, 'cash');
    expect(cash.pending).toBe(0n);
    expect([7_000n, 10_000n]).toContain(cash.posted);
  });

  it('reverses a transaction at most once under concurrent attempts', async () => {
    const pool = await fundedPool(10_000n);
    const tx = posted(
      await f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: 'pay',
        effectiveDate: '2026-04-02',
        entries: [
          { account: 'payable', amount: 1_234n },
          { account: 'cash', amount: -1_234n },
        ],
      }),
    );
    const outcomes = await Promise.all(
      others.flatMap((o, i) =>
        [0, 1].map((k) =>
          o.ledger.post({
            type: 'reverse',
            poolId: pool,
            externalId: `rev-${i}-${k}`,
            effectiveDate: '2026-04-05',
            transaction: { id: tx.id },
          }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'posted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'refused' && o.refusal.type === 'already_reversed')).toHaveLength(
      outcomes.length - 1,
    );
    expect((await f.ledger.balance(pool, 'cash')).posted).toBe(10_000n);
    expect(
      await f.ledger.post({
        type: 'reverse',
        poolId: pool,
        externalId: 'rev-of-pending',
        effectiveDate: '2026-04-05',
        transaction: { externalId: 'fund' },
      }),
    ).toMatchObject({ status: 'posted' });
  });

  it('resolves and reverses, in one atomic batch, postings made earlier in the same batch', async () => {
    const pool = await fundedPool(1_000n);
    const outcomes = await f.ledger.postBatch([
      {
        type: 'post',
        poolId: pool,
        externalId: 'b-hold',
        effectiveDate: '2026-04-02',
        pending: true,
        entries: [
          { account: 'payable', amount: 300n },
          { account: 'cash', amount: -300n },
        ],
      },
      {
        type: 'post_pending',
        poolId: pool,
        externalId: 'b-post',
        effectiveDate: '2026-04-02',
        pending: { externalId: 'b-hold' },
      },
      {
        type: 'reverse',
        poolId: pool,
        externalId: 'b-undo',
        effectiveDate: '2026-04-03',
        transaction: { externalId: 'b-post' },
      },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['posted', 'posted', 'posted']);
    expect(await f.ledger.balance(pool, 'cash')).toMatchObject({ posted: 1_000n, pending: 0n, available: 1_000n });
  });

  it('one engine posts to several pools at once', async () => {
    const pools = await Promise.all([fundedPool(100n), fundedPool(100n), fundedPool(100n)]);
    const outcomes = await Promise.all(
      pools.flatMap((pool) =>
        Array.from({ length: 20 }, (_, i) =>
          f.ledger.post({
            type: 'post',
            poolId: pool,
            externalId: `m-${i}`,
            effectiveDate: '2026-04-02',
            entries: [
              { account: 'payable', amount: 1n },
              { account: 'cash', amount: -1n },
            ],
          }),
        ),
      ),
    );
    expect(outcomes.every((o) => o.status === 'posted')).toBe(true);
    for (const pool of pools) expect((await f.ledger.balance(pool, 'cash')).posted).toBe(80n);
  });

  it('refuses to reverse a reservation', async () => {
    const pool = await fundedPool(100n);
    posted(await reserve(pool, 'r', 10n));
    expect(
      await f.ledger.post({
        type: 'reverse',
        poolId: pool,
        externalId: 'x',
        effectiveDate: '2026-04-05',
        transaction: { externalId: 'r' },
      }),
    ).toMatchObject({ status: 'refused', refusal: { type: 'not_reversible' } });
  });
});
