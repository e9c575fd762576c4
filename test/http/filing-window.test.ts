import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, type ApiFixture, type Tenant } from '../support/api.js';
import {
  bankClaim,
  defaultedLoan,
  fundPool,
  registerEnterprise,
  ROOMY_TERMS,
  signAgreement,
} from '../support/domain.js';

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

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await fundPool(api, t, '10000000');
  agreement = await signAgreement(api, t, { terms: { ...ROOMY_TERMS, filing_window_days: 30 } });
  enterprise = await registerEnterprise(api, t);
});
afterAll(() => api.close());

const defaulted = (month: string) =>
  defaultedLoan(api, t, { agreement, borrower: enterprise, reference: `W-${++n}`, month });
const claim = (loanId: string) => bankClaim(api, t, loanId);

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
