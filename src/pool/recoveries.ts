import { type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Database, RecoveriesTable } from '../db/schema.js';
import type { Ledger } from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { checkEventDay } from './business-dates.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { loanSeenBy } from './loans.js';
import { minOf, splitByLargestRemainder, sumOf } from './money.js';
import { ensureAccounts, postingFor, refKey } from './posting-rules.js';
import { postMoney, recordedBy, type StepRecord } from './post-once.js';

/**
 * Recoveries after compensation: the money a bank recovers from the borrower, net of collection costs, is
 * shared back in the ratio in which the loss was borne. The pool's part = net × pool paid ÷ loss, never
 * more than the pool paid less what already came back; the insurer's part likewise; the rest stays with
 * the bank. The pool's part becomes a receivable from the bank, then cash when the treasury receives it.
 * The bank's reference is unique per loan: a recovery reported twice counts once.
 */
export interface Recovery {
  id: bigint;
  loanId: bigint;
  bankId: bigint;
  reference: string;
  recoveredOn: string;
  gross: bigint;
  costs: bigint;
  poolPart: bigint;
  insurerPart: bigint;
  bankPart: bigint;
  receivedOn: string | null;
}

const toRecovery = (r: Selectable<RecoveriesTable>): Recovery => ({
  id: r.id,
  loanId: r.loan_id,
  bankId: r.bank_id,
  reference: r.reference,
  recoveredOn: r.recovered_on,
  gross: r.gross,
  costs: r.costs,
  poolPart: r.pool_part,
  insurerPart: r.insurer_part,
  bankPart: r.bank_part,
  receivedOn: r.received_on,
});

/** How a net recovery is shared back: pure, from what each party bore and what already came back. */
export function shareRecovery(p: {
  net: bigint;
  loss: bigint;
  poolPaid: bigint;
  insurerBore: bigint;
  poolBack: bigint;
  insurerBack: bigint;
}) {
  const bankBore = p.loss - p.poolPaid - p.insurerBore;
  const [pool, insurer] = splitByLargestRemainder(p.net, [
    p.poolPaid,
    p.insurerBore,
    bankBore > 0n ? bankBore : 0n,
  ]) as [bigint, bigint, bigint];
  const poolPart = minOf(pool, p.poolPaid - p.poolBack);
  const insurerPart = minOf(insurer, p.insurerBore - p.insurerBack);
  return { poolPart, insurerPart, bankPart: p.net - poolPart - insurerPart };
}

const externalId = (loanId: bigint, reference: string, step: 'reported' | 'received') =>
  `recovery:${loanId}:${refKey(reference)}:${step}`;

/** The loan's bank reports money it recovered after the pool compensated the loss. */
export async function reportRecovery(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  loanId: bigint,
  spec: { reference: string; recoveredOn: string; gross: bigint; costs: bigint },
): Promise<Recovery> {
  admit(principal, 'recoveries.report', poolId);
  checkEventDay('recovered_on', spec.recoveredOn);
  const loan = await loanSeenBy(db, principal, poolId, loanId);
  if (loan.bankId !== principal.participantId) throw notFound(`loan ${loanId}`);
  // One recovery of a loan at a time: each is capped by what the others already gave back. FOR NO KEY
  // UPDATE, so that the recovery recorded from the ledger's connection (which refers to the loan) is not
  // kept waiting behind this lock while this request waits for that posting.
  await db
    .selectFrom('loans')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('id', '=', loanId)
    .forNoKeyUpdate()
    .execute();
  if (spec.costs > spec.gross) throw invalidField('costs', 'collection costs cannot pass the gross amount recovered');
  const earlier = await recoveryOf(db, poolId, loanId, spec.reference);
  if (
    earlier &&
    (earlier.gross !== spec.gross || earlier.costs !== spec.costs || earlier.recovered_on !== spec.recoveredOn)
  ) {
    throw new DomainError(
      'conflict',
      'conflict',
      `recovery ${spec.reference} on this loan was reported with other figures`,
      { field: 'reference' },
    );
  }
  if (earlier) {
    // Reported before: its part was posted with it (or, reported before recoveries travelled with their
    // postings, after it: posting it again finishes that once).
    if (earlier.pool_part > 0n) await postPoolPart(ledger, earlier);
    return toRecovery(earlier);
  }
  const recovery = {
    pool_id: poolId,
    loan_id: loanId,
    bank_id: loan.bankId,
    reference: spec.reference,
    recovered_on: spec.recoveredOn,
    gross: spec.gross,
    costs: spec.costs,
    ...(await sharesOf(db, poolId, loanId, spec)),
  };
  // The recovery commits with the pool's part it posts: a later recovery of the loan counts it either way.
  const posted =
    recovery.pool_part > 0n
      ? await postPoolPart(ledger, recovery, { writer: recoveries, row: () => recovery })
      : { recorded: false };
  if (!posted.recorded) await recoveries.inRequest(db, recovery);
  return toRecovery((await recoveryOf(db, poolId, loanId, spec.reference))!);
}

/** How a new recovery of the loan is shared, against what was paid on it and what came back already. */
async function sharesOf(db: Kysely<Database>, poolId: bigint, loanId: bigint, spec: { gross: bigint; costs: bigint }) {
  const paid = await db
    .selectFrom('claims')
    .select(['amount', 'breakdown', 'claimant_kind'])
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loanId)
    .where('status', 'in', ['paid', 'closed'])
    .execute();
  const poolPaid = sumOf(paid.map((c) => c.amount));
  if (poolPaid === 0n)
    throw new DomainError(
      'refused',
      'claim-refused',
      'the pool has paid nothing on this loan: recoveries are shared after compensation',
      { rule: 'compensated' },
    );
  const loss = paid.reduce(
    (m, c) => (BigInt(c.breakdown.base as string) > m ? BigInt(c.breakdown.base as string) : m),
    0n,
  );
  const insurerBore = paid.reduce((m, c) => {
    const v = BigInt((c.breakdown.split as { insurer: string }).insurer);
    return v > m ? v : m;
  }, 0n);
  const back = await db
    .selectFrom('recoveries')
    .select(['pool_part', 'insurer_part'])
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loanId)
    .execute();
  const shares = shareRecovery({
    net: spec.gross - spec.costs,
    loss,
    poolPaid,
    insurerBore,
    poolBack: sumOf(back.map((b) => b.pool_part)),
    insurerBack: sumOf(back.map((b) => b.insurer_part)),
  });
  return { pool_part: shares.poolPart, insurer_part: shares.insurerPart, bank_part: shares.bankPart };
}

/** Posts the pool's part of a reported recovery (receivable from the bank), with its record when new. */
async function postPoolPart(
  ledger: Ledger,
  r: { pool_id: bigint; loan_id: bigint; bank_id: bigint; reference: string; recovered_on: string; pool_part: bigint },
  record?: StepRecord<Insertable<RecoveriesTable>>,
) {
  await ensureAccounts(ledger, r.pool_id, { bankId: r.bank_id });
  return postMoney(
    ledger,
    postingFor('recovery_reported', {
      poolId: r.pool_id,
      externalId: externalId(r.loan_id, r.reference, 'reported'),
      effectiveDate: r.recovered_on,
      amount: r.pool_part,
      bankId: r.bank_id,
      metadata: { loan_id: r.loan_id.toString(), reference: r.reference },
    }),
    record,
  );
}

const recoveries = recordedBy<Insertable<RecoveriesTable>>('recovery_record');

const recoveryOf = (db: Kysely<Database>, poolId: bigint, loanId: bigint, reference: string) =>
  db
    .selectFrom('recoveries')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loanId)
    .where('reference', '=', reference)
    .executeTakeFirst();

/** Treasury records the pool's part of a recovery as received from the bank. */
export async function receiveRecovery(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  loanId: bigint,
  reference: string,
  receivedOn: string,
): Promise<Recovery> {
  admit(principal, 'recoveries.receive', poolId);
  checkEventDay('received_on', receivedOn);
  const row = await db
    .selectFrom('recoveries')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loanId)
    .where('reference', '=', reference)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(`recovery ${reference} on loan ${loanId}`);
  if (row.received_on !== null && row.received_on !== receivedOn)
    throw new DomainError('conflict', 'conflict', `recovery ${reference} was received on ${row.received_on}`, {
      field: 'received_on',
    });
  if (receivedOn < row.recovered_on)
    throw invalidField(
      'received_on',
      `the pool receives a recovery on or after it was recovered (${row.recovered_on})`,
    );
  if (row.pool_part > 0n) {
    await ensureAccounts(ledger, poolId, { bankId: row.bank_id });
    await postMoney(
      ledger,
      postingFor('recovery_received', {
        poolId,
        externalId: externalId(loanId, reference, 'received'),
        effectiveDate: receivedOn,
        amount: row.pool_part,
        bankId: row.bank_id,
        metadata: { loan_id: loanId.toString(), reference },
      }),
    );
  }
  if (row.received_on === null) {
    await db
      .updateTable('recoveries')
      .set({ received_on: receivedOn })
      .where('pool_id', '=', poolId)
      .where('id', '=', row.id)
      .execute();
    await appendEvent(db, {
      poolId,
      type: 'recovery.received',
      subject: `loan/${loanId}`,
      participantId: row.bank_id,
      data: { reference, pool_part: row.pool_part.toString() },
    });
  }
  return { ...toRecovery(row), receivedOn };
}
