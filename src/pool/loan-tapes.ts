import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { agreementSeenBy, termsOn, type Agreement } from './agreements.js';
import { creditCodeProblem } from './credit-code.js';
import { todayInChina } from './days.js';
import { DomainError } from './errors.js';
import { appendEvent } from './events.js';
import {
  applyLossRule,
  bankAgreement,
  borrowersByCode,
  decideReport,
  giveBackExposure,
  loanRefusal,
  type LoanSpec,
  type LoanState,
  type MonthlyReport,
} from './loans.js';
import { admit, type Principal } from './access.js';

/**
 * Loan tapes: many loans (or many monthly reports) from a bank at once. Every row goes through the same
 * rules as a single request; the answer names each bad row by its line. Two modes:
 * - `all_or_nothing`: one bad row refuses the whole tape and nothing is written;
 * - `accept_valid`: the good rows are written, the bad ones listed.
 * A row that repeats what is already recorded (same loan reference and content, same loan and month with
 * the same figures) is counted as unchanged, so uploading a tape again changes nothing. The credit line is
 * taken in the tape's row order. Work is set-based: a few queries per tape, not per row.
 */
export type TapeMode = 'all_or_nothing' | 'accept_valid';
export const TAPE_MODES = ['all_or_nothing', 'accept_valid'] as const;
export const MAX_TAPE_ROWS = 100_000;

/** Why a row was not taken: a field that is not valid, or a rule of the agreement that refuses it. */
export interface TapeRowError {
  line: number;
  reference: string | null;
  field?: string;
  rule?: string;
  message: string;
}

/** A row as read from the tape: what it asks for, or why it could not be read. */
export type TapeRow<T> = { line: number; spec: T } | { line: number; error: TapeRowError };

export interface TapeResult {
  mode: TapeMode;
  rows: number;
  /** Rows written (loans enrolled, or reports appended). */
  accepted: number;
  unchanged: number;
  refused: number;
  /** Principal enrolled by a loan tape, or repaid by a report tape, in fen. */
  principal: bigint;
  errors: TapeRowError[];
}

/** A tape refused as a whole (all-or-nothing mode): nothing was written. */
export class TapeRefused extends DomainError {
  constructor(readonly result: TapeResult) {
    super(
      'refused',
      'tape-refused',
      `${result.refused} of ${result.rows} rows are not valid; nothing was written (all_or_nothing)`,
    );
  }
}

const CHUNK = 10_000;
/** After writing this many rows, the loan tables' planner statistics are refreshed (see migration 0009). */
const REFRESH_STATISTICS_AFTER = 5_000;

async function refreshStatistics(db: Kysely<Database>, written: number): Promise<void> {
  if (written >= REFRESH_STATISTICS_AFTER) await sql`SELECT refresh_loan_statistics()`.execute(db);
}

function rowError(line: number, reference: string | null, err: DomainError): TapeRowError {
  const field = err.details.field as string | undefined;
  const rule = err.details.rule as string | undefined;
  return { line, reference, ...(field ? { field } : {}), ...(rule ? { rule } : {}), message: err.message };
}

function finish(result: TapeResult): TapeResult {
  result.refused = result.errors.length;
  if (result.mode === 'all_or_nothing' && result.errors.length > 0) throw new TapeRefused(result);
  return result;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const sameLoan = (spec: LoanSpec, row: ExistingLoan, borrowerId: bigint | undefined) =>
  row.agreement_id === spec.agreementId &&
  row.borrower_id === borrowerId &&
  row.kind === spec.kind &&
  row.principal === spec.principal &&
  row.rate_bp === spec.rateBp &&
  row.disbursed_on === spec.disbursedOn &&
  row.matures_on === spec.maturesOn &&
  row.first_loan === spec.firstLoan &&
  row.policy_number === (spec.policyNumber ?? null) &&
  row.premium === (spec.premium ?? null);

interface ExistingLoan {
  reference: string;
  agreement_id: bigint;
  borrower_id: bigint;
  kind: string;
  principal: bigint;
  rate_bp: number;
  disbursed_on: string;
  matures_on: string;
  first_loan: boolean;
  policy_number: string | null;
  premium: bigint | null;
}

/** The agreements a tape names, each checked to be the bank's own; a missing one refuses its rows. */
async function agreementsOf(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  ids: Iterable<bigint>,
): Promise<Map<bigint, Agreement | DomainError>> {
  const found = new Map<bigint, Agreement | DomainError>();
  for (const id of [...new Set(ids)].sort((a, b) => (a < b ? -1 : 1))) {
    try {
      found.set(id, (await bankAgreement(db, principal, poolId, id)).agreement);
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'not_found') throw err;
      found.set(
        id,
        new DomainError('invalid', 'validation', `agreement ${id} is not an agreement of this bank`, {
          field: 'agreement_id',
        }),
      );
    }
  }
  return found;
}

/**
 * Enrols a bank's loan tape (see above). Exposure rows are locked in agreement order for the request. The
 * tape is read once the bank is admitted: a key that may not send one learns nothing from how it parses.
 */
export async function enrolLoanTape(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  read: () => Promise<TapeRow<LoanSpec>[]>,
  mode: TapeMode,
): Promise<TapeResult> {
  admit(principal, 'loans.enrol-tape', poolId);
  const rows = await read();
  if (principal.participantId === null) throw new DomainError('forbidden', 'forbidden', 'only a bank enrols its loans');
  const bankId = principal.participantId;
  // One today for the whole tape: a tape read across midnight judges every row alike.
  const today = todayInChina();
  const specs = rows.flatMap((r) => ('spec' in r ? [r.spec] : []));
  const agreements = await agreementsOf(
    db,
    principal,
    poolId,
    specs.map((s) => s.agreementId),
  );
  const borrowers = await borrowersByCode(db, poolId, [
    ...new Set(specs.map((s) => s.borrowerCreditCode).filter((c) => !creditCodeProblem(c))),
  ]);

  const used = new Map<bigint, bigint>();
  const lockable = [...agreements].filter(([, a]) => !(a instanceof DomainError)).map(([id]) => id);
  if (lockable.length > 0) {
    const locked = await db
      .selectFrom('agreement_exposure')
      .select(['agreement_id', 'used'])
      .where('pool_id', '=', poolId)
      .where('agreement_id', 'in', lockable)
      .orderBy('agreement_id')
      .forUpdate()
      .execute();
    for (const r of locked) used.set(r.agreement_id, r.used);
  }
  const startUsed = new Map(used);

  const existing = new Map<string, ExistingLoan>();
  for (const refs of chunks([...new Set(specs.map((s) => s.reference))])) {
    // One index lookup per reference, whatever the planner believes of the table's size (its statistics
    // lag behind a tape that has just filled it; a filter on `reference = any(...)` then goes quadratic).
    const found = await sql<ExistingLoan>`
      SELECT l.reference, l.agreement_id, l.borrower_id, l.kind, l.principal, l.rate_bp, l.disbursed_on, l.matures_on, l.first_loan, l.policy_number, l.premium
      FROM unnest(${refs}::text[]) AS r(reference)
      CROSS JOIN LATERAL (
        SELECT * FROM loans WHERE pool_id = ${poolId.toString()}::int8 AND bank_id = ${bankId.toString()}::int8 AND reference = r.reference OFFSET 0
      ) l`.execute(db);
    for (const r of found.rows) existing.set(r.reference, r);
  }

  const result: TapeResult = {
    mode,
    rows: rows.length,
    accepted: 0,
    unchanged: 0,
    refused: 0,
    principal: 0n,
    errors: [],
  };
  const accepted: { spec: LoanSpec; borrowerId: bigint; termsVersion: number }[] = [];
  const lineOf = new Map<string, number>();
  for (const row of rows) {
    if ('error' in row) {
      result.errors.push(row.error);
      continue;
    }
    const { spec, line } = row;
    const fail = (err: DomainError) => result.errors.push(rowError(line, spec.reference, err));
    const earlier = lineOf.get(spec.reference);
    if (earlier !== undefined) {
      fail(
        new DomainError(
          'invalid',
          'validation',
          `reference ${spec.reference} is already on line ${earlier} of this tape`,
          { field: 'reference' },
        ),
      );
      continue;
    }
    lineOf.set(spec.reference, line);
    const borrower = borrowers.get(spec.borrowerCreditCode);
    const before = existing.get(spec.reference);
    if (before) {
      if (sameLoan(spec, before, borrower?.id)) result.unchanged++;
      else
        fail(
          new DomainError(
            'conflict',
            'conflict',
            `the bank already enrolled another loan with reference ${spec.reference}`,
            { field: 'reference' },
          ),
        );
      continue;
    }
    const agreement = agreements.get(spec.agreementId)!;
    if (agreement instanceof DomainError) {
      fail(agreement);
      continue;
    }
    const refusal = loanRefusal(agreement, spec, borrower, today);
    if (refusal) {
      fail(refusal);
      continue;
    }
    const terms = termsOn(agreement, spec.disbursedOn)!;
    const after = used.get(spec.agreementId)! + spec.principal;
    if (after > terms.creditLine) {
      fail(
        new DomainError(
          'refused',
          'loan-refused',
          `the loan would take the agreement past its credit line of ${terms.creditLine} fen`,
          { rule: 'credit_line' },
        ),
      );
      continue;
    }
    used.set(spec.agreementId, after);
    accepted.push({ spec, borrowerId: borrower!.id, termsVersion: terms.version });
  }
  finish(result);

  for (const part of chunks(accepted)) {
    const col = <T>(f: (a: (typeof part)[number]) => T) => part.map(f);
    const inserted = await sql<{ n: string }>`
      WITH ins AS (
        INSERT INTO loans (pool_id, bank_id, agreement_id, reference, borrower_id, kind, principal, rate_bp, disbursed_on, matures_on, first_loan,
                           policy_number, premium, terms_version, outstanding)
        SELECT ${poolId.toString()}::int8, ${bankId.toString()}::int8, t.agreement_id, t.reference, t.borrower_id, t.kind, t.principal, t.rate_bp,
               t.disbursed_on, t.matures_on, t.first_loan, t.policy_number, t.premium, t.terms_version, t.principal
        FROM unnest(${col((a) => a.spec.agreementId.toString())}::text[]::int8[], ${col((a) => a.spec.reference)}::text[], ${col((a) => a.borrowerId.toString())}::text[]::int8[],
                    ${col((a) => a.spec.kind)}::text[], ${col((a) => a.spec.principal.toString())}::text[]::int8[], ${col((a) => String(a.spec.rateBp))}::text[]::int4[],
                    ${col((a) => a.spec.disbursedOn)}::text[]::date[], ${col((a) => a.spec.maturesOn)}::text[]::date[], ${col((a) => String(a.spec.firstLoan))}::text[]::bool[],
                    ${col((a) => a.spec.policyNumber ?? null)}::text[], ${col((a) => a.spec.premium?.toString() ?? null)}::text[]::int8[],
                    ${col((a) => String(a.termsVersion))}::text[]::int4[])
             AS t(agreement_id, reference, borrower_id, kind, principal, rate_bp, disbursed_on, matures_on, first_loan, policy_number, premium, terms_version)
        ON CONFLICT (pool_id, bank_id, reference) DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::text AS n FROM ins`.execute(db);
    if (Number(inserted.rows[0]!.n) !== part.length) {
      // Another request enrolled one of these references after this tape read them: retry sees it.
      throw new DomainError(
        'conflict',
        'conflict',
        'a loan with a reference of this tape was enrolled meanwhile; send the tape again',
      );
    }
  }
  for (const [agreementId, after] of [...used].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const taken = after - startUsed.get(agreementId)!;
    if (taken === 0n) continue;
    await db
      .updateTable('agreement_exposure')
      .set({ used: sql`used + ${taken.toString()}::int8` })
      .where('pool_id', '=', poolId)
      .where('agreement_id', '=', agreementId)
      .execute();
  }
  await refreshStatistics(db, accepted.length);
  result.accepted = accepted.length;
  result.principal = accepted.reduce((sum, a) => sum + a.spec.principal, 0n);
  await appendEvent(db, {
    poolId,
    type: 'loan_tape.enrolled',
    subject: `participant/${bankId}`,
    participantId: bankId,
    data: tapeSummary(result),
  });
  return result;
}

export interface ReportRowSpec extends MonthlyReport {
  reference: string;
}

interface LockedLoan {
  id: bigint;
  reference: string;
  agreement_id: bigint;
  terms_version: number;
  state: LoanState;
  outstanding: bigint;
  disbursed_on: string;
}

/**
 * Appends a tape of monthly reports (rows name loans by the bank's reference). Rows on one loan are taken
 * in tape order, month after month; the loans' rows are locked for the request. The tape is read once the
 * bank is admitted, like a tape of loans.
 */
export async function reportLoanTape(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  read: () => Promise<TapeRow<ReportRowSpec>[]>,
  mode: TapeMode,
): Promise<TapeResult> {
  admit(principal, 'loans.report-tape', poolId);
  const rows = await read();
  if (principal.participantId === null)
    throw new DomainError('forbidden', 'forbidden', "only a loan's bank reports on it");
  const bankId = principal.participantId;
  const today = todayInChina();
  const specs = rows.flatMap((r) => ('spec' in r ? [r.spec] : []));

  const loans = new Map<string, LockedLoan>();
  // Locked in reference order, chunk after chunk: two tapes on the same loans lock them in the same order.
  for (const refs of chunks([...new Set(specs.map((s) => s.reference))].sort())) {
    const found = await sql<LockedLoan>`
      SELECT l.id, l.reference, l.agreement_id, l.terms_version, l.state, l.outstanding, l.disbursed_on
      FROM unnest(${refs}::text[]) AS r(reference)
      CROSS JOIN LATERAL (
        SELECT * FROM loans WHERE pool_id = ${poolId.toString()}::int8 AND bank_id = ${bankId.toString()}::int8 AND reference = r.reference FOR UPDATE
      ) l`.execute(db);
    for (const r of found.rows) loans.set(r.reference, r);
  }
  const ids = [...loans.values()].map((l) => l.id.toString());
  const lastMonth = new Map<bigint, string>();
  const reported = new Map<string, MonthlyReport>();
  for (const part of chunks(ids)) {
    const last = await sql<{ loan_id: bigint; month: string }>`
      SELECT l.id AS loan_id, r.month FROM unnest(${part}::text[]::int8[]) AS l(id)
      CROSS JOIN LATERAL (SELECT month FROM loan_reports WHERE pool_id = ${poolId.toString()}::int8 AND loan_id = l.id ORDER BY month DESC LIMIT 1) r`.execute(
      db,
    );
    for (const r of last.rows) lastMonth.set(BigInt(r.loan_id), r.month);
  }
  const asked = specs.flatMap((s) =>
    loans.has(s.reference) && /^\d{4}-\d{2}-01$/.test(s.month)
      ? [{ id: loans.get(s.reference)!.id, month: s.month }]
      : [],
  );
  for (const part of chunks(asked)) {
    const found = await sql<{
      loan_id: bigint;
      month: string;
      outstanding: bigint;
      overdue_principal: bigint;
      overdue_interest: bigint;
      days_past_due: number;
      classification: string;
    }>`
      SELECT r.loan_id, r.month, r.outstanding, r.overdue_principal, r.overdue_interest, r.days_past_due, r.classification
      FROM unnest(${part.map((p) => p.id.toString())}::text[]::int8[], ${part.map((p) => p.month)}::text[]::date[]) AS t(loan_id, month)
      CROSS JOIN LATERAL (
        SELECT * FROM loan_reports WHERE pool_id = ${poolId.toString()}::int8 AND loan_id = t.loan_id AND month = t.month OFFSET 0
      ) r`.execute(db);
    for (const r of found.rows) {
      reported.set(`${r.loan_id}/${r.month}`, {
        month: r.month,
        outstanding: BigInt(r.outstanding),
        overduePrincipal: BigInt(r.overdue_principal),
        overdueInterest: BigInt(r.overdue_interest),
        daysPastDue: r.days_past_due,
        classification: r.classification as MonthlyReport['classification'],
      });
    }
  }
  const agreements = new Map<bigint, Agreement>();
  for (const id of new Set([...loans.values()].map((l) => l.agreement_id)))
    agreements.set(id, await agreementSeenBy(db, principal, poolId, id));

  const result: TapeResult = {
    mode,
    rows: rows.length,
    accepted: 0,
    unchanged: 0,
    refused: 0,
    principal: 0n,
    errors: [],
  };
  const accepted: { loan: LockedLoan; report: MonthlyReport }[] = [];
  const repaid = new Map<bigint, bigint>();
  const defaulted: { loan: LockedLoan; report: MonthlyReport }[] = [];
  for (const row of rows) {
    if ('error' in row) {
      result.errors.push(row.error);
      continue;
    }
    const { spec, line } = row;
    const loan = loans.get(spec.reference);
    if (!loan) {
      result.errors.push({
        line,
        reference: spec.reference,
        field: 'reference',
        message: `the bank has no loan with reference ${spec.reference}`,
      });
      continue;
    }
    const before = reported.get(`${loan.id}/${spec.month}`);
    if (before && sameReport(before, spec)) {
      result.unchanged++;
      continue;
    }
    const terms = agreements.get(loan.agreement_id)!.versions.find((v) => v.version === loan.terms_version)!;
    try {
      const effect = decideReport(
        { state: loan.state, outstanding: loan.outstanding, disbursedOn: loan.disbursed_on },
        lastMonth.get(loan.id) ?? null,
        spec,
        terms.overdueDays,
        today,
      );
      accepted.push({ loan, report: spec });
      repaid.set(loan.agreement_id, (repaid.get(loan.agreement_id) ?? 0n) + effect.repaid);
      if (effect.defaulted) defaulted.push({ loan, report: spec });
      loan.state = effect.state;
      loan.outstanding = spec.outstanding;
      lastMonth.set(loan.id, spec.month);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      result.errors.push(rowError(line, spec.reference, err));
    }
  }
  finish(result);

  for (const part of chunks(accepted)) {
    await sql`
      INSERT INTO loan_reports (pool_id, loan_id, month, outstanding, overdue_principal, overdue_interest, days_past_due, classification)
      SELECT ${poolId.toString()}::int8, t.* FROM unnest(
        ${part.map((a) => a.loan.id.toString())}::text[]::int8[], ${part.map((a) => a.report.month)}::text[]::date[], ${part.map((a) => a.report.outstanding.toString())}::text[]::int8[],
        ${part.map((a) => a.report.overduePrincipal.toString())}::text[]::int8[], ${part.map((a) => a.report.overdueInterest.toString())}::text[]::int8[],
        ${part.map((a) => String(a.report.daysPastDue))}::text[]::int4[], ${part.map((a) => a.report.classification)}::text[])
        AS t(loan_id, month, outstanding, overdue_principal, overdue_interest, days_past_due, classification)`.execute(
      db,
    );
  }
  const moved = [...new Map(accepted.map((a) => [a.loan.id, a.loan])).values()];
  const defaultOf = new Map(defaulted.map((d) => [d.loan.id, d.report]));
  for (const part of chunks(moved)) {
    await sql`
      UPDATE loans SET outstanding = t.outstanding, state = t.state,
             defaulted_month = coalesce(t.defaulted_month, loans.defaulted_month), defaulted_outstanding = coalesce(t.defaulted_outstanding, loans.defaulted_outstanding)
      FROM unnest(${part.map((l) => l.id.toString())}::text[]::int8[], ${part.map((l) => l.outstanding.toString())}::text[]::int8[], ${part.map((l) => l.state)}::text[],
                  ${part.map((l) => defaultOf.get(l.id)?.month ?? null)}::text[]::date[], ${part.map((l) => defaultOf.get(l.id)?.outstanding.toString() ?? null)}::text[]::int8[])
           AS t(id, outstanding, state, defaulted_month, defaulted_outstanding)
      WHERE loans.pool_id = ${poolId.toString()}::int8 AND loans.id = t.id`.execute(db);
  }
  // The exposure rows this tape moves (repayments, the loss rule) are locked once, in agreement order, as
  // every enrolment locks them: two tapes never wait on each other in a circle.
  const touched = [...new Set([...repaid.keys(), ...defaulted.map((d) => d.loan.agreement_id)])].sort((a, b) =>
    a < b ? -1 : 1,
  );
  if (touched.length > 0) {
    await db
      .selectFrom('agreement_exposure')
      .select('agreement_id')
      .where('pool_id', '=', poolId)
      .where('agreement_id', 'in', touched)
      .orderBy('agreement_id')
      .forUpdate()
      .execute();
  }
  await giveBackExposure(db, poolId, repaid);
  for (const { loan, report } of defaulted) {
    await appendEvent(db, {
      poolId,
      type: 'loan.defaulted',
      subject: `loan/${loan.id}`,
      participantId: bankId,
      data: { days_past_due: report.daysPastDue, claimable_from: report.month },
    });
  }
  const years = new Map<bigint, string[]>();
  for (const { loan, report } of defaulted)
    years.set(loan.agreement_id, [...(years.get(loan.agreement_id) ?? []), report.month.slice(0, 4)]);
  for (const [agreementId, ys] of [...years].sort(([a], [b]) => (a < b ? -1 : 1)))
    await applyLossRule(db, poolId, agreements.get(agreementId)!, ys);

  await refreshStatistics(db, accepted.length);
  result.accepted = accepted.length;
  result.principal = [...repaid.values()].reduce((s, v) => s + v, 0n);
  await appendEvent(db, {
    poolId,
    type: 'loan_tape.reported',
    subject: `participant/${bankId}`,
    participantId: bankId,
    data: tapeSummary(result),
  });
  return result;
}

const sameReport = (a: MonthlyReport, b: MonthlyReport) =>
  a.month === b.month &&
  a.outstanding === b.outstanding &&
  a.overduePrincipal === b.overduePrincipal &&
  a.overdueInterest === b.overdueInterest &&
  a.daysPastDue === b.daysPastDue &&
  a.classification === b.classification;

const tapeSummary = (r: TapeResult) => ({
  mode: r.mode,
  rows: r.rows,
  accepted: r.accepted,
  unchanged: r.unchanged,
  refused: r.refused,
  principal: r.principal.toString(),
});
