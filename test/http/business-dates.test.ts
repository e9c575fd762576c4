import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInChina } from '../../src/pool/days.js';
import { apiFixture, expectStatus, type ApiFixture, type Reply, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/**
 * Business events are dated inside a window around the one "today" of the programme (China time): never
 * after today, never more than ten years back, a reversal never before what it reverses, a report for a
 * month that has begun, and no more days past due than the loan has been out.
 */
let api: ApiFixture;
let t: Tenant;
let agreementId: string;
let borrower: string;
const today = todayInChina();
const tomorrow = addDays(today, 1);
const tenYearsBack = `${Number(today.slice(0, 4)) - 10}${today.slice(4)}`;
const thisMonth = `${today.slice(0, 7)}-01`;
const nextMonth = addDays(`${today.slice(0, 7)}-28`, 7).slice(0, 8) + '01';

const post = (key: string, path: string, body: unknown, headers?: Record<string, string>) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body, headers });
let ref = 0;
const loan = (over: Record<string, unknown> = {}) => ({
  agreement_id: agreementId,
  reference: `D-${++ref}`,
  borrower_credit_code: borrower,
  kind: 'credit',
  principal: '1000',
  rate_bp: 400,
  disbursed_on: '2026-03-01',
  matures_on: '2027-03-01',
  ...over,
});

/** The refusal of a date outside its window: its type, and the field, rule and window it names. */
function expectOutside(r: Reply, field: string, rule: string, window: { earliest?: string; latest?: string } = {}) {
  expect(r.status, r.text).toBe(422);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body.type, r.text).toBe('https://pool-ledger.example/problems/date-out-of-window');
  expect(r.body.details, r.text).toMatchObject({ field, rule, ...window });
}

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  agreementId = await signAgreement(api, t);
  // A certificate valid far ahead, so that only the dates can refuse a loan.
  borrower = await registerEnterprise(api, t, { tech_sme_expires: '2036-12-31' });
});
afterAll(() => api.close());

describe('dates of money events', () => {
  it('takes a journal entry dated today and refuses one dated after today or more than ten years back', async () => {
    const entry = (effective_date: string) => ({
      effective_date,
      entries: [
        { account: 'pool_cash', debit: '10' },
        { account: 'fund_capital', credit: '10' },
      ],
    });
    expectOutside(await post(t.treasury, '/transactions', entry('9999-12-31')), 'effective_date', 'event_date', {
      earliest: tenYearsBack,
      latest: today,
    });
    expectOutside(await post(t.treasury, '/transactions', entry(tomorrow)), 'effective_date', 'event_date', {
      latest: today,
    });
    expectOutside(
      await post(t.treasury, '/transactions', entry(addDays(tenYearsBack, -1))),
      'effective_date',
      'event_date',
      { earliest: tenYearsBack },
    );
    expectStatus(await post(t.treasury, '/transactions', entry(today)), 201);
    expectStatus(await post(t.treasury, '/transactions', entry(tenYearsBack)), 201);
  });

  it('refuses interest, returns, appropriations and award-budget funding dated outside the window', async () => {
    expectOutside(
      await post(t.treasury, '/interest', { reference: 'INT-9999', amount: '1', on: '9999-12-31' }),
      'on',
      'event_date',
    );
    expectOutside(
      await post(t.treasury, '/interest', { reference: 'INT-1900', amount: '1', on: '1900-01-01' }),
      'on',
      'event_date',
    );
    expectOutside(
      await post(t.treasury, '/returns', { reference: 'RET-9999', amount: '1', on: '9999-12-31' }),
      'on',
      'event_date',
    );
    expectOutside(
      await post(t.treasury, '/appropriations', { reference: 'AP-9999', amount: '100', notified_on: '9999-12-31' }),
      'notified_on',
      'event_date',
    );
    expectStatus(
      await post(t.treasury, '/appropriations', { reference: 'AP-1', amount: '100', notified_on: '2026-03-01' }),
      201,
    );
    expectOutside(
      await post(t.treasury, '/appropriations/AP-1/receipt', { received_on: tomorrow }),
      'received_on',
      'event_date',
    );
    expectOutside(
      await post(t.treasury, '/award-budget', { reference: 'AB-9999', amount: '1', on: '9999-12-31' }),
      'on',
      'event_date',
    );
    // Nothing of the refused events reached the books.
    const cash = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/interest_income/balance`, { key: t.auditor }),
      200,
    );
    expect(cash.posted.amount).toBe('0');
  });

  it('refuses a reversal dated before what it reverses, or after today', async () => {
    const tx = expectStatus(
      await post(t.treasury, '/transactions', {
        effective_date: '2026-03-01',
        entries: [
          { account: 'pool_cash', debit: '7' },
          { account: 'fund_capital', credit: '7' },
        ],
      }),
      201,
    );
    const reverse = (effective_date: string) => post(t.treasury, `/transactions/${tx.id}/reversal`, { effective_date });
    expectOutside(await reverse('1900-01-01'), 'effective_date', 'reversal_date', {
      earliest: '2026-03-01',
      latest: today,
    });
    expectOutside(await reverse('2026-02-28'), 'effective_date', 'reversal_date', { earliest: '2026-03-01' });
    expectOutside(await reverse('9999-12-31'), 'effective_date', 'reversal_date', { latest: today });
    expect(expectStatus(await reverse('2026-03-01'), 201).refers_to).toBe(tx.id);
  });

  it('refuses a recovery dated after today', async () => {
    const l = expectStatus(await post(t.bank, '/loans', loan()), 201);
    expectOutside(
      await post(t.bank, `/loans/${l.id}/recoveries`, {
        reference: 'R-9999',
        recovered_on: '9999-12-31',
        gross: '100',
      }),
      'recovered_on',
      'event_date',
    );
  });
});

describe('dates of loans and their reports', () => {
  it('refuses a loan disbursed after today, one by one and on a tape', async () => {
    expectOutside(
      await post(t.bank, '/loans', loan({ disbursed_on: '2034-01-10', matures_on: '2035-01-10' })),
      'disbursed_on',
      'event_date',
      { latest: today },
    );
    expectOutside(
      await post(t.bank, '/loans', loan({ disbursed_on: tomorrow, matures_on: addDays(tomorrow, 300) })),
      'disbursed_on',
      'event_date',
    );
    const tape = `agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on\n${agreementId},TAPE-2034,${borrower},credit,1000,400,2034-01-10,2035-01-10`;
    const r = expectStatus(
      await post(t.bank, '/loan-tapes?mode=accept_valid', tape, { 'content-type': 'text/csv' }),
      200,
    );
    expect(r).toMatchObject({ accepted: 0, refused: 1 });
    expect(r.errors).toEqual([
      expect.objectContaining({ line: 2, reference: 'TAPE-2034', field: 'disbursed_on', rule: 'event_date' }),
    ]);
  });

  it('refuses a report for a month that has not come, so that no default is moved into a year to come', async () => {
    const l = expectStatus(await post(t.bank, '/loans', loan()), 201);
    const report = (month: string, dpd = 0) => ({
      month,
      outstanding: '1000',
      overdue_principal: dpd ? '1000' : '0',
      overdue_interest: '0',
      days_past_due: dpd,
      classification: dpd >= 90 ? 'doubtful' : 'normal',
    });
    expectOutside(await post(t.bank, `/loans/${l.id}/reports`, report(nextMonth)), 'month', 'report_month', {
      earliest: '2026-03-01',
      latest: thisMonth,
    });
    expectOutside(await post(t.bank, `/loans/${l.id}/reports`, report('2026-02-01')), 'month', 'report_month', {
      earliest: '2026-03-01',
    });
    expectOutside(
      await post(t.bank, `/loans/${l.id}/reports`, report(`${Number(today.slice(0, 4)) + 1}-01-01`, 400)),
      'month',
      'report_month',
    );
    const tape = `reference,month,outstanding,overdue_principal,overdue_interest,days_past_due,classification\n${l.reference},${nextMonth},1000,1000,0,120,doubtful`;
    const r = expectStatus(
      await post(t.bank, '/loan-report-tapes?mode=accept_valid', tape, { 'content-type': 'text/csv' }),
      200,
    );
    expect(r.errors).toEqual([expect.objectContaining({ line: 2, field: 'month', rule: 'report_month' })]);
    // The loan is as it was: nothing defaulted it.
    expect(expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans/${l.id}`, { key: t.bank }), 200).state).toBe(
      'active',
    );
    expectStatus(await post(t.bank, `/loans/${l.id}/reports`, report(thisMonth)), 201);
  });

  it('refuses more days past due than the loan has been out by the end of the month reported', async () => {
    // Disbursed in this month (or, early in a month, the last): 120 days past due in that month cannot be.
    const disbursed = addDays(today, -20);
    const month = `${disbursed.slice(0, 7)}-01`;
    const monthEnd = addDays(`${addDays(`${disbursed.slice(0, 7)}-28`, 7).slice(0, 7)}-01`, -1);
    const asOf = monthEnd < today ? monthEnd : today;
    const most = Math.round((Date.parse(asOf) - Date.parse(disbursed)) / 86_400_000);
    const report = (dpd: number) => ({
      month,
      outstanding: '1000',
      overdue_principal: '1000',
      overdue_interest: '0',
      days_past_due: dpd,
      classification: 'substandard',
    });
    const l = expectStatus(
      await post(t.bank, '/loans', loan({ disbursed_on: disbursed, matures_on: addDays(disbursed, 360) })),
      201,
    );
    const r = await post(t.bank, `/loans/${l.id}/reports`, report(120));
    expect(r.status, r.text).toBe(422);
    expect(r.body.details, r.text).toEqual({ field: 'days_past_due', rule: 'days_since_disbursement', max: most });
    expect(expectStatus(await post(t.bank, `/loans/${l.id}/reports`, report(most)), 201).state).toBe('overdue');
  });
});
