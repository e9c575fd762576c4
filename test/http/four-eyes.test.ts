import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
 * Four-eyes on money, the default of every pool: a money decision is proposed by one person of the treasury
 * and carried out when another confirms it; the same person never does both, not through a second key of
 * their own; confirmations sent at once carry it out once.
 */
let api: ApiFixture;
let t: Tenant;
let agreement: string;
let enterprise: string;

const post = (key: string, path: string, body: unknown = {}) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
const get = (key: string, path: string) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key });
/** Another person of the treasury, issued by the admin. */
const person = async (label: string) =>
  expectStatus(await api.call('POST', '/v1/keys', { body: { role: 'treasury', pool_id: t.poolId, label } }), 201)
    .key as string;

let n = 0;
const defaultedClaim = async () =>
  expectStatus(
    await bankClaim(api, t, await defaultedLoan(api, t, { agreement, borrower: enterprise, reference: `FE-${++n}` })),
    201,
  ).id as string;

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant(undefined, { fourEyes: true });
  // Funding is not a decision under four-eyes: the money comes in as the treasury notifies and receives it.
  await fundPool(api, t, '10000000');
  agreement = await signAgreement(api, t, { terms: ROOMY_TERMS });
  enterprise = await registerEnterprise(api, t);
});
afterAll(() => api.close());

describe('a claim under four-eyes', () => {
  it('is reviewed by one person, approved by another, proposed for payment and paid by another', async () => {
    const claim = await defaultedClaim();
    const review = await post(t.treasury, `/claims/${claim}/approve`, { reason: '初审：材料齐全' });
    expect(review.status, review.text).toBe(202);
    expect(review.body).toMatchObject({
      decision: 'claim.approve',
      subject: `claim/${claim}`,
      status: 'pending',
      reason: '初审：材料齐全',
      confirm_with: { method: 'POST', path: `/v1/pools/${t.poolId}/claims/${claim}/approve` },
    });
    expect(review.headers.get('location')).toBe(`/v1/pools/${t.poolId}/proposals/${review.body.id}`);
    // Proposed, not decided: nothing is reserved yet.
    expect(expectStatus(await get(t.treasury, `/claims/${claim}`), 200).status).toBe('submitted');

    // The proposer cannot confirm, with the same key or with one it issued itself.
    const again = await post(t.treasury, `/claims/${claim}/approve`, { reason: '复审' });
    expect(again.status, again.text).toBe(403);
    expect(again.body.type).toMatch(/\/four-eyes$/);
    const second = expectStatus(
      await api.call('POST', '/v1/keys', { key: t.treasury, body: { role: 'treasury', pool_id: t.poolId } }),
      201,
    ).key as string;
    const viaSecond = await post(second, `/claims/${claim}/approve`, { reason: '复审' });
    expect(viaSecond.status, viaSecond.text).toBe(403);
    expect(viaSecond.body.type).toMatch(/\/four-eyes$/);

    // Another person approves (复审/审批): the amount is reserved.
    const approved = expectStatus(await post(t.checker, `/claims/${claim}/approve`, { reason: '审批通过' }), 200);
    expect(approved.status).toBe('approved');

    // Payment: proposed by the checker this time, confirmed by the first person.
    expect((await post(t.checker, `/claims/${claim}/pay`, { reason: '支付' })).status).toBe(202);
    expect((await post(t.checker, `/claims/${claim}/pay`, { reason: '支付' })).status).toBe(403);
    const paid = expectStatus(await post(t.treasury, `/claims/${claim}/pay`, { reason: '复核支付' }), 200);
    expect(paid.status).toBe('paid');

    const steps = expectStatus(await get(t.auditor, `/claims/${claim}`), 200).steps;
    expect(steps.map((s: { status: string }) => s.status)).toEqual(['submitted', 'approved', 'paid']);
    const proposals = expectStatus(await get(t.auditor, `/proposals?subject=claim/${claim}`), 200).data;
    expect(proposals.map((p: { decision: string; status: string }) => [p.decision, p.status])).toEqual([
      ['claim.approve', 'confirmed'],
      ['claim.pay', 'confirmed'],
    ]);
    expect(proposals[0].proposed_by).not.toBe(proposals[0].decided_by);
    expect(expectStatus(await get(t.treasury, '/position'), 200)).toMatchObject({
      compensation_paid: { amount: expect.any(String), currency: 'CNY' },
    });
  });

  it('pays once when several other people confirm the payment at once', async () => {
    const claim = await defaultedClaim();
    expect((await post(t.treasury, `/claims/${claim}/approve`, { reason: '初审' })).status).toBe(202);
    expectStatus(await post(t.checker, `/claims/${claim}/approve`, { reason: '审批' }), 200);
    expect((await post(t.treasury, `/claims/${claim}/pay`, { reason: '支付' })).status).toBe(202);
    const others = await Promise.all([1, 2, 3].map((i) => person(`reviewer ${i}`)));
    const answers = await Promise.all(
      [...others, ...others, t.checker].map((key) => post(key, `/claims/${claim}/pay`, { reason: '复核' })),
    );
    for (const a of answers) expect([200, 409], a.text).toContain(a.status);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const [row] = await api.db.owner<[{ n: bigint }]>`
      SELECT count(*) AS n FROM transactions t JOIN ledger_requests r ON r.pool_id = t.pool_id AND r.transaction_id = t.id
       WHERE t.pool_id = ${t.poolId} AND r.external_id LIKE ${`claim:${claim}:pay%`}`;
    expect(row.n).toBe(1n);
    expect(expectStatus(await get(t.treasury, `/claims/${claim}`), 200).status).toBe('paid');
  });

  it('refuses to propose a decision that cannot be taken, and lets the proposer withdraw', async () => {
    const claim = await defaultedClaim();
    // Payment of a claim not approved is refused before anything is proposed.
    expect((await post(t.treasury, `/claims/${claim}/pay`, { reason: 'too soon' })).status).toBe(409);
    expect(expectStatus(await get(t.treasury, `/proposals?subject=claim/${claim}`), 200).data).toEqual([]);
    const proposed = await post(t.treasury, `/claims/${claim}/approve`, { reason: 'a slip' });
    expect(proposed.status).toBe(202);
    const withdrawn = expectStatus(await post(t.treasury, `/proposals/${proposed.body.id}/withdraw`), 200);
    expect(withdrawn.status).toBe('withdrawn');
    // Withdrawn, it is gone from the inbox; a new proposal can be made.
    const inbox = expectStatus(await get(t.treasury, '/proposals?status=pending'), 200).data;
    expect(inbox.map((p: { id: string }) => p.id)).not.toContain(proposed.body.id);
    expect((await post(t.treasury, `/claims/${claim}/approve`, { reason: '初审' })).status).toBe(202);
    // Banks and insurers see no proposals.
    expect((await get(t.bank, '/proposals')).status).toBe(403);
  });
});

describe('the other money decisions under four-eyes', () => {
  it('closes a month and reverses a transaction only when a second person confirms, as proposed', async () => {
    // January's 100,000.00 received is in the ledger, and no statement is: the month does not reconcile.
    expect((await post(t.treasury, '/periods/2026-01/close')).body.type).toMatch(/unreconciled$/);
    const reason = '专户对账单尚未收到，下月补对 (the statement is late; reconciled next month)';
    const proposed = await post(t.treasury, '/periods/2026-01/close', { reason });
    expect(proposed.status, proposed.text).toBe(202);
    expect(proposed.body).toMatchObject({ reason, body: { unreconciled_difference: '-10000000' } });
    expect((await get(t.auditor, '/periods/2026-01')).status).toBe(404);
    // The second person confirms the close as proposed, the difference the first one saw, with its reason.
    const closed = expectStatus(await post(t.checker, '/periods/2026-01/close'), 200);
    expect(closed.month).toBe('2026-01');
    expect(closed.reconciliation).toMatchObject({ reconciled: false, difference: { amount: '-10000000' }, reason });
    // Closing again answers the close, without a proposal.
    expect((await post(t.treasury, '/periods/2026-01/close')).status).toBe(200);

    // A manual entry to reverse (a journal posting is the treasury's own record, not a decision under four-eyes).
    const id = expectStatus(
      await post(t.treasury, '/transactions', {
        effective_date: '2026-02-01',
        entries: [
          { account: 'appropriation_receivable', debit: '7' },
          { account: 'fund_capital', credit: '7' },
        ],
      }),
      201,
    ).id as string;
    const body = { effective_date: '2026-02-02', description: '冲正：重复入账' };
    expect((await post(t.treasury, `/transactions/${id}/reversal`, body)).status).toBe(202);
    // Confirmed as proposed only: another date is another decision.
    const other = await post(t.checker, `/transactions/${id}/reversal`, { ...body, effective_date: '2026-02-03' });
    expect(other.status, other.text).toBe(409);
    const reversed = await post(t.checker, `/transactions/${id}/reversal`, body);
    expect(reversed.status, reversed.text).toBe(201);
  });

  it("books a statement line as the bank's charge only when a second person confirms it, as proposed", async () => {
    const imported = await api.call('POST', `/v1/pools/${t.poolId}/bank-statements`, {
      key: t.treasury,
      headers: { 'content-type': 'text/csv' },
      body: [
        '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
        '2026-03-25,BOC2026032500042,借,15.00,中国银行大连高新园区支行,"99,985.00",账户管理费',
      ].join('\n'),
    });
    expect(imported.status, imported.text).toBe(200);
    const line = expectStatus(await get(t.auditor, '/bank-statements/lines?unmatched=true'), 200).data.find(
      (l: { reference: string }) => l.reference === 'BOC2026032500042',
    );
    const path = `/bank-statements/lines/${line.id}/book`;
    // A booking that could not be made is refused, not proposed.
    expect((await post(t.treasury, path, { as: 'interest', reason: 'x' })).body.details).toMatchObject({ field: 'as' });
    expect(expectStatus(await get(t.auditor, '/proposals?status=pending'), 200).data).not.toContainEqual(
      expect.objectContaining({ decision: 'statement.book' }),
    );
    const reason = '3月账户管理费，见银行收费回单';
    const proposed = await post(t.treasury, path, { as: 'bank_charge', reason });
    expect(proposed.status, proposed.text).toBe(202);
    expect(proposed.body).toMatchObject({ decision: 'statement.book', body: { as: 'bank_charge' }, reason });
    // Nothing is booked yet, and the proposer cannot confirm their own proposal.
    expect((await get(t.auditor, '/bank-statements/lines?unmatched=true')).body.data).toContainEqual(
      expect.objectContaining({ id: line.id, matched_transaction: null }),
    );
    expect((await post(t.treasury, path, { as: 'bank_charge', reason })).body.type).toMatch(/four-eyes$/);
    // Another date is another decision; as proposed, the second person books it, with the proposer's reason.
    expect((await post(t.checker, path, { as: 'bank_charge', reason, on: '2026-03-31' })).status).toBe(409);
    const booked = expectStatus(await post(t.checker, path, { as: 'bank_charge', reason: '同意' }), 201);
    expect(booked.line).toMatchObject({ id: line.id, matched_transaction: booked.transaction_id });
    const [match] = await api.db.owner<{ reason: string }[]>`
      SELECT reason FROM statement_matches WHERE pool_id = ${t.poolId} AND line_id = ${line.id}`;
    expect(match!.reason).toBe(`booked as bank charge: ${reason}`);
    // Booked, the line is not booked twice.
    expect((await post(t.treasury, path, { as: 'bank_charge', reason })).status).toBe(409);
  });

  it('confirms a close or a line only as it stood when proposed, and never books what the ledger has', async () => {
    const u = await api.tenant(undefined, { fourEyes: true });
    const at = (key: string, path: string, body?: unknown) =>
      api.call(body === undefined ? 'GET' : 'POST', `/v1/pools/${u.poolId}${path}`, { key, body });
    const statement = (...lines: string[]) =>
      api.call('POST', `/v1/pools/${u.poolId}/bank-statements`, {
        key: u.treasury,
        headers: { 'content-type': 'text/csv' },
        body: ['交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要', ...lines].join('\n'),
      });
    // January reconciles when its close is proposed; a line the bank booked in it arrives before the
    // confirmation, which is refused: the second person would close a difference nobody gave a reason for.
    expect((await at(u.treasury, '/periods/2026-01/close', {})).status).toBe(202);
    expectStatus(await statement('2026-01-15,BOC-A-1,贷,1.00,,101.00,x'), 200);
    const late = await at(u.checker, '/periods/2026-01/close', {});
    expect(late.status, late.text).toBe(409);
    expect((await at(u.auditor, '/periods/2026-01')).status).toBe(404);

    // Interest the treasury recorded under its own reference, and the bank's line of it: booking the line
    // would count the interest twice, so it is refused, naming the posting to match it to.
    const interest = expectStatus(
      await at(u.treasury, '/interest', { reference: '结息-2026Q1', amount: '1234', on: '2026-03-21' }),
      201,
    );
    expectStatus(await statement('2026-03-31,BOC-INT-1,贷,12.34,中国银行,113.34,季度利息'), 200);
    const line = expectStatus(await at(u.auditor, '/bank-statements/lines?unmatched=true'), 200).data.find(
      (l: { reference: string }) => l.reference === 'BOC-INT-1',
    );
    const twice = await at(u.treasury, `/bank-statements/lines/${line.id}/book`, { as: 'interest', reason: '结息' });
    expect([twice.status, twice.body.details]).toEqual([409, { transaction_id: interest.transaction_id }]);
    // A day past today is refused before anything is proposed.
    const future = await at(u.treasury, `/bank-statements/lines/${line.id}/book`, {
      as: 'interest',
      reason: '结息',
      on: '2099-01-01',
    });
    expect(future.status).toBe(422);
    // Matched by hand instead, under four-eyes; while that waits, the line is not booked either.
    const match = { transaction_id: twice.body.details.transaction_id, reason: '一季度结息，见银行回单' };
    expect((await at(u.treasury, `/bank-statements/lines/${line.id}/match`, match)).status).toBe(202);
    const meanwhile = await at(u.checker, `/bank-statements/lines/${line.id}/book`, { as: 'interest', reason: 'x' });
    expect([meanwhile.status, meanwhile.body.detail]).toEqual([
      409,
      expect.stringContaining('waits for a second person'),
    ]);
    expect(expectStatus(await at(u.auditor, '/proposals?status=pending'), 200).data).toHaveLength(2);
    expectStatus(await at(u.checker, `/bank-statements/lines/${line.id}/match`, { ...match, reason: '核对无误' }), 200);
  });

  it('is off where the admin turns it off: one person then decides', async () => {
    const solo = await api.tenant(undefined, { fourEyes: true });
    const pool = expectStatus(
      await api.call('POST', `/v1/pools/${solo.poolId}/settings`, { body: { four_eyes: false } }),
      200,
    );
    expect(pool.four_eyes).toBe(false);
    // Only the admin sets it: a treasury cannot turn its own four-eyes off.
    const self = await api.call('POST', `/v1/pools/${solo.poolId}/settings`, {
      key: solo.treasury,
      body: { four_eyes: false },
    });
    expect(self.status).toBe(403);
    expect(
      (await api.call('POST', `/v1/pools/${solo.poolId}/periods/2026-01/close`, { key: solo.treasury })).status,
    ).toBe(200);
  });
});
