import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Ledger, TrialBalance } from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { addDays, lastDayOfMonth, todayInChina } from './days.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { CURRENCY, yuanOf } from './money.js';
import { reconcile, type Reconciliation } from './reconciliation.js';

/**
 * Period close (月结): treasury closes a month; postings dated into it are refused from then on (corrections
 * go into the open month). The close stores the month's trial balance with the hash-chain head that covers
 * every posting of the month, so a later check recomputes both and proves the month unchanged. A month
 * closes as it stands against the bank statement at its last day: one that does not reconcile closes only
 * with the treasury's reason, and the close records the difference and the reason with it.
 */
export interface PeriodClose {
  month: string;
  through: string;
  /** Fen as strings of digits; `currency` is the account's (closes stored before it was kept name none). */
  trialBalance: { account: string; currency?: string; debit: string; credit: string }[];
  chainSeq: bigint;
  chainHash: string;
  closedAt: Date;
  /** Where the month stood against the bank at its last day; null for closes stored before it was kept. */
  reconciliation: CloseReconciliation | null;
}

/** The reconciliation's figures a close keeps (fen as strings of digits), with the reason when it did not reconcile. */
export interface CloseReconciliation {
  as_of: string;
  reconciled: boolean;
  statement_balance: string;
  ledger_cash: string;
  difference: string;
  unmatched_lines: number;
  unmatched_postings: number;
  reason?: string;
}

/** How a month about to close stands against the bank statement at its last day: the reconciliation then. */
export function monthStanding(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  month: string,
): Promise<Reconciliation> {
  admit(principal, 'periods.close', poolId);
  return reconcile(db, ledger, principal, poolId, lastDayOfMonth(month));
}

/**
 * What a close asks: the treasury's reason to close a month that does not reconcile; and, when a second
 * person confirms a proposed close, the standing it was proposed at (`closeTerms`), which the month must
 * still have when its books close.
 */
export interface CloseRequest {
  reason?: string;
  asProposed?: Record<string, string>;
}

/**
 * A month's standing as a close is decided on: nothing when it reconciles, else its difference and the
 * count of unmatched items. A confirmation closes the month only at the standing it was proposed at.
 */
export const closeTerms = (standing: Reconciliation): Record<string, string> =>
  standing.reconciled
    ? {}
    : {
        unreconciled_difference: standing.difference.toString(),
        unmatched_lines: String(standing.unmatchedLines.length),
        unmatched_postings: String(standing.unmatchedPostings.length),
      };

function refuseChanged(month: string, standing: Reconciliation, request: CloseRequest) {
  if (request.asProposed === undefined) return;
  const now = closeTerms(standing);
  const sorted = (terms: Record<string, string>) => JSON.stringify(Object.entries(terms).sort());
  if (sorted(now) === sorted(request.asProposed)) return;
  throw new DomainError(
    'conflict',
    'conflict',
    `${month}'s standing against the bank changed since its close was proposed (${JSON.stringify(request.asProposed)}, now ${JSON.stringify(now)}): withdraw the proposal and propose the close anew`,
  );
}

function refuseUnreconciled(month: string, standing: Reconciliation, request: CloseRequest) {
  if (standing.reconciled || request.reason?.trim()) return;
  const unmatched = [
    standing.unmatchedLines.length > 0 ? `${standing.unmatchedLines.length} statement line(s)` : '',
    standing.unmatchedPostings.length > 0 ? `${standing.unmatchedPostings.length} ledger posting(s)` : '',
  ].filter(Boolean);
  throw new DomainError(
    'refused',
    'unreconciled',
    `${month} does not reconcile with the bank statement at ${standing.asOf}: the statement less the ledger's cash is ` +
      `${yuanOf(standing.difference)} ${CURRENCY}` +
      (unmatched.length > 0 ? `, with ${unmatched.join(' and ')} unmatched` : '') +
      '; match or book them, or close it with a reason',
    {
      as_of: standing.asOf,
      difference: standing.difference.toString(),
      unmatched_lines: standing.unmatchedLines.length,
      unmatched_postings: standing.unmatchedPostings.length,
    },
  );
}

const keptOf = (standing: Reconciliation, request: CloseRequest): CloseReconciliation => ({
  as_of: standing.asOf,
  reconciled: standing.reconciled,
  statement_balance: standing.statementBalance.toString(),
  ledger_cash: standing.ledgerCash.toString(),
  difference: standing.difference.toString(),
  unmatched_lines: standing.unmatchedLines.length,
  unmatched_postings: standing.unmatchedPostings.length,
  ...(standing.reconciled ? {} : { reason: request.reason!.trim() }),
});

const lines = (tb: TrialBalance) =>
  tb.lines.map((l) => ({
    account: l.account.code,
    currency: l.account.currency,
    debit: l.debit.toString(),
    credit: l.credit.toString(),
  }));

export async function closeMonth(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  month: string,
  request: CloseRequest,
): Promise<PeriodClose> {
  const stored = await closeable(db, ledger, principal, poolId, month, request);
  if (stored) return stored;
  const through = lastDayOfMonth(month);
  if (request.asProposed !== undefined)
    refuseChanged(month, await monthStanding(db, ledger, principal, poolId, month), request);
  // The close waits for postings in flight; then every posting of the month is committed and can be sealed,
  // and the month's standing against the bank is what it will stay. (A posting that landed since the check
  // and unbalanced the month refuses the close now; the books stay closed through it, no later month closes
  // before it, and closing it again, with a reason, finishes the close.)
  await ledger.closeThrough(poolId, through);
  const standing = await monthStanding(db, ledger, principal, poolId, month);
  refuseChanged(month, standing, request);
  refuseUnreconciled(month, standing, request);
  const kept = keptOf(standing, request);
  await ledger.seal(poolId);
  const head = await ledger.digest(poolId);
  const trial = lines(await ledger.trialBalance(poolId, through));
  const row = await db
    .insertInto('period_closes')
    .values({
      pool_id: poolId,
      through,
      trial_balance: trial,
      chain_seq: head?.seq ?? 0n,
      chain_hash: head?.hash ?? '',
      by_key: principal.keyId,
      reconciliation: { ...kept },
      unreconciled_reason: kept.reason ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(db, {
    poolId,
    type: 'period.closed',
    subject: `period/${month}`,
    data: { through, chain_seq: row.chain_seq.toString(), reconciled: kept.reconciled },
  });
  return toClose(month, row);
}

/**
 * Whether the month can close now (before it is closed, or proposed for closing under four-eyes): refuses
 * a month that has not ended, or one out of order, or one that does not reconcile with the bank statement
 * when no reason is given; answers the month's close when it is closed already. Takes the pool's close
 * lock, held until the request commits.
 */
export async function closeable(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  month: string,
  request: CloseRequest,
): Promise<PeriodClose | undefined> {
  admit(principal, 'periods.close', poolId);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw invalidField('month', 'a month is YYYY-MM');
  const through = lastDayOfMonth(month);
  if (through >= todayInChina()) throw invalidField('month', `${month} has not ended yet`);
  // Closes of a pool run one at a time, until this request commits: one close at once records a month, and
  // those that waited for it find its record and answer it.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`period-close:${poolId}`}, 0))`.execute(db);
  const stored = await db
    .selectFrom('period_closes')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('through', '=', through)
    .executeTakeFirst();
  if (stored) return toClose(month, stored);
  const closed = await ledger.closedThrough(poolId);
  if (closed !== null && closed > through)
    throw new DomainError('conflict', 'conflict', `the books are closed through ${closed}, past ${month}`);
  // Months close in order, each with its record: after the first close, the next is the month that follows.
  // Books closed through a month without its record (the request that closed them failed, or was refused,
  // after the books closed) are finished by closing that month again, before any later one.
  const recorded =
    closed !== null &&
    (await db
      .selectFrom('period_closes')
      .select('through')
      .where('pool_id', '=', poolId)
      .where('through', '=', closed)
      .executeTakeFirst()) !== undefined;
  // A month whose books closed without its record is finished before any later month closes.
  const next = closed === null ? through : recorded ? lastDayOfMonth(addDays(closed, 1).slice(0, 7)) : closed;
  if (next !== through)
    throw new DomainError('conflict', 'conflict', `close ${next.slice(0, 7)} first: months close in order`);
  refuseUnreconciled(month, await monthStanding(db, ledger, principal, poolId, month), request);
  return undefined;
}

const toClose = (
  month: string,
  r: {
    through: string;
    trial_balance: unknown[];
    chain_seq: bigint;
    chain_hash: string;
    created_at: Date;
    reconciliation: Record<string, unknown> | null;
  },
): PeriodClose => ({
  month,
  through: r.through,
  trialBalance: r.trial_balance as PeriodClose['trialBalance'],
  chainSeq: r.chain_seq,
  chainHash: r.chain_hash,
  closedAt: r.created_at,
  reconciliation: r.reconciliation as CloseReconciliation | null,
});

/** A closed month, checked again: its trial balance recomputed, and the chain verified up to its head. */
export async function checkMonth(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  month: string,
) {
  admit(principal, 'periods.check', poolId);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw invalidField('month', 'a month is YYYY-MM');
  const row = await db
    .selectFrom('period_closes')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('through', '=', lastDayOfMonth(month))
    .executeTakeFirst();
  if (!row) throw notFound(`a close of ${month}`);
  const close = toClose(month, row);
  const now = lines(await ledger.trialBalance(poolId, close.through));
  const verified = close.chainSeq > 0n ? await ledger.verify(poolId, close.chainSeq) : null;
  const head = close.chainSeq > 0n ? await ledger.digest(poolId, close.chainSeq) : null;
  // Accounts opened after the close (a new bank's receivable) add zero lines: only balances count.
  const canonical = (tb: PeriodClose['trialBalance']) =>
    JSON.stringify(tb.filter((l) => l.debit !== '0' || l.credit !== '0').map((l) => [l.account, l.debit, l.credit]));
  const trialBalanceUnchanged = canonical(now) === canonical(close.trialBalance);
  const chainUnchanged = close.chainSeq === 0n || (verified?.ok === true && head?.hash === close.chainHash);
  return {
    close,
    trialBalanceUnchanged,
    chainUnchanged,
    unchanged: trialBalanceUnchanged && chainUnchanged,
    verify: verified,
  };
}
