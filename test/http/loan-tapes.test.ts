import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

let api: ApiFixture;
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

interface Setup {
  t: Tenant;
  agreementId: string;
  borrower: string;
}

async function setup(over: Record<string, unknown> = {}): Promise<Setup> {
  const t = await api.tenant();
  const agreementId = await signAgreement(api, t, { name: 'line', terms: { filing_window_days: 180, ...over } });
  const borrower = await registerEnterprise(api, t, { tech_sme_expires: '2028-12-31' });
  return { t, agreementId, borrower };
}

const HEADER =
  '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期,首贷,保单号,保费（分）';
const csvRow = (
  s: Setup,
  ref: string,
  over: Partial<Record<'code' | 'kind' | 'principal' | 'disbursed' | 'matures' | 'policy' | 'premium', string>> = {},
) =>
  [
    s.agreementId,
    ref,
    over.code ?? s.borrower,
    over.kind ?? '信用',
    over.principal ?? '10000',
    '450',
    over.disbursed ?? '2026-03-01',
    over.matures ?? '2027-03-01',
    '否',
    over.policy ?? '',
    over.premium ?? '',
  ].join(',');

const upload = (s: Setup, body: string, mode?: string, contentType = 'text/csv; charset=utf-8', idem?: string) =>
  api.call('POST', `/v1/pools/${s.t.poolId}/loan-tapes${mode ? `?mode=${mode}` : ''}`, {
    key: s.t.bank,
    body,
    headers: { 'content-type': contentType },
    idem,
  });

async function counts(s: Setup) {
  const [row] = await api.db.owner<[{ loans: bigint; used: bigint; principal: bigint | null }]>`
    SELECT (SELECT count(*) FROM loans WHERE agreement_id = ${s.agreementId})::int8 AS loans,
           (SELECT sum(outstanding) FROM loans WHERE agreement_id = ${s.agreementId})::int8 AS principal,
           (SELECT used FROM agreement_exposure WHERE agreement_id = ${s.agreementId}) AS used`;
  return { loans: Number(row.loans), used: row.used, principal: row.principal ?? 0n };
}

beforeAll(async () => {
  api = await apiFixture();
});
afterAll(() => api.close());

describe('loan tapes', () => {
  it('accept_valid: enrols the good rows and names every bad one by line, field or rule', async () => {
    const s = await setup();
    const tape = [
      HEADER,
      csvRow(s, 'T-1'),
      csvRow(s, 'T-2', { code: newCreditCode() }),
      csvRow(s, 'T-3', { principal: '12.50' }),
      csvRow(s, 'T-4', { kind: '股权质押' }),
      csvRow(s, 'T-1', { principal: '20000' }),
      csvRow(s, 'T-6', { kind: '履约保证保险', policy: 'PICC-6', premium: '300' }),
      csvRow(s, 'T-7', { disbursed: '2026-02-30' }),
      '',
      csvRow(s, 'T-8', { principal: '500001' }),
    ].join('\n');
    const r = expectStatus(await upload(s, tape, 'accept_valid'), 200);
    expect(r).toMatchObject({
      mode: 'accept_valid',
      rows: 8,
      accepted: 2,
      unchanged: 0,
      refused: 6,
    });
    expect(r.principal).toEqual(cny('20000'));
    expect(r.errors).toEqual([
      { line: 3, reference: 'T-2', rule: 'borrower_registered', message: expect.any(String) },
      { line: 4, reference: 'T-3', field: 'principal', message: expect.any(String) },
      { line: 5, reference: 'T-4', rule: 'eligible_kind', message: expect.any(String) },
      { line: 6, reference: 'T-1', field: 'reference', message: expect.stringContaining('line 2') },
      { line: 8, reference: 'T-7', field: 'disbursed_on', message: expect.any(String) },
      { line: 10, reference: 'T-8', rule: 'max_principal', message: expect.any(String) },
    ]);
    expect(await counts(s)).toEqual({ loans: 2, used: 20_000n, principal: 20_000n });
    const listed = expectStatus(await api.call('GET', `/v1/pools/${s.t.poolId}/loans`, { key: s.t.bank }), 200);
    expect(listed.data.map((l: { reference: string; kind: string }) => [l.reference, l.kind])).toEqual([
      ['T-1', 'credit'],
      ['T-6', 'performance_bond_insured'],
    ]);
  });

  it('all_or_nothing (the default): one bad row refuses the tape, lists it, and writes nothing', async () => {
    const s = await setup();
    const tape = [HEADER, csvRow(s, 'A-1'), csvRow(s, 'A-2', { matures: '2029-03-01' }), csvRow(s, 'A-3')].join('\r\n');
    const r = await upload(s, tape);
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    expect(r.body).toMatchObject({ type: expect.stringMatching(/tape-refused$/), rows: 3, refused: 1, accepted: 0 });
    expect(r.body.row_errors).toEqual([{ line: 3, reference: 'A-2', rule: 'max_term', message: expect.any(String) }]);
    expect(await counts(s)).toEqual({ loans: 0, used: 0n, principal: 0n });
    expect(expectStatus(await upload(s, [HEADER, csvRow(s, 'A-1'), csvRow(s, 'A-3')].join('\n')), 200)).toMatchObject({
      accepted: 2,
      refused: 0,
    });
  });

  it('changes nothing when the same tape comes again, under any key; another loan under a used reference is refused', async () => {
    const s = await setup();
    const tape = [
      HEADER,
      ...Array.from({ length: 50 }, (_, i) => csvRow(s, `R-${i}`, { principal: String(1000 + i) })),
    ].join('\n');
    expect(expectStatus(await upload(s, tape), 200)).toMatchObject({ accepted: 50, unchanged: 0 });
    const before = await counts(s);
    const resent = expectStatus(await upload(s, tape), 200);
    expect(resent).toMatchObject({
      accepted: 0,
      unchanged: 50,
      refused: 0,
    });
    expect(resent.principal).toEqual(cny('0'));
    expect(await counts(s)).toEqual(before);
    const changed = await upload(s, [HEADER, csvRow(s, 'R-1', { principal: '999' })].join('\n'));
    expect(changed.body.row_errors).toEqual([
      { line: 2, reference: 'R-1', field: 'reference', message: expect.stringContaining('another loan') },
    ]);
    // The same key and tape replay the first answer; the same key with another tape is refused.
    const once = await upload(s, [HEADER, csvRow(s, 'K-1')].join('\n'), undefined, undefined, 'tape-key-1');
    const again = await upload(s, [HEADER, csvRow(s, 'K-1')].join('\n'), undefined, undefined, 'tape-key-1');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(once.body);
    expect(
      (await upload(s, [HEADER, csvRow(s, 'K-1')].join('\n'), 'accept_valid', undefined, 'tape-key-1')).status,
    ).toBe(422);
  });

  it('takes the credit line in tape order and refuses the rows past it', async () => {
    const s = await setup({ credit_line: '25000' });
    const tape = [
      HEADER,
      csvRow(s, 'C-1'),
      csvRow(s, 'C-2'),
      csvRow(s, 'C-3'),
      csvRow(s, 'C-4', { principal: '5000' }),
    ].join('\n');
    const r = expectStatus(await upload(s, tape, 'accept_valid'), 200);
    expect(r.errors).toEqual([{ line: 4, reference: 'C-3', rule: 'credit_line', message: expect.any(String) }]);
    expect(await counts(s)).toEqual({ loans: 3, used: 25_000n, principal: 25_000n });
  });

  it("reads NDJSON with the API's field names", async () => {
    const s = await setup();
    const row = (ref: string, over: Record<string, unknown> = {}) =>
      JSON.stringify({
        agreement_id: s.agreementId,
        reference: ref,
        borrower_credit_code: s.borrower,
        kind: 'credit',
        principal: '700',
        rate_bp: 400,
        disbursed_on: '2026-04-01',
        matures_on: '2027-04-01',
        ...over,
      });
    const tape =
      [row('N-1'), 'not json', row('N-3', { rate_bp: 'high' }), '[1]', row('N-5', { agreement_id: '999999999' })].join(
        '\n',
      ) + '\n';
    const r = expectStatus(await upload(s, tape, 'accept_valid', 'application/x-ndjson'), 200);
    expect(r).toMatchObject({ rows: 5, accepted: 1, refused: 4 });
    expect(r.errors.map((e: { line: number; field?: string }) => [e.line, e.field])).toEqual([
      [2, undefined],
      [3, 'rate_bp'],
      [4, undefined],
      [5, 'agreement_id'],
    ]);
  });

  it('refuses what is not a tape, and a tape from anyone but a bank', async () => {
    const s = await setup();
    expect((await upload(s, 'a,b\n1,2', undefined, 'application/json')).status).toBe(415);
    const unknown = await upload(s, '贷款编号,颜色\nX,red');
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatch(/颜色/);
    expect((await upload(s, HEADER)).status).toBe(400);
    expect((await upload(s, `${HEADER}\n"unclosed,1`)).status).toBe(400);
    const short = expectStatus(await upload(s, `${HEADER}\n${s.agreementId},S-1`, 'accept_valid'), 200);
    expect(short.errors[0]).toMatchObject({ line: 2, reference: 'S-1', message: expect.stringMatching(/cells/) });
    const byTreasury = await api.call('POST', `/v1/pools/${s.t.poolId}/loan-tapes`, {
      key: s.t.treasury,
      body: `${HEADER}\n${csvRow(s, 'X')}`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(byTreasury.status).toBe(403);
    const tooMany = Array.from({ length: 100_001 }, () => '{}').join('\n');
    expect((await upload(s, tooMany, 'accept_valid', 'application/x-ndjson')).status).toBe(413);
  });
});

describe('the sample tapes of docs/domain.md', () => {
  it('enrol and report as documented', async () => {
    const s = await setup({
      eligible_kinds: ['credit', 'ip_pledge', 'performance_bond_insured'],
      max_principal: '500000000',
      credit_line: '1000000000',
      max_term_months: 36,
    });
    const sample = readFileSync('samples/loan-tape.csv', 'utf8');
    const code = sample.split('\n')[1]!.split(',')[2]!;
    expectStatus(
      await api.call('POST', `/v1/pools/${s.t.poolId}/participants`, {
        key: s.t.treasury,
        body: {
          kind: 'enterprise',
          name: 'Sample',
          credit_code: code,
          enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-01-01' },
        },
      }),
      201,
    );
    const tape = sample.replace(/^1,/gm, `${s.agreementId},`);
    const loans = expectStatus(await upload(s, tape), 200);
    expect(loans).toMatchObject({ rows: 3, accepted: 3 });
    expect(loans.principal).toEqual(cny('650000000'));
    const reports = readFileSync('samples/loan-report-tape.csv', 'utf8');
    const r = await api.call('POST', `/v1/pools/${s.t.poolId}/loan-report-tapes`, {
      key: s.t.bank,
      body: reports,
      headers: { 'content-type': 'text/csv' },
    });
    const reported = expectStatus(r, 200);
    expect(reported).toMatchObject({ rows: 3, accepted: 3 });
    expect(reported.principal).toEqual(cny('5000000'));
  });
});

describe('report tapes and the loss rule', () => {
  const REPORT_HEADER = '贷款编号,报告月份,贷款余额（分）,逾期本金（分）,逾期利息（分）,逾期天数,五级分类';
  const reports = (s: Setup, body: string, mode?: string) =>
    api.call('POST', `/v1/pools/${s.t.poolId}/loan-report-tapes${mode ? `?mode=${mode}` : ''}`, {
      key: s.t.bank,
      body,
      headers: { 'content-type': 'text/csv' },
    });

  it('appends reports month after month, moves state and exposure, and changes nothing when sent again', async () => {
    const s = await setup();
    expectStatus(await upload(s, [HEADER, csvRow(s, 'P-1'), csvRow(s, 'P-2'), csvRow(s, 'P-3')].join('\n')), 200);
    const tape = [
      REPORT_HEADER,
      'P-1,2026-04,8000,0,0,0,正常',
      'P-1,2026-05,0,0,0,0,正常',
      'P-2,2026-04,10000,2000,80,40,关注',
      'P-3,2026-04,10000,0,0,0,正常',
      'P-3,2026-04,9000,0,0,0,正常',
      'P-4,2026-04,1,0,0,0,正常',
      'P-2,2026-05,12000,0,0,0,正常',
    ].join('\n');
    const r = expectStatus(await reports(s, tape, 'accept_valid'), 200);
    expect(r).toMatchObject({ rows: 7, accepted: 4, refused: 3 });
    expect(r.principal).toEqual(cny('10000'));
    expect(r.errors.map((e: { line: number; field?: string }) => [e.line, e.field])).toEqual([
      [6, 'month'],
      [7, 'reference'],
      [8, 'outstanding'],
    ]);
    const state = async (ref: string) =>
      (
        await api.db.owner<
          [{ state: string; outstanding: bigint }]
        >`SELECT state, outstanding FROM loans WHERE pool_id = ${s.t.poolId} AND reference = ${ref}`
      )[0];
    expect(await state('P-1')).toEqual({ state: 'repaid', outstanding: 0n });
    expect(await state('P-2')).toEqual({ state: 'overdue', outstanding: 10_000n });
    expect((await counts(s)).used).toBe(20_000n);
    const again = expectStatus(await reports(s, tape, 'accept_valid'), 200);
    expect(again).toMatchObject({ accepted: 0, unchanged: 4, refused: 3 });
    expect((await counts(s)).used).toBe(20_000n);
    const all = await reports(s, tape);
    expect(all.status).toBe(422);
    expect(all.body.row_errors).toHaveLength(3);
  });

  it("suspends the agreement by itself when the year's defaults pass the threshold, and says so in the feed", async () => {
    const s = await setup({ suspension_loss_bp: 300 });
    // 100 loans of 10,000 fen in 2026: 1,000,000 enrolled; 3 % is 30,000.
    expectStatus(
      await upload(s, [HEADER, ...Array.from({ length: 100 }, (_, i) => csvRow(s, `D-${i}`))].join('\n')),
      200,
    );
    const def = (ref: string, month: string) => `${ref},${month},10000,10000,300,95,次级`;
    expectStatus(
      await reports(s, [REPORT_HEADER, def('D-0', '2026-07'), def('D-1', '2026-07'), def('D-2', '2026-07')].join('\n')),
      200,
    );
    const agreement = async () =>
      expectStatus(
        await api.call('GET', `/v1/pools/${s.t.poolId}/agreements/${s.agreementId}`, { key: s.t.treasury }),
        200,
      );
    expect((await agreement()).suspended).toBe(false);
    // The fourth default is a single report: 40,000 > 30,000.
    const [{ id }] = await api.db.owner<
      [{ id: bigint }]
    >`SELECT id FROM loans WHERE pool_id = ${s.t.poolId} AND reference = 'D-3'`;
    expectStatus(
      await api.call('POST', `/v1/pools/${s.t.poolId}/loans/${id}/reports`, {
        key: s.t.bank,
        body: {
          month: '2026-08-01',
          outstanding: '10000',
          overdue_principal: '10000',
          overdue_interest: '0',
          days_past_due: 120,
          classification: 'doubtful',
        },
      }),
      201,
    );
    const a = await agreement();
    expect(a.suspended).toBe(true);
    expect(a.suspension_reason).toMatch(/loss rule: 40000 fen defaulted in 2026/);
    const events = await api.waitForEvent(s.t.bank, (e) => e.type === 'agreement.suspended');
    expect(events.at(-1)).toMatchObject({
      data: { rule: 'loss_threshold', year: '2026', loss: '40000', enrolled: '1000000', threshold_bp: 300 },
    });
    const refused = await upload(s, [HEADER, csvRow(s, 'after')].join('\n'));
    expect(refused.body.row_errors[0]).toMatchObject({ rule: 'suspended' });
    // Another default in a suspended agreement suspends nothing twice.
    expectStatus(await reports(s, [REPORT_HEADER, def('D-4', '2026-08')].join('\n')), 200);
    const [{ n }] = await api.db.owner<
      [{ n: bigint }]
    >`SELECT count(*)::int8 AS n FROM agreement_suspensions WHERE agreement_id = ${s.agreementId}`;
    expect(n).toBe(1n);
  });
});
