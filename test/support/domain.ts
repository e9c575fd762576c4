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
