import { sql, type Kysely, type Selectable } from 'kysely';
import type { ClaimsTable, ClaimStatus, Database } from '../db/schema.js';
import type { Ledger, Transaction } from '../ledger/index.js';
import { admit, seesWholePool, type Principal } from './access.js';
import { agreementSeenBy, type Agreement, type TermsVersion } from './agreements.js';
import { claimAmount, type ClaimAmount, type ClaimStep } from './claim-amount.js';
import { addDays, addWorkingDays, lastDayOfMonth, todayInChina } from './days.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { loanSeenBy } from './loans.js';
import { ensureAccounts, postingFor } from './posting-rules.js';
import { postedAs, postMoney, postOnce, recordedBy } from './post-once.js';

/**
 * Claims (DESIGN.md §4): a bank's compensation claim or an insurer's performance-bond claim on a defaulted
 * loan, one per loan and claimant, inside the terms' filing window. Treasury takes each step with a reason:
 * submitted → approved (the amount reserved in the ledger) | deferred (the agreement is suspended, or by
 * treasury) | rejected (a reservation voided) → paid (the reservation posted) → closed. Each open step is
 * due within the terms' working days. Claims already granted (approved, paid, closed) count against the
 * per-loan cap and the enterprise's and bank's caps of the year the loan defaulted; approvals of a pool
 * are taken one at a time so those caps hold under concurrency.
 */
export interface Claim {
  id: bigint;
  poolId: bigint;
  loanId: bigint;
  claimantId: bigint;
  claimantKind: 'bank' | 'insurer';
  lossPrincipal: bigint;
  lossInterest: bigint;
  paidToBank: bigint | null;
  documents: { name: string; sha256: string }[];
  amount: bigint;
  breakdown: ClaimBreakdown;
  status: ClaimStatus;
  dueBy: string | null;
  lossYear: number;
  createdAt: Date;
  /** Who took each step: the key's id (the proposer of a four-eyes decision is on its proposal). */
  steps?: { status: string; reason: string; at: Date; by: string | null; byName: string | null }[];
}

const OPEN: ClaimStatus[] = ['submitted', 'deferred', 'approved'];

const refuse = (rule: string, message: string) => new DomainError('refused', 'claim-refused', message, { rule });

function toClaim(r: Selectable<ClaimsTable>): Claim {
  return {
    id: r.id,
    poolId: r.pool_id,
    loanId: r.loan_id,
    claimantId: r.claimant_id,
    claimantKind: r.claimant_kind,
    lossPrincipal: r.loss_principal,
    lossInterest: r.loss_interest,
    paidToBank: r.paid_to_bank,
    documents: r.documents,
    amount: r.amount,
    breakdown: r.breakdown as ClaimBreakdown,
    status: r.status,
    dueBy: r.due_by,
    lossYear: r.loss_year,
    createdAt: r.created_at,
  };
}

/** How a claim's amount was reached, as the claim keeps it (amounts in fen, as strings of digits). */
export type ClaimBreakdown = {
  base: string;
  pool_bp: number;
  split: { pool: string; insurer: string; bank: string };
  steps: ClaimStep[];
  capped_by: string[];
};

const breakdownOf = (a: ClaimAmount): ClaimBreakdown => ({
  base: a.base.toString(),
  pool_bp: a.poolBp,
  split: { pool: a.split.pool.toString(), insurer: a.split.insurer.toString(), bank: a.split.bank.toString() },
  steps: a.steps,
  capped_by: a.steps.filter((s) => s.bit).map((s) => s.step),
});

interface LoanFacts {
  id: bigint;
  bank_id: bigint;
  borrower_id: bigint;
  agreement_id: bigint;
  terms_version: number;
  kind: string;
  first_loan: boolean;
  state: string;
  defaulted_month: string | null;
  defaulted_outstanding: bigint | null;
}

async function loanFacts(db: Kysely<Database>, poolId: bigint, loanId: bigint): Promise<LoanFacts> {
  return db
    .selectFrom('loans')
    .select([
      'id',
      'bank_id',
      'borrower_id',
      'agreement_id',
      'terms_version',
      'kind',
      'first_loan',
      'state',
      'defaulted_month',
      'defaulted_outstanding',
    ])
    .where('pool_id', '=', poolId)
    .where('id', '=', loanId)
    .executeTakeFirstOrThrow();
}

/**
 * The most overdue interest the bank reported on the loan from the month it defaulted on: a claim's interest
 * comes from the bank's own reports, never from the claim alone.
 */
async function overdueInterestReported(db: Kysely<Database>, poolId: bigint, loan: LoanFacts): Promise<bigint> {
  const row = await db
    .selectFrom('loan_reports')
    .select(sql<string>`coalesce(max(overdue_interest), 0)::text`.as('interest'))
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loan.id)
    .where('month', '>=', loan.defaulted_month!)
    .executeTakeFirstOrThrow();
  return BigInt(row.interest);
}

/** The day (in China) the bank reported the month in which the loan defaulted: its first report of it. */
async function defaultReportedOn(db: Kysely<Database>, poolId: bigint, loan: LoanFacts): Promise<string> {
  const row = await db
    .selectFrom('loan_reports')
    .select(sql<string | null>`min((created_at AT TIME ZONE 'Asia/Shanghai')::date)::text`.as('on'))
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loan.id)
    .where('month', '=', loan.defaulted_month!)
    .executeTakeFirstOrThrow();
  // A loan defaults by a report, so there is one; else the month's last day is the earliest it could be.
  return row.on ?? lastDayOfMonth(loan.defaulted_month!.slice(0, 7));
}

/** What the pool has granted already: on the loan, to the enterprise and to the bank in the loss year. */
async function granted(db: Kysely<Database>, poolId: bigint, loan: LoanFacts, year: number, except?: bigint) {
  const rows = await sql<{ on_loan: string; enterprise: string; bank: string }>`
    SELECT coalesce(sum(c.amount) FILTER (WHERE c.loan_id = ${loan.id.toString()}::int8), 0)::text AS on_loan,
           coalesce(sum(c.amount) FILTER (WHERE l.borrower_id = ${loan.borrower_id.toString()}::int8), 0)::text AS enterprise,
           coalesce(sum(c.amount) FILTER (WHERE l.bank_id = ${loan.bank_id.toString()}::int8), 0)::text AS bank
      FROM claims c JOIN loans l ON l.pool_id = c.pool_id AND l.id = c.loan_id
     WHERE c.pool_id = ${poolId.toString()}::int8 AND c.status IN ('approved', 'paid', 'closed')
       AND (c.loss_year = ${year} OR c.loan_id = ${loan.id.toString()}::int8) AND c.id <> ${(except ?? 0n).toString()}::int8`.execute(
    db,
  );
  const r = rows.rows[0]!;
  return { loan: BigInt(r.on_loan), enterprise: BigInt(r.enterprise), bank: BigInt(r.bank) };
}

async function computeFor(
  db: Kysely<Database>,
  ledger: Ledger,
  poolId: bigint,
  loan: LoanFacts,
  terms: TermsVersion,
  claim: { lossPrincipal: bigint; lossInterest: bigint; paidToBank: bigint | null; year: number; except?: bigint },
) {
  const used = await granted(db, poolId, loan, claim.year, claim.except);
  const cash = await ledger.balance(poolId, 'pool_cash');
  return claimAmount({
    lossPrincipal: claim.lossPrincipal,
    lossInterest: claim.lossInterest,
    kind: loan.kind as never,
    firstLoan: loan.first_loan,
    terms,
    ...(claim.paidToBank === null ? {} : { paidToBank: claim.paidToBank }),
    loanGranted: used.loan,
    enterpriseYearGranted: used.enterprise,
    bankYearGranted: used.bank,
    available: cash.available,
  });
}

const termsOf = (agreement: Agreement, version: number) => agreement.versions.find((v) => v.version === version)!;

/** Files a claim (the loan's bank, or the insurer of its agreement for an insured loan). */
export async function fileClaim(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  spec: {
    loanId: bigint;
    lossPrincipal: bigint;
    lossInterest: bigint;
    paidToBank?: bigint;
    documents: { name: string; sha256: string }[];
  },
): Promise<Claim> {
  admit(principal, 'claims.file', poolId);
  const seen = await loanSeenBy(db, principal, poolId, spec.loanId);
  const claimantId = principal.participantId!;
  const kind = principal.role as 'bank' | 'insurer';
  if (kind === 'bank' && seen.bankId !== claimantId) throw notFound(`loan ${spec.loanId}`);
  // An insurer sees only the performance-bond loans it insures (loanSeenBy answered 404 for any other).
  if (kind === 'insurer') {
    if (spec.paidToBank === undefined)
      throw invalidField('paid_to_bank', 'an insurer claims after paying the bank under the policy: say what it paid');
    if (spec.paidToBank === 0n)
      throw refuse(
        'insurer_paid',
        "an insurer claims the pool's share after paying the bank under the policy; it reports having paid nothing",
      );
  }
  const loan = await loanFacts(db, poolId, spec.loanId);
  if (loan.state !== 'defaulted' || loan.defaulted_month === null)
    throw refuse('claimable', `the loan is ${loan.state}; a claim is filed on a defaulted loan`);
  const agreement = await agreementSeenBy(db, principal, poolId, loan.agreement_id);
  const terms = termsOf(agreement, loan.terms_version);
  const today = todayInChina();
  // The window runs from the day the bank reported the default (in China), so the report of a month,
  // which arrives after that month, leaves the whole window to file in.
  const reportedOn = await defaultReportedOn(db, poolId, loan);
  const closes = addDays(reportedOn, terms.filingWindowDays);
  if (today > closes)
    throw refuse(
      'filing_window',
      `the filing window closed on ${closes} (${terms.filingWindowDays} days after the default was reported on ${reportedOn})`,
    );
  if (spec.lossPrincipal > (loan.defaulted_outstanding ?? 0n)) {
    throw invalidField(
      'loss_principal',
      `the principal lost cannot pass the ${loan.defaulted_outstanding} fen outstanding when the loan defaulted`,
    );
  }
  const interestReported = await overdueInterestReported(db, poolId, loan);
  if (spec.lossInterest > interestReported) {
    throw invalidField(
      'loss_interest',
      `the interest lost cannot pass the ${interestReported} fen of overdue interest the bank reported since the loan defaulted`,
    );
  }
  await ensureAccounts(ledger, poolId);
  const year = Number(loan.defaulted_month.slice(0, 4));
  const amount = await computeFor(db, ledger, poolId, loan, terms, {
    lossPrincipal: spec.lossPrincipal,
    lossInterest: spec.lossInterest,
    paidToBank: spec.paidToBank ?? null,
    year,
  });
  const row = await db
    .insertInto('claims')
    .values({
      pool_id: poolId,
      loan_id: spec.loanId,
      claimant_id: claimantId,
      claimant_kind: kind,
      loss_principal: spec.lossPrincipal,
      loss_interest: spec.lossInterest,
      paid_to_bank: spec.paidToBank ?? null,
      documents: spec.documents,
      amount: amount.amount,
      breakdown: breakdownOf(amount),
      due_by: addWorkingDays(today, terms.stepDeadlineDays),
      loss_year: year,
    })
    .onConflict((oc) => oc.columns(['pool_id', 'loan_id', 'claimant_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new DomainError(
      'conflict',
      'conflict',
      `a claim on loan ${spec.loanId} by this ${kind} exists; one claim per loan and claimant`,
      { field: 'loan_id' },
    );
  await db
    .insertInto('claim_steps')
    .values({ pool_id: poolId, claim_id: row.id, status: 'submitted', reason: 'filed', by_key: principal.keyId })
    .execute();
  await appendEvent(db, {
    poolId,
    type: 'claim.submitted',
    subject: `claim/${row.id}`,
    participantId: claimantId,
    data: { loan_id: spec.loanId.toString(), amount: amount.amount.toString() },
  });
  return toClaim(row);
}

export type ClaimAction = 'approve' | 'defer' | 'reject' | 'pay' | 'close';
const DONE: Record<ClaimAction, ClaimStatus> = {
  approve: 'approved',
  defer: 'deferred',
  reject: 'rejected',
  pay: 'paid',
  close: 'closed',
};
const FROM: Record<ClaimAction, ClaimStatus[]> = {
  approve: ['submitted', 'deferred'],
  defer: ['submitted'],
  reject: ['submitted', 'deferred', 'approved'],
  pay: ['approved'],
  close: ['paid'],
};

/** A claim's step as recorded in the ledger transaction that posts its money (see sql/0019). */
interface ClaimStepRecord {
  pool_id: bigint;
  claim_id: bigint;
  from: ClaimStatus[];
  status: ClaimStatus;
  reason: string;
  by_key: bigint;
  request_key: string | null;
  participant_id: bigint;
  amount?: bigint;
  breakdown?: Record<string, unknown>;
  reserve_tx?: bigint;
  due_by: string | null;
}
const claimSteps = recordedBy<ClaimStepRecord>('claim_record_steps');

/**
 * Treasury's step on a claim, with a reason. A step that moves money (approve, reject an approved claim,
 * pay) is recorded in the ledger transaction that posts its money, so a crash can never leave a reservation
 * without its approved claim (the next claim on the loan would not count it and take the loan's pool share
 * again) nor a payment under a claim that still reads approved.
 */
export async function decideClaim(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  claimId: bigint,
  action: ClaimAction,
  reason: string,
): Promise<Claim> {
  admit(principal, 'claims.decide', poolId);
  // One decision at a time per pool: the yearly caps and the available balance are read, then used. The
  // claim's row is not locked here: the step that moves money updates it from the ledger's connection.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`claims:${poolId}`}, 0))`.execute(db);
  const { row, answered } = await claimForStep(db, principal, poolId, claimId, action);
  if (answered) return answered;
  const loan = await loanFacts(db, poolId, row.loan_id);
  const agreement = await agreementSeenBy(db, principal, poolId, loan.agreement_id);
  const terms = termsOf(agreement, loan.terms_version);
  const today = todayInChina();
  const step = (status: ClaimStatus, more: Partial<ClaimStepRecord> & { due_by: string | null }): ClaimStepRecord => ({
    pool_id: poolId,
    claim_id: row.id,
    from: FROM[action],
    status,
    reason,
    by_key: principal.keyId,
    request_key: principal.requestKey ?? null,
    participant_id: row.claimant_id,
    ...more,
  });

  switch (action) {
    case 'approve': {
      if (agreement.suspension?.suspended) {
        return recordStep(db, {
          ...step('deferred', { due_by: null }),
          reason: `agreement suspended (${agreement.suspension.reason}): ${reason}`,
        });
      }
      const amount = await computeFor(db, ledger, poolId, loan, terms, {
        lossPrincipal: row.loss_principal,
        lossInterest: row.loss_interest,
        paidToBank: row.paid_to_bank,
        year: row.loss_year,
        except: row.id,
      });
      const approved = (reservation: Transaction) =>
        step('approved', {
          reserve_tx: reservation.id,
          amount: reservedBy(reservation),
          breakdown: breakdownOf(amount),
          due_by: addWorkingDays(today, terms.stepDeadlineDays),
        });
      // A reservation posted by an approval taken before a step's record travelled with its posting, whose
      // record a crash then lost, stands with its amount: it is already counted against the available
      // balance, so the caps are not applied to it again.
      const earlier = await postedAs(ledger, poolId, `claim:${row.id}:reserve`);
      if (earlier) return recordStep(db, approved(earlier));
      const capped = amount.steps.filter((s) => s.bit).map((s) => s.step);
      if (capped.includes('available')) {
        throw new DomainError(
          'refused',
          'insufficient-funds',
          `the pool's available balance (${amount.steps.at(-1)!.limit} fen) cannot cover this claim; nothing changed`,
          { breakdown: breakdownOf(amount) },
        );
      }
      if (amount.amount === 0n)
        throw refuse('caps', `nothing is left to pay under the caps (${capped.join(', ')}); reject the claim instead`);
      const posted = await postMoney(
        ledger,
        postingFor('claim_approved', {
          poolId,
          externalId: `claim:${row.id}:reserve`,
          effectiveDate: today,
          amount: amount.amount,
          metadata: { claim_id: row.id.toString() },
        }),
        { writer: claimSteps, row: approved },
      );
      return posted.recorded ? reread(db, row) : recordStep(db, approved(posted.transaction));
    }
    case 'defer':
      return recordStep(db, step('deferred', { due_by: null }));
    case 'reject': {
      // An approved claim holds a reservation; so may one whose approval posted it and then crashed before
      // the claim recorded it (before records travelled with postings). Either is voided.
      const reservation = row.reserve_tx ?? (await postedAs(ledger, poolId, `claim:${row.id}:reserve`))?.id ?? null;
      if (reservation === null) return recordStep(db, step('rejected', { due_by: null }));
      const voided = await postOnce(
        ledger,
        {
          type: 'void_pending',
          poolId,
          externalId: `claim:${row.id}:void`,
          effectiveDate: today,
          pending: { id: reservation },
        },
        { writer: claimSteps, row: () => step('rejected', { due_by: null }) },
      );
      return voided.recorded ? reread(db, row) : recordStep(db, step('rejected', { due_by: null }));
    }
    case 'pay': {
      const paid = await postOnce(
        ledger,
        {
          type: 'post_pending',
          poolId,
          externalId: `claim:${row.id}:pay`,
          effectiveDate: today,
          pending: { id: row.reserve_tx! },
        },
        { writer: claimSteps, row: () => step('paid', { due_by: null }) },
      );
      return paid.recorded ? reread(db, row) : recordStep(db, step('paid', { due_by: null }));
    }
    case 'close':
      return recordStep(db, step('closed', { due_by: null }));
  }
}

/**
 * Whether a step can be taken on the claim now, before it is proposed under four-eyes: refuses as the step
 * would (404, or 409 for a claim in another state); answers the claim when this very request took the step
 * already (a retry after its answer was lost).
 */
export async function claimStepPossible(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  claimId: bigint,
  action: ClaimAction,
): Promise<Claim | undefined> {
  admit(principal, 'claims.decide', poolId);
  return (await claimForStep(db, principal, poolId, claimId, action)).answered;
}

async function claimForStep(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  claimId: bigint,
  action: ClaimAction,
): Promise<{ row: Selectable<ClaimsTable>; answered?: Claim }> {
  const row = await db
    .selectFrom('claims')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', claimId)
    .executeTakeFirst();
  if (!row) throw notFound(`claim ${claimId}`);
  if (row.status === DONE[action] && (await tookStep(db, principal, row))) return { row, answered: toClaim(row) };
  if (!FROM[action].includes(row.status))
    throw new DomainError('conflict', 'conflict', `the claim is ${row.status}; it cannot be ${DONE[action]}`, {
      status: row.status,
    });
  return { row };
}

/** What a reservation holds back of the pool's cash. */
const reservedBy = (reservation: Transaction) =>
  -reservation.entries.filter((e) => e.account === 'pool_cash').reduce((s, e) => s + e.amount, 0n);

/** Records a step in the request's own transaction: a step with no money, or one whose posting was there already. */
async function recordStep(db: Kysely<Database>, step: ClaimStepRecord): Promise<Claim> {
  await claimSteps.inRequest(db, step);
  return reread(db, { pool_id: step.pool_id, id: step.claim_id });
}

const reread = async (db: Kysely<Database>, row: { pool_id: bigint; id: bigint }) =>
  toClaim(
    await db
      .selectFrom('claims')
      .selectAll()
      .where('pool_id', '=', row.pool_id)
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow(),
  );

/** Whether the claim's last step was taken by this very request (retried after its answer was lost). */
async function tookStep(
  db: Kysely<Database>,
  principal: Principal,
  row: { pool_id: bigint; id: bigint },
): Promise<boolean> {
  if (principal.requestKey === undefined) return false;
  const last = await db
    .selectFrom('claim_steps')
    .select(['by_key', 'request_key'])
    .where('pool_id', '=', row.pool_id)
    .where('claim_id', '=', row.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.by_key === principal.keyId && last.request_key === principal.requestKey;
}

/** A claim with its steps: its claimant sees it, with treasury and auditors. */
export async function getClaim(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  claimId: bigint,
): Promise<Claim> {
  admit(principal, 'claims.read', poolId);
  const row = await db
    .selectFrom('claims')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', claimId)
    .executeTakeFirst();
  if (!row || (!seesWholePool(principal) && principal.participantId !== row.claimant_id))
    throw notFound(`claim ${claimId}`);
  const steps = await db
    .selectFrom('claim_steps as s')
    .leftJoin('users as u', 'u.key_id', 's.by_key')
    .select(['s.status', 's.reason', 's.created_at', 's.by_key', 'u.name'])
    .where('s.pool_id', '=', poolId)
    .where('s.claim_id', '=', claimId)
    .orderBy('s.id')
    .execute();
  return {
    ...toClaim(row),
    // The claimant sees what was done and why; who in the treasury did it is the treasury's and auditors'.
    steps: steps.map((s) => ({
      status: s.status,
      reason: s.reason,
      at: s.created_at,
      by: seesWholePool(principal) ? (s.by_key?.toString() ?? null) : null,
      byName: seesWholePool(principal) ? s.name : null,
    })),
  };
}

/** Claims in id order, a keyset page at a time; `overdue` lists open claims past their step's deadline. */
export async function listClaims(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { status?: ClaimStatus; overdue?: boolean; loanId?: bigint; after?: bigint; limit: number },
): Promise<Claim[]> {
  admit(principal, 'claims.list', poolId);
  let query = db.selectFrom('claims').selectAll().where('pool_id', '=', poolId).orderBy('id').limit(options.limit);
  if (!seesWholePool(principal)) query = query.where('claimant_id', '=', principal.participantId ?? -1n);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.loanId !== undefined) query = query.where('loan_id', '=', options.loanId);
  if (options.overdue) query = query.where('status', 'in', OPEN).where('due_by', '<', todayInChina());
  if (options.after !== undefined) query = query.where('id', '>', options.after);
  return (await query.execute()).map(toClaim);
}
