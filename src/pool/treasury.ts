import type { Kysely, Selectable } from 'kysely';
import type { AppropriationsTable, Database } from '../db/schema.js';
import type { Ledger, StatementLine, Transaction } from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { checkEventDay } from './business-dates.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { postedAs, postMoney } from './post-once.js';
import { ensureAccounts, postingFor, refKey, type MoneyEvent } from './posting-rules.js';

/**
 * The pool's money as the treasury records it: appropriations (notified, then received), interest credited
 * to the pool's account, returns to the treasury, and the pool's position at a date. Each event is posted
 * through the posting-rule table under an external id made from its business reference, so a retry (or
 * the same reference sent again) posts it once.
 */

export interface Appropriation {
  id: bigint;
  reference: string;
  amount: bigint;
  notifiedOn: string;
  receivedOn: string | null;
}

const toAppropriation = (r: Selectable<AppropriationsTable>): Appropriation => ({
  id: r.id,
  reference: r.reference,
  amount: r.amount,
  notifiedOn: r.notified_on,
  receivedOn: r.received_on,
});

/** Records an appropriation the treasury has been notified of (拨款通知): receivable, and fund capital. */
export async function notifyAppropriation(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  spec: { reference: string; amount: bigint; notifiedOn: string },
): Promise<Appropriation> {
  admit(principal, 'appropriations.notify', poolId);
  checkEventDay('notified_on', spec.notifiedOn);
  const inserted = await db
    .insertInto('appropriations')
    .values({ pool_id: poolId, reference: spec.reference, amount: spec.amount, notified_on: spec.notifiedOn })
    .onConflict((oc) => oc.columns(['pool_id', 'reference']).doNothing())
    .returningAll()
    .executeTakeFirst();
  const row =
    inserted ??
    (await db
      .selectFrom('appropriations')
      .selectAll()
      .where('pool_id', '=', poolId)
      .where('reference', '=', spec.reference)
      .executeTakeFirstOrThrow());
  if (row.amount !== spec.amount || row.notified_on !== spec.notifiedOn) {
    throw new DomainError(
      'conflict',
      'conflict',
      `appropriation ${spec.reference} was recorded with ${row.amount} fen notified on ${row.notified_on}`,
      { field: 'reference' },
    );
  }
  await ensureAccounts(ledger, poolId);
  await postMoney(
    ledger,
    postingFor('appropriation_notified', {
      poolId,
      externalId: `appropriation:${refKey(spec.reference)}:notified`,
      effectiveDate: spec.notifiedOn,
      amount: spec.amount,
      metadata: { reference: spec.reference },
    }),
  );
  if (inserted)
    await appendEvent(db, {
      poolId,
      type: 'appropriation.notified',
      subject: `appropriation/${row.id}`,
      data: { reference: spec.reference, amount: spec.amount.toString() },
    });
  return toAppropriation(row);
}

/** Records that a notified appropriation arrived in the pool's account. */
export async function receiveAppropriation(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  reference: string,
  receivedOn: string,
): Promise<Appropriation> {
  admit(principal, 'appropriations.receive', poolId);
  checkEventDay('received_on', receivedOn);
  const row = await db
    .selectFrom('appropriations')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('reference', '=', reference)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(`appropriation ${reference}`);
  if (row.received_on !== null && row.received_on !== receivedOn) {
    throw new DomainError('conflict', 'conflict', `appropriation ${reference} was received on ${row.received_on}`, {
      field: 'received_on',
    });
  }
  if (receivedOn < row.notified_on)
    throw invalidField('received_on', `an appropriation is received on or after it was notified (${row.notified_on})`);
  await postMoney(
    ledger,
    postingFor('appropriation_received', {
      poolId,
      externalId: `appropriation:${refKey(reference)}:received`,
      effectiveDate: receivedOn,
      amount: row.amount,
      metadata: { reference },
    }),
  );
  if (row.received_on === null) {
    await db
      .updateTable('appropriations')
      .set({ received_on: receivedOn })
      .where('pool_id', '=', poolId)
      .where('id', '=', row.id)
      .execute();
    await appendEvent(db, {
      poolId,
      type: 'appropriation.received',
      subject: `appropriation/${row.id}`,
      data: { reference, amount: row.amount.toString(), received_on: receivedOn },
    });
  }
  return { ...toAppropriation(row), receivedOn };
}

/** The start of a cash event's external id (and of its type in the feed, `money.<prefix>`). */
const CASH_EVENT_PREFIX = {
  interest_credited: 'interest',
  returned_to_treasury: 'return',
  bank_charged: 'charge',
} as const;

type CashEvent = Extract<MoneyEvent, 'interest_credited' | 'returned_to_treasury' | 'bank_charged'>;

/** The external id a cash event under its reference is posted with, and its start for every reference. */
export const cashEventId = (event: CashEvent, reference?: string): string =>
  reference === undefined ? `${CASH_EVENT_PREFIX[event]}:` : `${CASH_EVENT_PREFIX[event]}:${refKey(reference)}`;

/** The cash event posted under the reference, if it was. */
export const cashEventPosted = (ledger: Ledger, poolId: bigint, event: CashEvent, reference: string) =>
  postedAs(ledger, poolId, cashEventId(event, reference));

/**
 * Interest credited to the pool's account, money returned to the treasury, or the bank's charges taken
 * from it, under the bank's reference.
 */
export async function recordCashEvent(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  event: CashEvent,
  spec: { reference: string; amount: bigint; on: string },
): Promise<Transaction> {
  admit(principal, 'cash.record', poolId);
  checkEventDay('on', spec.on);
  await ensureAccounts(ledger, poolId, {}, event === 'bank_charged' ? ['bank_charges'] : []);
  const prefix = CASH_EVENT_PREFIX[event];
  const externalId = cashEventId(event, spec.reference);
  const before = await postedAs(ledger, poolId, externalId);
  const { transaction: tx } = await postMoney(
    ledger,
    postingFor(event, {
      poolId,
      externalId,
      effectiveDate: spec.on,
      amount: spec.amount,
      metadata: { reference: spec.reference },
    }),
  );
  // The same reference again is the same event: said once in the feed.
  if (!before)
    await appendEvent(db, {
      poolId,
      type: `money.${prefix}`,
      subject: `transaction/${tx.id}`,
      data: { reference: spec.reference, amount: spec.amount.toString() },
    });
  return tx;
}

/** The pool cash's posted lines between two days, every page. */
export async function cashPostings(
  ledger: Ledger,
  poolId: bigint,
  from?: string,
  to?: string,
): Promise<StatementLine[]> {
  const out: StatementLine[] = [];
  let cursor;
  do {
    const page = await ledger.statement(poolId, 'pool_cash', { from, to, limit: 1000, cursor });
    out.push(...page.lines);
    cursor = page.next ?? undefined;
  } while (cursor);
  return out;
}

export interface PoolPosition {
  asOf: string | null;
  /** Posted to the pool's account. */
  cash: bigint;
  /** Held by approved, unpaid claims. */
  reserved: bigint;
  available: bigint;
  appropriated: bigint;
  appropriationsReceivable: bigint;
  returned: bigint;
  compensationPaid: bigint;
  recoveries: bigint;
  recoveriesReceivable: bigint;
  interest: bigint;
}

/**
 * The pool's position at the end of a day (or now), read off its accounts. Reserved amounts are those of
 * pending claims now: the ledger's as-of balances are of posted money.
 */
export async function poolPosition(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  asOf?: string,
): Promise<PoolPosition> {
  admit(principal, 'position.read', poolId);
  await ensureAccounts(ledger, poolId);
  const balance = (code: string) => ledger.balance(poolId, code, asOf);
  const [cash, capital, receivable, expense, recovery, interest, trial] = await Promise.all([
    balance('pool_cash'),
    balance('fund_capital'),
    balance('appropriation_receivable'),
    balance('compensation_expense'),
    balance('recovery_income'),
    balance('interest_income'),
    ledger.trialBalance(poolId, asOf),
  ]);
  const recoveriesReceivable = trial.lines
    .filter((l) => l.account.code.startsWith('recovery_receivable:'))
    .reduce((s, l) => s + l.debit - l.credit, 0n);
  const reserved = asOf === undefined ? -cash.pending : 0n;
  return {
    asOf: asOf ?? null,
    cash: cash.posted,
    reserved,
    available: cash.posted - reserved,
    appropriated: capital.postedCredits,
    appropriationsReceivable: receivable.posted,
    returned: capital.postedDebits,
    compensationPaid: expense.posted,
    recoveries: recovery.posted,
    recoveriesReceivable,
    interest: interest.posted,
  };
}
