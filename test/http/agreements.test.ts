import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

let api: ApiFixture;
let t: Tenant;
let other: Tenant;
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

// Shanghai's 2010 performance-bond pilot: 25 % pool, 45 % insurer, 30 % bank (policy/README.md).
const shanghai = {
  pool_share_bp: 2500,
  insurer_share_bp: 4500,
  bank_share_bp: 3000,
  bonus_bp: { credit: 500, first_loan: 200 },
  public_ceiling_bp: 8000,
  per_loan_cap: '100000000',
  per_enterprise_year_cap: '200000000',
  per_bank_year_cap: '1000000000',
  credit_line: '30000000000',
  filing_window_days: 180,
  eligible_kinds: ['credit', 'ip_pledge', 'performance_bond_insured'],
  max_principal: '1000000000',
  max_term_months: 36,
  suspension_loss_bp: 300,
};

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  other = await api.tenant();
});
afterAll(() => api.close());

const sign = (tenant: Tenant, body: Record<string, unknown>) =>
  api.call('POST', `/v1/pools/${tenant.poolId}/agreements`, { key: tenant.treasury, body });

describe('agreements and their versioned terms', () => {
  let id: string;

  it('signs an agreement with its first terms', async () => {
    const a = expectStatus(
      await sign(t, {
        bank_id: t.bankId,
        insurer_id: t.insurerId,
        name: '政银保 2026',
        effective_from: '2026-01-01',
        terms: shanghai,
      }),
      201,
    );
    id = a.id;
    expect(a.in_force).toMatchObject({
      version: 1,
      effective_from: '2026-01-01',
      pool_share_bp: 2500,
      overdue_days: 90,
    });
    expect(a.in_force.credit_line).toEqual(cny('30000000000'));
    expect(a.in_force.bonus_bp).toEqual({ credit: 500, first_loan: 200 });
    const [{ stored }] = await api.db.owner<
      [{ stored: string }]
    >`SELECT jsonb_typeof(bonus_bp) AS stored FROM agreement_terms WHERE agreement_id = ${a.id}`;
    expect(stored).toBe('object');
    expect(
      (
        await sign(t, {
          bank_id: t.bankId,
          insurer_id: t.insurerId,
          name: 'again',
          effective_from: '2026-01-01',
          terms: shanghai,
        })
      ).status,
    ).toBe(409);
  });

  it('refuses shares that do not add up, and parties of the wrong kind, naming the field', async () => {
    const bad = await sign(t, {
      bank_id: t.bankId,
      name: 'x',
      effective_from: '2026-01-01',
      terms: { ...shanghai, bank_share_bp: 3001 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual({ field: 'terms.pool_share_bp' });
    const wrong = await sign(t, { bank_id: t.insurerId, name: 'x', effective_from: '2026-01-01', terms: shanghai });
    expect(wrong.body.details).toEqual({ field: 'bank_id' });
    const noInsurer = await sign(t, {
      bank_id: t.bankId,
      name: 'bank only',
      effective_from: '2026-01-01',
      terms: shanghai,
    });
    expect(noInsurer.body.details).toEqual({ field: 'terms.insurer_share_bp' });
  });

  it('adds terms from a later date without changing the terms in force before it', async () => {
    const hangzhou = { ...shanghai, pool_share_bp: 4000, insurer_share_bp: 4000, bank_share_bp: 2000 };
    const a = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/agreements/${id}/terms`, {
        key: t.treasury,
        body: { effective_from: '2027-01-01', terms: hangzhou },
      }),
      201,
    );
    expect(a.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const before = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}?on=2026-12-31`, { key: t.auditor }),
      200,
    );
    expect(before.in_force).toMatchObject({ version: 1, pool_share_bp: 2500 });
    const after = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}?on=2027-01-01`, { key: t.auditor }),
      200,
    );
    expect(after.in_force).toMatchObject({ version: 2, pool_share_bp: 4000 });
    const earlier = await api.call('POST', `/v1/pools/${t.poolId}/agreements/${id}/terms`, {
      key: t.treasury,
      body: { effective_from: '2026-06-01', terms: hangzhou },
    });
    expect(earlier.status).toBe(422);
    expect(earlier.body.details).toEqual({ field: 'effective_from' });
    await expect(
      api.db.owner`UPDATE agreement_terms SET pool_share_bp = 9000 WHERE agreement_id = ${id}`,
    ).rejects.toThrow(/append-only/);
  });

  it('shows an agreement to its bank and insurer, and to no other bank or pool', async () => {
    expect((await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}`, { key: t.bank })).status).toBe(200);
    expect((await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}`, { key: t.insurer })).status).toBe(200);
    const rival = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
        key: t.treasury,
        body: { kind: 'bank', name: 'Rival Bank', credit_code: newCreditCode() },
      }),
      201,
    );
    const rivalKey = expectStatus(
      await api.call('POST', '/v1/keys', {
        key: t.treasury,
        body: { role: 'bank', pool_id: t.poolId, participant_id: rival.id },
      }),
      201,
    ).key;
    expect((await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}`, { key: rivalKey })).status).toBe(404);
    expect((await api.call('GET', `/v1/pools/${t.poolId}/agreements/${id}`, { key: other.treasury })).status).toBe(404);
    expect(
      (
        await api.call('POST', `/v1/pools/${t.poolId}/agreements/${id}/terms`, {
          key: t.bank,
          body: { effective_from: '2028-01-01', terms: shanghai },
        })
      ).status,
    ).toBe(403);
  });
});
