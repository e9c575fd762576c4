import { describe, expect, it } from 'vitest';
import type { PlannedTransaction } from '../../src/ledger/apply.js';
import { LedgerError, type Account, type PostingRequest, type Totals } from '../../src/ledger/index.js';
import { accountIdKey, accountKey, balanceKey, externalIdKey } from '../../src/ledger/keys.js';
import { decideBatch, unitContent, type Basis, type EarlierRow } from '../../src/ledger/writer/decide.js';

// The writer's decision step over plain data: no database.

const POOL = 7n;
const account = (id: bigint, code: string, type: Account['type'], noNegative: boolean): Account => ({
  poolId: POOL,
  id,
  code,
  name: code,
  type,
  currency: 'CNY',
  noNegative,
  debitNormal: type === 'asset' || type === 'expense',
});
const cash = account(1n, 'cash', 'asset', true);
const capital = account(2n, 'capital', 'net_assets', false);
const expense = account(3n, 'expense', 'expense', false);
const all = [cash, capital, expense];

const byCode = new Map(all.map((a) => [accountKey(a.poolId, a.code), a]));
const byId = new Map(all.map((a) => [accountIdKey(a.poolId, a.id), a]));
const accounts = {
  get: (p: bigint, code: string) => byCode.get(accountKey(p, code)),
  getById: (p: bigint, id: bigint) => byId.get(accountIdKey(p, id)),
};

const post = (externalId: string, debit: Account, credit: Account, amount: bigint): PostingRequest => ({
  type: 'post',
  poolId: POOL,
  externalId,
  effectiveDate: '2026-01-05',
  entries: [
    { account: debit.code, amount },
    { account: credit.code, amount: -amount },
  ],
});

/** What the database held: cash with `cashPosted` on its debit side, and the earlier outcomes given. */
function basis(cashPosted: bigint, earlier: EarlierRow[] = []): Basis {
  const totals = (postedDebits: bigint, postedCredits: bigint): Totals => ({
    postedDebits,
    postedCredits,
    pendingDebits: 0n,
    pendingCredits: 0n,
  });
  return {
    accounts,
    touched: new Map(all.map((a) => [balanceKey(a.poolId, a.id), a])),
    codes: all.map((a): [bigint, string] => [a.poolId, a.code]),
    refInfos: [],
    balances: [
      { pool_id: POOL, account_id: cash.id, ...totals(cashPosted, 0n) },
      { pool_id: POOL, account_id: capital.id, ...totals(0n, cashPosted) },
      { pool_id: POOL, account_id: expense.id, ...totals(0n, 0n) },
    ],
    resolutions: [],
    earlier: new Map(earlier.map((e) => [externalIdKey(e.pool_id, e.external_id), e])),
    transactionIds: [101n, 102n, 103n],
    closedThrough: new Map(),
  };
}

/** The journal's record of a request posted before as transaction `transactionId`. */
function earlierOutcome(request: PostingRequest, transactionId: bigint): EarlierRow {
  const content = unitContent([request]);
  return {
    pool_id: request.poolId,
    external_id: request.externalId,
    request_hash: content.hashes[0]!,
    transaction_id: transactionId,
    refusal_type: null,
    refusal_detail: null,
    request: content.json[0]!,
  };
}

describe('deciding a batch', () => {
  it('plans a posting, moving the balances in memory and taking the allocated id', () => {
    const { decided, before, after } = decideBatch([unitContent([post('pay-1', expense, cash, 300n)])], basis(1_000n));
    expect(decided).toHaveLength(1);
    expect(decided[0]!.kind).toBe('planned');
    const [planned] = (decided[0] as { planned: PlannedTransaction[] }).planned;
    expect(planned).toMatchObject({ id: 101n, externalId: 'pay-1', kind: 'posted' });
    expect(planned!.entries.map((e) => [e.account.code, e.amount])).toEqual([
      ['expense', 300n],
      ['cash', -300n],
    ]);
    expect(before.get(balanceKey(POOL, cash.id))!.totals.postedCredits).toBe(0n);
    expect(after.get(balanceKey(POOL, cash.id))!.totals.postedCredits).toBe(300n);
  });

  it('refuses an overdraft of a guarded account and leaves the balances as they were for the next unit', () => {
    const { decided, after } = decideBatch(
      [
        unitContent([post('pay-too-much', expense, cash, 1_001n)]),
        unitContent([post('pay-what-is-there', expense, cash, 1_000n)]),
      ],
      basis(1_000n),
    );
    expect(decided[0]).toEqual({
      kind: 'refused',
      refusals: [expect.objectContaining({ type: 'insufficient_funds' })],
    });
    expect(decided[1]!.kind).toBe('planned');
    expect(after.get(balanceKey(POOL, cash.id))!.totals.postedCredits).toBe(1_000n);
  });

  it('replays an id posted before with the same content, without moving anything', () => {
    const request = post('fund-1', cash, capital, 500n);
    const earlier = earlierOutcome(request, 42n);
    const { decided, after } = decideBatch([unitContent([request])], basis(1_000n, [earlier]));
    expect(decided).toEqual([{ kind: 'replay', earlier: [earlier] }]);
    expect(after.get(balanceKey(POOL, cash.id))!.totals.postedDebits).toBe(1_000n);
  });

  it('answers an id reused with other content as a conflict that names what differs', () => {
    const earlier = earlierOutcome(post('fund-1', cash, capital, 500n), 42n);
    const { decided } = decideBatch([unitContent([post('fund-1', cash, capital, 600n)])], basis(1_000n, [earlier]));
    expect(decided[0]!.kind).toBe('error');
    const error = (decided[0] as { error: unknown }).error;
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({
      type: 'idempotency_conflict',
      details: { externalId: 'fund-1', differences: ['entries'] },
    });
  });
});
