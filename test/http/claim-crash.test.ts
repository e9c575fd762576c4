import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const reserved = async () => expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/position`, { key: t.treasury }), 200).reserved as string;
const crashAfterPosting = (claimId: string, amount: string) =>
  api.ledger.post(postingFor('claim_approved', { poolId: BigInt(t.poolId), externalId: `claim:${claimId}:reserve`, effectiveDate: '2026-11-01', amount: BigInt(amount) }));

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  const post = (key: string, path: string, body: unknown) => api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
  expectStatus(await post(t.treasury, '/appropriations', { reference: 'A', amount: '100000000', notified_on: '2026-01-02' }), 201);
  expectStatus(await post(t.treasury, '/appropriations/A/receipt', { received_on: '2026-01-03' }), 200);
  const agreementId = await signAgreement(api, t, { insurer: false, terms: { credit_line: '100000000', max_principal: '10000000', suspension_loss_bp: 10000 } });
  const borrower = await registerEnterprise(api, t);
  for (const ref of ['X-1', 'X-2']) {
    const loan = expectStatus(await post(t.bank, '/loans', { agreement_id: agreementId, reference: ref, borrower_credit_code: borrower, kind: 'credit', principal: '1000000', rate_bp: 400, disbursed_on: '2026-02-01', matures_on: '2027-02-01' }), 201);
    expectStatus(await post(t.bank, `/loans/${loan.id}/reports`, { month: '2026-06-01', outstanding: '1000000', overdue_principal: '1000000', overdue_interest: '0', days_past_due: 95, classification: 'substandard' }), 201);
    claims.push(expectStatus(await post(t.bank, '/claims', { loan_id: loan.id, loss_principal: '1000000', documents: [{ name: 'n.pdf', sha256: 'c'.repeat(64) }] }), 201).id);
  }
});
afterAll(() => api.close());

describe('a crash between a claim\'s reservation and its record', () => {
  it('rejecting the claim voids the reservation it never recorded', async () => {
    expect((await crashAfterPosting(claims[0]!, '250000')).status).toBe('posted');
    expect(await reserved()).toBe('250000');
    const rejected = expectStatus(await api.call('POST', `/v1/pools/${t.poolId}/claims/${claims[0]}/reject`, { key: t.treasury, body: { reason: 'documents incomplete' } }), 200);
    expect(rejected.status).toBe('rejected');
    expect(await reserved()).toBe('0');
  });

  it('approving it again reuses the reservation: held once', async () => {
    expect((await crashAfterPosting(claims[1]!, '250000')).status).toBe('posted');
    const approved = expectStatus(await api.call('POST', `/v1/pools/${t.poolId}/claims/${claims[1]}/approve`, { key: t.treasury, body: { reason: 'ok' } }), 200);
    expect(approved).toMatchObject({ status: 'approved', amount: '250000' });
    expect(await reserved()).toBe('250000');
  });
});
