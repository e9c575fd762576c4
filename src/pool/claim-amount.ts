import type { Terms } from './agreements.js';
import type { LoanKind } from './agreements.js';
import { minOf, splitByLargestRemainder } from './money.js';

/**
 * The pool's share of a loss (DESIGN.md §4): loss base × (the pool's share + bonuses, capped at the ceiling
 * on public money), split with the insurer's and the bank's shares by largest remainder so that the three
 * parts add up to the loss exactly; less what the pool already granted on the loan (its share is borne once,
 * to the bank or the insurer); for an insurer, no more than it paid the bank; then the per-loan cap, what is left of the enterprise's and the bank's
 * yearly caps, and what the pool has available. Pure: every input is given, every step is shown.
 */
export interface ClaimInputs {
  lossPrincipal: bigint;
  lossInterest: bigint;
  kind: LoanKind;
  firstLoan: boolean;
  terms: Pick<
    Terms,
    | 'poolShareBp'
    | 'insurerShareBp'
    | 'bonusBp'
    | 'publicCeilingBp'
    | 'perLoanCap'
    | 'perEnterpriseYearCap'
    | 'perBankYearCap'
    | 'coversInterest'
  >;
  /** What the pool has already granted on this loan (to another claimant), in fen. */
  loanGranted: bigint;
  /** Granted in the loss year to claims on the same enterprise, and on the same bank's loans. */
  enterpriseYearGranted: bigint;
  bankYearGranted: bigint;
  /** The pool cash's available balance, when the claim is being approved; null when only filed. */
  available: bigint | null;
  /** For an insurer's claim, what it paid the bank under the policy: the pool never repays it more. */
  paidToBank?: bigint;
}

export interface ClaimStep {
  step:
    | 'share'
    | 'loan_already_granted'
    | 'paid_to_bank'
    | 'per_loan_cap'
    | 'enterprise_year_cap'
    | 'bank_year_cap'
    | 'available';
  /** The limit this step applies (for `share`, the pool's part of the loss). */
  limit: string;
  /** The amount after this step. */
  amount: string;
  /** Whether this step lowered the amount. */
  bit: boolean;
}

export interface ClaimAmount {
  base: bigint;
  /** The pool's share in bp after bonuses and the public ceiling. */
  poolBp: number;
  split: { pool: bigint; insurer: bigint; bank: bigint };
  amount: bigint;
  steps: ClaimStep[];
}

const positive = (v: bigint) => (v > 0n ? v : 0n);

export function claimAmount(x: ClaimInputs): ClaimAmount {
  const t = x.terms;
  const base = x.lossPrincipal + (t.coversInterest ? x.lossInterest : 0n);
  const bonus = (t.bonusBp[x.kind] ?? 0) + (x.firstLoan ? (t.bonusBp.first_loan ?? 0) : 0);
  const poolBp = Math.min(t.poolShareBp + bonus, t.publicCeilingBp, 10_000 - t.insurerShareBp);
  const [pool, insurer, bank] = splitByLargestRemainder(base, [
    BigInt(poolBp),
    BigInt(t.insurerShareBp),
    BigInt(10_000 - poolBp - t.insurerShareBp),
  ]) as [bigint, bigint, bigint];

  const steps: ClaimStep[] = [{ step: 'share', limit: pool.toString(), amount: pool.toString(), bit: false }];
  let amount = pool;
  const cap = (step: ClaimStep['step'], limit: bigint) => {
    const next = minOf(amount, positive(limit));
    steps.push({ step, limit: positive(limit).toString(), amount: next.toString(), bit: next < amount });
    amount = next;
  };
  // The pool bears its share of a loan's loss once, whichever claimant (the bank or the insurer) claims it.
  cap('loan_already_granted', pool - x.loanGranted);
  if (x.paidToBank !== undefined) cap('paid_to_bank', x.paidToBank);
  cap('per_loan_cap', t.perLoanCap - x.loanGranted);
  cap('enterprise_year_cap', t.perEnterpriseYearCap - x.enterpriseYearGranted);
  cap('bank_year_cap', t.perBankYearCap - x.bankYearGranted);
  if (x.available !== null) cap('available', x.available);
  return { base, poolBp, split: { pool, insurer, bank }, amount, steps };
}
