import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Ledger } from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { agreementSeenBy, termsOn } from './agreements.js';
import { todayInChina } from './days.js';
import { ensureAccounts } from './posting-rules.js';
import { cashPostings } from './treasury.js';

/**
 * The treasury's reports, as rows of plain values (money as bigint fen), ready for JSON or CSV: the
 * agreements with their exposure, loans and loss ratio against the suspension threshold; the claims
 * pipeline; incentive payments by article; the pool cash by day.
 */

export interface AgreementRow {
  agreement_id: string;
  name: string;
  bank_id: string;
  bank: string;
  insurer_id: string;
  credit_line: bigint;
  exposure_used: bigint;
  exposure_bp: number;
  loans_active: number;
  loans_overdue: number;
  loans_defaulted: number;
  loans_repaid: number;
  /** The year the enrolled and defaulted figures cover. */
  year: number;
  enrolled_in_year: bigint;
  defaulted_in_year: bigint;
  loss_ratio_bp: number;
  suspension_threshold_bp: number;
  suspended: boolean;
}

export async function agreementsReport(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  year: number,
): Promise<AgreementRow[]> {
  admit(principal, 'reports.read', poolId);
  const rows = await sql<{
    id: bigint;
    name: string;
    bank_id: bigint;
    bank: string;
    insurer_id: bigint | null;
    used: bigint;
    states: Record<string, number> | null;
    enrolled: string;
    defaulted: string;
  }>`
    SELECT a.id, a.name, a.bank_id, p.name AS bank, a.insurer_id, e.used,
           (SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) AS n FROM loans l WHERE l.pool_id = a.pool_id AND l.agreement_id = a.id GROUP BY state) s) AS states,
           (SELECT coalesce(sum(principal), 0) FROM loans l WHERE l.pool_id = a.pool_id AND l.agreement_id = a.id
               AND l.disbursed_on >= make_date(${year}, 1, 1) AND l.disbursed_on < make_date(${year} + 1, 1, 1))::text AS enrolled,
           (SELECT coalesce(sum(defaulted_outstanding), 0) FROM loans l WHERE l.pool_id = a.pool_id AND l.agreement_id = a.id
               AND l.defaulted_month >= make_date(${year}, 1, 1) AND l.defaulted_month < make_date(${year} + 1, 1, 1))::text AS defaulted
      FROM agreements a
      JOIN participants p ON p.pool_id = a.pool_id AND p.id = a.bank_id
      JOIN agreement_exposure e ON e.pool_id = a.pool_id AND e.agreement_id = a.id
     WHERE a.pool_id = ${poolId.toString()}::int8
     ORDER BY a.id`.execute(db);
  const out: AgreementRow[] = [];
  for (const r of rows.rows) {
    const agreement = await agreementSeenBy(db, principal, poolId, r.id);
    const terms = termsOn(agreement, todayInChina()) ?? agreement.versions.at(-1)!;
    const enrolled = BigInt(r.enrolled);
    const defaulted = BigInt(r.defaulted);
    out.push({
      agreement_id: r.id.toString(),
      name: r.name,
      bank_id: r.bank_id.toString(),
      bank: r.bank,
      insurer_id: r.insurer_id?.toString() ?? '',
      credit_line: terms.creditLine,
      exposure_used: r.used,
      exposure_bp: terms.creditLine > 0n ? Number((r.used * 10_000n) / terms.creditLine) : 0,
      loans_active: r.states?.active ?? 0,
      loans_overdue: r.states?.overdue ?? 0,
      loans_defaulted: r.states?.defaulted ?? 0,
      loans_repaid: r.states?.repaid ?? 0,
      year,
      enrolled_in_year: enrolled,
      defaulted_in_year: defaulted,
      loss_ratio_bp: enrolled > 0n ? Number((defaulted * 10_000n) / enrolled) : 0,
      suspension_threshold_bp: terms.suspensionLossBp,
      suspended: agreement.suspension?.suspended ?? false,
    });
  }
  return out;
}

export interface ClaimStatusRow {
  status: string;
  claims: number;
  amount: bigint;
  oldest_age_days: number;
  overdue: number;
}

/** Claims by status: how many, how much, the oldest one's age in days, and how many are past their step's deadline. */
export async function claimsPipeline(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
): Promise<ClaimStatusRow[]> {
  admit(principal, 'reports.read', poolId);
  const today = todayInChina();
  const rows = await sql<{ status: string; claims: string; amount: string; oldest: string | null; overdue: string }>`
    SELECT status, count(*)::text AS claims, coalesce(sum(amount), 0)::text AS amount,
           (${today}::date - min(created_at AT TIME ZONE 'Asia/Shanghai')::date)::text AS oldest,
           count(*) FILTER (WHERE due_by < ${today}::date AND status IN ('submitted', 'deferred', 'approved'))::text AS overdue
      FROM claims WHERE pool_id = ${poolId.toString()}::int8 GROUP BY status`.execute(db);
  const by = new Map(rows.rows.map((r) => [r.status, r]));
  return ['submitted', 'deferred', 'approved', 'rejected', 'paid', 'closed'].map((status) => {
    const r = by.get(status);
    return {
      status,
      claims: Number(r?.claims ?? 0),
      amount: BigInt(r?.amount ?? '0'),
      oldest_age_days: Number(r?.oldest ?? 0),
      overdue: Number(r?.overdue ?? 0),
    };
  });
}

export interface IncentiveRow {
  article: number;
  awards: number;
  approved: bigint;
  paid: bigint;
}

/** Incentive awards by article: approved (booked) and paid, in fen. */
export async function incentivesByArticle(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  year?: number,
): Promise<IncentiveRow[]> {
  admit(principal, 'reports.read', poolId);
  const rows = await sql<{ article: number; awards: string; approved: string; paid: string }>`
    SELECT article, count(*)::text AS awards,
           coalesce(sum(amount) FILTER (WHERE status IN ('approved', 'paid')), 0)::text AS approved,
           coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0)::text AS paid
      FROM awards WHERE pool_id = ${poolId.toString()}::int8 AND (${year ?? null}::int IS NULL OR year = ${year ?? null}::int)
     GROUP BY article ORDER BY article`.execute(db);
  return rows.rows.map((r) => ({
    article: r.article,
    awards: Number(r.awards),
    approved: BigInt(r.approved),
    paid: BigInt(r.paid),
  }));
}

export interface CashDay {
  day: string;
  balance: bigint;
}

/** The pool cash's posted balance at the end of each day it moved, between two days. */
export async function cashByDay(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  from?: string,
  to?: string,
): Promise<CashDay[]> {
  admit(principal, 'reports.read', poolId);
  await ensureAccounts(ledger, poolId);
  const days = new Map<string, bigint>();
  for (const line of await cashPostings(ledger, poolId, from, to)) days.set(line.effectiveDate, line.balance);
  return [...days].map(([day, balance]) => ({ day, balance }));
}
