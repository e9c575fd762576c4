import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

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
      body: { effective_date: '2026-01-02', entries: [{ account: 'pool_cash', debit: '100' }, { account: 'fund_capital', credit: '100' }] },
    }),
    201,
  ).id;
  agreementId = await signAgreement(api, t, {
    name: 'Loans', terms: { per_loan_cap: '1', per_enterprise_year_cap: '1', per_bank_year_cap: '1', credit_line: '100000000000', eligible_kinds: ['credit'], max_principal: '100000000', max_term_months: 36, suspension_loss_bp: 10000 },
  });
  borrower = await registerEnterprise(api, t);
  loanId = expectStatus(await api.call('POST', `/v1/pools/${t.poolId}/loans`, { key: t.bank, body: validLoan('FUZZ-0') }), 201).id;
});
afterAll(() => api.close());

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

let loanRef = 0;
const validLoan = (reference = `FUZZ-${++loanRef}`) => ({
  agreement_id: agreementId, reference, borrower_credit_code: borrower, kind: 'credit', principal: '1000', rate_bp: 400, disbursed_on: '2026-02-01', matures_on: '2027-02-01',
});
const validReport = { month: '2026-03-01', outstanding: '900', overdue_principal: '0', overdue_interest: '0', days_past_due: 0, classification: 'normal' };

const routes = () => [
  { path: '/v1/pools', key: api.adminKey, valid: { name: 'Pool', currency: 'CNY' } },
  { path: '/v1/keys', key: t.treasury, valid: { role: 'auditor', pool_id: t.poolId, label: 'x' } },
  { path: `/v1/keys/1/revoke`, key: t.bank, valid: {} },
  { path: `/v1/pools/${t.poolId}/participants`, key: t.treasury, valid: { kind: 'bank', name: 'Bank', credit_code: '91350100M000100Y43' } },
  { path: `/v1/pools/${t.poolId}/accounts`, key: t.treasury, valid: { code: 'acct', name: 'Account', type: 'asset', currency: 'CNY' } },
  { path: `/v1/pools/${t.poolId}/transactions`, key: t.treasury, valid: { effective_date: '2026-01-03', entries: [{ account: 'fund_capital', debit: '1' }, { account: 'pool_cash', credit: '1' }] } },
  { path: `/v1/pools/${t.poolId}/transactions/${txId}/reversal`, key: t.treasury, valid: { effective_date: '2026-01-04' } },
  {
    path: `/v1/pools/${t.poolId}/agreements`,
    key: t.treasury,
    valid: {
      bank_id: t.bankId, insurer_id: t.insurerId, name: 'Fuzzed', effective_from: '2026-01-01',
      terms: {
        pool_share_bp: 2500, insurer_share_bp: 4500, bank_share_bp: 3000, public_ceiling_bp: 8000, per_loan_cap: '1', per_enterprise_year_cap: '1',
        per_bank_year_cap: '1', credit_line: '1', filing_window_days: 90, eligible_kinds: ['credit'], max_principal: '1', max_term_months: 12, suspension_loss_bp: 300,
      },
    },
  },
  { path: `/v1/pools/${t.poolId}/agreements/${agreementId}/terms`, key: t.treasury, valid: { effective_from: '2027-01-01', terms: { pool_share_bp: 1 } } },
  { path: `/v1/pools/${t.poolId}/agreements/${agreementId}/suspension`, key: t.treasury, valid: { suspended: false, reason: 'fuzz' } },
  { path: `/v1/pools/${t.poolId}/loans`, key: t.bank, valid: validLoan() },
  { path: `/v1/pools/${t.poolId}/loans/${loanId}/reports`, key: t.bank, valid: validReport },
  { path: `/v1/pools/${t.poolId}/loan-tapes?mode=accept_valid`, key: t.bank, valid: validLoan(), tape: true },
  { path: `/v1/pools/${t.poolId}/loan-report-tapes`, key: t.bank, valid: { ...validReport, reference: 'FUZZ-0' }, tape: true },
  { path: `/v1/pools/${t.poolId}/appropriations`, key: t.treasury, valid: { reference: 'A-1', amount: '100000', notified_on: '2026-01-05' } },
  { path: `/v1/pools/${t.poolId}/appropriations/A-1/receipt`, key: t.treasury, valid: { received_on: '2026-01-06' } },
  { path: `/v1/pools/${t.poolId}/interest`, key: t.treasury, valid: { reference: 'I-1', amount: '100', on: '2026-02-01' } },
  { path: `/v1/pools/${t.poolId}/returns`, key: t.treasury, valid: { reference: 'R-1', amount: '100', on: '2026-02-01' } },
  { path: `/v1/pools/${t.poolId}/claims`, key: t.bank, valid: { loan_id: loanId, loss_principal: '100', loss_interest: '0', documents: [{ name: 'a.pdf', sha256: 'a'.repeat(64) }] } },
  { path: `/v1/pools/${t.poolId}/claims/1/approve`, key: t.treasury, valid: { reason: 'fuzz' } },
  { path: `/v1/pools/${t.poolId}/loans/${loanId}/recoveries`, key: t.bank, valid: { reference: 'REC', recovered_on: '2026-05-01', gross: '100', costs: '0' } },
  { path: `/v1/pools/${t.poolId}/loans/${loanId}/recoveries/REC/receipt`, key: t.treasury, valid: { received_on: '2026-05-02' } },
  { path: `/v1/pools/${t.poolId}/award-budget`, key: t.treasury, valid: { reference: 'B-1', amount: '100', on: '2026-01-02' } },
  { path: `/v1/pools/${t.poolId}/awards`, key: t.treasury, valid: { programme: 'art8_regional', reference: 'L-1', beneficiary_id: t.bankId, item: 'listing', year: 2026, basis_amount: '0' } },
  { path: `/v1/pools/${t.poolId}/award-rounds`, key: t.treasury, valid: { programme: 'art3_innovation', year: 2026 } },
  { path: `/v1/pools/${t.poolId}/awards/1/approve`, key: t.treasury, valid: { reason: 'fuzz' } },
  { path: `/v1/pools/${t.poolId}/bank-statements`, key: t.treasury, valid: { date: '2026-03-05', reference: 'S-1', direction: 'C', amount: '1.00', balance: '1.00' }, tape: true },
  { path: `/v1/pools/${t.poolId}/bank-statements/lines/1/match`, key: t.treasury, valid: { transaction_id: '1', reason: 'fuzz' } },
  { path: `/v1/pools/${t.poolId}/bank-statements/lines/1/unmatch`, key: t.treasury, valid: { reason: 'fuzz' } },
  { path: `/v1/pools/${t.poolId}/periods/2026-01/close`, key: t.treasury, valid: {} },
];

/** A CSV tape of arbitrary cells under a header of known and unknown names. */
const csvTape = (valid: Record<string, unknown>) =>
  fc
    .tuple(fc.subarray([...Object.keys(valid), '贷款编号', '本金（分）', 'x'], { minLength: 1 }), fc.array(fc.array(fc.oneof(fc.string(), fc.constantFrom(...Object.values(valid).map(String))), { maxLength: 12 }), { maxLength: 5 }))
    .map(([header, rows]) => [header.join(','), ...rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))].join('\n'));

/** A valid body with one field replaced, dropped or added: the inputs most likely to slip through. */
const mutated = (valid: Record<string, unknown>) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(valid), 'extra'), fc.jsonValue()).map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
    fc.constantFrom(...Object.keys(valid), 'none').map((k) => JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k)))),
  );

const body = (valid: Record<string, unknown>) =>
  fc.oneof(mutated(valid), fc.json(), fc.string(), fc.constant(''), fc.constant('{"a":'), fc.constant('9'.repeat(400)));

const headers = (tape: boolean) => fc.record(
  {
    'idempotency-key': fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }), fc.constant('')),
    'content-type': tape
      ? fc.constantFrom('text/csv', 'text/csv; charset=utf-8', 'application/x-ndjson', 'application/json')
      : fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8'),
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
      fc.asyncProperty(route.tape ? fc.oneof(body(route.valid), csvTape(route.valid)) : body(route.valid), headers(route.tape ?? false), async (text, hdrs) => {
        const before = await writes();
        const safeHeaders = Object.fromEntries(Object.entries(hdrs).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v as string))) as Record<string, string>;
        const res = await api.app.request(route.path, { method: 'POST', body: text, headers: { ...safeHeaders, authorization: `Bearer ${route.key}` } });
        const answer = await res.text();
        expect(res.status, `${route.path} ${text} -> ${answer}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type'), answer).toContain('application/problem+json');
          const after = await writes();
          if (res.headers.get('idempotent-replayed') !== 'true') expect(after, `${route.path} wrote on ${res.status}: ${answer}`).toEqual(before);
        }
        cases++;
      }),
      { numRuns: RUNS },
    );
  }
  // Query strings on the read routes.
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('limit', 'cursor', 'after', 'as_of', 'from', 'to', 'seq', 'up_to', 'pool_id', 'format', 'year', 'status', 'overdue', 'unmatched'), fc.string({ maxLength: 50 }), async (name, value) => {
      for (const path of [
        `/v1/pools/${t.poolId}/accounts/pool_cash/statement`, `/v1/pools/${t.poolId}/trial-balance`, '/v1/events', `/v1/pools/${t.poolId}/chain/digest`,
        `/v1/pools/${t.poolId}/reconciliation`, `/v1/pools/${t.poolId}/reports/agreements`, `/v1/pools/${t.poolId}/claims`, `/v1/pools/${t.poolId}/bank-statements/lines`,
        `/v1/pools/${t.poolId}/position`, `/v1/pools/${t.poolId}/awards`,
      ]) {
        const res = await api.app.request(`${path}?${name}=${encodeURIComponent(value)}`, { headers: { authorization: `Bearer ${t.treasury}` } });
        expect(res.status, `${path}?${name}=${value}: ${await res.clone().text()}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
        cases++;
      }
    }),
    { numRuns: RUNS },
  );
  // Every write route RUNS times, and ten read routes RUNS times each: npm run test:reliability asks for
  // 400 runs, over 10,000 cases in all.
  expect(cases).toBe(RUNS * (routes().length + 10));
  if (process.env.FUZZ_RUNS) console.log(`fuzz: ${cases} cases`);
}, 300_000);
