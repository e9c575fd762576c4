import { expectStatus, type ApiFixture, type Tenant } from './api.js';
import { newCreditCode } from './credit-codes.js';

/** Agreement terms for tests: the Shanghai 25/45/30 split, a line of 10,000.00 CNY, 3 % loss threshold. */
export const terms = (over: Record<string, unknown> = {}) => ({
  pool_share_bp: 2500,
  insurer_share_bp: 4500,
  bank_share_bp: 3000,
  public_ceiling_bp: 8000,
  per_loan_cap: '100000000',
  per_enterprise_year_cap: '200000000',
  per_bank_year_cap: '1000000000',
  credit_line: '1000000',
  filing_window_days: 3650,
  eligible_kinds: ['credit', 'performance_bond_insured'],
  max_principal: '500000',
  max_term_months: 24,
  suspension_loss_bp: 300,
  ...over,
});

/** Treasury signs an agreement between the tenant's bank and (unless `insurer: false`) its insurer. */
export async function signAgreement(
  api: ApiFixture,
  t: Tenant,
  options: { insurer?: boolean; name?: string; terms?: Record<string, unknown> } = {},
): Promise<string> {
  const insurer = options.insurer ?? true;
  const body = {
    bank_id: t.bankId,
    ...(insurer ? { insurer_id: t.insurerId } : {}),
    name: options.name ?? 'Agreement',
    effective_from: '2026-01-01',
    terms: terms({ ...(insurer ? {} : { insurer_share_bp: 0, bank_share_bp: 7500 }), ...options.terms }),
  };
  return expectStatus(await api.call('POST', `/v1/pools/${t.poolId}/agreements`, { key: t.treasury, body }), 201).id;
}

/** Treasury registers an enterprise (by default in the zone, with a tech-SME certificate to 2030); its credit code. */
export async function registerEnterprise(
  api: ApiFixture,
  t: Tenant,
  profile: Record<string, unknown> = {},
): Promise<string> {
  const code = newCreditCode();
  const enterprise = { in_zone: true, tech_sme_certificate: 'GR2026', tech_sme_expires: '2030-12-31', ...profile };
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
      key: t.treasury,
      body: { kind: 'enterprise', name: `Tech ${code}`, credit_code: code, enterprise },
    }),
    201,
  );
  return code;
}

/** Terms wide enough that no cap, line or loss rule gets in the way of a test about something else. */
export const ROOMY_TERMS = {
  credit_line: '100000000000',
  max_principal: '100000000',
  suspension_loss_bp: 10000,
  per_loan_cap: '100000000000',
  per_enterprise_year_cap: '100000000000',
  per_bank_year_cap: '100000000000',
};

/** The treasury funds the pool: an appropriation of `fen` notified on 2 January and received on the 3rd. */
export async function fundPool(api: ApiFixture, t: Tenant, fen: string, reference = 'F'): Promise<void> {
  const post = (path: string, body: unknown) =>
    api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.treasury, body });
  expectStatus(await post('/appropriations', { reference, amount: fen, notified_on: '2026-01-02' }), 201);
  expectStatus(await post(`/appropriations/${reference}/receipt`, { received_on: '2026-01-03' }), 200);
}

/**
 * The bank enrols a 1,000.00 CNY credit loan under the agreement and reports it 95 days past due in
 * `month`: a defaulted loan, ready for a claim. Returns its id.
 */
export async function defaultedLoan(
  api: ApiFixture,
  t: Tenant,
  loan: { agreement: string; borrower: string; reference: string; month?: string },
): Promise<string> {
  const post = (path: string, body: unknown) => api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.bank, body });
  const enrolled = expectStatus(
    await post('/loans', {
      agreement_id: loan.agreement,
      reference: loan.reference,
      borrower_credit_code: loan.borrower,
      kind: 'credit',
      principal: '100000',
      rate_bp: 400,
      disbursed_on: '2026-02-01',
      matures_on: '2027-02-01',
    }),
    201,
  );
  expectStatus(
    await post(`/loans/${enrolled.id}/reports`, {
      month: loan.month ?? '2026-06-01',
      outstanding: '100000',
      overdue_principal: '100000',
      overdue_interest: '0',
      days_past_due: 95,
      classification: 'substandard',
    }),
    201,
  );
  return enrolled.id as string;
}

/** The bank's claim on a defaulted loan, for its whole principal, with one paper. */
export const bankClaim = (api: ApiFixture, t: Tenant, loanId: string) =>
  api.call('POST', `/v1/pools/${t.poolId}/claims`, {
    key: t.bank,
    body: { loan_id: loanId, loss_principal: '100000', documents: [{ name: '申请书.pdf', sha256: 'e'.repeat(64) }] },
  });
