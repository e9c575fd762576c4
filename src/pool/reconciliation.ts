import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, StatementLinesTable } from '../db/schema.js';
import type { Ledger } from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { checkEventDay } from './business-dates.js';
import { addDays, daysBetween } from './days.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { sumOf } from './money.js';
import { ensureAccounts, refKey } from './posting-rules.js';
import { cashEventId, cashEventPosted, cashPostings, recordCashEvent } from './treasury.js';

/**
 * The treasury's proof that the ledger and the pool's bank account (专户) agree. The bank's statement is
 * imported line by line (each line unique forever by the bank's reference; a statement whose running
 * balances do not add up is refused at its first bad line), its lines are matched to the pool cash
 * postings automatically (by reference, else by amount within a few days when only one posting fits) or by
 * hand, and the reconciliation at a date explains the difference between the two balances to the fen:
 * statement − ledger = opening balance + unmatched statement lines − unmatched postings.
 */
export const MATCH_TOLERANCE_DAYS = 3;

export interface StatementRow {
  line: number;
  bookedOn: string;
  bankRef: string;
  /** Signed fen: into the pool account positive. */
  amount: bigint;
  counterparty: string;
  balance: bigint;
  memo: string;
}

export interface StatementLineOut {
  id: bigint;
  bookedOn: string;
  bankRef: string;
  amount: bigint;
  counterparty: string;
  balance: bigint;
  memo: string;
  matchedTx: bigint | null;
}

const toLine = (r: Selectable<StatementLinesTable>): StatementLineOut => ({
  id: r.id,
  bookedOn: r.booked_on,
  bankRef: r.bank_ref,
  amount: r.amount,
  counterparty: r.counterparty,
  balance: r.balance,
  memo: r.memo,
  matchedTx: r.matched_tx,
});

/** The first line whose balance is not the previous balance plus its amount, or null. */
export function firstBadBalance(rows: StatementRow[]): { line: number; message: string } | null {
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1]!;
    const row = rows[i]!;
    if (prev.balance + row.amount !== row.balance) {
      return {
        line: row.line,
        message: `line ${row.line}: the balance ${row.balance} fen is not ${prev.balance} + ${row.amount} = ${prev.balance + row.amount} fen`,
      };
    }
  }
  return null;
}

/**
 * A statement continues the one imported before it: its first new line opens (its balance less its amount)
 * at the balance the last imported line closed at. A statement that skips a period (unless the period's
 * lines net to zero), or is of another account, is refused naming the gap; the first statement of a pool
 * may open at any balance.
 */
async function refuseGap(db: Kysely<Database>, poolId: bigint, first: StatementRow | undefined): Promise<void> {
  if (!first) return;
  const last = await db
    .selectFrom('statement_lines')
    .select(['bank_ref', 'booked_on', 'balance'])
    .where('pool_id', '=', poolId)
    .orderBy('booked_on', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const opening_fen = first.balance - first.amount;
  if (!last || last.balance === opening_fen) return;
  throw new DomainError(
    'refused',
    'statement-refused',
    `line ${first.line}: the statement opens at ${opening_fen} fen, but the last line imported (${last.bank_ref}, ` +
      `booked ${last.booked_on}) closed at ${last.balance} fen, ${opening_fen - last.balance} fen apart: ` +
      `import the statement in between first`,
    {
      line: first.line,
      opening_balance: opening_fen.toString(),
      previous_closing_balance: last.balance.toString(),
      previous_reference: last.bank_ref,
    },
  );
}

/**
 * Imports a statement: new lines only, then matches what it can. The statement (its rows and its digest) is
 * read once treasury is admitted.
 */
export async function importStatement(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  read: () => Promise<{ rows: StatementRow[]; sha256: Buffer }>,
): Promise<{ lines: number; newLines: number; matched: number }> {
  admit(principal, 'statements.import', poolId);
  const { rows, sha256 } = await read();
  const bad = firstBadBalance(rows);
  if (bad)
    throw new DomainError('refused', 'statement-refused', `the running balances do not add up at ${bad.message}`, {
      line: bad.line,
    });
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`statement:${poolId}`}, 0))`.execute(db);
  const known = new Map<string, Selectable<StatementLinesTable>>();
  for (const r of await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('bank_ref', 'in', rows.length ? rows.map((r) => r.bankRef) : [''])
    .execute()) {
    known.set(r.bank_ref, r);
  }
  const fresh: StatementRow[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.bankRef))
      throw new DomainError(
        'invalid',
        'validation',
        `line ${row.line}: reference ${row.bankRef} appears twice in the statement`,
        { field: 'reference', line: row.line },
      );
    seen.add(row.bankRef);
    const before = known.get(row.bankRef);
    if (!before) fresh.push(row);
    else if (before.amount !== row.amount || before.booked_on !== row.bookedOn || before.balance !== row.balance) {
      throw new DomainError(
        'conflict',
        'conflict',
        `line ${row.line}: reference ${row.bankRef} was imported before with other figures`,
        { field: 'reference', line: row.line },
      );
    }
  }
  await refuseGap(db, poolId, fresh[0]);
  const imported = await db
    .insertInto('statement_imports')
    .values({ pool_id: poolId, sha256, lines: rows.length, new_lines: fresh.length, by_key: principal.keyId })
    .returning('id')
    .executeTakeFirstOrThrow();
  // In parts of 5,000 lines: a statement may be long, and one statement takes at most 65,535 parameters.
  for (let i = 0; i < fresh.length; i += 5_000) {
    await db
      .insertInto('statement_lines')
      .values(
        fresh.slice(i, i + 5_000).map((r) => ({
          pool_id: poolId,
          import_id: imported.id,
          line_no: r.line,
          booked_on: r.bookedOn,
          bank_ref: r.bankRef,
          amount: r.amount,
          counterparty: r.counterparty,
          balance: r.balance,
          memo: r.memo,
        })),
      )
      .execute();
  }
  const matched = await autoMatch(db, ledger, poolId);
  await appendEvent(db, {
    poolId,
    type: 'statement.imported',
    subject: `statement/${imported.id}`,
    data: { lines: rows.length, new_lines: fresh.length, matched },
  });
  return { lines: rows.length, newLines: fresh.length, matched };
}

/**
 * Matches unmatched lines to unmatched pool cash postings of the same amount: first where the posting's
 * external id carries the line's reference or memo (the business reference the treasury gave), else where
 * exactly one posting lies within the tolerance of the line's date.
 */
async function autoMatch(db: Kysely<Database>, ledger: Ledger, poolId: bigint): Promise<number> {
  const open = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('matched_tx', 'is', null)
    .orderBy('booked_on')
    .orderBy('id')
    .execute();
  if (open.length === 0) return 0;
  await ensureAccounts(ledger, poolId);
  const taken = new Set(
    (
      await db
        .selectFrom('statement_lines')
        .select('matched_tx')
        .where('pool_id', '=', poolId)
        .where('matched_tx', 'is not', null)
        .execute()
    ).map((r) => r.matched_tx!.toString()),
  );
  const postings = (
    await cashPostings(
      ledger,
      poolId,
      addDays(open[0]!.booked_on, -MATCH_TOLERANCE_DAYS),
      addDays(open.at(-1)!.booked_on, MATCH_TOLERANCE_DAYS),
    )
  ).filter((p) => !taken.has(p.transactionId.toString()));
  let matched = 0;
  for (const line of open) {
    const fits = postings.filter((p) => p.amount === line.amount && !taken.has(p.transactionId.toString()));
    const keys = [line.bank_ref, line.memo].filter((k) => k !== '').map(refKey);
    let hit = fits.find((p) => keys.some((k) => p.externalId.includes(k)));
    let reason = 'auto: reference and amount';
    if (!hit) {
      const near = fits.filter((p) => Math.abs(daysBetween(p.effectiveDate, line.booked_on)) <= MATCH_TOLERANCE_DAYS);
      if (near.length === 1) {
        hit = near[0];
        reason = `auto: amount, within ${MATCH_TOLERANCE_DAYS} days`;
      }
    }
    if (!hit) continue;
    taken.add(hit.transactionId.toString());
    await recordMatch(db, poolId, line.id, hit.transactionId, null, reason);
    matched++;
  }
  return matched;
}

async function recordMatch(
  db: Kysely<Database>,
  poolId: bigint,
  lineId: bigint,
  txId: bigint,
  byKey: bigint | null,
  reason: string,
) {
  await db
    .updateTable('statement_lines')
    .set({ matched_tx: txId })
    .where('pool_id', '=', poolId)
    .where('id', '=', lineId)
    .execute();
  await db
    .insertInto('statement_matches')
    .values({ pool_id: poolId, line_id: lineId, tx_id: txId, action: 'match', by_key: byKey, reason })
    .execute();
}

/** Treasury matches a line to a pool cash posting of the same amount by hand, saying why. */
export async function matchLine(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  lineId: bigint,
  txId: bigint,
  reason: string,
): Promise<StatementLineOut> {
  const line = await matchable(db, ledger, principal, poolId, lineId, txId);
  await recordMatch(db, poolId, lineId, txId, principal.keyId, reason);
  return { ...toLine(line), matchedTx: txId };
}

/**
 * Whether the line can be matched to the transaction by hand now (before it is, or is proposed under
 * four-eyes): refuses as the match would. Takes the pool's statement lock; answers the line.
 */
export async function matchable(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  lineId: bigint,
  txId: bigint,
) {
  admit(principal, 'statements.match', poolId);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`statement:${poolId}`}, 0))`.execute(db);
  const line = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', lineId)
    .forUpdate()
    .executeTakeFirst();
  if (!line) throw notFound(`statement line ${lineId}`);
  if (line.matched_tx !== null)
    throw new DomainError(
      'conflict',
      'conflict',
      `the line is matched to transaction ${line.matched_tx}; unmatch it first`,
    );
  await refuseOtherProposal(db, poolId, line.id, 'statement.book');
  let tx;
  try {
    tx = await ledger.getTransaction(poolId, txId);
  } catch {
    throw invalidField('transaction_id', `transaction ${txId} does not exist in this pool`);
  }
  const cash = sumOf(tx.entries.filter((e) => e.account === 'pool_cash' && e.phase === 'posted').map((e) => e.amount));
  if (cash !== line.amount)
    throw invalidField(
      'transaction_id',
      `transaction ${txId} moves ${cash} fen through pool cash; the line moves ${line.amount}`,
    );
  const other = await db
    .selectFrom('statement_lines')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('matched_tx', '=', txId)
    .executeTakeFirst();
  if (other)
    throw new DomainError('conflict', 'conflict', `transaction ${txId} is matched to statement line ${other.id}`);
  return line;
}

/** What a statement line the ledger lacks is booked as: the bank's charge (out) or the interest it credited (in). */
export type LineBooking = 'bank_charge' | 'interest';

/**
 * Whether a statement line can be booked as `spec` says, holding the statement's lock and the line: not
 * matched yet, its direction the booking's, the posting's date not before the bank's and in the open
 * period. Refuses otherwise, so a proposal to book a line always names a booking that could be made.
 */
export async function bookable(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  lineId: bigint,
  spec: { as: LineBooking; on?: string },
): Promise<Selectable<StatementLinesTable>> {
  admit(principal, 'statements.book', poolId);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`statement:${poolId}`}, 0))`.execute(db);
  const line = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', lineId)
    .forUpdate()
    .executeTakeFirst();
  if (!line) throw notFound(`statement line ${lineId}`);
  if (line.matched_tx !== null)
    throw new DomainError('conflict', 'conflict', `the line is matched to transaction ${line.matched_tx} already`);
  if (spec.as === 'bank_charge' && line.amount >= 0n)
    throw invalidField('as', `the line brings ${line.amount} fen into the pool account: a bank charge is a line out`);
  if (spec.as === 'interest' && line.amount <= 0n)
    throw invalidField('as', `the line takes ${-line.amount} fen out of the pool account: interest is a line in`);
  const on = spec.on ?? line.booked_on;
  if (on < line.booked_on)
    throw invalidField('on', `the bank booked the line on ${line.booked_on}: it is booked on that day or later`);
  checkEventDay('on', on);
  await refuseOtherProposal(db, poolId, line.id, 'statement.match');
  // Interest (or a charge) the treasury recorded under its own reference is the ledger's already: booking
  // its line again would count it twice. Its line is matched to it instead.
  const event = spec.as === 'interest' ? 'interest_credited' : 'bank_charged';
  const own = cashEventId(event, line.bank_ref);
  const taken = new Set(
    (
      await db
        .selectFrom('statement_lines')
        .select('matched_tx')
        .where('pool_id', '=', poolId)
        .where('matched_tx', 'is not', null)
        .execute()
    ).map((r) => r.matched_tx!.toString()),
  );
  const recorded = (await cashPostings(ledger, poolId)).find(
    (p) =>
      p.amount === line.amount &&
      p.externalId.startsWith(cashEventId(event)) &&
      p.externalId !== own &&
      !taken.has(p.transactionId.toString()),
  );
  if (recorded)
    throw new DomainError(
      'conflict',
      'conflict',
      `transaction ${recorded.transactionId} (${recorded.externalId}, ${recorded.effectiveDate}) records the same amount and is matched to no line: match the line to it rather than book it twice`,
      { transaction_id: recorded.transactionId.toString() },
    );
  const closed = await ledger.closedThrough(poolId);
  if (closed !== null && on <= closed)
    throw new DomainError(
      'refused',
      'period-closed',
      `the books are closed through ${closed}: book the line on a day after it (on)`,
    );
  return line;
}

/**
 * Books a statement line the ledger lacks in one step, and matches it at once: the bank's charges taken
 * from the pool account (手续费, a line out) or the interest it credited (结息, a line in), for the line's
 * amount under its bank reference. The posting is dated the line's day, or a later one (`on`) when that
 * month is closed. Where the pool keeps four-eyes the booking is a decision a second person confirms (an
 * outflow booked as a charge could explain away a withdrawal). A posting of it made before under the line's
 * reference (interest recorded under it, or a booking whose match was lost) is the booking; one of the same
 * kind and amount under another reference, matched to no line, refuses it (match the line to that).
 */
export async function bookLine(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  lineId: bigint,
  spec: { as: LineBooking; reason: string; on?: string },
): Promise<StatementLineOut & { matchedTx: bigint }> {
  const line = await bookable(db, ledger, principal, poolId, lineId, spec);
  const event = spec.as === 'interest' ? 'interest_credited' : 'bank_charged';
  // A booking of the line posted before (its match lost with the request that made it) is the booking.
  const tx =
    (await cashEventPosted(ledger, poolId, event, line.bank_ref)) ??
    (await recordCashEvent(db, ledger, principal, poolId, event, {
      reference: line.bank_ref,
      amount: line.amount < 0n ? -line.amount : line.amount,
      on: spec.on ?? line.booked_on,
    }));
  const cash = sumOf(tx.entries.filter((e) => e.account === 'pool_cash' && e.phase === 'posted').map((e) => e.amount));
  if (cash !== line.amount)
    throw new DomainError(
      'conflict',
      'conflict',
      `transaction ${tx.id}, posted under the line's reference, moves ${cash} fen through pool cash; the line moves ${line.amount}`,
    );
  const other = await db
    .selectFrom('statement_lines')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('matched_tx', '=', tx.id)
    .executeTakeFirst();
  if (other)
    throw new DomainError('conflict', 'conflict', `transaction ${tx.id} is matched to statement line ${other.id}`);
  await recordMatch(
    db,
    poolId,
    line.id,
    tx.id,
    principal.keyId,
    `booked as ${spec.as.replace('_', ' ')}: ${spec.reason}`,
  );
  return { ...toLine(line), matchedTx: tx.id };
}

/** Refuses to decide on a line that another decision on it (a match, a booking) waits for a second person on. */
async function refuseOtherProposal(
  db: Kysely<Database>,
  poolId: bigint,
  lineId: bigint,
  decision: 'statement.match' | 'statement.book',
) {
  const open = await db
    .selectFrom('proposals')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('decision', '=', decision)
    .where('subject', '=', `statement_line/${lineId}`)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (open)
    throw new DomainError(
      'conflict',
      'conflict',
      `proposal ${open.id} (${decision}) on this line waits for a second person: confirm or withdraw it first`,
      { proposal_id: open.id.toString() },
    );
}

/** Treasury undoes a match, saying why. */
export async function unmatchLine(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  lineId: bigint,
  reason: string,
): Promise<StatementLineOut> {
  admit(principal, 'statements.unmatch', poolId);
  const line = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', lineId)
    .forUpdate()
    .executeTakeFirst();
  if (!line) throw notFound(`statement line ${lineId}`);
  if (line.matched_tx === null) throw new DomainError('conflict', 'conflict', 'the line is not matched');
  await db
    .updateTable('statement_lines')
    .set({ matched_tx: null })
    .where('pool_id', '=', poolId)
    .where('id', '=', lineId)
    .execute();
  await db
    .insertInto('statement_matches')
    .values({
      pool_id: poolId,
      line_id: lineId,
      tx_id: line.matched_tx,
      action: 'unmatch',
      by_key: principal.keyId,
      reason,
    })
    .execute();
  return { ...toLine(line), matchedTx: null };
}

export async function listLines(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { unmatched?: boolean; after?: bigint; limit: number },
): Promise<StatementLineOut[]> {
  admit(principal, 'statements.lines', poolId);
  let q = db.selectFrom('statement_lines').selectAll().where('pool_id', '=', poolId).orderBy('id').limit(options.limit);
  if (options.unmatched) q = q.where('matched_tx', 'is', null);
  if (options.after !== undefined) q = q.where('id', '>', options.after);
  return (await q.execute()).map(toLine);
}

export interface Reconciliation {
  asOf: string;
  statementBalance: bigint;
  ledgerCash: bigint;
  difference: bigint;
  openingBalance: bigint;
  unmatchedLines: StatementLineOut[];
  unmatchedPostings: {
    transactionId: bigint;
    externalId: string;
    effectiveDate: string;
    amount: bigint;
    description: string;
  }[];
  /** opening + unmatched lines − unmatched postings: equals the difference when the statement is whole. */
  explained: bigint;
  reconciled: boolean;
}

/** The reconciliation at the end of a day. */
export async function reconcile(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  asOf: string,
): Promise<Reconciliation> {
  admit(principal, 'statements.reconcile', poolId);
  await ensureAccounts(ledger, poolId);
  const lines = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('booked_on', '<=', asOf)
    .orderBy('booked_on')
    .orderBy('import_id')
    .orderBy('line_no')
    .execute();
  const postings = await cashPostings(ledger, poolId, undefined, asOf);
  const postingIds = new Set(postings.map((p) => p.transactionId.toString()));
  const lineTxs = new Set(lines.flatMap((l) => (l.matched_tx === null ? [] : [l.matched_tx.toString()])));
  const unmatchedLines = lines
    .filter((l) => l.matched_tx === null || !postingIds.has(l.matched_tx.toString()))
    .map(toLine);
  const unmatchedPostings = postings
    .filter((p) => !lineTxs.has(p.transactionId.toString()))
    .map((p) => ({
      transactionId: p.transactionId,
      externalId: p.externalId,
      effectiveDate: p.effectiveDate,
      amount: p.amount,
      description: p.description,
    }));
  const first = lines[0];
  const openingBalance = first ? first.balance - first.amount : 0n;
  const statementBalance = lines.at(-1)?.balance ?? 0n;
  const ledgerCash = (await ledger.balance(poolId, 'pool_cash', asOf)).posted;
  const explained =
    openingBalance + sumOf(unmatchedLines.map((l) => l.amount)) - sumOf(unmatchedPostings.map((p) => p.amount));
  const difference = statementBalance - ledgerCash;
  return {
    asOf,
    statementBalance,
    ledgerCash,
    difference,
    openingBalance,
    unmatchedLines,
    unmatchedPostings,
    explained,
    reconciled: difference === 0n && unmatchedLines.length === 0 && unmatchedPostings.length === 0,
  };
}
