import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedInBrowser } from '../support/browser.js';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core): after a small year of
 * the pool, the page loads without console errors, every chart draws its data, and a screenshot is kept
 * in test-results/.
 */
let api: ApiFixture;
let t: Tenant;
let served: Awaited<ReturnType<typeof servedInBrowser>>;
let base: string;
let browser: Browser;

const post = (key: string, path: string, body: unknown, headers?: Record<string, string>) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body, headers });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  expectStatus(
    await post(t.treasury, '/appropriations', { reference: 'N-1', amount: '500000000', notified_on: '2026-01-05' }),
    201,
  );
  expectStatus(await post(t.treasury, '/appropriations/N-1/receipt', { received_on: '2026-01-10' }), 200);
  expectStatus(await post(t.treasury, '/interest', { reference: 'INT-1', amount: '123456', on: '2026-03-21' }), 201);
  const borrower = newCreditCode();
  expectStatus(
    await post(t.treasury, '/participants', {
      kind: 'enterprise',
      name: 'Firm',
      credit_code: borrower,
      enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-01-01' },
    }),
    201,
  );
  const agreement = expectStatus(
    await post(t.treasury, '/agreements', {
      bank_id: t.bankId,
      name: 'Dashboard',
      effective_from: '2026-01-01',
      terms: {
        pool_share_bp: 3000,
        insurer_share_bp: 0,
        bank_share_bp: 7000,
        public_ceiling_bp: 8000,
        per_loan_cap: '100000000000',
        per_enterprise_year_cap: '100000000000',
        per_bank_year_cap: '100000000000',
        credit_line: '50000000',
        filing_window_days: 3650,
        eligible_kinds: ['credit'],
        max_principal: '10000000',
        max_term_months: 36,
        suspension_loss_bp: 5000,
      },
    }),
    201,
  );
  const tape = [
    'agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on',
    ...Array.from(
      { length: 5 },
      (_, i) => `${agreement.id},D-${i},${borrower},credit,5000000,400,2026-02-01,2027-02-01`,
    ),
  ];
  expectStatus(await post(t.bank, '/loan-tapes', tape.join('\n'), { 'content-type': 'text/csv' }), 200);
  const loans = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans`, { key: t.bank }), 200).data;
  expectStatus(
    await post(t.bank, `/loans/${loans[0].id}/reports`, {
      month: '2026-06-01',
      outstanding: '5000000',
      overdue_principal: '5000000',
      overdue_interest: '0',
      days_past_due: 95,
      classification: 'substandard',
    }),
    201,
  );
  const claim = expectStatus(
    await post(t.bank, '/claims', {
      loan_id: loans[0].id,
      loss_principal: '5000000',
      documents: [{ name: 'notice.pdf', sha256: createHash('sha256').update('n').digest('hex') }],
    }),
    201,
  );
  expectStatus(await post(t.treasury, `/claims/${claim.id}/approve`, { reason: 'ok' }), 200);
  const statement = [
    '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
    '2026-01-10,S-1,贷,"5,000,000.00",财政局,"5,000,000.00",N-1',
  ].join('\n');
  expectStatus(await post(t.treasury, '/bank-statements', statement, { 'content-type': 'text/csv' }), 200);

  served = await servedInBrowser(api);
  base = served.base;
  browser = served.browser;
});
afterAll(async () => {
  await served?.close();
  await api?.close();
});

describe('the dashboard', () => {
  it('loads without console errors and draws every chart with its data, labelled in Chinese and English', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard?pool=${t.poolId}&year=2026`);
    await page.fill('#key', t.treasury);
    await page.click('#load');
    // In the page: its globals are the browser's (typed loosely here, where the project's types are Node's).
    await page.waitForFunction(() => Object.keys((globalThis as any).dashboard.drawn).length === 5, undefined, {
      timeout: 15_000,
    });
    const drawn: { errors: string[]; charts: { id: string; labels: number; values: number[]; painted: number }[] } =
      await page.evaluate(() => {
        const w = globalThis as any;
        return {
          errors: w.dashboard.errors,
          charts: Array.from(w.document.querySelectorAll('canvas') as ArrayLike<any>).map((c) => {
            const chart = w.Chart.getChart(c);
            return {
              id: c.id,
              labels: chart.data.labels.length,
              values: chart.data.datasets.map((d: { data: unknown[] }) => d.data.length),
              painted: c.toDataURL().length,
            };
          }),
        };
      });
    expect(drawn.errors).toEqual([]);
    expect(errors).toEqual([]);
    expect(drawn.charts.map((c) => c.id)).toEqual(['cash', 'exposure', 'claims', 'loss', 'reconciliation']);
    for (const c of drawn.charts) {
      expect(c.labels, c.id).toBeGreaterThan(0);
      for (const n of c.values) expect(n, c.id).toBe(c.labels);
      // A canvas with bars or a line on it encodes to far more than a blank one.
      expect(c.painted, c.id).toBeGreaterThan(5_000);
    }
    expect(drawn.charts.find((c) => c.id === 'cash')!.labels).toBe(2);
    expect(await page.textContent('h1')).toMatch(/资金池.*pool/i);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
  });

  it("shows the API's refusal for a key that may not read the reports", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/dashboard?pool=${t.poolId}`);
    await page.fill('#key', t.bank);
    await page.click('#load');
    await page.waitForFunction(() => (globalThis as any).dashboard.errors.length > 0);
    expect(await page.textContent('#status')).toMatch(/403/);
  });
});
