import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';
import { RequestTransaction } from '../../src/db/request-transaction.js';
import { decideAward } from '../../src/pool/incentives/awards.js';
import { authenticate, KeyCache } from '../../src/pool/keys.js';

let api: ApiFixture;
let t: Tenant;
let agreementId: string;
let firm: { id: string; code: string; key: string };
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

const post = (key: string, path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
const get = (key: string, path: string) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key });
const balance = async (code: string) =>
  BigInt(expectStatus(await get(t.auditor, `/accounts/${code}/balance`), 200).posted.amount);

async function enterprise(rating: string) {
  const code = newCreditCode();
  const p = expectStatus(
    await post(t.treasury, '/participants', {
      kind: 'enterprise',
      name: `Firm ${code}`,
      credit_code: code,
      enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-12-31', credit_rating: rating },
    }),
    201,
  );
  const key = expectStatus(
    await api.call('POST', '/v1/keys', {
      key: t.treasury,
      body: { role: 'enterprise', pool_id: t.poolId, participant_id: p.id },
    }),
    201,
  ).key;
  return { id: p.id as string, code, key: key as string };
}

async function enrol(loans: { ref: string; kind: string; principal: string }[]) {
  const rows = ['agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on'];
  for (const l of loans)
    rows.push(`${agreementId},${l.ref},${firm.code},${l.kind},${l.principal},400,2026-05-01,2027-05-01`);
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/loan-tapes`, {
      key: t.bank,
      body: rows.join('\n'),
      headers: { 'content-type': 'text/csv' },
    }),
    200,
  );
}

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  firm = await enterprise('BBB');
  agreementId = expectStatus(
    await post(t.treasury, '/agreements', {
      bank_id: t.bankId,
      name: 'Awards',
      effective_from: '2026-01-01',
      terms: {
        pool_share_bp: 3000,
        insurer_share_bp: 0,
        bank_share_bp: 7000,
        public_ceiling_bp: 8000,
        per_loan_cap: '1',
        per_enterprise_year_cap: '1',
        per_bank_year_cap: '1',
        credit_line: '100000000000',
        filing_window_days: 3650,
        eligible_kinds: ['credit', 'ip_pledge'],
        max_principal: '2000000000',
        max_term_months: 36,
        suspension_loss_bp: 10_000,
      },
    }),
    201,
  ).id;
});
afterAll(() => api.close());

describe('the Art. 3 award round', () => {
  it('awards each bank 0.1 % of its new credit-type loans of the year, once however often it runs', async () => {
    await enrol([
      ...Array.from({ length: 5 }, (_, i) => ({ ref: `C-${i}`, kind: 'credit', principal: '1000000000' })),
      { ref: 'IP-1', kind: 'ip_pledge', principal: '1000000000' },
    ]);
    const round = expectStatus(
      await post(t.treasury, '/award-rounds', { programme: 'art3_innovation', year: 2026 }),
      200,
    ).data;
    expect(round).toHaveLength(1);
    // 50,000,000 CNY of credit loans (the IP-pledge loan is not credit-type): 50,000 CNY.
    expect(round[0]).toMatchObject({
      beneficiary_id: t.bankId,
      article: 3,
      status: 'submitted',
    });
    expect([round[0].basis_amount, round[0].amount]).toEqual([cny('5000000000'), cny('5000000')]);
    const again = expectStatus(
      await post(t.treasury, '/award-rounds', { programme: 'art3_innovation', year: 2026 }),
      200,
    ).data;
    expect(again.map((a: { id: string }) => a.id)).toEqual([round[0].id]);

    expectStatus(await post(t.treasury, `/awards/${round[0].id}/approve`, { reason: 'round 2026' }), 200);
    const poor = await post(t.treasury, `/awards/${round[0].id}/pay`, { reason: 'pay' });
    expect(poor.status).toBe(422);
    expect(poor.body.type).toMatch(/insufficient-funds$/);
    expectStatus(
      await post(t.treasury, '/award-budget', { reference: 'BUDGET-2026', amount: '20000000', on: '2026-01-02' }),
      201,
    );
    expect(expectStatus(await post(t.treasury, `/awards/${round[0].id}/pay`, { reason: 'pay' }), 200).status).toBe(
      'paid',
    );
    expect(await balance('incentive_expense:art3')).toBe(5_000_000n);
    expect(await balance('award_budget_cash')).toBe(15_000_000n);
    expect(expectStatus(await get(t.bank, '/awards'), 200).data).toHaveLength(1);
  });

  it("counts loans enrolled into a paid year in the next round, as that year's adjustment under its cap", async () => {
    await enrol(Array.from({ length: 8 }, (_, i) => ({ ref: `LATE-${i}`, kind: 'credit', principal: '1000000000' })));
    expect(
      expectStatus(await post(t.treasury, '/award-rounds', { programme: 'art3_innovation', year: 2026 }), 200).data,
    ).toHaveLength(1);
    const next = expectStatus(
      await post(t.treasury, '/award-rounds', { programme: 'art3_innovation', year: 2027 }),
      200,
    ).data;
    const adjustment = next.find((a: { year: number }) => a.year === 2026);
    // 80,000,000 CNY more would be 80,000 CNY; 2026's cap leaves 50,000 CNY.
    expect(adjustment).toMatchObject({
      breakdown: { capped_by: ['cap_per_period'] },
    });
    expect([adjustment.basis_amount, adjustment.amount]).toEqual([cny('8000000000'), cny('5000000')]);
    const current = next.find((a: { year: number }) => a.year === 2027);
    expect(current).toBeDefined();
    expect(current.amount).toEqual(cny('0'));
    expect(
      expectStatus(await post(t.treasury, `/awards/${adjustment.id}/approve`, { reason: 'adjustment' }), 200).amount,
    ).toEqual(cny('5000000'));
    expect(
      expectStatus(await post(t.treasury, '/award-rounds', { programme: 'art3_innovation', year: 2027 }), 200).data,
    ).toHaveLength(2);
    expect(await balance('incentive_expense:art3')).toBe(10_000_000n);
  });
});

describe('applications and 从高不重复', () => {
  it('pays a firm listed on 四板, then on NEEQ, then otherwise, 1,500,000 CNY in all', async () => {
    const enter = (programme: string) =>
      post(t.treasury, '/awards', {
        programme,
        reference: `${programme}-${firm.id}`,
        beneficiary_id: firm.id,
        item: 'listing',
        year: 2026,
        basis_amount: '0',
      });
    const approve = async (id: string) =>
      expectStatus(await post(t.treasury, `/awards/${id}/approve`, { reason: 'listing verified' }), 200);
    const regional = expectStatus(await enter('art8_regional'), 201);
    expect((await approve(regional.id)).amount).toEqual(cny('30000000'));
    const neeq = expectStatus(await enter('art8_neeq'), 201);
    expect(neeq.amount).toEqual(cny('120000000'));
    expect((await approve(neeq.id)).amount).toEqual(cny('120000000'));
    const other = expectStatus(await enter('art8_other_listing'), 201);
    expect(other).toMatchObject({ breakdown: { capped_by: ['exclusivity'] } });
    expect(other.amount).toEqual(cny('0'));
    expect((await approve(other.id)).amount).toEqual(cny('0'));
    expect(await balance('incentive_expense:art8')).toBe(150_000_000n);
    // The firm sees its awards; the bank does not.
    expect(expectStatus(await get(firm.key, '/awards'), 200).data).toHaveLength(3);
    expect((await get(t.bank, `/awards/${neeq.id}`)).status).toBe(404);
  });

  it('pays a firm 3,000,000 CNY in all for a NEEQ listing then an IPO, whatever each application calls its item', async () => {
    // 从高不重复 keys on the enterprise's listing, a fact of the firm, not on the text an applicant writes.
    const listed = await enterprise('BBB');
    const enter = (programme: string, item: string) =>
      post(t.treasury, '/awards', {
        programme,
        reference: `${programme}-${listed.id}`,
        beneficiary_id: listed.id,
        item,
        year: 2026,
        basis_amount: '0',
      });
    const neeq = expectStatus(await enter('art8_neeq', 'NEEQ listing 2026'), 201);
    expectStatus(await post(t.treasury, `/awards/${neeq.id}/approve`, { reason: 'listed' }), 200);
    const ipo = expectStatus(await enter('art8_ipo', 'IPO on the STAR market'), 201);
    expect(ipo).toMatchObject({ amount: cny('150000000'), breakdown: { capped_by: ['exclusivity'] } });
    const approved = expectStatus(await post(t.treasury, `/awards/${ipo.id}/approve`, { reason: 'listed' }), 200);
    expect(approved.amount).toEqual(cny('150000000'));
  });

  it("refuses an award the programme's rules exclude, naming the rule", async () => {
    const weak = await enterprise('B');
    const fee = (key: string, reference: string, beneficiary?: string) =>
      post(key, '/awards', {
        programme: 'art7_rating_fee',
        reference,
        ...(beneficiary ? { beneficiary_id: beneficiary } : {}),
        item: 'rating:2026',
        year: 2026,
        basis_amount: '2000000',
      });
    expect((await fee(weak.key, 'R-weak')).body.details).toEqual({ rule: 'rating_at_least' });
    // BBB, and a pool loan: half the fee.
    expect(expectStatus(await fee(firm.key, 'R-firm'), 201).amount).toEqual(cny('1000000'));
    expect((await fee(t.treasury, 'R-bank', t.bankId)).body.details).toEqual({ rule: 'beneficiary' });
    // A round's references are the round's: nobody can take one ahead of it.
    expect((await fee(firm.key, 'round:art3_innovation:2028')).body.details).toEqual({ field: 'reference' });
    expect(
      (
        await post(t.treasury, '/awards', {
          programme: 'art3_innovation',
          reference: 'x',
          beneficiary_id: t.bankId,
          item: 'year:2026',
          year: 2026,
          basis_amount: '1',
        })
      ).body.details,
    ).toEqual({ rule: 'award_round' });
  });
});

describe("a crash after an award's posting committed and before the request did", () => {
  it('keeps the approval with its booking, and answers the retry of the killed request', async () => {
    const u = await api.tenant();
    const code = newCreditCode();
    expectStatus(
      await api.call('POST', `/v1/pools/${u.poolId}/participants`, {
        key: u.treasury,
        body: {
          kind: 'enterprise',
          name: `Firm ${code}`,
          credit_code: code,
          enterprise: {
            in_zone: true,
            tech_sme_certificate: 'GR',
            tech_sme_expires: '2030-12-31',
            credit_rating: 'BBB',
          },
        },
      }),
      201,
    );
    const agreement = expectStatus(
      await api.call('POST', `/v1/pools/${u.poolId}/agreements`, {
        key: u.treasury,
        body: {
          bank_id: u.bankId,
          name: 'Awards',
          effective_from: '2026-01-01',
          terms: {
            pool_share_bp: 3000,
            insurer_share_bp: 0,
            bank_share_bp: 7000,
            public_ceiling_bp: 8000,
            per_loan_cap: '1',
            per_enterprise_year_cap: '1',
            per_bank_year_cap: '1',
            credit_line: '100000000000',
            filing_window_days: 3650,
            eligible_kinds: ['credit'],
            max_principal: '2000000000',
            max_term_months: 36,
            suspension_loss_bp: 10_000,
          },
        },
      }),
      201,
    ).id;
    const tape = [
      'agreement_id,reference,borrower_credit_code,kind,principal,rate_bp,disbursed_on,matures_on',
      `${agreement},K-1,${code},credit,1000000000,400,2026-05-01,2027-05-01`,
    ];
    expectStatus(
      await api.call('POST', `/v1/pools/${u.poolId}/loan-tapes`, {
        key: u.bank,
        body: tape.join('\n'),
        headers: { 'content-type': 'text/csv' },
      }),
      200,
    );
    const [award] = expectStatus(
      await api.call('POST', `/v1/pools/${u.poolId}/award-rounds`, {
        key: u.treasury,
        body: { programme: 'art3_innovation', year: 2026 },
      }),
      200,
    ).data;

    const principal = await authenticate(api.db.app.kysely, u.treasury, new KeyCache());
    const tx = new RequestTransaction(api.db.app.sql);
    await decideAward(
      tx.kysely,
      api.ledger,
      { ...principal!, requestKey: 'approve-award' },
      BigInt(u.poolId),
      BigInt(award.id),
      'approve',
      'round 2026',
    ).finally(() => tx.rollback());

    const approved = expectStatus(
      await api.call('GET', `/v1/pools/${u.poolId}/awards/${award.id}`, { key: u.treasury }),
      200,
    );
    expect(approved).toMatchObject({ status: 'approved' });
    expect(approved.amount).toEqual(cny('1000000'));
    const retry = await api.call('POST', `/v1/pools/${u.poolId}/awards/${award.id}/approve`, {
      key: u.treasury,
      idem: 'approve-award',
      body: { reason: 'round 2026' },
    });
    expect(retry.status, retry.text).toBe(200);
    const other = await api.call('POST', `/v1/pools/${u.poolId}/awards/${award.id}/approve`, {
      key: u.treasury,
      body: { reason: 'round 2026' },
    });
    expect(other.status, other.text).toBe(409);
    const booked = expectStatus(
      await api.call('GET', `/v1/pools/${u.poolId}/accounts/incentive_expense:art3/balance`, { key: u.auditor }),
      200,
    );
    expect(booked.posted.amount).toBe('1000000');
  });
});
