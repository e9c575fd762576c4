import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeAward,
  PROGRAMMES,
  programme,
  type AwardAsk,
  type AwardHistory,
  type Programme,
} from '../../src/pool/incentives/engine.js';

const CNY = (yuan: number) => BigInt(yuan) * 100n;
const none: AwardHistory = { periodGranted: 0n, beneficiaryYears: [], itemYears: [], groupGranted: 0n };
const p = (code: string): Programme => programme(code)!;
const ask = (over: Partial<AwardAsk> = {}): AwardAsk => ({ basisAmount: 0n, year: 2026, item: 'year:2026', ...over });
const award = (code: string, a: Partial<AwardAsk> = {}, h: Partial<AwardHistory> = {}) => {
  const out = computeAward(p(code), ask(a), { ...none, ...h });
  if (!out.ok) throw new Error(`${out.rule}: ${out.message}`);
  return out;
};
const bit = (code: string, a: Partial<AwardAsk>, h: Partial<AwardHistory> = {}) =>
  award(code, a, h)
    .steps.filter((s) => s.bit)
    .map((s) => s.step);

describe('the seed policy', () => {
  it('configures every article of the policy', () => {
    expect([...new Set(PROGRAMMES.map((x) => x.article))].sort()).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(new Set(PROGRAMMES.map((x) => x.code)).size).toBe(PROGRAMMES.length);
  });

  it('Art. 3: the bank innovation award is capped at 100,000 CNY a year', () => {
    // 0.1 % by default: 100,000 CNY is reached at 100,000,000 CNY of new credit-type loans.
    expect(award('art3_innovation', { basisAmount: CNY(99_999_000) }).amount).toBe(CNY(99_999));
    expect(award('art3_innovation', { basisAmount: CNY(100_000_000) }).amount).toBe(CNY(100_000));
    expect(award('art3_innovation', { basisAmount: CNY(100_001_000) }).amount).toBe(CNY(100_000));
    expect(bit('art3_innovation', { basisAmount: CNY(100_001_000) })).toEqual(['cap_per_period']);
    // What the year already granted counts against the cap.
    expect(award('art3_innovation', { basisAmount: CNY(200_000_000) }, { periodGranted: CNY(60_000) }).amount).toBe(
      CNY(40_000),
    );
  });

  it('Art. 5: guarantee institutions 1 %, 3 % for pure credit, at most 3,000,000 CNY a year', () => {
    expect(award('art5_guarantee', { basisAmount: CNY(10_000_000) }).amount).toBe(CNY(100_000));
    expect(award('art5_guarantee', { basisAmount: CNY(10_000_000), subkind: 'pure_credit' }).amount).toBe(CNY(300_000));
    expect(award('art5_guarantee', { basisAmount: CNY(299_999_900) }).amount).toBe(CNY(2_999_999));
    expect(award('art5_guarantee', { basisAmount: CNY(300_000_000) }).amount).toBe(CNY(3_000_000));
    expect(award('art5_guarantee', { basisAmount: CNY(300_000_100) }).amount).toBe(CNY(3_000_000));
  });

  it('Art. 5: SMEs 3 %–5 % of the loan, one year per loan, 500,000 CNY a year, three years per firm', () => {
    expect(award('art5_sme_interest', { basisAmount: CNY(1_000_000), rateBp: 300 }).amount).toBe(CNY(30_000));
    expect(award('art5_sme_interest', { basisAmount: CNY(1_000_000), rateBp: 500 }).amount).toBe(CNY(50_000));
    for (const rateBp of [299, 501, undefined])
      expect(computeAward(p('art5_sme_interest'), ask({ basisAmount: CNY(1_000_000), rateBp }), none)).toMatchObject({
        ok: false,
        rule: 'rate_range',
      });
    expect(award('art5_sme_interest', { basisAmount: CNY(9_999_980), rateBp: 500 }).amount).toBe(CNY(499_999));
    expect(award('art5_sme_interest', { basisAmount: CNY(10_000_020), rateBp: 500 }).amount).toBe(CNY(500_000));
    expect(
      award('art5_sme_interest', { basisAmount: CNY(1_000_000), rateBp: 500 }, { periodGranted: CNY(480_000) }).amount,
    ).toBe(CNY(20_000));
    // A loan is subsidised one year; a firm three years.
    expect(
      bit('art5_sme_interest', { basisAmount: CNY(1_000_000), rateBp: 500, year: 2027 }, { itemYears: [2026] }),
    ).toEqual(['years_per_item']);
    expect(
      award('art5_sme_interest', { basisAmount: CNY(1_000_000), rateBp: 500, year: 2026 }, { itemYears: [2026] })
        .amount,
    ).toBe(CNY(50_000));
    expect(
      award(
        'art5_sme_interest',
        { basisAmount: CNY(1_000_000), rateBp: 500, year: 2028 },
        { beneficiaryYears: [2026, 2027] },
      ).amount,
    ).toBe(CNY(50_000));
    expect(
      bit(
        'art5_sme_interest',
        { basisAmount: CNY(1_000_000), rateBp: 500, year: 2029 },
        { beneficiaryYears: [2026, 2027, 2028] },
      ),
    ).toEqual(['years_per_beneficiary']);
  });

  it('Art. 7: the rating-fee subsidy needs a rating of BB or better and a pool loan', () => {
    const facts = (rating: string | null, hasPoolLoan = true) => ({
      basisAmount: CNY(20_000),
      facts: { rating, hasPoolLoan },
    });
    expect(award('art7_rating_fee', facts('BB')).amount).toBe(CNY(10_000));
    expect(award('art7_rating_fee', facts('AA+')).amount).toBe(CNY(10_000));
    expect(computeAward(p('art7_rating_fee'), ask(facts('B')), none)).toMatchObject({
      ok: false,
      rule: 'rating_at_least',
    });
    expect(computeAward(p('art7_rating_fee'), ask(facts(null)), none)).toMatchObject({
      ok: false,
      rule: 'rating_at_least',
    });
    expect(computeAward(p('art7_rating_fee'), ask(facts('BBB', false)), none)).toMatchObject({
      ok: false,
      rule: 'requires_pool_loan',
    });
  });

  it('Art. 2: the VC subsidy refuses a guide-fund stake above 20 % of a fund', () => {
    expect(award('art2_vc_risk', { basisAmount: CNY(10_000_000), facts: { guideFundStakeBp: 2000 } }).amount).toBe(
      CNY(100_000),
    );
    expect(
      computeAward(p('art2_vc_risk'), ask({ basisAmount: CNY(10_000_000), facts: { guideFundStakeBp: 2001 } }), none),
    ).toMatchObject({ ok: false, rule: 'max_guide_fund_stake_bp' });
  });

  it('Art. 1: rent reduced for three years at most', () => {
    expect(
      award('art1_rent', { basisAmount: CNY(200_000), year: 2028 }, { beneficiaryYears: [2026, 2027] }).amount,
    ).toBe(CNY(100_000));
    expect(
      award('art1_rent', { basisAmount: CNY(200_000), year: 2029 }, { beneficiaryYears: [2026, 2027, 2028] }).amount,
    ).toBe(0n);
  });

  it('Art. 8 and 从高不重复: 四板 300,000, then NEEQ pays 1,200,000 more, then a non-IPO listing nothing', () => {
    const listing = (code: string, groupGranted: bigint) => award(code, { item: 'listing' }, { groupGranted }).amount;
    expect(listing('art8_regional', 0n)).toBe(CNY(300_000));
    expect(listing('art8_neeq', CNY(300_000))).toBe(CNY(1_200_000));
    expect(listing('art8_other_listing', CNY(1_500_000))).toBe(0n);
    expect(listing('art8_ipo', CNY(1_500_000))).toBe(CNY(1_500_000));
  });

  it('pays in all, for any sequence of awards in one exclusivity group, exactly the largest', () => {
    const group = PROGRAMMES.filter((x) => x.exclusivity_group === 'listing');
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...group), { minLength: 1, maxLength: 8 }), (sequence) => {
        let granted = 0n;
        for (const prog of sequence) {
          const out = computeAward(prog, ask({ item: 'listing' }), { ...none, groupGranted: granted });
          if (!out.ok) throw new Error('refused');
          granted += out.amount;
        }
        const largest = sequence
          .map((x) => BigInt((x.rule as { amount: string }).amount))
          .reduce((a, b) => (b > a ? b : a));
        expect(granted).toBe(largest);
      }),
      { numRuns: 300 },
    );
  });
});
