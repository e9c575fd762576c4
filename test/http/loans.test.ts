import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';
import { terms as termsWith } from '../support/domain.js';

let api: ApiFixture;
let t: Tenant;
let agreementId: string;
let borrower: string;

const terms = termsWith({ suspension_loss_bp: 1000, filing_window_days: 180 });
/** A money figure as responses carry it. */
const cny = (amount: string) => ({ amount, currency: 'CNY' });

async function enterprise(profile: Record<string, unknown>): Promise<string> {
  const code = newCreditCode();
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
      key: t.treasury,
      body: { kind: 'enterprise', name: `Tech ${code}`, credit_code: code, enterprise: profile },
    }),
    201,
  );
  return code;
}

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  agreementId = expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/agreements`, {
      key: t.treasury,
      body: { bank_id: t.bankId, insurer_id: t.insurerId, name: 'line', effective_from: '2026-01-01', terms },
    }),
    201,
  ).id;
  borrower = await enterprise({
    in_zone: true,
    tech_sme_certificate: 'GR2026',
    tech_sme_expires: '2028-12-31',
    credit_rating: 'BBB',
  });
});
afterAll(() => api.close());

let ref = 0;
const loan = (over: Record<string, unknown> = {}) => ({
  agreement_id: agreementId,
  reference: `L-${++ref}`,
  borrower_credit_code: borrower,
  kind: 'credit',
  principal: '10000',
  rate_bp: 450,
  disbursed_on: '2026-03-01',
  matures_on: '2027-03-01',
  ...over,
});
const enrol = (body: unknown, key = t.bank) => api.call('POST', `/v1/pools/${t.poolId}/loans`, { key, body });

describe('loan enrolment', () => {
  it('enrols an eligible loan under the terms in force on its disbursement date', async () => {
    const l = expectStatus(await enrol(loan()), 201);
    expect(l).toMatchObject({ terms_version: 1, state: 'active', bank_id: t.bankId });
    expect(l.principal).toEqual(cny('10000'));
    expect((await api.call('GET', `/v1/pools/${t.poolId}/loans/${l.id}`, { key: t.bank })).status).toBe(200);
  });

  it('refuses each ineligible loan, naming the rule', async () => {
    const outOfZone = await enterprise({ in_zone: false, tech_sme_certificate: 'GR1', tech_sme_expires: '2028-12-31' });
    const expired = await enterprise({ in_zone: true, tech_sme_certificate: 'GR2', tech_sme_expires: '2026-01-31' });
    const cases: [Record<string, unknown>, string][] = [
      [{ disbursed_on: '2025-12-01', matures_on: '2026-06-01' }, 'terms_in_force'],
      [{ borrower_credit_code: newCreditCode() }, 'borrower_registered'],
      [{ borrower_credit_code: outOfZone }, 'borrower_in_zone'],
      [{ borrower_credit_code: expired }, 'borrower_tech_sme'],
      [{ kind: 'ip_pledge' }, 'eligible_kind'],
      [{ principal: '500001' }, 'max_principal'],
      [{ matures_on: '2028-03-02' }, 'max_term'],
    ];
    for (const [over, rule] of cases) {
      const r = await enrol(loan(over));
      expect(r.status, `${rule}: ${r.text}`).toBe(422);
      expect(r.body.details, `${rule}: ${r.text}`).toEqual({ rule });
    }
    const insured = await enrol(loan({ kind: 'performance_bond_insured' }));
    expect(insured.body.details).toEqual({ field: 'policy_number' });
    expect(
      expectStatus(
        await enrol(loan({ kind: 'performance_bond_insured', policy_number: 'PICC-1', premium: '300' })),
        201,
      ).kind,
    ).toBe('performance_bond_insured');
  });

  it('keeps a bank reference unique forever', async () => {
    expectStatus(await enrol(loan({ reference: 'ONCE' })), 201);
    const again = await enrol(loan({ reference: 'ONCE', principal: '20000' }));
    expect(again.status).toBe(409);
  });

  it('never lets concurrent enrolments pass the credit line', async () => {
    const [{ used: before }] = await api.db.owner<
      [{ used: bigint }]
    >`SELECT used FROM agreement_exposure WHERE agreement_id = ${agreementId}`;
    const room = 1_000_000n - before;
    const each = 100_000n;
    const results = await Promise.all(Array.from({ length: 24 }, () => enrol(loan({ principal: each.toString() }))));
    const accepted = results.filter((r) => r.status === 201).length;
    expect(accepted).toBe(Number(room / each));
    expect(
      results.filter((r) => r.status !== 201).every((r) => r.status === 422 && r.body.details?.rule === 'credit_line'),
    ).toBe(true);
    const [{ used, sum }] = await api.db.owner<[{ used: bigint; sum: bigint }]>`
      SELECT e.used, (SELECT sum(principal) FROM loans l WHERE l.agreement_id = e.agreement_id)::int8 AS sum
        FROM agreement_exposure e WHERE e.agreement_id = ${agreementId}`;
    expect(used).toBe(sum);
    expect(used).toBeLessThanOrEqual(1_000_000n);
  });

  it('refuses enrolments while the agreement is suspended, and takes them again once reinstated', async () => {
    const suspend = (suspended: boolean) =>
      api.call('POST', `/v1/pools/${t.poolId}/agreements/${agreementId}/suspension`, {
        key: t.treasury,
        body: { suspended, reason: suspended ? 'loss ratio above 3 %' : 'reviewed' },
      });
    expect(expectStatus(await suspend(true), 200)).toMatchObject({
      suspended: true,
      suspension_reason: 'loss ratio above 3 %',
    });
    expect((await suspend(true)).status).toBe(409);
    const refused = await enrol(loan({ principal: '1' }));
    expect(refused.body.details).toEqual({ rule: 'suspended' });
    expect(await api.waitForEvent(t.bank, (e) => e.type === 'agreement.suspended')).toHaveLength(1);
    expectStatus(await suspend(false), 200);
    expect((await enrol(loan({ principal: '1' }))).status).toBe(201);
    expect(
      (
        await api.call('POST', `/v1/pools/${t.poolId}/agreements/${agreementId}/suspension`, {
          key: t.bank,
          body: { suspended: true, reason: 'x' },
        })
      ).status,
    ).toBe(403);
  });

  it('lists a bank its own loans only', async () => {
    const mine = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=1000`, { key: t.bank }), 200);
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((l: { bank_id: string }) => l.bank_id === t.bankId)).toBe(true);
    const all = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=1000`, { key: t.treasury }), 200);
    expect(all.data.length).toBe(mine.data.length);
    const page = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=2`, { key: t.auditor }), 200);
    const next = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=2&after=${page.next_cursor}`, { key: t.auditor }),
      200,
    );
    expect(next.data[0].id).not.toBe(page.data[0].id);
  });

  it('appends monthly reports: the state follows, repayments return to the credit line, nothing is overwritten', async () => {
    const exposure = async () =>
      (
        await api.db.owner<[{ used: bigint }]>`SELECT used FROM agreement_exposure WHERE agreement_id = ${agreementId}`
      )[0].used;
    const l = expectStatus(await enrol(loan({ principal: '50000' })), 201);
    const report = (month: string, outstanding: string, dpd: number, over: Record<string, unknown> = {}) =>
      api.call('POST', `/v1/pools/${t.poolId}/loans/${l.id}/reports`, {
        key: t.bank,
        body: {
          month,
          outstanding,
          overdue_principal: dpd > 0 ? '1000' : '0',
          overdue_interest: dpd > 0 ? '50' : '0',
          days_past_due: dpd,
          classification: dpd >= 90 ? 'substandard' : 'normal',
          ...over,
        },
      });
    const before = await exposure();
    const april = expectStatus(await report('2026-04-01', '40000', 0), 201);
    expect(april).toMatchObject({ state: 'active' });
    expect(april.outstanding).toEqual(cny('40000'));
    expect(await exposure()).toBe(before - 10_000n);
    expect(expectStatus(await report('2026-05-01', '40000', 35), 201).state).toBe('overdue');
    expect((await report('2026-05-01', '39000', 0)).status).toBe(409);
    expect((await report('2026-04-01', '39000', 0)).status).toBe(409);
    expect((await report('2026-06-01', '45000', 0)).body.details).toEqual({ field: 'outstanding' });
    expect(expectStatus(await report('2026-07-01', '40000', 95), 201).state).toBe('defaulted');
    expect(expectStatus(await report('2026-08-01', '40000', 0), 201).state).toBe('defaulted');
    expect(
      await api.waitForEvent(t.bank, (e) => e.type === 'loan.defaulted' && e.subject === `loan/${l.id}`),
    ).toHaveLength(1);
    await expect(api.db.owner`UPDATE loan_reports SET outstanding = 0 WHERE loan_id = ${l.id}`).rejects.toThrow(
      /append-only/,
    );
    const valid = {
      month: '2026-09-01',
      outstanding: '40000',
      overdue_principal: '0',
      overdue_interest: '0',
      days_past_due: 0,
      classification: 'normal',
    };
    expect(
      (await api.call('POST', `/v1/pools/${t.poolId}/loans/${l.id}/reports`, { key: t.treasury, body: valid })).status,
    ).toBe(403);
  });

  it('counts a repayment once when reports on one loan arrive at once', async () => {
    const exposure = async () =>
      (
        await api.db.owner<[{ used: bigint }]>`SELECT used FROM agreement_exposure WHERE agreement_id = ${agreementId}`
      )[0].used;
    const l = expectStatus(await enrol(loan({ principal: '6000' })), 201);
    const before = await exposure();
    const months = ['2026-04-01', '2026-05-01', '2026-06-01', '2026-07-01'];
    await Promise.all(
      months.map((month, i) =>
        api.call('POST', `/v1/pools/${t.poolId}/loans/${l.id}/reports`, {
          key: t.bank,
          body: {
            month,
            outstanding: String(5000 - i * 1000),
            overdue_principal: '0',
            overdue_interest: '0',
            days_past_due: 0,
            classification: 'normal',
          },
        }),
      ),
    );
    const after = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans/${l.id}`, { key: t.bank }), 200);
    expect(before - (await exposure())).toBe(6000n - BigInt(after.outstanding.amount));
  });

  it('governs a loan by the terms in force when it was disbursed, whatever terms come later (invariant 9)', async () => {
    const early = expectStatus(await enrol(loan({ principal: '2', disbursed_on: '2026-03-10' })), 201);
    // New terms from 2026-06-01: claims open after 30 days past due instead of 90.
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/agreements/${agreementId}/terms`, {
        key: t.treasury,
        body: { effective_from: '2026-06-01', terms: { ...terms, overdue_days: 30 } },
      }),
      201,
    );
    const late = expectStatus(
      await enrol(loan({ principal: '2', disbursed_on: '2026-07-01', matures_on: '2027-07-01' })),
      201,
    );
    expect([early.terms_version, late.terms_version]).toEqual([1, 2]);
    const report = (id: string, month: string) =>
      api.call('POST', `/v1/pools/${t.poolId}/loans/${id}/reports`, {
        key: t.bank,
        body: {
          month,
          outstanding: '2',
          overdue_principal: '1',
          overdue_interest: '0',
          days_past_due: 45,
          classification: 'special_mention',
        },
      });
    expect(expectStatus(await report(early.id, '2026-08-01'), 201).state).toBe('overdue');
    expect(expectStatus(await report(late.id, '2026-08-01'), 201).state).toBe('defaulted');
  });

  it('shows an insurer only the loans it insures; any other answers 404 exactly like a missing one', async () => {
    const insured = expectStatus(
      await enrol(
        loan({ kind: 'performance_bond_insured', policy_number: 'PICC-SEEN', premium: '300', principal: '1' }),
      ),
      201,
    );
    const uninsured = expectStatus(await enrol(loan({ principal: '1' })), 201);
    // A bank-only agreement of the same bank: the insurer is party to none of its loans.
    const bankOnly = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/agreements`, {
        key: t.treasury,
        body: {
          bank_id: t.bankId,
          name: 'bank only',
          effective_from: '2026-01-01',
          terms: { ...terms, insurer_share_bp: 0, bank_share_bp: 7500 },
        },
      }),
      201,
    ).id;
    const other = expectStatus(await enrol(loan({ agreement_id: bankOnly, principal: '1' })), 201);

    const listed = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/loans?limit=1000`, { key: t.insurer }),
      200,
    );
    expect(listed.data.map((l: { id: string }) => l.id)).toContain(insured.id);
    const notInsured = listed.data.filter(
      (l: { kind: string; agreement_id: string }) =>
        l.kind !== 'performance_bond_insured' || l.agreement_id !== agreementId,
    );
    expect(notInsured.map((l: { id: string; kind: string }) => `loan ${l.id} (${l.kind})`)).toEqual([]);

    expect(
      expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans/${insured.id}`, { key: t.insurer }), 200).id,
    ).toBe(insured.id);
    const missing = await api.call('GET', `/v1/pools/${t.poolId}/loans/999999999`, { key: t.insurer });
    for (const id of [uninsured.id, other.id]) {
      const r = await api.call('GET', `/v1/pools/${t.poolId}/loans/${id}`, { key: t.insurer });
      expect(r.status, r.text).toBe(404);
      expect(r.body.type).toBe(missing.body.type);
      expect(r.body.detail.replace(id, '?')).toBe(missing.body.detail.replace('999999999', '?'));
    }
    // Nor does the insurer's event feed or claim list speak of them.
    const feed = expectStatus(await api.call('GET', '/v1/events?limit=500', { key: t.insurer }), 200);
    expect(
      feed.data.filter((e: { subject: string }) => [`loan/${uninsured.id}`, `loan/${other.id}`].includes(e.subject)),
    ).toEqual([]);
    expect(expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/claims`, { key: t.insurer }), 200).data).toEqual(
      [],
    );
  });

  it("lets only the agreement's bank enrol, and shows a loan to no other bank", async () => {
    expect((await enrol(loan(), t.treasury)).status).toBe(403);
    const rival = expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/participants`, {
        key: t.treasury,
        body: { kind: 'bank', name: 'Rival', credit_code: newCreditCode() },
      }),
      201,
    );
    const rivalKey = expectStatus(
      await api.call('POST', '/v1/keys', {
        key: t.treasury,
        body: { role: 'bank', pool_id: t.poolId, participant_id: rival.id },
      }),
      201,
    ).key;
    expect((await enrol(loan(), rivalKey)).status).toBe(404);
    const mine = expectStatus(await enrol(loan({ principal: '1' })), 201);
    expect((await api.call('GET', `/v1/pools/${t.poolId}/loans/${mine.id}`, { key: rivalKey })).status).toBe(404);
    const rivalList = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans`, { key: rivalKey }), 200);
    expect(rivalList.data).toEqual([]);
  });
});
