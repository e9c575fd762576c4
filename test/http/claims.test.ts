import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

/**
 * A year of the pool, end to end over the API: 30,000,000.00 CNY funded; three banks and one insurer; 200
 * loans by tape; 10 defaults; claims by banks and by the insurer; approvals, a deferral while an agreement
 * is suspended, a rejection (one of them voiding a reservation), an approval refused for lack of funds;
 * payments; a recovery; interest. At the end the books agree with the story to the fen.
 */
type Claim = { id: string; loan_id: string; claimant_kind: string };
let api: ApiFixture;
let t: Tenant;
const banks: { id: string; key: string; agreementId: string }[] = [];
const borrowers: string[] = [];
/** The big loans that default: [bank index, reference, loan id]. */
const defaulted: { bank: number; reference: string; id: string }[] = [];

const BIG = 1_200_000_000n; // 12,000,000.00 CNY
const SMALL = 1_000_000n; // 10,000.00 CNY
const FUNDS = 3_000_000_000n; // 30,000,000.00 CNY

const terms = (over: Record<string, unknown>) => ({
  pool_share_bp: 3000,
  insurer_share_bp: 0,
  bank_share_bp: 7000,
  public_ceiling_bp: 8000,
  per_loan_cap: '100000000000',
  per_enterprise_year_cap: '100000000000',
  per_bank_year_cap: '100000000000',
  credit_line: '100000000000',
  filing_window_days: 3650,
  eligible_kinds: ['credit', 'performance_bond_insured'],
  max_principal: '2000000000',
  max_term_months: 36,
  suspension_loss_bp: 10_000,
  ...over,
});
/** A money figure as responses carry it. */
const cny = (fen: bigint | string) => ({ amount: fen.toString(), currency: 'CNY' });
/** Expects each named money figure of `o` to be exactly that many fen of CNY. */
const expectMoney = (o: Record<string, unknown>, fen: Record<string, bigint | string>) =>
  expect(Object.fromEntries(Object.keys(fen).map((k) => [k, o[k]]))).toEqual(
    Object.fromEntries(Object.entries(fen).map(([k, v]) => [k, cny(v)])),
  );
const doc = (name: string) => ({ name, sha256: createHash('sha256').update(name).digest('hex') });

const post = (key: string, path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });
const get = (key: string, path: string) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  for (let i = 0; i < 10; i++) {
    const code = newCreditCode();
    borrowers.push(code);
    expectStatus(
      await post(t.treasury, '/participants', {
        kind: 'enterprise',
        name: `Tech ${code}`,
        credit_code: code,
        enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-12-31' },
      }),
      201,
    );
  }
  const more = async (name: string) => {
    const bank = expectStatus(
      await post(t.treasury, '/participants', { kind: 'bank', name, credit_code: newCreditCode() }),
      201,
    );
    const key = expectStatus(
      await api.call('POST', '/v1/keys', {
        key: t.treasury,
        body: { role: 'bank', pool_id: t.poolId, participant_id: bank.id },
      }),
      201,
    ).key;
    return { id: bank.id as string, key: key as string };
  };
  const parties = [{ id: t.bankId, key: t.bank }, await more('Bank two'), await more('Bank three')];
  // Bank one lends with the insurer's performance bond; bank three's agreement suspends past 3 % of losses.
  const agreementTerms = [
    terms({
      pool_share_bp: 2500,
      insurer_share_bp: 4500,
      bank_share_bp: 3000,
      bonus_bp: { performance_bond_insured: 500 },
    }),
    terms({}),
    terms({ suspension_loss_bp: 300 }),
  ];
  for (const [i, party] of parties.entries()) {
    const body = {
      bank_id: party.id,
      ...(i === 0 ? { insurer_id: t.insurerId } : {}),
      name: `政银保 ${i + 1}`,
      effective_from: '2026-01-01',
      terms: agreementTerms[i],
    };
    banks.push({ ...party, agreementId: expectStatus(await post(t.treasury, '/agreements', body), 201).id });
  }
});
afterAll(() => api.close());

describe("claims, recoveries and the pool's money, over a year", () => {
  it('funds the pool: an appropriation notified, then received', async () => {
    expect(
      expectStatus(
        await post(t.treasury, '/appropriations', {
          reference: '大高新财〔2026〕1号',
          amount: FUNDS.toString(),
          notified_on: '2026-01-05',
        }),
        201,
      ),
    ).toMatchObject({ received_on: null });
    expect(
      (
        await post(t.treasury, '/appropriations', {
          reference: '大高新财〔2026〕1号',
          amount: '1',
          notified_on: '2026-01-05',
        })
      ).status,
    ).toBe(409);
    expectStatus(
      await post(t.treasury, `/appropriations/${encodeURIComponent('大高新财〔2026〕1号')}/receipt`, {
        received_on: '2026-01-10',
      }),
      200,
    );
    const position = expectStatus(await get(t.treasury, '/position'), 200);
    expectMoney(position, {
      cash: FUNDS,
      available: FUNDS,
      appropriated: FUNDS,
      appropriations_receivable: '0',
    });
    expect((await get(t.bank, '/position')).status).toBe(403);
  });

  it('enrols 200 loans by tape and defaults 10 of them', async () => {
    const counts = [70, 70, 60];
    const big = [4, 3, 3];
    for (const [b, bank] of banks.entries()) {
      const rows = [
        '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期,首贷,保单号,保费（分）',
      ];
      for (let i = 0; i < counts[b]!; i++) {
        const isBig = i < big[b]!;
        const kind = b === 0 ? '履约保证保险' : '信用';
        rows.push(
          [
            bank.agreementId,
            `B${b}-${i}`,
            borrowers[(b * 3 + i) % 10],
            kind,
            (isBig ? BIG : SMALL).toString(),
            '420',
            '2026-02-01',
            '2028-01-31',
            '否',
            b === 0 ? `PICC-${i}` : '',
            b === 0 ? '12000' : '',
          ].join(','),
        );
      }
      expect(
        expectStatus(
          await api.call('POST', `/v1/pools/${t.poolId}/loan-tapes`, {
            key: bank.key,
            body: rows.join('\n'),
            headers: { 'content-type': 'text/csv' },
          }),
          200,
        ),
      ).toMatchObject({ accepted: counts[b] });
      const reports = ['贷款编号,报告月份,贷款余额（分）,逾期本金（分）,逾期利息（分）,逾期天数,五级分类'];
      for (let i = 0; i < big[b]!; i++) reports.push(`B${b}-${i},2026-07,${BIG},${BIG},3600000,95,次级`);
      expectStatus(
        await api.call('POST', `/v1/pools/${t.poolId}/loan-report-tapes`, {
          key: bank.key,
          body: reports.join('\n'),
          headers: { 'content-type': 'text/csv' },
        }),
        200,
      );
      const list = expectStatus(
        await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=1000`, { key: bank.key }),
        200,
      );
      for (const l of list.data.filter((l: { state: string }) => l.state === 'defaulted'))
        defaulted.push({ bank: b, reference: l.reference, id: l.id });
    }
    expect(defaulted).toHaveLength(10);
    const third = expectStatus(await get(t.treasury, `/agreements/${banks[2]!.agreementId}`), 200);
    expect(third).toMatchObject({ suspended: true });
  });

  const claims: { id: string; by: string }[] = [];

  it("takes claims from the banks and from the insurer, with the pool's share broken down", async () => {
    const file = (key: string, loanId: string, extra: Record<string, unknown> = {}) =>
      post(key, '/claims', {
        loan_id: loanId,
        loss_principal: BIG.toString(),
        loss_interest: '3600000',
        documents: [doc(`notice-${loanId}.pdf`)],
        ...extra,
      });
    for (const d of defaulted) {
      const insured = d.bank === 0 && d.reference !== 'B0-3';
      const r = insured
        ? await file(t.insurer, d.id, { paid_to_bank: '540000000' })
        : await file(banks[d.bank]!.key, d.id);
      const claim = expectStatus(r, 201);
      claims.push({ id: claim.id, by: insured ? 'insurer' : `bank${d.bank}` });
      // 30 % of 12,000,000.00: the insurer's agreement gives 25 % + 5 % for an insured loan, the others 30 %.
      expect(claim).toMatchObject({
        status: 'submitted',
        breakdown: { pool_bp: 3000, capped_by: [] },
      });
      expect([claim.amount, claim.breakdown.base]).toEqual([cny('360000000'), cny(BIG)]);
      const split = claim.breakdown.split;
      expect(BigInt(split.pool.amount) + BigInt(split.insurer.amount) + BigInt(split.bank.amount)).toBe(BIG);
    }
    // One claim per loan and claimant; an insurer claims only on insured loans; a bank only on its own.
    expect((await file(t.insurer, defaulted[0]!.id, { paid_to_bank: '1' })).status).toBe(409);
    expect((await file(t.insurer, defaulted[5]!.id, { paid_to_bank: '1' })).status).toBe(404);
    expect((await file(banks[1]!.key, defaulted[0]!.id)).status).toBe(404);
    const healthy = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=10`, { key: banks[1]!.key }),
      200,
    ).data.find((l: { state: string }) => l.state === 'active');
    expect((await file(banks[1]!.key, healthy.id)).body.details).toEqual({ rule: 'claimable' });
    expect(
      (await file(banks[1]!.key, defaulted[4]!.id, { loss_principal: (BIG + 1n).toString() })).body.details,
    ).toEqual({ field: 'loss_principal' });
  });

  it('approves, defers while suspended, rejects, and refuses an approval the pool cannot cover', async () => {
    const act = (id: string, action: string, reason = `${action} per committee minutes`) =>
      post(t.treasury, `/claims/${id}/${action}`, { reason });
    const of = (by: string) => claims.filter((c) => c.by === by);
    for (const c of [...of('insurer'), ...of('bank0'), ...of('bank1')])
      expect(expectStatus(await act(c.id, 'approve'), 200).status).toBe('approved');
    expect((await act(of('insurer')[0]!.id, 'approve')).status).toBe(409);
    expect((await post(t.bank, `/claims/${of('bank0')[0]!.id}/approve`, { reason: 'x' })).status).toBe(403);
    // Seven approvals hold 2,520,000,000 fen of 3,000,000,000.
    expectMoney(expectStatus(await get(t.treasury, '/position'), 200), {
      reserved: '2520000000',
      available: '480000000',
    });

    // Bank three's agreement is suspended by the loss rule: its claim is deferred, not approved.
    const [d1, d2, d3] = of('bank2');
    expect(expectStatus(await act(d1!.id, 'approve'), 200).status).toBe('deferred');
    expectStatus(
      await post(t.treasury, `/agreements/${banks[2]!.agreementId}/suspension`, {
        suspended: false,
        reason: 'losses reviewed with the bank',
      }),
      200,
    );
    expect(expectStatus(await act(d1!.id, 'approve'), 200).status).toBe('approved');

    // 120,000,000 fen left: the next approval is refused and nothing changes.
    const poor = await act(d2!.id, 'approve');
    expect(poor.status).toBe(422);
    expect(poor.body.type).toMatch(/insufficient-funds$/);
    expect(expectStatus(await get(t.treasury, `/claims/${d2!.id}`), 200).status).toBe('submitted');
    expectMoney(expectStatus(await get(t.treasury, '/position'), 200), {
      reserved: '2880000000',
      available: '120000000',
    });

    expect(
      expectStatus(await act(d3!.id, 'reject', 'the loan was not disbursed under the agreement'), 200).status,
    ).toBe('rejected');
    // Rejecting an approved claim gives its reservation back.
    expect(
      expectStatus(await act(of('bank0')[0]!.id, 'reject', 'the bank recovered the collateral in full'), 200).status,
    ).toBe('rejected');
    expectMoney(expectStatus(await get(t.treasury, '/position'), 200), {
      reserved: '2520000000',
      available: '480000000',
    });
    expect(expectStatus(await act(d2!.id, 'approve'), 200).status).toBe('approved');
  });

  it('pays the approved claims, shares a recovery back, and the books agree with the story to the fen', async () => {
    const approved = expectStatus(await get(t.treasury, '/claims?status=approved&limit=100'), 200).data;
    expect(approved).toHaveLength(8);
    for (const c of approved)
      expect(
        expectStatus(await post(t.treasury, `/claims/${c.id}/pay`, { reason: 'paid from the pool account' }), 200)
          .status,
      ).toBe('paid');
    const paid = 8n * 360_000_000n;

    // Bank two recovers 500,000,000 gross, 20,000,000 costs: the pool bore 30 % of the loss.
    const loan = defaulted.find((d) => d.bank === 1)!;
    const reported = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/loans/${loan.id}/recoveries`, {
        key: banks[1]!.key,
        body: { reference: 'REC-1', recovered_on: '2026-10-15', gross: '500000000', costs: '20000000' },
      }),
      201,
    );
    expectMoney(reported, { pool_part: '144000000', insurer_part: '0', bank_part: '336000000' });
    const twice = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/loans/${loan.id}/recoveries`, {
        key: banks[1]!.key,
        body: { reference: 'REC-1', recovered_on: '2026-10-15', gross: '500000000', costs: '20000000' },
      }),
      201,
    );
    expect(twice.id).toBe(reported.id);
    expectStatus(
      await post(t.treasury, `/loans/${loan.id}/recoveries/REC-1/receipt`, { received_on: '2026-10-20' }),
      200,
    );
    expectStatus(
      await post(t.treasury, '/interest', { reference: 'INT-2026Q3', amount: '1234567', on: '2026-09-21' }),
      201,
    );
    expect(
      expectStatus(
        await post(t.treasury, '/interest', { reference: 'INT-2026Q3', amount: '1234567', on: '2026-09-21' }),
        201,
      ).amount,
    ).toEqual(cny('1234567'));

    const position = expectStatus(await get(t.auditor, '/position'), 200);
    const cash = FUNDS - paid + 144_000_000n + 1_234_567n;
    expectMoney(position, {
      cash,
      reserved: '0',
      available: cash,
      appropriated: FUNDS,
      compensation_paid: paid,
      recoveries: '144000000',
      recoveries_receivable: '0',
      interest: '1234567',
    });
    const trial = expectStatus(await get(t.auditor, '/trial-balance'), 200);
    for (const total of trial.totals) expect(total.debit.amount).toBe(total.credit.amount);
    const verify = expectStatus(await get(t.auditor, '/chain/verify'), 200);
    expect(verify.ok).toBe(true);
  });

  it('shows each claimant its own claims only, with the steps taken', async () => {
    const mine = expectStatus(await get(t.insurer, '/claims'), 200).data;
    expect(mine).toHaveLength(3);
    expect(mine.every((c: { claimant_kind: string }) => c.claimant_kind === 'insurer')).toBe(true);
    expect(expectStatus(await get(banks[1]!.key, '/claims'), 200).data).toHaveLength(3);
    expect((await get(banks[1]!.key, `/claims/${mine[0].id}`)).status).toBe(404);
    const detail = expectStatus(await get(t.insurer, `/claims/${mine[0].id}`), 200);
    expect(detail.steps.map((s: { status: string }) => s.status)).toEqual(['submitted', 'approved', 'paid']);
    expect(expectStatus(await get(t.treasury, '/claims?overdue=true'), 200).data).toEqual([]);
    // The claims on one loan, found by the loan: treasury sees every claimant's, the insurer its own.
    const every = expectStatus(await get(t.treasury, '/claims?limit=1000'), 200).data as Claim[];
    const loanId = mine[0].loan_id as string;
    const onLoan = expectStatus(await get(t.treasury, `/claims?loan_id=${loanId}`), 200).data as Claim[];
    expect(onLoan.map((c) => c.id)).toEqual(every.filter((c) => c.loan_id === loanId).map((c) => c.id));
    expect(onLoan.length).toBeGreaterThan(0);
    expect(every.some((c) => c.loan_id !== loanId)).toBe(true);
    const insurersOnLoan = expectStatus(await get(t.insurer, `/claims?loan_id=${loanId}`), 200).data as Claim[];
    expect(insurersOnLoan.map((c) => c.id)).toEqual(
      onLoan.filter((c) => c.claimant_kind === 'insurer').map((c) => c.id),
    );
  });

  it('reports agreements, the claims pipeline and the pool cash by day, as JSON and CSV', async () => {
    const agreements = expectStatus(await get(t.auditor, '/reports/agreements?year=2026'), 200).rows;
    expect(agreements).toHaveLength(3);
    const third = agreements[2];
    // Bank three: 3 of its 60 loans defaulted, 3,600,000,000 of 3,657,000,000 fen enrolled: far past 3 %.
    expect(third).toMatchObject({
      loans_defaulted: 3,
      loans_active: 57,
      suspension_threshold_bp: 300,
      suspended: false,
    });
    expectMoney(third, { defaulted_in_year: '3600000000', enrolled_in_year: '3657000000' });
    expect(third.loss_ratio_bp).toBe(Number((3_600_000_000n * 10_000n) / 3_657_000_000n));
    const pipeline = expectStatus(await get(t.treasury, '/reports/claims'), 200).rows;
    const paidRow = pipeline.find((r: { status: string }) => r.status === 'paid');
    expect(paidRow).toMatchObject({
      claims: 8,
      overdue: 0,
    });
    expect(paidRow.amount).toEqual(cny('2880000000'));
    expect(pipeline.find((r: { status: string }) => r.status === 'rejected')).toMatchObject({ claims: 2 });
    const csv = await get(t.treasury, '/reports/agreements?year=2026&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text.split('\n')[0]).toMatch(/^agreement_id,name,bank_id,bank,insurer_id,credit_line,exposure_used/);
    const cash = expectStatus(await get(t.treasury, '/reports/cash'), 200).rows;
    expect(cash[0]).toEqual({ day: '2026-01-10', balance: cny(FUNDS) });
    expect(cash.at(-1).balance).toEqual(expectStatus(await get(t.treasury, '/position'), 200).cash);
    expect((await get(t.bank, '/reports/claims')).status).toBe(403);
  });
});
