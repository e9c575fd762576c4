import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Reply, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/**
 * Input a client should never send, and an attacker will: control characters, text that is not Unicode,
 * bodies in the wrong format. Each is refused as a problem naming what is wrong, never a 500, never stored
 * altered.
 */
let api: ApiFixture;
let t: Tenant;
let agreementId: string;
let borrower: string;
let claimId: string;
let n = 0;
const post = (key: string, path: string, body: unknown, headers?: Record<string, string>) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body, headers });
const documents = [{ name: 'n.pdf', sha256: 'd'.repeat(64) }];
const validLoan = (over: Record<string, unknown> = {}) => ({
  agreement_id: agreementId,
  reference: `H-${++n}`,
  borrower_credit_code: borrower,
  kind: 'credit',
  principal: '10000000',
  rate_bp: 400,
  disbursed_on: '2026-02-01',
  matures_on: '2027-02-01',
  ...over,
});

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  expectStatus(
    await post(t.treasury, '/appropriations', { reference: 'A', amount: '10000000000', notified_on: '2026-01-02' }),
    201,
  );
  expectStatus(await post(t.treasury, '/appropriations/A/receipt', { received_on: '2026-01-03' }), 200);
  agreementId = await signAgreement(api, t, {
    terms: {
      credit_line: '1000000000',
      max_principal: '100000000',
      suspension_loss_bp: 10000,
      per_loan_cap: '100000000000',
      per_enterprise_year_cap: '100000000000',
      per_bank_year_cap: '100000000000',
    },
  });
  borrower = await registerEnterprise(api, t);
  const loan = expectStatus(await post(t.bank, '/loans', validLoan()), 201);
  expectStatus(
    await post(t.bank, `/loans/${loan.id}/reports`, {
      month: '2026-06-01',
      outstanding: '10000000',
      overdue_principal: '10000000',
      overdue_interest: '0',
      days_past_due: 95,
      classification: 'substandard',
    }),
    201,
  );
  claimId = expectStatus(
    await post(t.bank, '/claims', { loan_id: loan.id, loss_principal: '10000000', documents }),
    201,
  ).id;
});
afterAll(() => api.close());

/** A refusal of the request's text: the validation problem, naming the field. */
function refusedText(r: Reply, field: string) {
  expect(r.status, r.text).toBe(400);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body.type).toMatch(/\/validation$/);
  expect(
    r.body.errors.map((e: { path: string }) => e.path),
    r.text,
  ).toContain(field);
}

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';

describe('text the API takes', () => {
  it('refuses NUL, control characters and lone surrogates in every kind of field, naming it', async () => {
    const cases: [string, string, unknown, string][] = [
      [api.adminKey, '/v1/pools', { name: NUL }, 'json.name'],
      [api.adminKey, '/v1/pools', { name: LONE }, 'json.name'],
      [api.adminKey, '/v1/pools', { name: 'line\u001bbreak' }, 'json.name'],
      [
        t.treasury,
        `/v1/pools/${t.poolId}/participants`,
        { kind: 'bank', name: NUL, credit_code: '91350100M000100Y43' },
        'json.name',
      ],
      [
        t.treasury,
        `/v1/pools/${t.poolId}/appropriations`,
        { reference: NUL, amount: '1', notified_on: '2026-01-02' },
        'json.reference',
      ],
      [
        t.treasury,
        `/v1/pools/${t.poolId}/appropriations`,
        { reference: LONE, amount: '1', notified_on: '2026-01-02' },
        'json.reference',
      ],
      [t.treasury, `/v1/pools/${t.poolId}/claims/${claimId}/defer`, { reason: NUL }, 'json.reason'],
      [t.treasury, `/v1/pools/${t.poolId}/claims/${claimId}/defer`, { reason: '\ud83d' }, 'json.reason'],
      [
        t.treasury,
        `/v1/pools/${t.poolId}/transactions`,
        {
          effective_date: '2026-01-03',
          description: NUL,
          entries: [
            { account: 'fund_capital', debit: '1' },
            { account: 'pool_cash', credit: '1' },
          ],
        },
        'json.description',
      ],
      [
        t.treasury,
        `/v1/pools/${t.poolId}/agreements/${agreementId}/suspension`,
        { suspended: false, reason: NUL },
        'json.reason',
      ],
      [t.bank, `/v1/pools/${t.poolId}/loans`, validLoan({ reference: NUL }), 'json.reference'],
      [t.bank, `/v1/pools/${t.poolId}/loans`, validLoan({ policy_number: LONE }), 'json.policy_number'],
    ];
    for (const [key, path, body, field] of cases) refusedText(await api.call('POST', path, { key, body }), field);
    // Nothing was stored, altered or not.
    const [row] = await api.db.owner<[{ n: bigint }]>`
      SELECT (SELECT count(*) FROM pools WHERE name LIKE 'a%b') + (SELECT count(*) FROM appropriations WHERE reference LIKE 'a%b')
           + (SELECT count(*) FROM loans WHERE reference LIKE 'a%b' OR policy_number LIKE 'a%b') AS n`;
    expect(row.n).toBe(0n);
  });

  it('takes tab, newline and carriage return in free text, but not in a name or a reference', async () => {
    expectStatus(
      await post(t.treasury, `/claims/${claimId}/defer`, { reason: 'waiting for\tthe court\r\nruling' }),
      200,
    );
    refusedText(await api.call('POST', '/v1/pools', { body: { name: 'two\nlines' } }), 'json.name');
    refusedText(
      await post(t.treasury, '/appropriations', { reference: 'A\t1', amount: '1', notified_on: '2026-01-02' }),
      'json.reference',
    );
  });

  it('refuses text longer than its field takes', async () => {
    refusedText(await post(t.treasury, `/claims/${claimId}/defer`, { reason: 'x'.repeat(1001) }), 'json.reason');
    refusedText(
      await post(t.bank, '/loans', validLoan({ borrower_credit_code: 'x'.repeat(10_000) })),
      'json.borrower_credit_code',
    );
    refusedText(
      await api.call('GET', `/v1/pools/${t.poolId}/awards?programme=${encodeURIComponent(NUL)}`, { key: t.treasury }),
      'query.programme',
    );
  });

  it('refuses a reference in the path that is not text', async () => {
    refusedText(
      await post(t.treasury, `/appropriations/${encodeURIComponent(NUL)}/receipt`, { received_on: '2026-01-03' }),
      'param.reference',
    );
  });

  it('refuses a NUL in a tape cell, naming its line and field', async () => {
    const tape = [
      'agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on',
      `${agreementId},T${NUL},${borrower},credit,1000,400,2026-02-01,2027-02-01`,
    ].join('\n');
    const r = await api.call('POST', `/v1/pools/${t.poolId}/loan-tapes`, {
      key: t.bank,
      body: tape,
      headers: { 'content-type': 'text/csv' },
    });
    expect(r.status, r.text).toBe(422);
    expect(r.body.row_errors).toEqual([expect.objectContaining({ line: 2, field: 'reference' })]);
    const ndjson = JSON.stringify(validLoan({ reference: LONE }));
    const n2 = await api.call('POST', `/v1/pools/${t.poolId}/loan-tapes`, {
      key: t.bank,
      body: ndjson,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(n2.status, n2.text).toBe(422);
    expect(n2.body.row_errors).toEqual([expect.objectContaining({ line: 1, field: 'reference' })]);
  });

  it("refuses a NUL in a bank statement's memo, naming its line and column", async () => {
    const csv = [
      '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
      `2026-01-10,BOC-NUL-1,贷,1.00,财政局,1.00,memo${NUL}`,
    ].join('\n');
    const r = await api.call('POST', `/v1/pools/${t.poolId}/bank-statements`, {
      key: t.treasury,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    refusedText(r, 'body.line.2.memo');
    const lines = await api.db.owner`SELECT 1 FROM statement_lines WHERE bank_ref = 'BOC-NUL-1'`;
    expect(lines).toHaveLength(0);
  });
});

describe('content types', () => {
  const raw = (path: string, key: string, body: string, headers: Record<string, string>) =>
    api.app.request(path, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': crypto.randomUUID(), ...headers },
    });

  it('answers a JSON route sent another format, or none, with 415 before reading the body', async () => {
    for (const headers of [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'text/csv' },
      {},
    ] as Record<string, string>[]) {
      const r = await raw('/v1/pools', api.adminKey, JSON.stringify({ name: 'typed' }), headers);
      const body = (await r.json()) as { type: string };
      expect(r.status, JSON.stringify(body)).toBe(415);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(body.type).toMatch(/\/unsupported-media-type$/);
    }
    const ok = await raw('/v1/pools', api.adminKey, JSON.stringify({ name: 'typed' }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(201);
  });

  it('answers a bank statement sent as anything but CSV with 415', async () => {
    const csv =
      '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要\n2026-01-10,BOC-TYPE-1,贷,1.00,财政局,1.00,x';
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'text/plain' }, {}] as Record<
      string,
      string
    >[]) {
      const r = await raw(`/v1/pools/${t.poolId}/bank-statements`, t.treasury, csv, headers);
      const body = (await r.json()) as { type: string };
      expect(r.status, JSON.stringify(body)).toBe(415);
      expect(body.type).toMatch(/\/unsupported-media-type$/);
    }
    expect(await api.db.owner`SELECT 1 FROM statement_lines WHERE bank_ref = 'BOC-TYPE-1'`).toHaveLength(0);
  });

  it('answers a body in another charset than UTF-8 with 415, and a file in one other than UTF-8 or GB18030', async () => {
    const r = await raw('/v1/pools', api.adminKey, JSON.stringify({ name: 'gbk' }), {
      'content-type': 'application/json; charset=gbk',
    });
    expect(r.status).toBe(415);
    const tape = await raw(`/v1/pools/${t.poolId}/loan-tapes`, t.bank, 'reference\nX', {
      'content-type': 'text/csv; charset=Big5',
    });
    expect(tape.status).toBe(415);
    expect(((await tape.json()) as { type: string }).type).toMatch(/\/unsupported-media-type$/);
  });
});

describe('files: tapes and statements', () => {
  const upload = (path: string, key: string, body: Uint8Array | string, contentType = 'text/csv') =>
    api.app.request(`/v1/pools/${t.poolId}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': crypto.randomUUID(), 'content-type': contentType },
    });
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
  // 中国 in GBK: D6 D0 B9 FA, which is not UTF-8.
  const GBK = [0xd6, 0xd0, 0xb9, 0xfa];

  it('refuses a UTF-8 tape with bytes that are not UTF-8, naming the line, rather than storing U+FFFD', async () => {
    const header =
      'agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on,policy_number\n';
    const row = (ref: string) => `${agreementId},${ref},${borrower},credit,1000,400,2026-02-01,2027-02-01,`;
    // UTF-8 (保单 twice) with one GBK 中国 in it: a damaged UTF-8 file, not a GBK one.
    const r = await upload(
      '/loan-tapes',
      t.bank,
      bytes(header, row('U-1'), '保单1\n', row('U-2'), GBK, '\n', row('U-0'), '保单0\n'),
    );
    const body = (await r.json()) as { type: string; detail: string; details: { line: number } };
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(body.type).toMatch(/\/validation$/);
    expect(body.details.line).toBe(3);
    expect(body.detail).toMatch(/UTF-8 but for byte 0xd6 at line 3/);
    expect(
      await api.db
        .owner`SELECT 1 FROM loans WHERE reference IN ('U-0', 'U-1', 'U-2') OR policy_number LIKE '%' || chr(65533) || '%'`,
    ).toHaveLength(0);
    // The same tape in UTF-8, a character split across the chunks it streams in, is read as sent.
    const good = bytes(header, row('U-3'), '中国\n');
    const split = good.indexOf(Buffer.from('中国')) + 1;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(good.subarray(0, split));
        controller.enqueue(good.subarray(split));
        controller.close();
      },
    });
    const ok = await api.app.request(`/v1/pools/${t.poolId}/loan-tapes`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: {
        authorization: `Bearer ${t.bank}`,
        'idempotency-key': crypto.randomUUID(),
        'content-type': 'text/csv',
        'transfer-encoding': 'chunked',
      },
    } as RequestInit);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const [loan] = await api.db.owner<
      [{ policy_number: string }]
    >`SELECT policy_number FROM loans WHERE reference = 'U-3'`;
    expect(loan.policy_number).toBe('中国');
  });

  it('refuses a statement with bytes that are not UTF-8', async () => {
    const r = await upload(
      '/bank-statements',
      t.treasury,
      bytes(
        '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要\n2026-01-10,BOC-GBK-1,贷,1.00,',
        GBK,
        ',1.00,x\n',
      ),
    );
    expect(r.status).toBe(400);
    expect(((await r.json()) as { details: { line: number } }).details.line).toBe(2);
    expect(await api.db.owner`SELECT 1 FROM statement_lines WHERE bank_ref = 'BOC-GBK-1'`).toHaveLength(0);
  });

  it('refuses a JSON body with bytes that are not UTF-8', async () => {
    const r = await upload(
      '/participants',
      t.treasury,
      bytes('{"kind":"bank","name":"', [0xc0, 0xaf], '","credit_code":"91350100M000100Y43"}'),
      'application/json',
    );
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/not UTF-8/);
  });

  it('refuses a tape or a statement whose header names a column twice, naming it', async () => {
    const tape = [
      `agreement_id,reference,borrower_credit_code,kind,principal,本金（分）,rate_bp,disbursed_on,matures_on`,
      `${agreementId},D-1,${borrower},credit,1000,99999999,400,2026-02-01,2027-02-01`,
    ].join('\n');
    const r = await upload('/loan-tapes', t.bank, tape);
    const body = (await r.json()) as { type: string; detail: string; errors: { path: string; message: string }[] };
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(body.detail).toContain('principal');
    expect(body.errors).toEqual([{ path: 'body', message: 'duplicate column principal' }]);
    const report = await upload('/loan-report-tapes', t.bank, 'reference,month,贷款编号\nX,2026-03,Y');
    expect(report.status).toBe(400);
    expect(((await report.json()) as { detail: string }).detail).toContain('reference');
    const statement = await upload(
      '/bank-statements',
      t.treasury,
      '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要,memo\n2026-01-10,BOC-DUP-1,贷,1.00,财政局,1.00,x,y',
    );
    const sb = (await statement.json()) as { detail: string };
    expect(statement.status, JSON.stringify(sb)).toBe(400);
    expect(sb.detail).toContain('memo');
    expect(await api.db.owner`SELECT 1 FROM statement_lines WHERE bank_ref = 'BOC-DUP-1'`).toHaveLength(0);
  });
});
