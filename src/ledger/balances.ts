import { sql as raw, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { available, ZERO_TOTALS } from './apply.js';
import type { Account, Balance, Day, Totals } from './types.js';

/**
 * Balances, statements and the trial balance. Every read goes through an index: the running totals row for
 * now, the per-day movements for a past date, the (account, effective date, id) index for statements.
 */

function toBalance(account: Account, t: Totals): Balance {
  const sign = account.debitNormal ? 1n : -1n;
  return {
    accountId: account.id,
    account: account.code,
    currency: account.currency,
    posted: sign * (t.postedDebits - t.postedCredits),
    pending: sign * (t.pendingDebits - t.pendingCredits),
    available: available(account, t),
    postedDebits: t.postedDebits,
    postedCredits: t.postedCredits,
    pendingDebits: t.pendingDebits,
    pendingCredits: t.pendingCredits,
  };
}

/** The balance now, or at the end of `asOf` (by effective date). */
export async function getBalance(db: Kysely<Database>, account: Account, asOf?: Day): Promise<Balance> {
  if (asOf === undefined) {
    const row = await db
      .selectFrom('account_balances')
      .select([
        'posted_debits as postedDebits',
        'posted_credits as postedCredits',
        'pending_debits as pendingDebits',
        'pending_credits as pendingCredits',
      ])
      .where('pool_id', '=', account.poolId)
      .where('account_id', '=', account.id)
      .executeTakeFirst();
    return toBalance(account, row ?? ZERO_TOTALS);
  }
  const row = await db
    .selectFrom('account_days')
    .select([
      raw<bigint>`coalesce(sum(posted_debits), 0)::int8`.as('postedDebits'),
      raw<bigint>`coalesce(sum(posted_credits), 0)::int8`.as('postedCredits'),
      raw<bigint>`coalesce(sum(pending_debits), 0)::int8`.as('pendingDebits'),
      raw<bigint>`coalesce(sum(pending_credits), 0)::int8`.as('pendingCredits'),
    ])
    .where('pool_id', '=', account.poolId)
    .where('account_id', '=', account.id)
    .where('day', '<=', asOf)
    .executeTakeFirstOrThrow();
  return toBalance(account, row);
}

export interface StatementLine {
  entryId: bigint;
  transactionId: bigint;
  externalId: string;
  kind: string;
  effectiveDate: Day;
  description: string;
  /** Signed as in the journal: positive debit, negative credit. */
  amount: bigint;
  /** The account's posted balance after this line, on its normal side. */
  balance: bigint;
}

/** A position in a statement: the last line a page showed. */
export interface StatementCursor {
  day: Day;
  entryId: bigint;
}

export interface StatementPage {
  account: Account;
  openingBalance: bigint;
  lines: StatementLine[];
  next: StatementCursor | null;
}

export const MAX_PAGE = 1000;

/**
 * Posted lines of an account in (effective date, entry id) order with a running balance. A page after a
 * cursor starts from the balance at the cursor's line, found by index (the day totals before its day, and
 * its day's lines up to it), not taken from the cursor: a cursor is the caller's text, and a balance it
 * carried could be forged, or stale after a back-dated posting landed before it.
 */
export async function statement(
  db: Kysely<Database>,
  account: Account,
  options: { from?: Day; to?: Day; limit: number; cursor?: StatementCursor },
): Promise<StatementPage> {
  const limit = Math.min(Math.max(1, options.limit), MAX_PAGE);
  let opening: bigint;
  if (options.cursor) {
    opening = await balanceThrough(db, account, options.cursor);
  } else if (options.from) {
    opening = (await getBalance(db, account, dayBefore(options.from))).posted;
  } else {
    opening = 0n;
  }
  let query = db
    .selectFrom('entries as e')
    .innerJoin('transactions as t', (j) =>
      j.onRef('t.pool_id', '=', 'e.pool_id').onRef('t.id', '=', 'e.transaction_id'),
    )
    .select(['e.id', 'e.transaction_id', 't.external_id', 't.kind', 'e.effective_date', 't.description', 'e.amount'])
    .where('e.pool_id', '=', account.poolId)
    .where('e.account_id', '=', account.id)
    .where('e.phase', '=', 'posted')
    .orderBy('e.effective_date')
    .orderBy('e.id')
    .limit(limit + 1);
  if (options.from) query = query.where('e.effective_date', '>=', options.from);
  if (options.to) query = query.where('e.effective_date', '<=', options.to);
  if (options.cursor) {
    const { day, entryId } = options.cursor;
    query = query.where(raw<boolean>`(e.effective_date, e.id) > (${day}::date, ${entryId.toString()}::int8)`);
  }
  const rows = await query.execute();
  const sign = account.debitNormal ? 1n : -1n;
  let balance = opening;
  const lines = rows.slice(0, limit).map((r): StatementLine => {
    balance += sign * r.amount;
    return {
      entryId: r.id,
      transactionId: r.transaction_id,
      externalId: r.external_id,
      kind: r.kind,
      effectiveDate: r.effective_date,
      description: r.description,
      amount: r.amount,
      balance,
    };
  });
  const last = lines.at(-1);
  return {
    account,
    openingBalance: opening,
    lines,
    next: rows.length > limit && last ? { day: last.effectiveDate, entryId: last.entryId } : null,
  };
}

/** The account's posted balance (on its normal side) just after the given line. */
async function balanceThrough(db: Kysely<Database>, account: Account, at: StatementCursor): Promise<bigint> {
  const [before, day] = await Promise.all([
    getBalance(db, account, dayBefore(at.day)),
    db
      .selectFrom('entries')
      .select(raw<bigint>`coalesce(sum(amount), 0)::int8`.as('net'))
      .where('pool_id', '=', account.poolId)
      .where('account_id', '=', account.id)
      .where('phase', '=', 'posted')
      .where('effective_date', '=', at.day)
      .where('id', '<=', at.entryId)
      .executeTakeFirstOrThrow(),
  ]);
  return before.posted + (account.debitNormal ? 1n : -1n) * day.net;
}

export interface TrialBalanceLine {
  account: Account;
  debit: bigint;
  credit: bigint;
}

export interface TrialBalance {
  asOf: Day | null;
  lines: TrialBalanceLine[];
  /** Totals per currency; debits equal credits in each. */
  totals: { currency: string; debit: bigint; credit: bigint }[];
}

/** Every account's posted balance (now, or at the end of `asOf`) in a debit or a credit column. */
export async function trialBalance(db: Kysely<Database>, accounts: Account[], asOf?: Day): Promise<TrialBalance> {
  const poolId = accounts[0]?.poolId;
  const net = new Map<bigint, bigint>();
  if (poolId !== undefined) {
    const rows =
      asOf === undefined
        ? await db
            .selectFrom('account_balances')
            .select(['account_id', raw<bigint>`posted_debits - posted_credits`.as('net')])
            .where('pool_id', '=', poolId)
            .execute()
        : await db
            .selectFrom('account_days')
            .select(['account_id', raw<bigint>`(sum(posted_debits) - sum(posted_credits))::int8`.as('net')])
            .where('pool_id', '=', poolId)
            .where('day', '<=', asOf)
            .groupBy('account_id')
            .execute();
    for (const r of rows) net.set(r.account_id, r.net);
  }
  const lines = accounts.map((account) => {
    const n = net.get(account.id) ?? 0n;
    return { account, debit: n > 0n ? n : 0n, credit: n < 0n ? -n : 0n };
  });
  const totals = new Map<string, { currency: string; debit: bigint; credit: bigint }>();
  for (const l of lines) {
    const t = totals.get(l.account.currency) ?? { currency: l.account.currency, debit: 0n, credit: 0n };
    t.debit += l.debit;
    t.credit += l.credit;
    totals.set(l.account.currency, t);
  }
  return { asOf: asOf ?? null, lines, totals: [...totals.values()] };
}

function dayBefore(day: Day): Day {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}
