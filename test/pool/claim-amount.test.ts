import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimAmount, type ClaimInputs } from '../../src/pool/claim-amount.js';
import { addWorkingDays } from '../../src/pool/days.js';

const terms: ClaimInputs['terms'] = {
  poolShareBp: 2500,
  insurerShareBp: 4500,
  bonusBp: { credit: 500, ip_pledge: 1000, first_loan: 300 },
  publicCeilingBp: 3500,
  perLoanCap: 10n ** 12n,
  perEnterpriseYearCap: 10n ** 12n,
  perBankYearCap: 10n ** 12n,
  coversInterest: false,
};
const inputs = (over: Partial<ClaimInputs> = {}): ClaimInputs => ({
  lossPrincipal: 1_000_000n,
  lossInterest: 50_000n,
  kind: 'equity_pledge',
  firstLoan: false,
  terms,
  loanGranted: 0n,
  enterpriseYearGranted: 0n,
  bankYearGranted: 0n,
  available: null,
  ...over,
});
const bitten = (r: ReturnType<typeof claimAmount>) => r.steps.filter((s) => s.bit).map((s) => s.step);

describe("the pool's share of a claim", () => {
  it("takes the pool's share of the principal, shows the three parts, and no cap bites", () => {
    const r = claimAmount(inputs());
    expect(r).toMatchObject({
      base: 1_000_000n,
      poolBp: 2500,
      split: { pool: 250_000n, insurer: 450_000n, bank: 300_000n },
      amount: 250_000n,
    });
    expect(bitten(r)).toEqual([]);
  });

  it('adds bonuses by loan kind and first loan, up to the ceiling on public money', () => {
    expect(claimAmount(inputs({ kind: 'credit' })).poolBp).toBe(3000);
    expect(claimAmount(inputs({ kind: 'credit', firstLoan: true })).poolBp).toBe(3300);
    expect(claimAmount(inputs({ kind: 'ip_pledge', firstLoan: true })).poolBp).toBe(3500);
  });

  it('counts the contract interest only where the terms cover it', () => {
    expect(claimAmount(inputs()).base).toBe(1_000_000n);
    expect(claimAmount(inputs({ terms: { ...terms, coversInterest: true } })).base).toBe(1_050_000n);
  });

  it('applies each cap in turn and names the one that bit', () => {
    expect(bitten(claimAmount(inputs({ terms: { ...terms, perLoanCap: 200_000n } })))).toEqual(['per_loan_cap']);
    // What was granted on the loan to another claimant comes off the share (borne once) and off the cap.
    const second = claimAmount(inputs({ terms: { ...terms, perLoanCap: 240_000n }, loanGranted: 200_000n }));
    expect([second.amount, bitten(second)]).toEqual([40_000n, ['loan_already_granted', 'per_loan_cap']]);
    expect(claimAmount(inputs({ loanGranted: 250_000n })).amount).toBe(0n);
    const enterprise = claimAmount(
      inputs({ terms: { ...terms, perEnterpriseYearCap: 1_000_000n }, enterpriseYearGranted: 900_000n }),
    );
    expect([enterprise.amount, bitten(enterprise)]).toEqual([100_000n, ['enterprise_year_cap']]);
    const bank = claimAmount(inputs({ terms: { ...terms, perBankYearCap: 1_000_000n }, bankYearGranted: 1_200_000n }));
    expect([bank.amount, bitten(bank)]).toEqual([0n, ['bank_year_cap']]);
    const poor = claimAmount(inputs({ available: 10_000n }));
    expect([poor.amount, bitten(poor)]).toEqual([10_000n, ['available']]);
  });

  it("always splits the loss exactly into the pool's, the insurer's and the bank's parts", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (loss, pool, insurer) => {
          fc.pre(pool + insurer <= 10_000);
          const r = claimAmount(
            inputs({
              lossPrincipal: loss,
              terms: { ...terms, poolShareBp: pool, insurerShareBp: insurer, bonusBp: {}, publicCeilingBp: 10_000 },
            }),
          );
          expect(r.split.pool + r.split.insurer + r.split.bank).toBe(loss);
          expect(r.amount <= r.split.pool).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts deadlines in working days', () => {
    expect(addWorkingDays('2026-11-26', 5)).toBe('2026-12-03'); // Thursday + 5 working days
    expect(addWorkingDays('2026-11-28', 1)).toBe('2026-11-30'); // Saturday -> Monday
  });
});
