import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHART,
  ensureAccounts,
  partyAccount,
  POSTING_RULES,
  postingFor,
  type MoneyEvent,
} from '../../src/pool/posting-rules.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

/**
 * Every row of the posting-rule table, posted through the real ledger: its legs land on the accounts and
 * sides written down here, and the posting balances (the database refuses it otherwise).
 */
let f: LedgerFixture;
beforeAll(async () => {
  f = await ledgerFixture();
});
afterAll(() => f.db.close());

const BANK = 7n;
const FIRM = 9n;
/** What each event does to the balances, on each account's normal side. */
const EXPECTED: Record<MoneyEvent, Record<string, bigint>> = {
  appropriation_notified: { appropriation_receivable: 100n, fund_capital: 100n },
  appropriation_received: { pool_cash: 100n, appropriation_receivable: -100n },
  interest_credited: { pool_cash: 100n, interest_income: 100n },
  returned_to_treasury: { fund_capital: -100n, pool_cash: -100n },
  bank_charged: { bank_charges: 100n, pool_cash: -100n },
  claim_approved: {},
  recovery_reported: { [`recovery_receivable:${BANK}`]: 100n, recovery_income: 100n },
  recovery_received: { pool_cash: 100n, [`recovery_receivable:${BANK}`]: -100n },
  award_budget_funded: { award_budget_cash: 100n, award_budget_capital: 100n },
  award_approved: { 'incentive_expense:art3': 100n, [`awards_payable:${FIRM}`]: 100n },
  award_paid: { [`awards_payable:${FIRM}`]: -100n, award_budget_cash: -100n },
};

describe('the posting-rule table', () => {
  it('covers every event, names accounts of the chart, and posts each row balanced to the sides written down', async () => {
    expect(Object.keys(POSTING_RULES).sort()).toEqual(Object.keys(EXPECTED).sort());
    const poolId = await f.newPool();
    const parties = { bankId: BANK, beneficiaryId: FIRM, article: 3 };
    await ensureAccounts(f.ledger, poolId, parties, ['bank_charges']);
    const codes = [
      ...Object.keys(CHART),
      ...(['recovery_receivable', 'awards_payable', 'incentive_expense'] as const).map(
        (r) => partyAccount(r, parties).code,
      ),
    ];
    // Fund the pool first so that outflows have something to draw on.
    for (const e of ['appropriation_notified', 'appropriation_received'] as const) {
      expect(
        (
          await f.ledger.post(
            postingFor(e, { poolId, externalId: `seed-${e}`, effectiveDate: '2026-01-01', amount: 1_000n }),
          )
        ).status,
      ).toBe('posted');
    }
    for (const event of Object.keys(POSTING_RULES) as MoneyEvent[]) {
      const before = new Map(
        await Promise.all(codes.map(async (c) => [c, (await f.ledger.balance(poolId, c)).posted] as const)),
      );
      const request = postingFor(event, {
        poolId,
        externalId: `rule-${event}`,
        effectiveDate: '2026-02-01',
        amount: 100n,
        ...parties,
      });
      expect(
        request.entries.reduce((s, e) => s + e.amount, 0n),
        event,
      ).toBe(0n);
      const outcome = await f.ledger.post(request);
      expect(
        outcome.status,
        `${event}: ${JSON.stringify(outcome, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
      ).toBe('posted');
      for (const code of codes) {
        const moved = (await f.ledger.balance(poolId, code)).posted - before.get(code)!;
        expect(moved, `${event} on ${code}`).toBe(EXPECTED[event][code] ?? 0n);
      }
    }
    // A claim's approval reserves: nothing posted, the pool cash's available balance falls.
    const cash = await f.ledger.balance(poolId, 'pool_cash');
    expect(cash.pending).toBe(-100n);
    expect(cash.available).toBe(cash.posted - 100n);
    const trial = await f.ledger.trialBalance(poolId);
    expect(trial.totals.every((t) => t.debit === t.credit)).toBe(true);
  });

  it('refuses an amount that is not positive', () => {
    expect(() =>
      postingFor('interest_credited', { poolId: 1n, externalId: 'x', effectiveDate: '2026-01-01', amount: 0n }),
    ).toThrow(RangeError);
  });
});
