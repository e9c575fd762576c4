import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

/**
 * The programme runs on China's calendar (UTC+8): between 00:00 and 08:00 in China, UTC still shows the day
 * before, and every answer that depends on "today" must use China's day.
 */
let api: ApiFixture;
let t: Tenant;
beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
});
afterEach(() => vi.useRealTimers());
afterAll(() => api.close());

const terms = {
  pool_share_bp: 2500,
  insurer_share_bp: 4500,
  bank_share_bp: 3000,
  public_ceiling_bp: 8000,
  per_loan_cap: '100000000',
  per_enterprise_year_cap: '200000000',
  per_bank_year_cap: '1000000000',
  credit_line: '30000000000',
  filing_window_days: 180,
  eligible_kinds: ['credit'],
  max_principal: '1000000000',
  max_term_months: 36,
  suspension_loss_bp: 300,
};

it("at 07:30 on New Year's Day in China, shows the terms in force from that day and reports that year", async () => {
  const signed = expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/agreements`, {
      key: t.treasury,
      body: { bank_id: t.bankId, insurer_id: t.insurerId, name: '政银保', effective_from: '2026-01-01', terms },
    }),
    201,
  );
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/agreements/${signed.id}/terms`, {
      key: t.treasury,
      body: {
        effective_from: '2027-01-01',
        terms: { ...terms, pool_share_bp: 4000, insurer_share_bp: 4000, bank_share_bp: 2000 },
      },
    }),
    201,
  );

  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-31T23:30:00Z')); // 2027-01-01 07:30 in China
  const shown = expectStatus(
    await api.call('GET', `/v1/pools/${t.poolId}/agreements/${signed.id}`, { key: t.treasury }),
    200,
  );
  expect(shown.in_force).toMatchObject({ version: 2, effective_from: '2027-01-01' });
  const report = expectStatus(
    await api.call('GET', `/v1/pools/${t.poolId}/reports/agreements`, { key: t.treasury }),
    200,
  );
  expect(report.rows.map((r: { year: number }) => r.year)).toEqual([2027]);
});
