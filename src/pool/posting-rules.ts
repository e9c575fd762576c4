import { createHash } from 'node:crypto';
import type { AccountType } from '../db/schema.js';
import type { Ledger, PostRequest } from '../ledger/index.js';
import { CURRENCY } from './money.js';

/**
 * The pool's chart of accounts and the one table that turns each money event into ledger legs. Nothing
 * else in the domain names a debit or a credit.
 *
 * Claims use the ledger's two phases rather than a reserve account: an approval reserves its amount as a
 * pending posting of `claim_approved` (compensation expense / pool cash), which the ledger counts against
 * the pool cash's available balance (and refuses past it: no overdraft); payment posts that reservation,
 * rejection voids it. So the pool's position reads straight off the accounts: cash is what is posted to
 * pool cash, reserved is what pending claims hold of it, available is the rest.
 */
export interface ChartAccount {
  name: string;
  type: AccountType;
  noNegative?: boolean;
  /**
   * Opened when a pool first needs it, not with the rest: a pool may have opened an account of the code by
   * hand before the chart had it, and only that money event should then be refused, not every other.
   */
  onDemand?: boolean;
}

export const CHART = {
  pool_cash: { name: '专户 Pool cash', type: 'asset', noNegative: true },
  appropriation_receivable: { name: '应收拨款 Appropriation receivable', type: 'asset' },
  fund_capital: { name: 'Fund capital', type: 'net_assets' },
  compensation_expense: { name: '风险补偿支出 Risk compensation expense', type: 'expense' },
  recovery_income: { name: '追偿收入 Recovery income', type: 'income' },
  interest_income: { name: '利息收入 Interest income', type: 'income' },
  // Incentive awards are paid from their own budget, apart from the risk pool's cash.
  award_budget_cash: { name: '奖补资金 Award budget cash', type: 'asset', noNegative: true },
  award_budget_capital: { name: '奖补资金拨款 Award budget appropriations', type: 'net_assets' },
  bank_charges: { name: '手续费支出 Bank charges', type: 'expense', onDemand: true },
} as const satisfies Record<string, ChartAccount>;

/** An account of the chart, or one of a party's or an article's own. */
export type AccountRef = keyof typeof CHART | PartyRef;
type PartyRef = 'recovery_receivable' | 'awards_payable' | 'incentive_expense';
const PARTY_REFS: readonly PartyRef[] = ['recovery_receivable', 'awards_payable', 'incentive_expense'];

/**
 * True for a code the chart uses, now or for a party or an article yet to come. Only the domain opens
 * these (ensureAccounts): an account opened first under such a code with another definition would make
 * every money event that needs it fail for good.
 */
export function isChartCode(code: string): boolean {
  return Object.hasOwn(CHART, code) || PARTY_REFS.some((ref) => code === ref || code.startsWith(`${ref}:`));
}

/** Whose account a party ref names: a bank's recovery receivable, a beneficiary's awards payable, an article's expense. */
export interface Parties {
  bankId?: bigint;
  beneficiaryId?: bigint;
  article?: number;
}

/** A party's or an article's own account: its code and definition. */
export function partyAccount(ref: PartyRef, parties: Parties): { code: string } & ChartAccount {
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${ref} needs ${what}`);
    return v;
  };
  switch (ref) {
    case 'recovery_receivable': {
      const id = need(parties.bankId, 'a bank');
      return { code: `${ref}:${id}`, name: `应收追偿款 Recovery receivable from bank ${id}`, type: 'asset' };
    }
    case 'awards_payable': {
      const id = need(parties.beneficiaryId, 'a beneficiary');
      return { code: `${ref}:${id}`, name: `应付奖补 Awards payable to participant ${id}`, type: 'liability' };
    }
    case 'incentive_expense': {
      const article = need(parties.article, 'an article');
      return { code: `${ref}:art${article}`, name: `奖补支出 Incentive expense, Art. ${article}`, type: 'expense' };
    }
  }
}

export type MoneyEvent =
  | 'appropriation_notified'
  | 'appropriation_received'
  | 'interest_credited'
  | 'returned_to_treasury'
  | 'bank_charged'
  | 'claim_approved'
  | 'recovery_reported'
  | 'recovery_received'
  | 'award_budget_funded'
  | 'award_approved'
  | 'award_paid';

export interface PostingRule {
  debit: AccountRef;
  credit: AccountRef;
  /** Posted as a reservation, to be posted (claim paid) or voided (claim rejected) later. */
  pending?: boolean;
  description: string;
}

export const POSTING_RULES: Record<MoneyEvent, PostingRule> = {
  appropriation_notified: {
    debit: 'appropriation_receivable',
    credit: 'fund_capital',
    description: 'appropriation notified',
  },
  appropriation_received: {
    debit: 'pool_cash',
    credit: 'appropriation_receivable',
    description: 'appropriation received into the pool account',
  },
  interest_credited: {
    debit: 'pool_cash',
    credit: 'interest_income',
    description: 'interest credited to the pool account',
  },
  returned_to_treasury: { debit: 'fund_capital', credit: 'pool_cash', description: 'returned to the treasury' },
  bank_charged: {
    debit: 'bank_charges',
    credit: 'pool_cash',
    description: "bank charges taken from the pool account by the account's bank",
  },
  claim_approved: {
    debit: 'compensation_expense',
    credit: 'pool_cash',
    pending: true,
    description: 'claim approved: compensation reserved',
  },
  recovery_reported: {
    debit: 'recovery_receivable',
    credit: 'recovery_income',
    description: "recovery reported: the pool's part receivable from the bank",
  },
  recovery_received: {
    debit: 'pool_cash',
    credit: 'recovery_receivable',
    description: 'recovery received from the bank',
  },
  award_budget_funded: {
    debit: 'award_budget_cash',
    credit: 'award_budget_capital',
    description: 'award budget funded',
  },
  award_approved: { debit: 'incentive_expense', credit: 'awards_payable', description: 'incentive award approved' },
  award_paid: {
    debit: 'awards_payable',
    credit: 'award_budget_cash',
    description: 'incentive award paid from the award budget',
  },
};

const codeOf = (ref: AccountRef, parties: Parties) =>
  ref in CHART ? ref : partyAccount(ref as PartyRef, parties).code;

/** The ledger request for a money event: the rule's legs for the amount, under a business external id. */
export function postingFor(
  event: MoneyEvent,
  p: {
    poolId: bigint;
    externalId: string;
    effectiveDate: string;
    amount: bigint;
    metadata?: Record<string, unknown>;
  } & Parties,
): PostRequest {
  const rule = POSTING_RULES[event];
  if (p.amount <= 0n) throw new RangeError(`${event}: an amount to post is positive`);
  return {
    type: 'post',
    poolId: p.poolId,
    externalId: p.externalId,
    effectiveDate: p.effectiveDate,
    description: rule.description,
    metadata: { event, ...p.metadata },
    entries: [
      { account: codeOf(rule.debit, p), amount: p.amount },
      { account: codeOf(rule.credit, p), amount: -p.amount },
    ],
    ...(rule.pending ? { pending: true } : {}),
  };
}

/** A business reference as part of an external id (which is printable ASCII): a short digest of it. */
export const refKey = (reference: string) => createHash('sha256').update(reference).digest('base64url').slice(0, 22);

const opened = new WeakMap<Ledger, Map<bigint, Set<string>>>();

/**
 * Opens the chart's accounts of a pool (and the parties' own, if named; and those opened on demand, if
 * asked for) once per ledger; idempotent.
 */
export async function ensureAccounts(
  ledger: Ledger,
  poolId: bigint,
  parties: Parties = {},
  onDemand: readonly (keyof typeof CHART)[] = [],
): Promise<void> {
  const pools = opened.get(ledger) ?? new Map<bigint, Set<string>>();
  opened.set(ledger, pools);
  const done = pools.get(poolId) ?? new Set<string>();
  pools.set(poolId, done);
  const wanted: ({ code: string } & ChartAccount)[] = Object.entries(CHART)
    .filter(([code, a]) => !('onDemand' in a) || onDemand.includes(code as keyof typeof CHART))
    .map(([code, a]) => ({ code, ...a }));
  if (parties.bankId !== undefined) wanted.push(partyAccount('recovery_receivable', parties));
  if (parties.beneficiaryId !== undefined) wanted.push(partyAccount('awards_payable', parties));
  if (parties.article !== undefined) wanted.push(partyAccount('incentive_expense', parties));
  for (const a of wanted) {
    if (done.has(a.code)) continue;
    await ledger.createAccount(poolId, {
      code: a.code,
      name: a.name,
      type: a.type,
      currency: CURRENCY,
      noNegative: 'noNegative' in a ? a.noNegative : false,
    });
    done.add(a.code);
  }
}
