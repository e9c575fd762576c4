import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestTransaction } from '../../src/db/request-transaction.js';
import { decideClaim } from '../../src/pool/claims.js';
import { authenticate, KeyCache } from '../../src/pool/keys.js';
import { postingFor } from '../../src/pool/posting-rules.js';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/**
 * A treasury step posts to the ledger, then records itself; a crash between the two leaves the posting
 * without its record. The next step finds the posting by its external id: approving again reuses it, and
 * rejecting voids it, so no reservation is held twice or forgotten.
 */
let api: ApiFixture;
let t: Tenant;
const claims: string[] = [];
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

const reserved = async () =>
  expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/position`, { key: t.treasury }), 200).reserved;
const crashAfterPosting = (claimId: string, amount: string) =>
  api.ledger.post(
    postingFor('claim_approved', {
      poolId: BigInt(t.poolId),
      externalId: `claim:${claimId}:reserve`,
      effectiveDate: '2026-11-01',
      amount: BigInt(amount),
    }),
  );

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  const post = (key: string, path: string, body: unknown) =>
    api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
  expectStatus(
    await post(t.treasury, '/appropriations', { reference: 'A', amount: '100000000', notified_on: '2026-01-02' }),
    201,
  );
  expectStatus(await post(t.treasury, '/appropriations/A/receipt', { received_on: '2026-01-03' }), 200);
  const agreementId = await signAgreement(api, t, {
    insurer: false,
    terms: { credit_line: '100000000', max_principal: '10000000', suspension_loss_bp: 10000 },
  });
  const borrower = await registerEnterprise(api, t);
  for (const ref of ['X-1', 'X-2']) {
    const loan = expectStatus(
      await post(t.bank, '/loans', {
        agreement_id: agreementId,
        reference: ref,
        borrower_credit_code: borrower,
        kind: 'credit',
        principal: '1000000',
        rate_bp: 400,
        disbursed_on: '2026-02-01',
        matures_on: '2027-02-01',
      }),
      201,
    );
    expectStatus(
      await post(t.bank, `/loans/${loan.id}/reports`, {
        month: '2026-06-01',
        outstanding: '1000000',
        overdue_principal: '1000000',
        overdue_interest: '0',
        days_past_due: 95,
        classification: 'substandard',
      }),
      201,
    );
    claims.push(
      expectStatus(
        await post(t.bank, '/claims', {
          loan_id: loan.id,
          loss_principal: '1000000',
          documents: [{ name: 'n.pdf', sha256: 'c'.repeat(64) }],
        }),
        201,
      ).id,
    );
  }
});
afterAll(() => api.close());

describe("a crash between a claim's reservation and its record", () => {
  it('rejecting the claim voids the reservation it never recorded', async () => {
    expect((await crashAfterPosting(claims[0]!, '250000')).status).toBe('posted');
    expect(await reserved()).toEqual(cny('250000'));
    const rejected = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/claims/${claims[0]}/reject`, {
        key: t.treasury,
        body: { reason: 'documents incomplete' },
      }),
      200,
    );
    expect(rejected.status).toBe('rejected');
    expect(await reserved()).toEqual(cny('0'));
  });

  it('approving it again reuses the reservation: held once', async () => {
    expect((await crashAfterPosting(claims[1]!, '250000')).status).toBe('posted');
    const approved = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/claims/${claims[1]}/approve`, {
        key: t.treasury,
        body: { reason: 'ok' },
      }),
      200,
    );
    expect(approved).toMatchObject({ status: 'approved' });
    expect(approved.amount).toEqual(cny('250000'));
    expect(await reserved()).toEqual(cny('250000'));
  });
});

/**
 * The same crash on today's path: the approval's posting commits, the request's own transaction never does
 * (the process died between the two). The claim's decision commits with its posting, so the loan's pool
 * share stays taken: the insurer's claim on the same loan cannot take it again, and the retry of the killed
 * request (same key, same Idempotency-Key) answers the approval it made.
 */
describe("a crash after the approval's posting committed and before the request did", () => {
  let u: Tenant;
  let bankClaim: string;
  let insurerClaim: string;

  beforeAll(async () => {
    u = await api.tenant();
    await api.openAccounts(u);
    const post = (key: string, path: string, body: unknown) =>
      api.call('POST', `/v1/pools/${u.poolId}${path}`, { key, body });
    expectStatus(
      await post(u.treasury, '/appropriations', { reference: 'A', amount: '100000000', notified_on: '2026-01-02' }),
      201,
    );
    expectStatus(await post(u.treasury, '/appropriations/A/receipt', { received_on: '2026-01-03' }), 200);
    const agreementId = await signAgreement(api, u, {
      terms: { credit_line: '100000000', max_principal: '10000000', suspension_loss_bp: 10000 },
    });
    const borrower = await registerEnterprise(api, u);
    const loan = expectStatus(
      await post(u.bank, '/loans', {
        agreement_id: agreementId,
        reference: 'I-1',
        borrower_credit_code: borrower,
        kind: 'performance_bond_insured',
        principal: '1000000',
        rate_bp: 400,
        disbursed_on: '2026-02-01',
        matures_on: '2027-02-01',
        policy_number: 'P-1',
        premium: '10000',
      }),
      201,
    );
    expectStatus(
      await post(u.bank, `/loans/${loan.id}/reports`, {
        month: '2026-06-01',
        outstanding: '1000000',
        overdue_principal: '1000000',
        overdue_interest: '0',
        days_past_due: 95,
        classification: 'substandard',
      }),
      201,
    );
    const documents = [{ name: 'n.pdf', sha256: 'c'.repeat(64) }];
    bankClaim = expectStatus(
      await post(u.bank, '/claims', { loan_id: loan.id, loss_principal: '1000000', documents }),
      201,
    ).id;
    insurerClaim = expectStatus(
      await post(u.insurer, '/claims', {
        loan_id: loan.id,
        loss_principal: '1000000',
        paid_to_bank: '450000',
        documents,
      }),
      201,
    ).id;
  });

  /** The approval as a killed request made it: the domain step ran, its own transaction was lost. */
  async function approveAndDie(idem: string) {
    const principal = await authenticate(api.db.app.kysely, u.treasury, new KeyCache());
    const tx = new RequestTransaction(api.db.app.sql);
    try {
      await decideClaim(
        tx.kysely,
        api.ledger,
        { ...principal!, requestKey: idem },
        BigInt(u.poolId),
        BigInt(bankClaim),
        'approve',
        'ok',
      );
    } finally {
      await tx.rollback();
    }
  }

  it("keeps the decision with its reservation, so the loan's share is granted once", async () => {
    await approveAndDie('approve-bank-claim');
    const claim = expectStatus(
      await api.call('GET', `/v1/pools/${u.poolId}/claims/${bankClaim}`, { key: u.treasury }),
      200,
    );
    expect(claim).toMatchObject({ status: 'approved' });
    expect(claim.amount).toEqual(cny('250000'));
    expect(
      await api.call('GET', `/v1/pools/${u.poolId}/position`, { key: u.treasury }).then((r) => r.body.reserved),
    ).toEqual(cny('250000'));
    // The insurer's claim on the same loan finds the share taken.
    const other = await api.call('POST', `/v1/pools/${u.poolId}/claims/${insurerClaim}/approve`, {
      key: u.treasury,
      body: { reason: 'ok' },
    });
    expect(other.status, other.text).toBe(422);
    expect(
      await api.call('GET', `/v1/pools/${u.poolId}/position`, { key: u.treasury }).then((r) => r.body.reserved),
    ).toEqual(cny('250000'));
  });

  it('answers the retry of the killed request with its approval, and another request with a conflict', async () => {
    const retry = await api.call('POST', `/v1/pools/${u.poolId}/claims/${bankClaim}/approve`, {
      key: u.treasury,
      idem: 'approve-bank-claim',
      body: { reason: 'ok' },
    });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toMatchObject({ status: 'approved' });
    expect(retry.body.amount).toEqual(cny('250000'));
    const again = await api.call('POST', `/v1/pools/${u.poolId}/claims/${bankClaim}/approve`, {
      key: u.treasury,
      body: { reason: 'ok' },
    });
    expect(again.status, again.text).toBe(409);
    const steps = expectStatus(
      await api.call('GET', `/v1/pools/${u.poolId}/claims/${bankClaim}`, { key: u.treasury }),
      200,
    ).steps;
    expect(steps.map((s: { status: string }) => s.status)).toEqual(['submitted', 'approved']);
  });

  it('keeps a payment with its posting: the claim never reads approved once paid', async () => {
    const principal = await authenticate(api.db.app.kysely, u.treasury, new KeyCache());
    const tx = new RequestTransaction(api.db.app.sql);
    await decideClaim(
      tx.kysely,
      api.ledger,
      { ...principal!, requestKey: 'pay-bank-claim' },
      BigInt(u.poolId),
      BigInt(bankClaim),
      'pay',
      'paid',
    ).finally(() => tx.rollback());
    expect(
      expectStatus(await api.call('GET', `/v1/pools/${u.poolId}/claims/${bankClaim}`, { key: u.treasury }), 200).status,
    ).toBe('paid');
    const retry = await api.call('POST', `/v1/pools/${u.poolId}/claims/${bankClaim}/pay`, {
      key: u.treasury,
      idem: 'pay-bank-claim',
      body: { reason: 'paid' },
    });
    expect(retry.status, retry.text).toBe(200);
    expect(
      await api.call('GET', `/v1/pools/${u.poolId}/position`, { key: u.treasury }).then((r) => r.body.reserved),
    ).toEqual(cny('0'));
  });
});
