import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LoansTable } from '../db/schema.js';
import { scopePool, seesWholePool, type Principal } from './access.js';
import { getAgreement, LOAN_KINDS, termsOn, type LoanKind } from './agreements.js';
import { creditCodeProblem } from './credit-code.js';
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

export type LoanState = 'active' | 'overdue' | 'defaulted' | 'repaid';
export const CLASSIFICATIONS = ['normal', 'special_mention', 'substandard', 'doubtful', 'loss'] as const;

export interface MonthlyReport {
  month: string;
  outstanding: bigint;
  overduePrincipal: bigint;
  overdueInterest: bigint;
  daysPastDue: number;
  classification: (typeof CLASSIFICATIONS)[number];
}

/** A loan the agreement's terms do not admit; `rule` names which. */
const refuse = (rule: string, message: string) => new DomainError('refused', 'loan-refused', message, { rule });

/** Whole months from one day to another, counting a started month as whole. */
function termMonths(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return (ty - fy) * 12 + (tm - fm) + (td > fd ? 1 : 0);
}

/**
 * Enrols a bank's loan under its agreement: checked against the terms in force on the disbursement date
 * and the borrower's record, then its principal taken from the agreement's credit line. The line is taken
 * with one conditional update under the exposure row's lock, so concurrent enrolments never pass it.
 */
export async function enrolLoan(db: Kysely<Database>, principal: Principal, poolId: bigint, spec: LoanSpec): Promise<Loan> {
  scopePool(principal, poolId);
  if (principal.role !== 'bank' || principal.participantId === null) throw new DomainError('forbidden', 'forbidden', 'only a bank enrols its loans');
  const agreement = await getAgreement(db, principal, poolId, spec.agreementId);
  if (agreement.bankId !== principal.participantId) throw notFound(`agreement ${spec.agreementId}`);
  if (agreement.suspension?.suspended) throw refuse('suspended', `the agreement is suspended: ${agreement.suspension.reason}`);
  const terms = termsOn(agreement, spec.disbursedOn);
  if (!terms) throw refuse('terms_in_force', `the agreement has no terms in force on ${spec.disbursedOn}`);

  const codeProblem = creditCodeProblem(spec.borrowerCreditCode);
  if (codeProblem) throw invalidField('borrower_credit_code', codeProblem);
  const borrower = await db
    .selectFrom('participants')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('kind', '=', 'enterprise')
    .where('credit_code', '=', spec.borrowerCreditCode)
    .executeTakeFirst();
  if (!borrower) throw refuse('borrower_registered', `no enterprise with credit code ${spec.borrowerCreditCode} is registered in this pool`);
  if (!borrower.in_zone) throw refuse('borrower_in_zone', 'the borrower is not an enterprise of the zone');
  if (!borrower.tech_sme_expires || borrower.tech_sme_expires < spec.disbursedOn) {
    throw refuse('borrower_tech_sme', 'the borrower holds no tech-SME certificate valid on the disbursement date');
  }
  if (!terms.eligibleKinds.includes(spec.kind)) throw refuse('eligible_kind', `${spec.kind} loans are not eligible under the terms in force`);
  if (spec.principal > terms.maxPrincipal) throw refuse('max_principal', `the principal is above the ${terms.maxPrincipal} fen the terms allow`);
  if (spec.maturesOn <= spec.disbursedOn) throw invalidField('matures_on', 'a loan matures after it is disbursed');
  const months = termMonths(spec.disbursedOn, spec.maturesOn);
  if (months > terms.maxTermMonths) throw refuse('max_term', `a term of ${months} months is above the ${terms.maxTermMonths} the terms allow`);
  if (spec.kind === 'performance_bond_insured') {
    if (agreement.insurerId === null) throw refuse('insurer', 'an insured loan needs an agreement with an insurer');
    if (!spec.policyNumber || spec.premium === undefined) {
      throw invalidField('policy_number', 'an insured loan carries its policy number and premium');
    }
  }

  const taken = await db
    .updateTable('agreement_exposure')
    .set({ used: sql`used + ${spec.principal.toString()}::int8` })
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', spec.agreementId)
    .where(sql<boolean>`used + ${spec.principal.toString()}::int8 <= ${terms.creditLine.toString()}::int8`)
    .returning('used')
    .executeTakeFirst();
  if (!taken) throw refuse('credit_line', `the loan would take the agreement past its credit line of ${terms.creditLine} fen`);

  const row = await db
    .insertInto('loans')
    .values({
      pool_id: poolId,
      bank_id: principal.participantId,
      agreement_id: spec.agreementId,
      reference: spec.reference,
      borrower_id: borrower.id,
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
  if (!row) throw new DomainError('conflict', 'conflict', `the bank already enrolled a loan with reference ${spec.reference}`, { reference: spec.reference });
  await appendEvent(db, { poolId, type: 'loan.enrolled', subject: `loan/${row.id}`, participantId: principal.participantId, data: { reference: spec.reference, principal: spec.principal.toString() } });
  return toLoan(row);
}

function toLoan(r: Selectable<LoansTable>): Loan {
  return {
    poolId: r.pool_id, id: r.id, bankId: r.bank_id, agreementId: r.agreement_id, reference: r.reference, borrowerId: r.borrower_id,
    kind: r.kind as LoanKind, principal: r.principal, rateBp: r.rate_bp, disbursedOn: r.disbursed_on, maturesOn: r.matures_on,
    firstLoan: r.first_loan, policyNumber: r.policy_number, premium: r.premium, termsVersion: r.terms_version, state: r.state as LoanState,
    outstanding: r.outstanding,
  };
}

/** A loan: its bank and (for an insured agreement) its insurer see it, with treasury and auditors. */
export async function getLoan(db: Kysely<Database>, principal: Principal, poolId: bigint, id: bigint): Promise<Loan> {
  scopePool(principal, poolId);
  const row = await db
    .selectFrom('loans')
    .innerJoin('agreements', (j) => j.onRef('agreements.pool_id', '=', 'loans.pool_id').onRef('agreements.id', '=', 'loans.agreement_id'))
    .selectAll('loans')
    .select('agreements.insurer_id')
    .where('loans.pool_id', '=', poolId)
    .where('loans.id', '=', id)
    .executeTakeFirst();
  const visible = row && (seesWholePool(principal) || principal.participantId === row.bank_id || principal.participantId === row.insurer_id);
  if (!row || !visible) throw notFound(`loan ${id}`);
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

/**
 * Appends the bank's report for a month (after any month already reported, never twice), moves the loan's
 * outstanding principal and state, and gives what was repaid back to the agreement's credit line.
 */
export async function reportLoan(db: Kysely<Database>, principal: Principal, poolId: bigint, loanId: bigint, report: MonthlyReport): Promise<Loan> {
  const seen = await getLoan(db, principal, poolId, loanId);
  if (principal.role !== 'bank' || seen.bankId !== principal.participantId) throw new DomainError('forbidden', 'forbidden', 'only the loan\'s bank reports on it');
  // The loan's row is locked for the rest of the request: two reports at once cannot both count a repayment.
  const locked = await db.selectFrom('loans').select(['outstanding', 'state']).where('pool_id', '=', poolId).where('id', '=', loanId).forUpdate().executeTakeFirstOrThrow();
  const loan: Loan = { ...seen, outstanding: locked.outstanding, state: locked.state as LoanState };
  if (!/^\d{4}-\d{2}-01$/.test(report.month)) throw invalidField('month', 'a report is for a month: its first day, YYYY-MM-01');
  if (report.month < loan.disbursedOn.slice(0, 8) + '01') throw invalidField('month', 'the month is before the loan was disbursed');
  if (report.outstanding > loan.outstanding) {
    throw invalidField('outstanding', `outstanding principal cannot grow: it was ${loan.outstanding} fen`);
  }
  if (report.overduePrincipal > report.outstanding) throw invalidField('overdue_principal', 'overdue principal is part of the outstanding principal');
  const last = await db.selectFrom('loan_reports').select('month').where('pool_id', '=', poolId).where('loan_id', '=', loanId).orderBy('month', 'desc').limit(1).executeTakeFirst();
  if (last && report.month <= last.month) {
    throw new DomainError('conflict', 'conflict', `${last.month} is already reported; reports are appended month after month, never overwritten`, { field: 'month' });
  }
  const agreement = await getAgreement(db, principal, poolId, loan.agreementId);
  const terms = agreement.versions.find((v) => v.version === loan.termsVersion)!;
  const state = nextState(loan.state, report, terms.overdueDays);
  await db
    .insertInto('loan_reports')
    .values({
      pool_id: poolId, loan_id: loanId, month: report.month, outstanding: report.outstanding, overdue_principal: report.overduePrincipal,
      overdue_interest: report.overdueInterest, days_past_due: report.daysPastDue, classification: report.classification,
    })
    .execute();
  const repaid = loan.outstanding - report.outstanding;
  if (repaid > 0n) {
    await db
      .updateTable('agreement_exposure')
      .set({ used: sql`used - ${repaid.toString()}::int8` })
      .where('pool_id', '=', poolId)
      .where('agreement_id', '=', loan.agreementId)
      .execute();
  }
  const row = await db
    .updateTable('loans')
    .set({ outstanding: report.outstanding, state })
    .where('pool_id', '=', poolId)
    .where('id', '=', loanId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(db, { poolId, type: 'loan.reported', subject: `loan/${loanId}`, participantId: loan.bankId, data: { month: report.month, state } });
  if (state !== loan.state && state === 'defaulted') {
    await appendEvent(db, { poolId, type: 'loan.defaulted', subject: `loan/${loanId}`, participantId: loan.bankId, data: { days_past_due: report.daysPastDue, claimable_from: report.month } });
  }
  return toLoan(row);
}

/** Loans in id order, a keyset page at a time: a bank its own, an insurer those of its agreements. */
export async function listLoans(db: Kysely<Database>, principal: Principal, poolId: bigint, options: { after?: bigint; limit: number }): Promise<Loan[]> {
  scopePool(principal, poolId);
  let query = db
    .selectFrom('loans')
    .innerJoin('agreements', (j) => j.onRef('agreements.pool_id', '=', 'loans.pool_id').onRef('agreements.id', '=', 'loans.agreement_id'))
    .selectAll('loans')
    .where('loans.pool_id', '=', poolId)
    .orderBy('loans.id')
    .limit(options.limit);
  if (options.after !== undefined) query = query.where('loans.id', '>', options.after);
  if (principal.role === 'bank') query = query.where('loans.bank_id', '=', principal.participantId ?? -1n);
  else if (!seesWholePool(principal)) query = query.where('agreements.insurer_id', '=', principal.participantId ?? -1n);
  return (await query.execute()).map(toLoan);
}

export { LOAN_KINDS };
