import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

/**
 * Every route x every role, on the caller's own pool and on another tenant's: the expected status is
 * written down here. Another tenant's resource answers exactly like a missing one (404) wherever the role
 * may use the route at all; where it may not, 403 says nothing about what exists.
 */
let api: ApiFixture;
let own: Tenant;
let other: Tenant;
let ownTx: string;
let otherTx: string;

beforeAll(async () => {
  api = await apiFixture();
  own = await api.tenant();
  other = await api.tenant();
  for (const t of [own, other]) await api.openAccounts(t);
  const fund = (t: Tenant) =>
    api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
      key: t.treasury,
      body: {
        effective_date: '2026-03-01',
        entries: [
          { account: 'pool_cash', debit: '100000' },
          { account: 'fund_capital', credit: '100000' },
        ],
      },
    });
  ownTx = expectStatus(await fund(own), 201).id;
  otherTx = expectStatus(await fund(other), 201).id;
  for (const t of [own, other]) {
    const borrower = newCreditCode();
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
        key: t.treasury,
        body: {
          kind: 'enterprise',
          name: 'Borrower',
          credit_code: borrower,
          enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-01-01' },
        },
      }),
      201,
    );
    const agreementId = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/agreements`, { key: t.treasury, body: agreement(t, 'Matrix') }),
      201,
    ).id;
    const spareBankId = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
        key: t.treasury,
        body: { kind: 'bank', name: 'Spare bank', credit_code: newCreditCode() },
      }),
      201,
    ).id;
    const book = {
      agreementId,
      borrower,
      loanId: '',
      loanRef: `M-${t.poolId}`,
      spareBankId,
      defaultedId: '',
      claimId: '',
      awardId: '',
    };
    books.set(t.poolId, book);
    book.loanId = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/loans`, { key: t.bank, body: loan(t, book.loanRef) }),
      201,
    ).id;
    // Two defaulted loans: one already claimed on (for the claim routes), one for a new claim.
    const defaultedLoan = async (reference: string) => {
      const id = expectStatus(
        await api.call('POST', `/v1/pools/${t.poolId}/loans`, { key: t.bank, body: loan(t, reference) }),
        201,
      ).id;
      // Disbursed on 2026-02-01: by the end of June it can be 95 days past due.
      const report = {
        month: '2026-06-01',
        outstanding: '1000',
        overdue_principal: '1000',
        overdue_interest: '0',
        days_past_due: 95,
        classification: 'substandard',
      };
      expectStatus(
        await api.call('POST', `/v1/pools/${t.poolId}/loans/${id}/reports`, { key: t.bank, body: report }),
        201,
      );
      return id as string;
    };
    const claimed = await defaultedLoan(`D1-${t.poolId}`);
    book.defaultedId = await defaultedLoan(`D2-${t.poolId}`);
    book.claimId = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/claims`, { key: t.bank, body: claim(claimed) }),
      201,
    ).id;
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/appropriations`, {
        key: t.treasury,
        body: { reference: 'AP-1', amount: '100', notified_on: '2026-03-01' },
      }),
      201,
    );
    book.awardId = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/awards`, { key: t.treasury, body: award(t.bankId) }),
      201,
    ).id;
  }
});

interface Book {
  agreementId: string;
  borrower: string;
  loanId: string;
  loanRef: string;
  spareBankId: string;
  defaultedId: string;
  claimId: string;
  awardId: string;
}
const books = new Map<string, Book>();
const book = (t: Tenant) => books.get(t.poolId)!;
const agreement = (t: Tenant, name: string) => ({
  bank_id: t.bankId,
  insurer_id: t.insurerId,
  name,
  effective_from: '2026-01-01',
  terms: {
    pool_share_bp: 2500,
    insurer_share_bp: 4500,
    bank_share_bp: 3000,
    public_ceiling_bp: 8000,
    per_loan_cap: '1',
    per_enterprise_year_cap: '1',
    per_bank_year_cap: '1',
    credit_line: '100000000',
    filing_window_days: 3650,
    eligible_kinds: ['credit'],
    max_principal: '100000',
    max_term_months: 36,
    suspension_loss_bp: 10000,
  },
});
const loan = (t: Tenant, reference = `M-${Math.random()}`) => ({
  agreement_id: book(t).agreementId,
  reference,
  borrower_credit_code: book(t).borrower,
  kind: 'credit',
  principal: '1000',
  rate_bp: 400,
  disbursed_on: '2026-02-01',
  matures_on: '2027-02-01',
});
const csv = { 'content-type': 'text/csv' };
const claim = (loanId: string) => ({
  loan_id: loanId,
  loss_principal: '1000',
  documents: [{ name: 'notice.pdf', sha256: 'b'.repeat(64) }],
});
const award = (beneficiary?: string) => ({
  programme: 'art1_innovation',
  reference: `AW-${Math.random()}`,
  ...(beneficiary ? { beneficiary_id: beneficiary } : {}),
  item: 'year:2026',
  year: 2026,
  basis_amount: '0',
});
const statementCsv = () => `date,reference,direction,amount,balance\n2026-03-05,S-${Math.random()},C,1.00,1.00`;
const money = () => ({ reference: `M-${Math.random()}`, amount: '100', on: '2026-03-05' });
const loanTape = (t: Tenant) =>
  `agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on\n${Object.values(loan(t)).join(',')}`;
const reportTape = (t: Tenant) =>
  `reference,month,outstanding,overdue_principal,overdue_interest,days_past_due,classification\n${book(t).loanRef},2026-04-01,800,0,0,0,normal`;
afterAll(() => api.close());

type Who = 'admin' | 'treasury' | 'auditor' | 'bank' | 'insurer' | 'nobody';
const WHO: Who[] = ['admin', 'treasury', 'auditor', 'bank', 'insurer', 'nobody'];
const keyOf = (who: Who, t: Tenant): string | null =>
  who === 'admin'
    ? api.adminKey
    : who === 'nobody'
      ? null
      : { treasury: t.treasury, auditor: t.auditor, bank: t.bank, insurer: t.insurer }[who];

interface Route {
  name: string;
  method: 'GET' | 'POST';
  /** The path on a pool (own or other), and the body. */
  path: (pool: Tenant, tx: string) => string;
  body?: (pool: Tenant) => unknown;
  headers?: Record<string, string>;
  /** Expected status per caller on its own pool, then on the other tenant's. */
  own: Record<Who, number>;
  other: Record<Who, number>;
}

const all = (status: number, overrides: Partial<Record<Who, number>> = {}): Record<Who, number> => ({
  admin: status,
  treasury: status,
  auditor: status,
  bank: status,
  insurer: status,
  nobody: 401,
  ...overrides,
});
const readers = {
  own: all(200, { bank: 403, insurer: 403 }),
  other: all(404, { admin: 200, bank: 403, insurer: 403 }),
};
const treasuryWrite = (status: number) => ({ own: all(403, { treasury: status }), other: all(403, { treasury: 404 }) });
const tx = (t: Tenant, amount: string) => ({
  effective_date: '2026-03-02',
  entries: [
    { account: 'fund_capital', debit: amount },
    { account: 'pool_cash', credit: amount },
  ],
});

const routes: Route[] = [
  {
    name: 'create pool',
    method: 'POST',
    path: () => '/v1/pools',
    body: () => ({ name: 'matrix' }),
    own: all(403, { admin: 201 }),
    other: all(403, { admin: 201 }),
  },
  {
    name: 'read pool',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'register participant',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/participants`,
    body: () => ({ kind: 'bank', name: `Bank ${Math.random()}`, credit_code: newCreditCode() }),
    ...treasuryWrite(201),
  },
  {
    name: 'list participants',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/participants`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'read participant',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/participants/${t.bankId}`,
    own: all(200, { insurer: 404 }),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'issue key',
    method: 'POST',
    path: () => '/v1/keys',
    body: (t) => ({ role: 'auditor', pool_id: t.poolId }),
    own: all(403, { admin: 201, treasury: 201 }),
    other: all(403, { admin: 201, treasury: 404 }),
  },
  {
    name: 'list keys',
    method: 'GET',
    path: (t) => `/v1/keys?pool_id=${t.poolId}`,
    own: all(403, { admin: 200, treasury: 200 }),
    other: all(403, { admin: 200, treasury: 404 }),
  },
  { name: 'list accounts', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/accounts`, ...readers },
  {
    name: 'open account',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/accounts`,
    body: () => ({ code: `a${Math.floor(Math.random() * 1e9)}`, name: 'x', type: 'asset' }),
    ...treasuryWrite(201),
  },
  { name: 'balance', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/accounts/pool_cash/balance`, ...readers },
  { name: 'statement', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/accounts/pool_cash/statement`, ...readers },
  {
    name: 'post journal entry',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/transactions`,
    body: (t) => tx(t, '1'),
    ...treasuryWrite(201),
  },
  { name: 'read transaction', method: 'GET', path: (t, id) => `/v1/pools/${t.poolId}/transactions/${id}`, ...readers },
  {
    name: 'find transaction by external id',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/transactions?external_id=matrix`,
    ...readers,
  },
  { name: 'trial balance', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/trial-balance`, ...readers },
  { name: 'verify chain', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/chain/verify`, ...readers },
  { name: 'digest', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/chain/digest`, ...readers },
  {
    name: 'event feed',
    method: 'GET',
    path: (t) => `/v1/events?pool_id=${t.poolId}`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'sign agreement',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/agreements`,
    body: (t) => ({ ...agreement(t, 'Spare'), bank_id: book(t).spareBankId }),
    ...treasuryWrite(201),
  },
  {
    name: 'read agreement',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/agreements/${book(t).agreementId}`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'new terms',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/agreements/${book(t).agreementId}/terms`,
    body: (t) => ({ effective_from: '2027-01-01', terms: agreement(t, '').terms }),
    ...treasuryWrite(201),
  },
  {
    name: 'enrol loan',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loans`,
    body: (t) => loan(t),
    own: all(403, { bank: 201 }),
    other: all(403, { bank: 404 }),
  },
  {
    name: 'list loans',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/loans`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  // The book's loans are uninsured credit loans: the agreement's insurer is party to none of them.
  {
    name: 'read loan',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/loans/${book(t).loanId}`,
    own: all(200, { insurer: 404 }),
    other: all(404, { admin: 200 }),
  },
  {
    name: "read a loan's reports",
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/loans/${book(t).loanId}/reports`,
    own: all(200, { insurer: 404 }),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'report on loan',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loans/${book(t).loanId}/reports`,
    body: () => ({
      month: '2026-03-01',
      outstanding: '900',
      overdue_principal: '0',
      overdue_interest: '0',
      days_past_due: 0,
      classification: 'normal',
    }),
    own: all(403, { bank: 201 }),
    other: all(403, { bank: 404 }),
  },
  {
    name: 'loan tape',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loan-tapes`,
    body: loanTape,
    headers: csv,
    own: all(403, { bank: 200 }),
    other: all(403, { bank: 404 }),
  },
  {
    name: 'report tape',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loan-report-tapes`,
    body: reportTape,
    headers: csv,
    own: all(403, { bank: 200 }),
    other: all(403, { bank: 404 }),
  },
  {
    name: 'notify appropriation',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/appropriations`,
    body: () => ({ reference: `A-${Math.random()}`, amount: '100', notified_on: '2026-03-01' }),
    ...treasuryWrite(201),
  },
  {
    name: 'credit interest',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/interest`,
    body: money,
    ...treasuryWrite(201),
  },
  { name: 'pool position', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/position`, ...readers },
  {
    name: 'file claim',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/claims`,
    body: (t) => claim(book(t).defaultedId),
    own: all(403, { bank: 201, insurer: 404, nobody: 401 }),
    other: all(403, { bank: 404, insurer: 404 }),
  },
  {
    name: 'list claims',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/claims`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'read claim',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/claims/${book(t).claimId}`,
    own: all(200, { insurer: 404 }),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'approve claim',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/claims/${book(t).claimId}/approve`,
    body: () => ({ reason: 'matrix' }),
    ...treasuryWrite(200),
  },
  {
    name: 'report recovery',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loans/${book(t).defaultedId}/recoveries`,
    body: () => ({ reference: 'R-1', recovered_on: '2026-05-01', gross: '100' }),
    own: all(403, { bank: 422 }),
    other: all(403, { bank: 404 }),
  },
  {
    name: 'fund award budget',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/award-budget`,
    body: money,
    ...treasuryWrite(201),
  },
  {
    name: 'run award round',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/award-rounds`,
    body: () => ({ programme: 'art3_innovation', year: 2026 }),
    ...treasuryWrite(200),
  },
  {
    name: 'list awards',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/awards`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'incentive programmes',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/incentive-programmes`,
    own: all(200),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'receive appropriation',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/appropriations/AP-1/receipt`,
    body: () => ({ received_on: '2026-03-02' }),
    ...treasuryWrite(200),
  },
  {
    name: 'return to treasury',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/returns`,
    body: money,
    ...treasuryWrite(201),
  },
  {
    name: 'receive recovery',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/loans/${book(t).defaultedId}/recoveries/R-1/receipt`,
    body: () => ({ received_on: '2026-05-02' }),
    ...treasuryWrite(404),
  },
  {
    name: 'apply for award',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/awards`,
    body: (t) => award(t.bankId),
    own: all(403, { treasury: 201, bank: 201 }),
    other: all(403, { treasury: 404, bank: 404 }),
  },
  {
    name: 'read award',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/awards/${book(t).awardId}`,
    own: all(200, { insurer: 404 }),
    other: all(404, { admin: 200 }),
  },
  {
    name: 'approve award',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/awards/${book(t).awardId}/approve`,
    body: () => ({ reason: 'matrix' }),
    ...treasuryWrite(200),
  },
  {
    name: 'import bank statement',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/bank-statements`,
    body: statementCsv,
    headers: csv,
    ...treasuryWrite(200),
  },
  { name: 'statement lines', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/bank-statements/lines`, ...readers },
  {
    name: 'match statement line',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/bank-statements/lines/999999/match`,
    body: () => ({ transaction_id: '1', reason: 'x' }),
    ...treasuryWrite(404),
  },
  {
    name: 'book statement line',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/bank-statements/lines/999999/book`,
    body: () => ({ as: 'bank_charge', reason: 'x' }),
    ...treasuryWrite(404),
  },
  {
    name: 'unmatch statement line',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/bank-statements/lines/999999/unmatch`,
    body: () => ({ reason: 'x' }),
    ...treasuryWrite(404),
  },
  {
    name: 'reconciliation',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/reconciliation?as_of=2026-12-31`,
    ...readers,
  },
  { name: 'report', method: 'GET', path: (t) => `/v1/pools/${t.poolId}/reports/claims`, ...readers },
  {
    name: 'close month',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/periods/2026-01/close`,
    body: () => ({}),
    ...treasuryWrite(200),
  },
  {
    name: 'check month',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/periods/2026-01`,
    own: all(200, { bank: 403, insurer: 403 }),
    other: all(404, { bank: 403, insurer: 403 }),
  },
  {
    name: 'list agreements',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/agreements`,
    own: all(200),
    other: all(404, { admin: 200, bank: 404, insurer: 404 }),
  },
  {
    name: 'list proposals',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/proposals`,
    ...readers,
  },
  {
    name: 'read a proposal',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/proposals/999999`,
    own: all(404, { bank: 403, insurer: 403 }),
    other: all(404, { bank: 403, insurer: 403 }),
  },
  {
    name: 'withdraw a proposal',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/proposals/999999/withdraw`,
    body: () => ({}),
    own: all(404, { bank: 403, insurer: 403 }),
    other: all(404, { bank: 403, insurer: 403 }),
  },
  {
    name: "set the pool's rules",
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/settings`,
    body: () => ({ four_eyes: false }),
    own: all(403, { admin: 200 }),
    other: all(403, { admin: 200 }),
  },
  {
    name: 'list people',
    method: 'GET',
    path: () => '/v1/people',
    own: all(403, { admin: 200, treasury: 200 }),
    other: all(403, { admin: 200, treasury: 200 }),
  },
  {
    name: 'create a person',
    method: 'POST',
    path: () => '/v1/people',
    body: (t) => ({
      login: `p${Math.random().toString(36).slice(2, 10)}`,
      name: 'P',
      role: 'auditor',
      pool_id: t.poolId,
    }),
    own: all(403, { admin: 201, treasury: 201 }),
    other: all(403, { admin: 201, treasury: 404 }),
  },
  {
    name: 'disable a person',
    method: 'POST',
    path: () => '/v1/people/999999/disable',
    body: () => ({}),
    own: all(403, { admin: 404, treasury: 404 }),
    other: all(403, { admin: 404, treasury: 404 }),
  },
  {
    name: 'read the audit log',
    method: 'GET',
    path: (t) => `/v1/pools/${t.poolId}/audit`,
    ...readers,
  },
  {
    name: 'suspend agreement',
    method: 'POST',
    path: (t) => `/v1/pools/${t.poolId}/agreements/${book(t).agreementId}/suspension`,
    body: () => ({ suspended: true, reason: 'matrix' }),
    ...treasuryWrite(200),
  },
];

it('answers every route for every role as written down, and leaks nothing across tenants', async () => {
  const mismatches: string[] = [];
  let checked = 0;
  for (const route of routes) {
    for (const who of WHO) {
      for (const [where, expected] of [
        ['own', route.own[who]],
        ['other', route.other[who]],
      ] as const) {
        // The caller is always one of `own`'s keys (or the admin); `other` is the pool it reaches into.
        const target = where === 'own' ? own : other;
        const r = await api.call(route.method, route.path(target, where === 'own' ? ownTx : otherTx), {
          key: keyOf(who, own),
          body: route.body?.(target),
          headers: route.headers,
        });
        checked++;
        if (r.status !== expected)
          mismatches.push(
            `${route.name} as ${who} on ${where} pool: expected ${expected}, got ${r.status} ${r.text.slice(0, 120)}`,
          );
        if (r.status >= 400) expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
    }
  }
  expect(mismatches).toEqual([]);
  expect(checked).toBe(routes.length * WHO.length * 2);
});

it('reverses and revokes only for the treasury of the pool (or the admin, for keys)', async () => {
  for (const who of WHO) {
    const key = keyOf(who, own);
    const fresh = expectStatus(
      await api.call('POST', `/v1/pools/${own.poolId}/transactions`, { key: own.treasury, body: tx(own, '5') }),
      201,
    ).id;
    const r = await api.call('POST', `/v1/pools/${own.poolId}/transactions/${fresh}/reversal`, {
      key,
      body: { effective_date: '2026-03-03' },
    });
    expect(r.status, `${who}: ${r.text}`).toBe(who === 'treasury' ? 201 : who === 'nobody' ? 401 : 403);
    const across = await api.call('POST', `/v1/pools/${other.poolId}/transactions/${otherTx}/reversal`, {
      key,
      body: { effective_date: '2026-03-03' },
    });
    expect(across.status, `${who} on the other pool: ${across.text}`).toBe(
      who === 'treasury' ? 404 : who === 'nobody' ? 401 : 403,
    );
  }
  for (const who of WHO) {
    const victim = expectStatus(
      await api.call('POST', '/v1/keys', { key: other.treasury, body: { role: 'auditor', pool_id: other.poolId } }),
      201,
    );
    const r = await api.call('POST', `/v1/keys/${victim.id}/revoke`, { key: keyOf(who, own) });
    expect(r.status, `${who} revoking another pool's key: ${r.text}`).toBe(
      who === 'admin' ? 200 : who === 'treasury' ? 404 : who === 'nobody' ? 401 : 403,
    );
  }
});
