import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LoanClassification, LoansTable, LoanState } from '../db/schema.js';
import { admit, seesWholePool, type Principal } from './access.js';
import { agreementSeenBy, LOAN_KINDS, termsOn, type Agreement, type LoanKind } from './agreements.js';
import { eventDayRefusal, outsideWindow } from './business-dates.js';
import { creditCodeProblem } from './credit-code.js';
import { daysBetween, lastDayOfMonth, todayInChina } from './days.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';

export interface LoanSpec {
  agreementId: bigint;
  reference: string;
  borrowerCreditCode: string;
  kind: LoanKind;
  principal: bigint;
  rateBp: number;
  disbursedOn: string;
  maturesOn: string;
  firstLoan: boolean;
  policyNumber?: string;
  premium?: bigint;
}

export interface Loan {
  poolId: bigint;
  id: bigint;
  bankId: bigint;
  agreementId: bigint;
  reference: string;
  borrowerId: bigint;
  kind: LoanKind;
  principal: bigint;
  rateBp: number;
  disbursedOn: string;
  maturesOn: string;
  firstLoan: boolean;
  policyNumber: string | null;
  premium: bigint | null;
  termsVersion: number;
  state: LoanState;
  outstanding: bigint;
}

export type { LoanState };
export const CLASSIFICATIONS = [
  'normal',
  'special_mention',
  'substandard',
  'doubtful',
  'loss',
] as const satisfies readonly LoanClassification[];

export interface MonthlyReport {
  month: string;
  outstanding: bigint;
  overduePrincipal: bigint;
  overdueInterest: bigint;
  daysPastDue: number;
  classification: LoanClassification;
}

/** A loan the agreement's terms do not admit; `rule` names which. */
const refuse = (rule: string, message: string) => new DomainError('refused', 'loan-refused', message, { rule });

/** Whole months from one day to another, counting a started month as whole. */
function termMonths(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return (ty - fy) * 12 + (tm - fm) + (td > fd ? 1 : 0);
}

/** What the rules need to know of a borrower: its enterprise record in the pool. */
export interface BorrowerRecord {
  id: bigint;
  inZone: boolean;
  techSmeExpires: string | null;
}

/**
 * Why the agreement's terms or the borrower's record do not admit a loan, or null when they do: the rules of
 * enrolment in one place, for a single loan and for every row of a tape. A loan is enrolled once disbursed,
 * so never with a disbursement after today. The credit line is checked apart, under the exposure row's lock.
 */
export function loanRefusal(
  agreement: Agreement,
  spec: LoanSpec,
  borrower: BorrowerRecord | undefined,
  today: string,
): DomainError | null {
  if (agreement.suspension?.suspended)
    return refuse('suspended', `the agreement is suspended: ${agreement.suspension.reason}`);
  const dateRefusal = eventDayRefusal('disbursed_on', spec.disbursedOn, today);
  if (dateRefusal) return dateRefusal;
  const terms = termsOn(agreement, spec.disbursedOn);
  if (!terms) return refuse('terms_in_force', `the agreement has no terms in force on ${spec.disbursedOn}`);
  const codeProblem = creditCodeProblem(spec.borrowerCreditCode);
  if (codeProblem) return invalidField('borrower_credit_code', codeProblem);
  if (!borrower)
    return refuse(
      'borrower_registered',
      `no enterprise with credit code ${spec.borrowerCreditCode} is registered in this pool`,
    );
  if (!borrower.inZone) return refuse('borrower_in_zone', 'the borrower is not an enterprise of the zone');
  if (!borrower.techSmeExpires || borrower.techSmeExpires < spec.disbursedOn) {
    return refuse('borrower_tech_sme', 'the borrower holds no tech-SME certificate valid on the disbursement date');
  }
  if (!terms.eligibleKinds.includes(spec.kind))
    return refuse('eligible_kind', `${spec.kind} loans are not eligible under the terms in force`);
  if (spec.principal > terms.maxPrincipal)
    return refuse('max_principal', `the principal is above the ${terms.maxPrincipal} fen the terms allow`);
  if (spec.maturesOn <= spec.disbursedOn) return invalidField('matures_on', 'a loan matures after it is disbursed');
  const months = termMonths(spec.disbursedOn, spec.maturesOn);
  if (months > terms.maxTermMonths)
    return refuse('max_term', `a term of ${months} months is above the ${terms.maxTermMonths} the terms allow`);
  if (spec.kind === 'performance_bond_insured') {
    if (agreement.insurerId === null) return refuse('insurer', 'an insured loan needs an agreement with an insurer');
    if (!spec.policyNumber || spec.premium === undefined)
      return invalidField('policy_number', 'an insured loan carries its policy number and premium');
  }
  return null;
}

/** Enterprises of the pool by credit code, for the enrolment rules. */
export async function borrowersByCode(
  db: Kysely<Database>,
  poolId: bigint,
  codes: string[],
): Promise<Map<string, BorrowerRecord>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .selectFrom('participants')
    .select(['id', 'credit_code', 'in_zone', 'tech_sme_expires'])
    .where('pool_id', '=', poolId)
    .where('kind', '=', 'enterprise')
    .where('credit_code', '=', sql<string>`any(${codes}::text[])`)
    .execute();
  return new Map(
    rows.map((r) => [r.credit_code!, { id: r.id, inZone: r.in_zone ?? false, techSmeExpires: r.tech_sme_expires }]),
  );
}

/**
 * Enrols a bank's loan under its agreement: checked against the terms in force on the disbursement date
 * and the borrower's record, then its principal taken from the agreement's credit line. The line is taken
 * with one conditional update under the exposure row's lock, so concurrent enrolments never pass it.
 */
export async function enrolLoan(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  spec: LoanSpec,
): Promise<Loan> {
  admit(principal, 'loans.enrol', poolId);
  const { agreement, bankId } = await bankAgreement(db, principal, poolId, spec.agreementId);
  const borrower = creditCodeProblem(spec.borrowerCreditCode)
    ? undefined
    : (await borrowersByCode(db, poolId, [spec.borrowerCreditCode])).get(spec.borrowerCreditCode);
  const refusal = loanRefusal(agreement, spec, borrower, todayInChina());
  if (refusal) throw refusal;
  const terms = termsOn(agreement, spec.disbursedOn)!;

  const taken = await db
    .updateTable('agreement_exposure')
    .set({ used: sql`used + ${spec.principal.toString()}::int8` })
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', spec.agreementId)
    .where(sql<boolean>`used + ${spec.principal.toString()}::int8 <= ${terms.creditLine.toString()}::int8`)
    .returning('used')
    .executeTakeFirst();
  if (!taken)
    throw refuse('credit_line', `the loan would take the agreement past its credit line of ${terms.creditLine} fen`);

  const row = await db
    .insertInto('loans')
    .values({
      pool_id: poolId,
      bank_id: bankId,
      agreement_id: spec.agreementId,
      reference: spec.reference,
      borrower_id: borrower!.id,
      kind: spec.kind,
      principal: spec.principal,
      rate_bp: spec.rateBp,
      disbursed_on: spec.disbursedOn,
      matures_on: spec.maturesOn,
      first_loan: spec.firstLoan,
      policy_number: spec.policyNumber ?? null,
      premium: spec.premium ?? null,
      terms_version: terms.version,
      outstanding: spec.principal,
    })
    .onConflict((oc) => oc.columns(['pool_id', 'bank_id', 'reference']).doNothing())
    .returningAll()
    .executeTakeFirst();
  // The exposure update above rolls back with the request's transaction.
  if (!row)
    throw new DomainError('conflict', 'conflict', `the bank already enrolled a loan with reference ${spec.reference}`, {
      reference: spec.reference,
    });
  await appendEvent(db, {
    poolId,
    type: 'loan.enrolled',
    subject: `loan/${row.id}`,
    participantId: bankId,
    data: { reference: spec.reference, principal: spec.principal.toString() },
  });
  return toLoan(row);
}

/** The caller's own agreement, as a bank admitted to enrol in the pool: another bank's answers 404. */
export async function bankAgreement(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  agreementId: bigint,
): Promise<{ agreement: Agreement; bankId: bigint }> {
  if (principal.participantId === null) throw new DomainError('forbidden', 'forbidden', 'only a bank enrols its loans');
  const agreement = await agreementSeenBy(db, principal, poolId, agreementId);
  if (agreement.bankId !== principal.participantId) throw notFound(`agreement ${agreementId}`);
  return { agreement, bankId: principal.participantId };
}

export function toLoan(r: Selectable<LoansTable>): Loan {
  return {
    poolId: r.pool_id,
    id: r.id,
    bankId: r.bank_id,
    agreementId: r.agreement_id,
    reference: r.reference,
    borrowerId: r.borrower_id,
    kind: r.kind as LoanKind,
    principal: r.principal,
    rateBp: r.rate_bp,
    disbursedOn: r.disbursed_on,
    maturesOn: r.matures_on,
    firstLoan: r.first_loan,
    policyNumber: r.policy_number,
    premium: r.premium,
    termsVersion: r.terms_version,
    state: r.state,
    outstanding: r.outstanding,
  };
}

/**
 * The loans a principal may see, as one query: treasury and auditors the whole pool, a bank its own, an
 * insurer only the performance-bond loans of the agreements it insures (the bank's uninsured book is none
 * of its business). Every read of loans starts here, so a list and a single loan never disagree.
 */
function loansSeenBy(db: Kysely<Database>, principal: Principal, poolId: bigint) {
  const query = db
    .selectFrom('loans')
    .innerJoin('agreements', (j) =>
      j.onRef('agreements.pool_id', '=', 'loans.pool_id').onRef('agreements.id', '=', 'loans.agreement_id'),
    )
    .selectAll('loans')
    .where('loans.pool_id', '=', poolId);
  if (seesWholePool(principal)) return query;
  const me = principal.participantId ?? -1n;
  if (principal.role === 'bank') return query.where('loans.bank_id', '=', me);
  if (principal.role === 'insurer')
    return query.where('agreements.insurer_id', '=', me).where('loans.kind', '=', 'performance_bond_insured');
  return query.where(sql<boolean>`false`);
}

/** A loan the principal may see; any other answers exactly like a missing one (invariant 7). */
export async function getLoan(db: Kysely<Database>, principal: Principal, poolId: bigint, id: bigint): Promise<Loan> {
  admit(principal, 'loans.read', poolId);
  return loanSeenBy(db, principal, poolId, id);
}

/** A loan's monthly reports, oldest first, for those who may read the loan. */
export async function listLoanReports(db: Kysely<Database>, principal: Principal, poolId: bigint, id: bigint) {
  admit(principal, 'loans.read', poolId);
  await loanSeenBy(db, principal, poolId, id);
  return db
    .selectFrom('loan_reports')
    .select([
      'month',
      'outstanding',
      'overdue_principal',
      'overdue_interest',
      'days_past_due',
      'classification',
      'created_at',
    ])
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', id)
    .orderBy('month')
    .orderBy('id')
    .execute();
}

/** A loan as getLoan answers it, for an operation already admitted in the pool. */
export async function loanSeenBy(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  id: bigint,
): Promise<Loan> {
  const row = await loansSeenBy(db, principal, poolId).where('loans.id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`loan ${id}`);
  return toLoan(row);
}

/**
 * The state a loan's report puts it in: defaulted once past the overdue days of its terms (then it stays
 * defaulted, open to a claim), repaid when nothing is outstanding or overdue, overdue when days are past
 * due, active otherwise.
 */
export function nextState(current: LoanState, report: MonthlyReport, overdueDays: number): LoanState {
  if (current === 'defaulted' || current === 'repaid') return current;
  if (report.daysPastDue >= overdueDays) return 'defaulted';
  if (report.outstanding === 0n && report.overduePrincipal === 0n && report.overdueInterest === 0n) return 'repaid';
  return report.daysPastDue > 0 ? 'overdue' : 'active';
}

/** What a report does to a loan: the state it puts it in and what it repays of the credit line. */
export interface ReportEffect {
  state: LoanState;
  repaid: bigint;
  /** Set when the report defaults the loan: what it still owed. */
  defaulted: boolean;
}

/**
 * Checks a monthly report against the loan and the last month reported (reports are appended month after
 * month, never overwritten) and decides its effect. Pure: the single report and the report tape share it.
 *
 * A report is for a month that has begun (today's at the latest): a month to come has nothing to report,
 * and a default reported in it would count against a year whose caps nothing has used yet. Days past due
 * count from a payment missed, at the earliest on the day of disbursement, so they cannot pass the days
 * from disbursement to the end of the month reported (or today, in the current month).
 */
export function decideReport(
  loan: { state: LoanState; outstanding: bigint; disbursedOn: string },
  lastMonth: string | null,
  report: MonthlyReport,
  overdueDays: number,
  today: string,
): ReportEffect {
  if (!/^\d{4}-\d{2}-01$/.test(report.month))
    throw invalidField('month', 'a report is for a month: its first day, YYYY-MM-01');
  const months = { earliest: loan.disbursedOn.slice(0, 8) + '01', latest: today.slice(0, 8) + '01' };
  if (report.month < months.earliest || report.month > months.latest) {
    throw outsideWindow(
      'month',
      'report_month',
      report.month,
      months,
      'a report is for a month from the one the loan was disbursed in through the current one',
    );
  }
  if (report.outstanding > loan.outstanding)
    throw invalidField('outstanding', `outstanding principal cannot grow: it was ${loan.outstanding} fen`);
  if (report.overduePrincipal > report.outstanding)
    throw invalidField('overdue_principal', 'overdue principal is part of the outstanding principal');
  const monthEnd = lastDayOfMonth(report.month);
  const asOf = monthEnd < today ? monthEnd : today;
  const most = daysBetween(loan.disbursedOn, asOf);
  if (report.daysPastDue > most) {
    throw new DomainError(
      'invalid',
      'validation',
      `${report.daysPastDue} days past due cannot be: the loan was disbursed on ${loan.disbursedOn}, ${most} days before ${asOf}`,
      {
        field: 'days_past_due',
        rule: 'days_since_disbursement',
        max: most,
      },
    );
  }
  if (lastMonth !== null && report.month <= lastMonth) {
    throw new DomainError(
      'conflict',
      'conflict',
      `${lastMonth} is already reported; reports are appended month after month, never overwritten`,
      { field: 'month' },
    );
  }
  const state = nextState(loan.state, report, overdueDays);
  return {
    state,
    repaid: loan.outstanding - report.outstanding,
    defaulted: state === 'defaulted' && loan.state !== 'defaulted',
  };
}

/**
 * Appends the bank's report for a month (after any month already reported, never twice), moves the loan's
 * outstanding principal and state, and gives what was repaid back to the agreement's credit line. A report
 * that defaults the loan counts its outstanding principal as the bank's loss of that year, which may
 * suspend the agreement under its loss rule.
 */
export async function reportLoan(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  loanId: bigint,
  report: MonthlyReport,
): Promise<Loan> {
  admit(principal, 'loans.report', poolId);
  const seen = await loanSeenBy(db, principal, poolId, loanId);
  if (seen.bankId !== principal.participantId)
    throw new DomainError('forbidden', 'forbidden', "only the loan's bank reports on it");
  // The loan's row is locked for the rest of the request: two reports at once cannot both count a repayment.
  const locked = await db
    .selectFrom('loans')
    .select(['outstanding', 'state'])
    .where('pool_id', '=', poolId)
    .where('id', '=', loanId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const loan: Loan = { ...seen, outstanding: locked.outstanding, state: locked.state };
  const last = await db
    .selectFrom('loan_reports')
    .select('month')
    .where('pool_id', '=', poolId)
    .where('loan_id', '=', loanId)
    .orderBy('month', 'desc')
    .limit(1)
    .executeTakeFirst();
  const agreement = await agreementSeenBy(db, principal, poolId, loan.agreementId);
  const terms = agreement.versions.find((v) => v.version === loan.termsVersion)!;
  const effect = decideReport(loan, last?.month ?? null, report, terms.overdueDays, todayInChina());
  await db
    .insertInto('loan_reports')
    .values({
      pool_id: poolId,
      loan_id: loanId,
      month: report.month,
      outstanding: report.outstanding,
      overdue_principal: report.overduePrincipal,
      overdue_interest: report.overdueInterest,
      days_past_due: report.daysPastDue,
      classification: report.classification,
    })
    .execute();
  if (effect.repaid > 0n) await giveBackExposure(db, poolId, new Map([[loan.agreementId, effect.repaid]]));
  const row = await db
    .updateTable('loans')
    .set({
      outstanding: report.outstanding,
      state: effect.state,
      ...(effect.defaulted ? { defaulted_month: report.month, defaulted_outstanding: report.outstanding } : {}),
    })
    .where('pool_id', '=', poolId)
    .where('id', '=', loanId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(db, {
    poolId,
    type: 'loan.reported',
    subject: `loan/${loanId}`,
    participantId: loan.bankId,
    data: { month: report.month, state: effect.state },
  });
  if (effect.defaulted) {
    await appendEvent(db, {
      poolId,
      type: 'loan.defaulted',
      subject: `loan/${loanId}`,
      participantId: loan.bankId,
      data: { days_past_due: report.daysPastDue, claimable_from: report.month },
    });
    await applyLossRule(db, poolId, agreement, [report.month.slice(0, 4)]);
  }
  return toLoan(row);
}

/** Gives repaid principal back to the agreements' credit lines. */
export async function giveBackExposure(
  db: Kysely<Database>,
  poolId: bigint,
  repaid: Map<bigint, bigint>,
): Promise<void> {
  for (const [agreementId, amount] of [...repaid].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (amount === 0n) continue;
    await db
      .updateTable('agreement_exposure')
      .set({ used: sql`used - ${amount.toString()}::int8` })
      .where('pool_id', '=', poolId)
      .where('agreement_id', '=', agreementId)
      .execute();
  }
}

/**
 * The suspension rule (暂停): when the principal of an agreement's loans that defaulted in a year passes the
 * threshold of its terms (suspension_loss_bp of the principal enrolled under it that year), the system
 * suspends the agreement and says so in the event feed. Runs after defaults are recorded, under the
 * agreement's exposure row lock so that concurrent defaults suspend it once.
 *
 * The loss counted is the principal still outstanding when a loan defaulted; the terms are those in force
 * at the end of the year (or the latest, for the current year).
 */
export async function applyLossRule(
  db: Kysely<Database>,
  poolId: bigint,
  agreement: Agreement,
  years: string[],
): Promise<void> {
  await db
    .selectFrom('agreement_exposure')
    .select('used')
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', agreement.id)
    .forUpdate()
    .execute();
  const latest = await db
    .selectFrom('agreement_suspensions')
    .select('suspended')
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', agreement.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (latest?.suspended) return;
  for (const year of [...new Set(years)].sort()) {
    const terms = termsOn(agreement, `${year}-12-31`);
    if (!terms) continue;
    const next = `${Number(year) + 1}-01-01`;
    const { enrolled, lost } = await db
      .selectNoFrom((eb) => [
        eb
          .selectFrom('loans')
          .select(sql<string>`coalesce(sum(principal), 0)::text`.as('s'))
          .where('pool_id', '=', poolId)
          .where('agreement_id', '=', agreement.id)
          .where('disbursed_on', '>=', `${year}-01-01`)
          .where('disbursed_on', '<', next)
          .as('enrolled'),
        eb
          .selectFrom('loans')
          .select(sql<string>`coalesce(sum(defaulted_outstanding), 0)::text`.as('s'))
          .where('pool_id', '=', poolId)
          .where('agreement_id', '=', agreement.id)
          .where('defaulted_month', '>=', `${year}-01-01`)
          .where('defaulted_month', '<', next)
          .as('lost'),
      ])
      .executeTakeFirstOrThrow();
    const loss = BigInt(lost ?? '0');
    const base = BigInt(enrolled ?? '0');
    if (loss * 10_000n <= base * BigInt(terms.suspensionLossBp)) continue;
    const reason = `loss rule: ${loss} fen defaulted in ${year}, above ${terms.suspensionLossBp} bp of the ${base} fen enrolled that year`;
    await db
      .insertInto('agreement_suspensions')
      .values({ pool_id: poolId, agreement_id: agreement.id, suspended: true, reason, by_key: null })
      .execute();
    await appendEvent(db, {
      poolId,
      type: 'agreement.suspended',
      subject: `agreement/${agreement.id}`,
      participantId: agreement.bankId,
      data: {
        reason,
        rule: 'loss_threshold',
        year,
        loss: loss.toString(),
        enrolled: base.toString(),
        threshold_bp: terms.suspensionLossBp,
      },
    });
    return;
  }
}

/** Loans in id order, a keyset page at a time: those the principal may see (see loansSeenBy). */
export async function listLoans(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after?: bigint; limit: number; reference?: string; borrowerCreditCode?: string; state?: Loan['state'] },
): Promise<Loan[]> {
  admit(principal, 'loans.list', poolId);
  let query = loansSeenBy(db, principal, poolId).orderBy('loans.id').limit(options.limit);
  if (options.after !== undefined) query = query.where('loans.id', '>', options.after);
  // Found by what the bank and the borrower know it by, within what the caller may see.
  if (options.reference !== undefined) query = query.where('loans.reference', '=', options.reference);
  if (options.state !== undefined) query = query.where('loans.state', '=', options.state);
  if (options.borrowerCreditCode !== undefined) {
    const code = options.borrowerCreditCode;
    query = query.where('loans.borrower_id', 'in', (q) =>
      q
        .selectFrom('participants')
        .select('participants.id')
        .where('participants.pool_id', '=', poolId)
        .where('participants.kind', '=', 'enterprise')
        .where('participants.credit_code', '=', code),
    );
  }
  return (await query.execute()).map(toLoan);
}

export { LOAN_KINDS };
