import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/**
 * A claim's loss base comes from what the bank reported: the interest lost can be no more than the overdue
 * interest the bank reported since the loan defaulted, and an insurer claims only what it paid the bank.
 */
let api: ApiFixture;
let t: Tenant;
let agreementId: string;
let borrower: string;
let n = 0;
const post = (key: string, path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
const documents = [{ name: 'n.pdf', sha256: 'd'.repeat(64) }];
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

/** A defaulted insured loan of 10,000,000 fen whose bank reported `overdueInterest` fen of interest overdue. */
async function defaulted(overdueInterest: string): Promise<string> {
  const loan = expectStatus(
    await post(t.bank, '/loans', {
      agreement_id: agreementId,
      reference: `R-${++n}`,
      borrower_credit_code: borrower,
      kind: 'performance_bond_insured',
      principal: '10000000',
      rate_bp: 400,
      disbursed_on: '2026-02-01',
      matures_on: '2027-02-01',
      policy_number: `P-${n}`,
      premium: '1000',
    }),
    201,
  );
  expectStatus(
    await post(t.bank, `/loans/${loan.id}/reports`, {
      month: '2026-06-01',
      outstanding: '10000000',
      overdue_principal: '10000000',
      overdue_interest: overdueInterest,
      days_past_due: 95,
      classification: 'substandard',
    }),
    201,
  );
  return loan.id;
}

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  expectStatus(
    await post(t.treasury, '/appropriations', { reference: 'A', amount: '10000000000', notified_on: '2026-01-02' }),
    201,
  );
  expectStatus(await post(t.treasury, '/appropriations/A/receipt', { received_on: '2026-01-03' }), 200);
  agreementId = await signAgreement(api, t, {
    terms: {
      covers_interest: true,
      credit_line: '1000000000',
      max_principal: '100000000',
      suspension_loss_bp: 10000,
      per_loan_cap: '100000000000',
      per_enterprise_year_cap: '100000000000',
      per_bank_year_cap: '100000000000',
    },
  });
  borrower = await registerEnterprise(api, t);
});
afterAll(() => api.close());

describe('the interest a claim may count', () => {
  it('refuses interest beyond what the bank reported overdue, naming the figure', async () => {
    const loan = await defaulted('0');
    const r = await post(t.bank, '/claims', {
      loan_id: loan,
      loss_principal: '1',
      loss_interest: '9999999999999999',
      documents,
    });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ type: expect.stringMatching(/validation$/), details: { field: 'loss_interest' } });
  });

  it('takes the interest the bank reported into the loss base', async () => {
    const loan = await defaulted('300000');
    const claim = expectStatus(
      await post(t.bank, '/claims', { loan_id: loan, loss_principal: '10000000', loss_interest: '300000', documents }),
      201,
    );
    // 25 % of 10,300,000 fen, plus the performance-bond bonus of none: 2,575,000.
    expect(BigInt(claim.breakdown.base.amount)).toBe(10_300_000n);
  });
});

describe("an insurer's claim", () => {
  it('is refused when the insurer paid the bank nothing', async () => {
    const loan = await defaulted('0');
    const r = await post(t.insurer, '/claims', {
      loan_id: loan,
      loss_principal: '10000000',
      paid_to_bank: '0',
      documents,
    });
    expect(r.status, r.text).toBe(422);
    expect(r.body.type).toMatch(/claim-refused$/);
  });

  it('is never granted more than the insurer paid the bank', async () => {
    const loan = await defaulted('0');
    const claim = expectStatus(
      await post(t.insurer, '/claims', {
        loan_id: loan,
        loss_principal: '10000000',
        paid_to_bank: '1000000',
        documents,
      }),
      201,
    );
    expect(claim.amount).toEqual(cny('1000000'));
    expect(claim.breakdown.capped_by).toContain('paid_to_bank');
    const approved = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/claims/${claim.id}/approve`, {
        key: t.treasury,
        body: { reason: 'ok' },
      }),
      200,
    );
    expect(approved.amount).toEqual(cny('1000000'));
  });
});
