import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';

/** A loan is found by what people know it by: the bank's reference, the borrower's credit code. */
let api: ApiFixture;
let t: Tenant;
let agreementId: string;

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  agreementId = await signAgreement(api, t);
});
afterAll(() => api.close());

const enrol = async (reference: string, borrower: string, kind = 'credit') =>
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/loans`, {
      key: t.bank,
      body: {
        agreement_id: agreementId,
        reference,
        borrower_credit_code: borrower,
        kind,
        principal: '10000',
        rate_bp: 450,
        disbursed_on: '2026-03-01',
        matures_on: '2027-03-01',
        ...(kind === 'credit' ? {} : { policy_number: `P-${reference}`, premium: '100' }),
      },
    }),
    201,
  ).id as string;
const find = async (key: string, query: string) =>
  (
    expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?${query}`, { key }), 200).data as { id: string }[]
  ).map((l) => l.id);

it("finds a loan by the bank's reference and by its borrower's credit code, within what the caller may see", async () => {
  const a = await registerEnterprise(api, t);
  const b = await registerEnterprise(api, t);
  const a1 = await enrol('DLB-0001', a);
  const a2 = await enrol('DLB-0002', a, 'performance_bond_insured');
  const b1 = await enrol('DLB-0003', b);

  expect(await find(t.bank, 'reference=DLB-0002')).toEqual([a2]);
  expect(await find(t.treasury, `borrower_credit_code=${a}`)).toEqual([a1, a2]);
  expect(await find(t.treasury, `borrower_credit_code=${b}&reference=DLB-0003`)).toEqual([b1]);
  expect(await find(t.treasury, `borrower_credit_code=${b}&reference=DLB-0001`)).toEqual([]);
  expect(await find(t.bank, 'reference=DLB-9999')).toEqual([]);
  // The insurer sees the insured loans of its agreements only, whichever way it asks.
  expect(await find(t.insurer, `borrower_credit_code=${a}`)).toEqual([a2]);
  expect(await find(t.insurer, 'reference=DLB-0001')).toEqual([]);
  // Another pool's bank is answered as if this pool did not exist.
  const u = await api.tenant('another pool');
  expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?reference=DLB-0001`, { key: u.bank }), 404);
});
