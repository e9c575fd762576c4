import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import {
  bankClaim,
  defaultedLoan,
  fundPool,
  registerEnterprise,
  ROOMY_TERMS,
  signAgreement,
} from '../support/domain.js';

/**
 * Every write route gets arbitrary bodies, headers and ids: it never answers 5xx, every refusal is
 * problem+json, and a refused request writes nothing (no event, no ledger transaction, no key).
 */
let api: ApiFixture;
let t: Tenant;
let txId: string;
let agreementId: string;
let loanId: string;
let borrower: string;

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  txId = expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
      key: t.treasury,
      body: {
        effective_date: '2026-01-02',
        entries: [
          { account: 'pool_cash', debit: '100' },
          { account: 'fund_capital', credit: '100' },
        ],
      },
    }),
    201,
  ).id;
  agreementId = await signAgreement(api, t, {
    name: 'Loans',
    terms: {
      per_loan_cap: '1',
      per_enterprise_year_cap: '1',
      per_bank_year_cap: '1',
      credit_line: '100000000000',
      eligible_kinds: ['credit'],
      max_principal: '100000000',
      max_term_months: 36,
      suspension_loss_bp: 10000,
    },
  });
  borrower = await registerEnterprise(api, t);
  loanId = expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/loans`, { key: t.bank, body: validLoan('FUZZ-0') }),
    201,
  ).id;
});
afterAll(() => api.close());

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

let loanRef = 0;
const validLoan = (reference = `FUZZ-${++loanRef}`) => ({
  agreement_id: agreementId,
  reference,
  borrower_credit_code: borrower,
  kind: 'credit',
  principal: '1000',
  rate_bp: 400,
  disbursed_on: '2026-02-01',
  matures_on: '2027-02-01',
});
const validReport = {
  month: '2026-03-01',
  outstanding: '900',
  overdue_principal: '0',
  overdue_interest: '0',
  days_past_due: 0,
  classification: 'normal',
};

const routes = () => [
  { path: '/v1/pools', key: api.adminKey, valid: { name: 'Pool', currency: 'CNY' } },
  { path: '/v1/keys', key: t.treasury, valid: { role: 'auditor', pool_id: t.poolId, label: 'x' } },
  { path: `/v1/keys/1/revoke`, key: t.bank, valid: {} },
  {
    path: `/v1/pools/${t.poolId}/participants`,
    key: t.treasury,
    valid: { kind: 'bank', name: 'Bank', credit_code: '91350100M000100Y43' },
  },
  {
    path: `/v1/pools/${t.poolId}/accounts`,
    key: t.treasury,
    valid: { code: 'acct', name: 'Account', type: 'asset', currency: 'CNY' },
  },
  {
    path: `/v1/pools/${t.poolId}/transactions`,
    key: t.treasury,
    valid: {
      effective_date: '2026-01-03',
      entries: [
        { account: 'fund_capital', debit: '1' },
        { account: 'pool_cash', credit: '1' },
      ],
    },
  },
  {
    path: `/v1/pools/${t.poolId}/transactions/${txId}/reversal`,
    key: t.treasury,
    valid: { effective_date: '2026-01-04' },
  },
  {
    path: `/v1/pools/${t.poolId}/agreements`,
    key: t.treasury,
    valid: {
      bank_id: t.bankId,
      insurer_id: t.insurerId,
      name: 'Fuzzed',
      effective_from: '2026-01-01',
      terms: {
        pool_share_bp: 2500,
        insurer_share_bp: 4500,
        bank_share_bp: 3000,
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
    },
  },
  {
    path: `/v1/pools/${t.poolId}/agreements/${agreementId}/terms`,
    key: t.treasury,
    valid: { effective_from: '2027-01-01', terms: { pool_share_bp: 1 } },
  },
  {
    path: `/v1/pools/${t.poolId}/agreements/${agreementId}/suspension`,
    key: t.treasury,
    valid: { suspended: false, reason: 'fuzz' },
  },
  { path: `/v1/pools/${t.poolId}/loans`, key: t.bank, valid: validLoan() },
  { path: `/v1/pools/${t.poolId}/loans/${loanId}/reports`, key: t.bank, valid: validReport },
  { path: `/v1/pools/${t.poolId}/loan-tapes?mode=accept_valid`, key: t.bank, valid: validLoan(), tape: true },
  {
    path: `/v1/pools/${t.poolId}/loan-report-tapes`,
    key: t.bank,
    valid: { ...validReport, reference: 'FUZZ-0' },
    tape: true,
  },
  {
    path: `/v1/pools/${t.poolId}/appropriations`,
    key: t.treasury,
    valid: { reference: 'A-1', amount: '100000', notified_on: '2026-01-05' },
  },
  { path: `/v1/pools/${t.poolId}/appropriations/A-1/receipt`, key: t.treasury, valid: { received_on: '2026-01-06' } },
  {
    path: `/v1/pools/${t.poolId}/interest`,
    key: t.treasury,
    valid: { reference: 'I-1', amount: '100', on: '2026-02-01' },
  },
  {
    path: `/v1/pools/${t.poolId}/returns`,
    key: t.treasury,
    valid: { reference: 'R-1', amount: '100', on: '2026-02-01' },
  },
  {
    path: `/v1/pools/${t.poolId}/claims`,
    key: t.bank,
    valid: {
      loan_id: loanId,
      loss_principal: '100',
      loss_interest: '0',
      documents: [{ name: 'a.pdf', sha256: 'a'.repeat(64) }],
    },
  },
  { path: `/v1/pools/${t.poolId}/claims/1/approve`, key: t.treasury, valid: { reason: 'fuzz' } },
  {
    path: `/v1/pools/${t.poolId}/loans/${loanId}/recoveries`,
    key: t.bank,
    valid: { reference: 'REC', recovered_on: '2026-05-01', gross: '100', costs: '0' },
  },
  {
    path: `/v1/pools/${t.poolId}/loans/${loanId}/recoveries/REC/receipt`,
    key: t.treasury,
    valid: { received_on: '2026-05-02' },
  },
  {
    path: `/v1/pools/${t.poolId}/award-budget`,
    key: t.treasury,
    valid: { reference: 'B-1', amount: '100', on: '2026-01-02' },
  },
  {
    path: `/v1/pools/${t.poolId}/awards`,
    key: t.treasury,
    valid: {
      programme: 'art8_regional',
      reference: 'L-1',
      beneficiary_id: t.bankId,
      item: 'listing',
      year: 2026,
      basis_amount: '0',
    },
  },
  { path: `/v1/pools/${t.poolId}/award-rounds`, key: t.treasury, valid: { programme: 'art3_innovation', year: 2026 } },
  { path: `/v1/pools/${t.poolId}/awards/1/approve`, key: t.treasury, valid: { reason: 'fuzz' } },
  {
    path: `/v1/pools/${t.poolId}/bank-statements`,
    key: t.treasury,
    valid: { date: '2026-03-05', reference: 'S-1', direction: 'C', amount: '1.00', balance: '1.00' },
    tape: true,
  },
  {
    path: `/v1/pools/${t.poolId}/bank-statements/lines/1/match`,
    key: t.treasury,
    valid: { transaction_id: '1', reason: 'fuzz' },
  },
  { path: `/v1/pools/${t.poolId}/bank-statements/lines/1/unmatch`, key: t.treasury, valid: { reason: 'fuzz' } },
  {
    path: `/v1/pools/${t.poolId}/bank-statements/lines/1/book`,
    key: t.treasury,
    valid: { as: 'bank_charge', reason: 'fuzz', on: '2026-03-05' },
  },
  { path: `/v1/pools/${t.poolId}/periods/2026-01/close`, key: t.treasury, valid: {} },
];

/**
 * The input a hostile client sends: control characters (NUL first: PostgreSQL refuses it in text), lone
 * UTF-16 surrogates, text far past any field's length, and dates at the edges of the calendar.
 */
const CONTROL = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const around = (middle: fc.Arbitrary<string>) =>
  fc.tuple(fc.string({ maxLength: 8 }), middle, fc.string({ maxLength: 8 })).map(([a, m, b]) => a + m + b);
const hostileText = fc.oneof(
  { arbitrary: around(fc.constant('\u0000')), weight: 3 },
  { arbitrary: around(fc.oneof(CONTROL, fc.constantFrom('\u007f', '\u0085'))), weight: 2 },
  { arbitrary: around(fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))), weight: 2 },
  { arbitrary: fc.constantFrom('x'.repeat(5000), '=1+1', '\ufeff', '\u202e'), weight: 1 },
);
const farDate = fc.constantFrom(
  '9999-12-31',
  '1900-01-01',
  '0001-01-01',
  '1899-12-31',
  '2026-02-29',
  '+275760-09-13',
  '2026-13-01',
  '9999-12',
);
const hostileValue = fc.oneof({ arbitrary: hostileText, weight: 3 }, { arbitrary: farDate, weight: 1 });
/** A path segment or a query value carrying it, percent-encoded as a client would (a lone surrogate as CESU bytes). */
const encodeHostile = (v: string) =>
  v.isWellFormed()
    ? encodeURIComponent(v)
    : v.replace(/[\s\S]/g, (ch) => (ch.isWellFormed() ? encodeURIComponent(ch) : '%ED%A0%80'));

/** A CSV tape of arbitrary cells under a header of known and unknown names. */
const csvTape = (valid: Record<string, unknown>) =>
  fc
    .tuple(
      fc.subarray([...Object.keys(valid), '贷款编号', '本金（分）', 'x'], { minLength: 1 }),
      fc.array(
        fc.array(fc.oneof(fc.string(), hostileValue, fc.constantFrom(...Object.values(valid).map(String))), {
          maxLength: 12,
        }),
        { maxLength: 5 },
      ),
    )
    .map(([header, rows]) =>
      [
        header.join(','),
        ...rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')),
      ].join('\n'),
    );

/** A valid body with one field replaced, dropped or added: the inputs most likely to slip through. */
const mutated = (valid: Record<string, unknown>) =>
  fc.oneof(
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...Object.keys(valid), 'extra'), fc.jsonValue())
        .map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...Object.keys(valid), 'extra'), hostileValue)
        .map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom(...Object.keys(valid), 'none')
        .map((k) => JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k)))),
      weight: 1,
    },
  );

/** Bytes that are not UTF-8 (GBK, a lone continuation byte, an overlong form) inside a valid body. */
const notUtf8 = (valid: Record<string, unknown>) =>
  fc
    .tuple(
      fc.constantFrom(...Object.keys(valid), 'extra'),
      fc.constantFrom([0xd6, 0xd0], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]),
    )
    .map(([k, bad]) => {
      const [before, after] = JSON.stringify({ ...valid, [k]: '@' }).split('@') as [string, string];
      return new Uint8Array([...Buffer.from(before), ...bad, ...Buffer.from(after)]);
    });

const body = (valid: Record<string, unknown>) =>
  fc.oneof(
    { arbitrary: mutated(valid), weight: 6 },
    fc.json(),
    fc.string(),
    fc.constant(''),
    fc.constant('{"a":'),
    fc.constant('9'.repeat(400)),
    { arbitrary: notUtf8(valid), weight: 2 },
  );

const headers = (tape: boolean) =>
  fc.record(
    {
      'idempotency-key': fc.oneof({ arbitrary: fc.uuid(), weight: 3 }, fc.string({ maxLength: 300 }), fc.constant('')),
      'content-type': tape
        ? fc.constantFrom(
            'text/csv',
            'text/csv; charset=utf-8',
            'application/x-ndjson',
            'application/json',
            'text/plain',
            'text/csv; charset=gbk',
            'multipart/form-data; boundary=x',
          )
        : fc.constantFrom(
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=utf-8',
            'text/csv',
            'application/json; charset=gbk',
            'multipart/form-data; boundary=x',
            '',
          ),
      'x-request-id': fc.string({ maxLength: 300 }),
    },
    { requiredKeys: ['idempotency-key'] },
  );

const writes = async () => {
  const [row] = await api.db.owner<[Record<string, bigint>]>`
    SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM transactions) AS txs, (SELECT count(*) FROM api_keys) AS keys, (SELECT count(*) FROM agreements) AS agreements,
           (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM loan_reports) AS reports, (SELECT sum(used) FROM agreement_exposure)::int8 AS exposure,
           (SELECT count(*) FROM claims) AS claims, (SELECT count(*) FROM claim_steps) AS steps, (SELECT count(*) FROM appropriations) AS appropriations,
           (SELECT count(*) FROM recoveries) AS recoveries, (SELECT count(*) FROM awards) AS awards, (SELECT count(*) FROM statement_lines) AS lines,
           (SELECT count(*) FROM statement_matches) AS matches, (SELECT count(*) FROM ledger_closes) AS closes`;
  return row;
};

it('never answers 5xx, answers every refusal with problem+json, and writes nothing when it refuses', async () => {
  let cases = 0;
  for (const route of routes()) {
    await fc.assert(
      fc.asyncProperty(
        route.tape ? fc.oneof(body(route.valid), csvTape(route.valid)) : body(route.valid),
        headers(route.tape ?? false),
        async (text, hdrs) => {
          const before = await writes();
          const safeHeaders = Object.fromEntries(
            Object.entries(hdrs).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v as string)),
          ) as Record<string, string>;
          const res = await api.app.request(route.path, {
            method: 'POST',
            body: text,
            headers: { ...safeHeaders, authorization: `Bearer ${route.key}` },
          });
          const answer = await res.text();
          const sent = typeof text === 'string' ? text : Buffer.from(text).toString('hex');
          expect(res.status, `${route.path} ${JSON.stringify(hdrs)} ${sent} -> ${answer}`).toBeLessThan(500);
          // Text is taken as sent or refused, never stored altered: nothing comes back as U+FFFD that was not sent
          // so. A string body travels as UTF-8, where a lone surrogate of the string already is U+FFFD.
          const onTheWire = typeof text === 'string' ? text.toWellFormed() : sent;
          if (res.status < 300 && !onTheWire.includes('\ufffd'))
            expect(answer, `${route.path} ${sent}`).not.toContain('\ufffd');
          if (res.status >= 400) {
            expect(res.headers.get('content-type'), answer).toContain('application/problem+json');
            const after = await writes();
            if (res.headers.get('idempotent-replayed') !== 'true')
              expect(after, `${route.path} wrote on ${res.status}: ${answer}`).toEqual(before);
          }
          cases++;
        },
      ),
      { numRuns: RUNS },
    );
  }
  // Query strings on the read routes.
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        'limit',
        'cursor',
        'after',
        'as_of',
        'from',
        'to',
        'seq',
        'up_to',
        'pool_id',
        'format',
        'year',
        'status',
        'overdue',
        'unmatched',
        'programme',
        'on',
      ),
      fc.oneof(fc.string({ maxLength: 50 }), hostileValue),
      async (name, value) => {
        for (const path of [
          `/v1/pools/${t.poolId}/accounts/pool_cash/statement`,
          `/v1/pools/${t.poolId}/trial-balance`,
          '/v1/events',
          `/v1/pools/${t.poolId}/chain/digest`,
          `/v1/pools/${t.poolId}/reconciliation`,
          `/v1/pools/${t.poolId}/reports/agreements`,
          `/v1/pools/${t.poolId}/claims`,
          `/v1/pools/${t.poolId}/bank-statements/lines`,
          `/v1/pools/${t.poolId}/position`,
          `/v1/pools/${t.poolId}/awards`,
        ]) {
          const res = await api.app.request(`${path}?${name}=${encodeHostile(value)}`, {
            headers: { authorization: `Bearer ${t.treasury}` },
          });
          expect(res.status, `${path}?${name}=${value}: ${await res.clone().text()}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
          cases++;
        }
      },
    ),
    { numRuns: RUNS },
  );
  // Every write route RUNS times, and ten read routes RUNS times each: npm run test:reliability asks for
  // 400 runs, over 10,000 cases in all.
  expect(cases).toBe(RUNS * (routes().length + 10));
  if (process.env.FUZZ_RUNS) console.log(`fuzz: ${cases} cases`);
}, 300_000);

it('answers hostile text in a path segment with a problem, never 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      hostileValue,
      fc.constantFrom(
        `/v1/pools/${t.poolId}/appropriations/{}/receipt`,
        `/v1/pools/${t.poolId}/loans/${loanId}/recoveries/{}/receipt`,
      ),
      async (segment, template) => {
        const res = await api.app.request(template.replace('{}', encodeHostile(segment)), {
          method: 'POST',
          body: JSON.stringify({ received_on: '2026-05-02' }),
          headers: {
            authorization: `Bearer ${t.treasury}`,
            'idempotency-key': crypto.randomUUID(),
            'content-type': 'application/json',
          },
        });
        const answer = await res.text();
        expect(res.status, `${template} ${JSON.stringify(segment)} -> ${answer}`).toBeLessThan(500);
        // A segment may name a record the other properties made (a reference like "1900-01-01"): then it is
        // taken. Anything else is refused as a problem.
        if (res.status >= 300) expect(res.headers.get('content-type'), answer).toContain('application/problem+json');
      },
    ),
    { numRuns: RUNS },
  );
}, 120_000);

/**
 * The same decision sent several times at once, under one Idempotency-Key or several: a claim's step, a
 * month's close. One request takes it; each of the others replays it, answers that same close, or is
 * refused with 409; none fails, and the step is recorded once.
 */
it('takes a decision sent several times at once once, and never answers 5xx', async () => {
  const u = await api.tenant();
  const post = (key: string, path: string, body: unknown, idem?: string) =>
    api.call('POST', `/v1/pools/${u.poolId}${path}`, { key, body, idem });
  await fundPool(api, u, '100000000000');
  const agreement = await signAgreement(api, u, { terms: ROOMY_TERMS });
  const enterprise = await registerEnterprise(api, u);
  let n = 0;
  const newClaim = async () =>
    expectStatus(
      await bankClaim(api, u, await defaultedLoan(api, u, { agreement, borrower: enterprise, reference: `C-${++n}` })),
      201,
    ).id as string;
  const keyOf = (run: number, k: number) => `dup-${run}-${k}-${Math.random()}`;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('approve', 'defer', 'reject'),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 6 }),
      async (action, keys) => {
        const claim = await newClaim();
        const idems = [0, 1, 2].map((k) => keyOf(++run, k));
        const answers = await Promise.all(
          keys.map((k) => post(u.treasury, `/claims/${claim}/${action}`, { reason: 'at once' }, idems[k])),
        );
        for (const a of answers) {
          expect(a.status, a.text).toBeLessThan(500);
          expect([200, 409], a.text).toContain(a.status);
        }
        expect(
          answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') !== 'true'),
          answers.map((a) => a.text).join('\n'),
        ).toHaveLength(1);
        const expected = { approve: 'approved', defer: 'deferred', reject: 'rejected' }[action];
        const [steps] = await api.db.owner<
          [{ n: bigint }]
        >`SELECT count(*) AS n FROM claim_steps WHERE pool_id = ${u.poolId} AND claim_id = ${claim} AND status = ${expected}`;
        expect(steps.n).toBe(1n);
      },
    ),
    { numRuns: Math.max(5, Math.ceil(RUNS / 4)) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 6 }), async (keys) => {
      // A pool of its own for each run: months close in order, the first one anywhere.
      const pool = expectStatus(await api.call('POST', '/v1/pools', { body: { name: `close ${++run}` } }), 201)
        .id as string;
      const [treasury, checker] = await Promise.all(
        [1, 2].map(
          async () =>
            expectStatus(await api.call('POST', '/v1/keys', { body: { role: 'treasury', pool_id: pool } }), 201)
              .key as string,
        ),
      );
      // Under four-eyes (a new pool's rule): one person proposes the close, another confirms it many times at once.
      const close = `/v1/pools/${pool}/periods/2026-03/close`;
      expectStatus(await api.call('POST', close, { key: treasury }), 202);
      const idems = [0, 1, 2].map((k) => keyOf(run, k));
      const answers = await Promise.all(keys.map((k) => api.call('POST', close, { key: checker, idem: idems[k] })));
      for (const a of answers) {
        expect(a.status, a.text).toBeLessThan(500);
        expect([200, 409], a.text).toContain(a.status);
      }
      const closes = answers.filter((a) => a.status === 200);
      expect(closes.length, answers.map((a) => a.text).join('\n')).toBeGreaterThan(0);
      expect(new Set(closes.map((a) => a.body.chain_hash + a.body.closed_at)).size).toBe(1);
      const [row] = await api.db.owner<
        [{ n: bigint }]
      >`SELECT count(*) AS n FROM ledger_closes WHERE pool_id = ${pool}`;
      expect(row.n).toBe(1n);
    }),
    { numRuns: Math.max(5, Math.ceil(RUNS / 4)) },
  );
}, 300_000);
