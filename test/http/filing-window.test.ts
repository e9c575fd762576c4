import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/**
 * The filing window runs from the day the bank reported the default, not from the first of the month the
 * loan defaulted: a 30-day window is open for a default reported today, whatever month it was in, and
 * closed 31 days after the report.
 */
let api: ApiFixture;
let t: Tenant;
let agreement: string;
let enterprise: string;
let n = 0;

const post = (key: string, path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  expectStatus(
    await post(t.treasury, '/appropriations', { reference: 'F', amount: '10000000', notified_on: '2026-01-02' }),
    201,
  );
  expectStatus(await post(t.treasury, '/appropriations/F/receipt', { received_on: '2026-01-03' }), 200);
  agreement = await signAgreement(api, t, {
    terms: { filing_window_days: 30, credit_line: '100000000', max_principal: '100000000', suspension_loss_bp: 10000 },
  });
  enterprise = await registerEnterprise(api, t);
});
afterAll(() => api.close());

async function defaulted(month: string): Promise<string> {
  const loan = expectStatus(
    await post(t.bank, '/loans', {
      agreement_id: agreement,
      reference: `W-${++n}`,
      borrower_credit_code: enterprise,
      kind: 'credit',
      principal: '100000',
      rate_bp: 400,
      disbursed_on: '2026-02-01',
      matures_on: '2027-02-01',
    }),
    201,
  );
  expectStatus(
    await post(t.bank, `/loans/${loan.id}/reports`, {
      month,
      outstanding: '100000',
      overdue_principal: '100000',
      overdue_interest: '0',
      days_past_due: 95,
      classification: 'substandard',
    }),
    201,
  );
  return loan.id;
}
const claim = (loanId: string) =>
  post(t.bank, '/claims', {
    loan_id: loanId,
    loss_principal: '100000',
    documents: [{ name: 'a.pdf', sha256: 'c'.repeat(64) }],
  });

it('is open for 30 days from the day the default was reported, for a default of months ago', async () => {
  const loan = await defaulted('2026-06-01');
  const r = await claim(loan);
  expect(r.status, r.text).toBe(201);
});

it('is closed 31 days after the default was reported, saying when it closed', async () => {
  const loan = await defaulted('2026-07-01');
  // The report as if sent 31 days ago (reports are append-only: the owner steps around that rule here).
  await api.db.owner.begin(async (tx) => {
    await tx`ALTER TABLE loan_reports DISABLE TRIGGER loan_reports_append_only`;
    await tx`UPDATE loan_reports SET created_at = now() - interval '31 days' WHERE pool_id = ${t.poolId} AND loan_id = ${loan}`;
    await tx`ALTER TABLE loan_reports ENABLE TRIGGER loan_reports_append_only`;
  });
  const r = await claim(loan);
  expect(r.status, r.text).toBe(422);
  expect(r.body.details).toEqual({ rule: 'filing_window' });
  expect(r.body.detail).toMatch(/30 days after the default was reported on \d{4}-\d{2}-\d{2}/);
});
