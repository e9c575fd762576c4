import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/pool/keys.js';
import { newCreditCode } from '../support/credit-codes.js';
import { terms } from '../support/domain.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../../scripts/lib/ports.js';
import { startServer } from '../support/server.js';

/**
 * One loan's pool share is granted once, whatever the moment the server dies. Each round: insured loans,
 * each with a bank claim and an insurer claim; the bank's approvals in flight; the server killed (SIGKILL)
 * at a random moment; restarted; the insurer's claims approved; the bank's approvals retried with their
 * Idempotency-Keys. Then no loan has more granted than its pool share, the pool's reservations are exactly
 * the approved claims' amounts, and every acknowledged approval is there once.
 */
const ROUNDS = 4;
const LOANS = 40;
const SHARE = 2_500_000n; // 25 % of the 10,000,000-fen loss, the terms' pool share
/** A money figure as responses carry it. */
type Money = { amount: string; currency: string };

let db: TestDatabase;
let admin: string;
beforeAll(async () => {
  db = await testDatabase();
  admin = (await bootstrapAdmin(db.app.kysely))!.key;
});
afterAll(() => db.close());

it("never grants one loan's pool share twice across a SIGKILL during approvals", async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(db, port);
  const post = async (key: string, path: string, body: unknown, idem: string = randomUUID()) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const get = async (key: string, path: string) =>
    (await (await fetch(base + path, { headers: { authorization: `Bearer ${key}` } })).json()) as any;
  const ok = <T>(r: { status: number; body: T }, status = 201) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };

  try {
    for (let round = 0; round < ROUNDS; round++) {
      const pool = ok(await post(admin, '/v1/pools', { name: `kill ${round}` }));
      const p = `/v1/pools/${pool.id}`;
      const treasury = ok(await post(admin, '/v1/keys', { role: 'treasury', pool_id: pool.id })).key;
      // Approvals are four-eyes (a new pool's rule): the treasury key reviews, the checker approves.
      const checker = ok(await post(admin, '/v1/keys', { role: 'treasury', pool_id: pool.id })).key;
      const bank = ok(
        await post(treasury, `${p}/participants`, { kind: 'bank', name: 'Bank', credit_code: newCreditCode() }),
      );
      const insurer = ok(
        await post(treasury, `${p}/participants`, { kind: 'insurer', name: 'Insurer', credit_code: newCreditCode() }),
      );
      const bankKey = ok(
        await post(treasury, '/v1/keys', { role: 'bank', pool_id: pool.id, participant_id: bank.id }),
      ).key;
      const insurerKey = ok(
        await post(treasury, '/v1/keys', { role: 'insurer', pool_id: pool.id, participant_id: insurer.id }),
      ).key;
      ok(
        await post(treasury, `${p}/appropriations`, {
          reference: 'A',
          amount: '10000000000',
          notified_on: '2026-01-02',
        }),
      );
      ok(await post(treasury, `${p}/appropriations/A/receipt`, { received_on: '2026-01-03' }), 200);
      const agreement = ok(
        await post(treasury, `${p}/agreements`, {
          bank_id: bank.id,
          insurer_id: insurer.id,
          name: 'Insured',
          effective_from: '2026-01-01',
          terms: terms({
            credit_line: '100000000000',
            max_principal: '100000000',
            per_enterprise_year_cap: '100000000000',
            per_bank_year_cap: '100000000000',
            suspension_loss_bp: 10_000,
          }),
        }),
      );
      const code = newCreditCode();
      ok(
        await post(treasury, `${p}/participants`, {
          kind: 'enterprise',
          name: 'Firm',
          credit_code: code,
          enterprise: { in_zone: true, tech_sme_certificate: 'GR', tech_sme_expires: '2030-12-31' },
        }),
      );
      const claims: { loan: string; bank: string; insurer: string }[] = [];
      for (let i = 0; i < LOANS; i++) {
        const loan = ok(
          await post(bankKey, `${p}/loans`, {
            agreement_id: agreement.id,
            reference: `L-${i}`,
            borrower_credit_code: code,
            kind: 'performance_bond_insured',
            principal: '10000000',
            rate_bp: 400,
            disbursed_on: '2026-02-01',
            matures_on: '2027-02-01',
            policy_number: `P-${i}`,
            premium: '1000',
          }),
        );
        ok(
          await post(bankKey, `${p}/loans/${loan.id}/reports`, {
            month: '2026-06-01',
            outstanding: '10000000',
            overdue_principal: '10000000',
            overdue_interest: '0',
            days_past_due: 95,
            classification: 'substandard',
          }),
        );
        const documents = [{ name: 'n.pdf', sha256: 'a'.repeat(64) }];
        const b = ok(await post(bankKey, `${p}/claims`, { loan_id: loan.id, loss_principal: '10000000', documents }));
        const n = ok(
          await post(insurerKey, `${p}/claims`, {
            loan_id: loan.id,
            loss_principal: '10000000',
            paid_to_bank: '4500000',
            documents,
          }),
        );
        claims.push({ loan: loan.id, bank: b.id, insurer: n.id });
      }

      // The bank's claims reviewed, then approved by many callers at once; the server dies in the middle.
      for (const c of claims) ok(await post(treasury, `${p}/claims/${c.bank}/approve`, { reason: 'ok' }), 202);
      const acknowledged = new Set<string>();
      let firstAnswer: () => void = () => {};
      const answered = new Promise<void>((r) => (firstAnswer = r));
      const approve = (claim: string) =>
        post(checker, `${p}/claims/${claim}/approve`, { reason: 'ok' }, `approve-${pool.id}-${claim}`);
      const inFlight = claims.map(async (c) => {
        try {
          const r = await approve(c.bank);
          if (r.status === 200) acknowledged.add(c.bank);
          firstAnswer();
        } catch {
          // no answer: the server died under it
        }
      });
      // The kill lands among the approvals: after the first is answered (approvals of a pool are taken one at
      // a time, so on a slow machine a fixed delay found none done), at a random moment of those that follow.
      await Promise.race([answered, new Promise((r) => setTimeout(r, 5_000))]);
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      server.child.kill('SIGKILL');
      await Promise.all(inFlight);
      await server.exited;
      console.log(`round ${round}: ${acknowledged.size} of ${LOANS} approvals acknowledged before the kill`);
      server = await startServer(db, port);

      // Right after the restart, every reservation belongs to an approved claim.
      const approvedNow = (await get(treasury, `${p}/claims?status=approved&limit=1000`)).data as { amount: Money }[];
      const position = await get(treasury, `${p}/position`);
      expect(BigInt(position.reserved.amount), `round ${round}: reserved without an approved claim`).toBe(
        approvedNow.reduce((s, c) => s + BigInt(c.amount.amount), 0n),
      );

      // The insurer's claims approved (or refused: the share is taken), then the bank's retried.
      for (const c of claims) {
        ok(await post(treasury, `${p}/claims/${c.insurer}/approve`, { reason: 'ok' }), 202);
        const r = await post(checker, `${p}/claims/${c.insurer}/approve`, { reason: 'ok' });
        expect([200, 422], JSON.stringify(r.body)).toContain(r.status);
      }
      for (const c of claims) {
        let r = await approve(c.bank);
        for (
          let attempt = 0;
          r.status === 409 && r.body.type.endsWith('idempotency-in-flight') && attempt < 50;
          attempt++
        ) {
          await new Promise((res) => setTimeout(res, 100));
          r = await approve(c.bank);
        }
        if (acknowledged.has(c.bank)) expect(r.status, JSON.stringify(r.body)).toBe(200);
        else expect([200, 422], JSON.stringify(r.body)).toContain(r.status);
      }

      // Per loan, what was granted never passes its pool share; every acknowledged approval is there once.
      const all = (await get(treasury, `${p}/claims?limit=1000`)).data as {
        id: string;
        loan_id: string;
        status: string;
        amount: Money;
        steps?: unknown;
      }[];
      for (const c of claims) {
        const granted = all
          .filter((x) => x.loan_id === c.loan && x.status === 'approved')
          .reduce((s, x) => s + BigInt(x.amount.amount), 0n);
        expect(granted, `round ${round}: loan ${c.loan}`).toBeLessThanOrEqual(SHARE);
      }
      for (const id of acknowledged) {
        const claim = await get(treasury, `${p}/claims/${id}`);
        expect(claim.status).toBe('approved');
        expect(claim.steps.filter((s: { status: string }) => s.status === 'approved')).toHaveLength(1);
      }
      const finalPosition = await get(treasury, `${p}/position`);
      const approved = all.filter((x) => x.status === 'approved').reduce((s, x) => s + BigInt(x.amount.amount), 0n);
      expect(BigInt(finalPosition.reserved.amount)).toBe(approved);
      expect(approved).toBe(SHARE * BigInt(LOANS));
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}, 300_000);
