import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, ROOMY_TERMS, signAgreement } from '../support/domain.js';

/**
 * Files as Chinese banks and finance offices export them: GBK rather than UTF-8 (declared or not), tabs
 * rather than commas (a sheet copied out of Excel), amounts in yuan as people write them, dates as
 * 2026/5/15 or 2026年5月15日, and statements with 借方/贷方 columns. Each is read exactly as meant, or refused
 * saying why; none becomes a garbled name or a rounded amount.
 */
let api: ApiFixture;
let t: Tenant;
let agreement: string;
let borrower: string;

/** Text as GBK bytes, built from the runtime's own GB18030 decoder (Node has no GBK encoder). */
const GBK_OF = (() => {
  const table = new Map<string, number[]>();
  const decoder = new TextDecoder('gb18030');
  for (let lead = 0x81; lead <= 0xfe; lead++)
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const c = decoder.decode(new Uint8Array([lead, trail]));
      if (c.length === 1 && c !== '\ufffd' && !table.has(c)) table.set(c, [lead, trail]);
    }
  return table;
})();
const gbk = (text: string) =>
  new Uint8Array(
    [...text].flatMap((c) => {
      if (c.charCodeAt(0) < 0x80) return [c.charCodeAt(0)];
      const bytes = GBK_OF.get(c);
      if (!bytes) throw new Error(`no GBK for ${c}`);
      return bytes;
    }),
  );

const send = (path: string, key: string, body: Uint8Array | string, contentType = 'text/csv') =>
  api.app.request(`/v1/pools/${t.poolId}${path}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': crypto.randomUUID(), 'content-type': contentType },
  });
const loan = async (reference: string) => {
  const all = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=1000`, { key: t.bank }), 200);
  return all.data.find((l: { reference: string }) => l.reference === reference);
};

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  agreement = await signAgreement(api, t, { terms: ROOMY_TERMS });
  borrower = await registerEnterprise(api, t);
});
afterAll(() => api.close());

describe('a loan tape', () => {
  it('is read from GBK, with tabs, amounts in yuan and dates as the bank writes them', async () => {
    const tape = [
      [
        '协议编号',
        '贷款编号',
        '统一社会信用代码',
        '贷款类型',
        '本金（元）',
        '利率(基点)',
        '放款日期',
        '到期日期',
        '保单号',
        '保费(元)',
      ],
      [
        agreement,
        '大连银行-001',
        borrower,
        '信用贷款',
        '￥500,000.00',
        '400',
        '2026/5/15',
        '2027年5月14日',
        '履约保证保险-1',
        '１２３４．５０',
      ],
      [agreement, '大连银行-002', borrower, '信用贷款', '300000', '400', '20260601', '2027-06-01', '', ''],
    ]
      .map((row) => row.join('\t'))
      .join('\r\n');
    const r = await send('/loan-tapes', t.bank, gbk(tape));
    expect(r.status, await r.clone().text()).toBe(200);
    // Not declared, the charset was found, and the answer says so.
    expect(r.headers.get('x-body-charset')).toBe('gb18030; assumed');
    expect(await r.json()).toMatchObject({ accepted: 2, principal: { amount: '80000000' } });
    expect(await loan('大连银行-001')).toMatchObject({
      principal: { amount: '50000000' },
      disbursed_on: '2026-05-15',
      matures_on: '2027-05-14',
      policy_number: '履约保证保险-1',
      premium: { amount: '123450' },
    });
    expect(await loan('大连银行-002')).toMatchObject({ principal: { amount: '30000000' }, disbursed_on: '2026-06-01' });
  });

  it('refuses an amount in yuan that would need rounding, and a day that is not one, naming row and field', async () => {
    const header = 'agreement_id,reference,borrower_credit_code,kind,本金(元),rate_bp,disbursed_on,matures_on';
    const r = await send(
      '/loan-tapes?mode=accept_valid',
      t.bank,
      [
        header,
        `${agreement},Y-1,${borrower},credit,"1,000.005",400,2026-05-15,2027-05-15`,
        `${agreement},Y-2,${borrower},credit,1000.500,400,2026/2/30,2027-05-15`,
        `${agreement},Y-3,${borrower},credit,1000.500,400,2026/2/28,2027-05-15`,
      ].join('\n'),
    );
    expect(r.status, await r.clone().text()).toBe(200);
    const body = (await r.json()) as { errors: { line: number; field: string; message: string }[] };
    expect(body.errors).toEqual([
      expect.objectContaining({
        line: 2,
        field: 'principal',
        message: expect.stringMatching(/more than two decimals/),
      }),
      expect.objectContaining({ line: 3, field: 'disbursed_on' }),
    ]);
    // 1000.500 is exact: 1,000.50 yuan.
    expect(await loan('Y-3')).toMatchObject({ principal: { amount: '100050' }, disbursed_on: '2026-02-28' });
  });

  it('takes a tape declared GBK, and refuses one that is not what it declares', async () => {
    const tape = `agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on,policy_number\n${agreement},G-1,${borrower},credit,1000,400,2026-05-15,2027-05-15,中银保单`;
    const r = await send('/loan-tapes', t.bank, gbk(tape), 'text/csv; charset=GBK');
    expect(r.status, await r.clone().text()).toBe(200);
    expect(r.headers.get('x-body-charset')).toBe('gb18030');
    expect((await loan('G-1')).policy_number).toBe('中银保单');
    const wrong = await send('/loan-tapes', t.bank, new Uint8Array([0x61, 0x81, 0x0a]), 'text/csv; charset=gb2312');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { detail: string }).detail).toMatch(/declared GB18030\/GBK but is not/);
  });
});

describe('a bank statement', () => {
  const lines = async () =>
    expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/bank-statements/lines?limit=200`, { key: t.treasury }),
      200,
    ).data as { reference: string; booked_on: string; amount: { amount: string }; counterparty: string }[];

  it('is read in GBK with 借方/贷方 columns, and with one signed amount column', async () => {
    const split = [
      '记账日期,流水号,借方发生额,贷方发生额,余额,对方户名,摘要',
      '2026年1月10日,BOC-S-1,,"1,000,000.00","1,000,000.00",大连高新区财政局,拨款',
      '2026/1/20,BOC-S-2,15.00,,"999,985.00",中国银行,手续费',
    ].join('\n');
    const r = await send('/bank-statements', t.treasury, gbk(split));
    expect(r.status, await r.clone().text()).toBe(200);
    const signed = [
      '交易日期\t交易流水号\t交易金额\t账户余额\t摘要',
      '2026-01-21\tBOC-S-3\t-0.50\t999984.50\t汇划费',
    ].join('\n');
    expect((await send('/bank-statements', t.treasury, signed)).status).toBe(200);
    expect((await lines()).map((l) => [l.booked_on, l.reference, l.amount.amount, l.counterparty])).toEqual([
      ['2026-01-10', 'BOC-S-1', '100000000', '大连高新区财政局'],
      ['2026-01-20', 'BOC-S-2', '-1500', '中国银行'],
      ['2026-01-21', 'BOC-S-3', '-50', ''],
    ]);
  });

  it('refuses a line with both a debit and a credit, or an amount that would need rounding', async () => {
    const both = await send(
      '/bank-statements',
      t.treasury,
      ['交易日期,交易流水号,借方发生额,贷方发生额,账户余额', '2026-01-22,BOC-S-4,1.00,1.00,999984.50'].join('\n'),
    );
    expect(both.status).toBe(400);
    expect(((await both.json()) as { detail: string }).detail).toMatch(/line 2: a line has a positive debit/);
    const fine = await send(
      '/bank-statements',
      t.treasury,
      ['交易日期,交易流水号,交易金额,账户余额', '2026-01-22,BOC-S-5,-0.005,999984.495'].join('\n'),
    );
    expect(((await fine.json()) as { detail: string }).detail).toMatch(/more than two decimals/);
    expect((await lines()).map((l) => l.reference)).not.toContain('BOC-S-5');
  });
});
