import seed from './seed-policy.json' with { type: 'json' };
import { bpOf, minOf } from '../money.js';

/**
 * One engine for every incentive article of the policy, configured by data (`seed-policy.json`): a
 * programme measures a basis (new credit-type loans, guarantee business, a loan's amount, a rating fee, a
 * listing, an investment, rent, business volume), applies its rule (a rate in bp, a range of rates, or a
 * fixed amount), then its limits: years per beneficiary and per item, 从高不重复 within its exclusivity group,
 * and its cap per beneficiary per year. Pure: what was granted before comes in as history.
 */
export type Rule =
  | { kind: 'rate'; bp: number; bp_by_subkind?: Record<string, number> }
  | { kind: 'range'; min_bp: number; max_bp: number }
  | { kind: 'fixed'; amount: string };

export interface Eligibility {
  loan_kinds?: string[];
  borrower_in_zone?: boolean;
  borrower_tech_sme?: boolean;
  rating_at_least?: string;
  requires_pool_loan?: boolean;
  max_guide_fund_stake_bp?: number;
}

export interface Programme {
  code: string;
  article: number;
  name: string;
  /** Who receives it: a participant kind, or `financial_firm` (any financial participant). */
  beneficiary: 'bank' | 'guarantor' | 'enterprise' | 'vc' | 'financial_firm';
  basis: string;
  rule: Rule;
  /** Fen per beneficiary per year, or no cap. */
  cap_per_period: string | null;
  years_per_beneficiary: number | null;
  years_per_item: number | null;
  eligibility: Eligibility;
  /** 从高不重复: awards of one group on the same item keep only the highest. */
  exclusivity_group: string | null;
  /**
   * What the group's awards are exclusive on: the item (a loan, a year's business), or the beneficiary
   * itself, when the fact is one per beneficiary whatever an application calls it (an enterprise's listing:
   * 四板, NEEQ and IPO are steps of one listing, however each application names its item). Default: item.
   */
  exclusive_per?: 'item' | 'beneficiary';
}

export const PROGRAMMES: readonly Programme[] = seed.programmes as Programme[];

export function programme(code: string): Programme | undefined {
  return PROGRAMMES.find((p) => p.code === code);
}

/** What an application asks for. */
export interface AwardAsk {
  /** The measured basis, in fen (for a fixed award, informative). */
  basisAmount: bigint;
  /** The award year: caps and year limits count by it. */
  year: number;
  /** The item the award is for (a loan, a listing, a year's business): year limits per item and 从高不重复 count by it. */
  item: string;
  /** For a range rule, the rate chosen within it. */
  rateBp?: number;
  /** For a rate with rates by subkind (e.g. pure-credit guarantees). */
  subkind?: string;
  /** Facts for the eligibility rules. */
  facts?: { rating?: string | null; hasPoolLoan?: boolean; guideFundStakeBp?: number };
}

/** What was granted before (approved or paid), as the limits need it. */
export interface AwardHistory {
  /** In this programme, to this beneficiary, in the award year. */
  periodGranted: bigint;
  /** Years in which this programme granted this beneficiary something. */
  beneficiaryYears: number[];
  /** Years in which this programme granted something on this item. */
  itemYears: number[];
  /** Granted to this beneficiary across the programme's exclusivity group: on this item, or on any (`exclusive_per`). */
  groupGranted: bigint;
}

export interface AwardStep {
  step: 'rule' | 'years_per_beneficiary' | 'years_per_item' | 'exclusivity' | 'cap_per_period';
  limit: string;
  amount: string;
  bit: boolean;
}

export type AwardOutcome =
  | { ok: true; gross: bigint; rateBp: number | null; amount: bigint; steps: AwardStep[] }
  | { ok: false; rule: string; message: string };

const RATINGS = ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'CC', 'C', 'D'];
/** Rank of a credit rating (AA+ and AA- count as AA); lower is better, unknown is worst. */
const rank = (rating: string) => {
  const i = RATINGS.indexOf(rating.trim().toUpperCase().replace(/[+-]$/, ''));
  return i < 0 ? RATINGS.length : i;
};

/** Refuses an ask the programme's eligibility rules exclude; null when eligible. */
export function ineligibility(p: Programme, ask: AwardAsk): { rule: string; message: string } | null {
  const e = p.eligibility;
  const facts = ask.facts ?? {};
  if (e.rating_at_least !== undefined && (!facts.rating || rank(facts.rating) > rank(e.rating_at_least))) {
    return {
      rule: 'rating_at_least',
      message: `${p.name} needs a credit rating of ${e.rating_at_least} or better; the enterprise's is ${facts.rating ?? 'none'}`,
    };
  }
  if (e.requires_pool_loan && !facts.hasPoolLoan)
    return { rule: 'requires_pool_loan', message: `${p.name} needs a loan enrolled in the pool` };
  if (e.max_guide_fund_stake_bp !== undefined && (facts.guideFundStakeBp ?? 0) > e.max_guide_fund_stake_bp) {
    return {
      rule: 'max_guide_fund_stake_bp',
      message: `the guide fund's stake may not pass ${e.max_guide_fund_stake_bp / 100} % of a fund`,
    };
  }
  return null;
}

export function computeAward(p: Programme, ask: AwardAsk, h: AwardHistory): AwardOutcome {
  const refusal = ineligibility(p, ask);
  if (refusal) return { ok: false, ...refusal };
  let gross: bigint;
  let rateBp: number | null = null;
  switch (p.rule.kind) {
    case 'rate':
      rateBp = (ask.subkind !== undefined ? p.rule.bp_by_subkind?.[ask.subkind] : undefined) ?? p.rule.bp;
      gross = bpOf(ask.basisAmount, rateBp);
      break;
    case 'range':
      if (ask.rateBp === undefined || ask.rateBp < p.rule.min_bp || ask.rateBp > p.rule.max_bp) {
        return {
          ok: false,
          rule: 'rate_range',
          message: `${p.name} is ${p.rule.min_bp} to ${p.rule.max_bp} bp of the basis: choose a rate within it`,
        };
      }
      rateBp = ask.rateBp;
      gross = bpOf(ask.basisAmount, rateBp);
      break;
    case 'fixed':
      gross = BigInt(p.rule.amount);
      break;
  }
  const steps: AwardStep[] = [{ step: 'rule', limit: gross.toString(), amount: gross.toString(), bit: false }];
  let amount = gross;
  const limit = (step: AwardStep['step'], to: bigint) => {
    const next = minOf(amount, to < 0n ? 0n : to);
    steps.push({ step, limit: (to < 0n ? 0n : to).toString(), amount: next.toString(), bit: next < amount });
    amount = next;
  };
  const newYear = (years: number[], limitYears: number) =>
    !years.includes(ask.year) && new Set(years).size >= limitYears;
  if (p.years_per_beneficiary !== null)
    limit('years_per_beneficiary', newYear(h.beneficiaryYears, p.years_per_beneficiary) ? 0n : amount);
  if (p.years_per_item !== null) limit('years_per_item', newYear(h.itemYears, p.years_per_item) ? 0n : amount);
  // 从高不重复: only what passes the highest award already granted on the item is paid.
  if (p.exclusivity_group !== null) limit('exclusivity', gross - h.groupGranted);
  if (p.cap_per_period !== null) limit('cap_per_period', BigInt(p.cap_per_period) - h.periodGranted);
  return { ok: true, gross, rateBp, amount, steps };
}
