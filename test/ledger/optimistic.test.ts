import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/client.js';
import type { PostingOutcome, PostingRequest } from '../../src/ledger/index.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';
import { backendOf, queryBlockedBy } from '../support/db.js';
import { insertRawPosting } from '../support/raw-posting.js';

/**
 * The writer decides against balances read without a lock and locks them only to write. These tests move
 * money in between, on purpose: a transaction of their own holds the pool's cash row, lets the writer read
 * and decide, waits until the writer queues on that row, then takes money out and commits.
 */

let f: LedgerFixture;
beforeAll(async () => {
  f = await ledgerFixture();
});
afterAll(() => f.db.close());

async function poolWithCash(amount: bigint): Promise<{ pool: bigint; cash: bigint; capital: bigint }> {
  const pool = await f.newPool();
  const cash = (
    await f.ledger.createAccount(pool, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY', noNegative: true })
  ).id;
  const capital = (
    await f.ledger.createAccount(pool, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' })
  ).id;
  await f.ledger.post({
    type: 'post',
    poolId: pool,
    externalId: 'fund',
    effectiveDate: '2026-03-01',
    entries: [
      { account: 'cash', amount },
      { account: 'capital', amount: -amount },
    ],
  });
  return { pool, cash, capital };
}

const move = (pool: bigint, externalId: string, cash: bigint): PostingRequest => ({
  type: 'post',
  poolId: pool,
  externalId,
  effectiveDate: '2026-03-02',
  entries: [
    { account: 'cash', amount: cash },
    { account: 'capital', amount: -cash },
  ],
});

/** Locks the pool's cash row in `tx`; gives the backend's id. */
async function lockCash(tx: Queryable, p: { pool: bigint; cash: bigint }): Promise<number> {
  await tx`SELECT 1 FROM account_balances WHERE pool_id = ${p.pool.toString()} AND account_id = ${p.cash.toString()} FOR UPDATE`;
  return backendOf(tx);
}

/** Posts `requests` (one unit each) while `amount` leaves the cash account between the writer's read and its write. */
async function withMoneyLeavingMeanwhile(
  p: { pool: bigint; cash: bigint; capital: bigint },
  amount: bigint,
  requests: PostingRequest[],
) {
  const pool = p.pool.toString();
  let outcomes: Promise<PostingOutcome[]> | undefined;
  await f.db.app.sql.begin(async (tx) => {
    const holder = await lockCash(tx, p);
    outcomes = Promise.all(requests.map((r) => f.ledger.post(r)));
    await queryBlockedBy(f.db.owner, holder);
    // A whole posting, written the way the writer writes one.
    await insertRawPosting(tx, {
      pool: p.pool,
      externalId: 'meanwhile',
      day: '2026-03-02',
      entries: [
        { account: p.cash, amount: -amount },
        { account: p.capital, amount },
      ],
    });
    await tx`UPDATE account_balances SET posted_credits = posted_credits + ${amount.toString()} WHERE pool_id = ${pool} AND account_id = ${p.cash.toString()}`;
    await tx`UPDATE account_balances SET posted_debits = posted_debits + ${amount.toString()} WHERE pool_id = ${pool} AND account_id = ${p.capital.toString()}`;
  });
  return (await outcomes!).flat();
}

describe('decisions taken before the lock', () => {
  it('refuses a payment the cash no longer covers once the balance is locked', async () => {
    const p = await poolWithCash(150n);
    const [outcome] = await withMoneyLeavingMeanwhile(p, 100n, [move(p.pool, 'pay', -100n)]);
    expect(outcome).toMatchObject({ status: 'refused', refusal: { type: 'insufficient_funds' } });
    expect((await f.ledger.balance(p.pool, 'cash')).available).toBe(50n);
  });

  it('refuses a payment that would overdraw the cash for a moment, even when a later deposit in the same batch makes up for it', async () => {
    const p = await poolWithCash(150n);
    // Both are decided in one batch, in this order: the payment first, then the deposit.
    const outcomes = await withMoneyLeavingMeanwhile(p, 100n, [
      move(p.pool, 'pay', -100n),
      move(p.pool, 'deposit', 100n),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['refused', 'posted']);
    expect((await f.ledger.balance(p.pool, 'cash')).available).toBe(150n);
  });

  it('posts what the cash still covers', async () => {
    const p = await poolWithCash(150n);
    const outcomes = await withMoneyLeavingMeanwhile(p, 100n, [move(p.pool, 'pay', -50n)]);
    expect(outcomes.map((o) => o.status)).toEqual(['posted']);
    expect((await f.ledger.balance(p.pool, 'cash')).available).toBe(0n);
  });
});

describe('the order of the write', () => {
  it('waits for the hot rows in its sorted lock, after writing its journal, not in the statement that moves them', async () => {
    const p = await poolWithCash(150n);
    let waiting: string | undefined;
    let outcome: Promise<PostingOutcome> | undefined;
    await f.db.app.sql.begin(async (tx) => {
      const holder = await lockCash(tx, p);
      outcome = f.ledger.post(move(p.pool, 'ordered', -10n));
      // Its journal is written already: the rows are there, uncommitted, while it waits.
      waiting = await queryBlockedBy(f.db.owner, holder, 'transactions');
    });
    expect(waiting).toMatch(/FOR UPDATE/);
    expect(waiting).not.toMatch(/UPDATE account_balances/);
    expect((await outcome!).status).toBe('posted');
  });
});
