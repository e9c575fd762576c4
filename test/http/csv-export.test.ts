import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

/**
 * CSV exports are opened in spreadsheets, where a cell that begins with =, +, -, @, tab or CR is a formula
 * (OWASP's CSV injection). Text that came from outside (memos, descriptions, names) is written so that it
 * stays text; amounts, negative ones too, stay numbers.
 */
let api: ApiFixture;
let t: Tenant;
const post = (path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.treasury, body });
const FORMULAS = [
  '=HYPERLINK("http://evil.example","x")',
  "+cmd|' /C calc'!A0",
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
];

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
});
afterAll(() => api.close());

/** The cells of a CSV as a spreadsheet would be given them. */
const cells = (csv: string) => (parse(csv, { relax_column_count: true }) as string[][]).flat();

it('writes text that would be a formula as text, in the reconciliation and the reports, and leaves amounts as numbers', async () => {
  const statement = ['交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要'];
  let balance = 0;
  FORMULAS.forEach((f, i) => {
    balance -= 1;
    const quoted = `"${f.replace(/"/g, '""')}"`;
    // A counterparty is a name (no tab, no CR); a memo is free text.
    statement.push(
      `2026-02-0${i + 1},REF-${i},借,0.01,${/[\t\r]/.test(f) ? 'bank' : quoted},${(balance / 100).toFixed(2)},${quoted}`,
    );
  });
  const imported = await api.call('POST', `/v1/pools/${t.poolId}/bank-statements`, {
    key: t.treasury,
    body: statement.join('\n'),
    headers: { 'content-type': 'text/csv' },
  });
  expectStatus(imported, 200);
  for (const description of FORMULAS.filter((f) => !/[\t\r]/.test(f))) {
    expectStatus(
      await post('/transactions', {
        effective_date: '2026-03-02',
        description,
        entries: [
          { account: 'pool_cash', debit: '7' },
          { account: 'fund_capital', credit: '7' },
        ],
      }),
      201,
    );
  }
  const reconciliation = await api.call('GET', `/v1/pools/${t.poolId}/reconciliation?as_of=2026-04-30&format=csv`, {
    key: t.treasury,
  });
  expect(reconciliation.status).toBe(200);
  const bank = expectStatus(
    await post('/participants', { kind: 'bank', name: '=1+1', credit_code: newCreditCode() }),
    201,
  );
  expectStatus(
    await post('/agreements', {
      bank_id: bank.id,
      name: '@agreement',
      effective_from: '2026-01-01',
      terms: {
        pool_share_bp: 5000,
        insurer_share_bp: 0,
        bank_share_bp: 5000,
        public_ceiling_bp: 8000,
        per_loan_cap: '1',
        per_enterprise_year_cap: '1',
        per_bank_year_cap: '1',
        credit_line: '1',
        filing_window_days: 90,
        eligible_kinds: ['credit'],
        max_principal: '1',
        max_term_months: 12,
        suspension_loss_bp: 300,
      },
    }),
    201,
  );
  const report = await api.call('GET', `/v1/pools/${t.poolId}/reports/agreements?format=csv&year=2026`, {
    key: t.treasury,
  });
  expect(report.status).toBe(200);

  for (const csv of [reconciliation.text, report.text]) {
    for (const cell of cells(csv)) {
      const formula = /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);
      expect(formula, `${JSON.stringify(cell)} in\n${csv}`).toBe(false);
    }
  }
  const reconciled = cells(reconciliation.text);
  // Memos and descriptions keep what was sent, behind the quote that makes them text.
  for (const f of FORMULAS) expect(reconciled).toContain(`'${f}`);
  // Amounts stay numbers, negative ones included.
  expect(reconciled).toContain('-1');
  expect(reconciled).toContain('-6');
  expect(cells(report.text)).toEqual(expect.arrayContaining(["'=1+1", "'@agreement"]));
});

it('writes a download as UTF-8 behind a byte-order mark, under a file name that says what and of when', async () => {
  for (const [path, zh, ascii] of [
    ['/reconciliation?as_of=2026-04-30&format=csv', '银行存款余额调节表-2026-04-30', 'reconciliation-2026-04-30'],
    ['/reports/agreements?format=csv&year=2026', '合作协议风险敞口-2026', 'agreements-2026'],
    ['/reports/incentives?format=csv', '奖补发放-全部年度', 'incentives-all-years'],
  ] as const) {
    const res = await api.app.request(`/v1/pools/${t.poolId}${path}`, {
      headers: { authorization: `Bearer ${t.treasury}` },
    });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // Excel in a Chinese locale takes a file for UTF-8 only behind EF BB BF.
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.slice(3))).not.toMatch(/^\uFEFF/);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toContain(`filename="pool-${t.poolId}-${ascii}.csv"`);
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(`资金池${t.poolId}-${zh}.csv`)}`);
  }
});
