import type { Queryable } from '../../db/client.js';
import { arrayLiteral } from '../../db/pg-array.js';
import { SQLSTATE } from '../../db/sqlstate.js';
import {
  addTotals,
  entryEffect,
  ZERO_TOTALS,
  type AccountTotals,
  type PlannedTransaction,
  type RefInfo,
} from '../apply.js';
import { balanceKey } from '../keys.js';
import type { Account, CompanionWriter, PostingRequest, PostOptions, Refusal, Totals } from '../types.js';
import {
  newOutcomes,
  type BalanceRow,
  type Decided,
  type EarlierRow,
  type RefusedRequest,
  type ResolutionRow,
  type UnitContent,
} from './decide.js';

/**
 * The writer's SQL, statement by statement, each on the batch's transaction. Nothing here is sent when it is
 * built: a postgres.js query runs when executed or awaited, and `pipelined` sends them in the order given.
 */

/** A statement not sent yet (a postgres.js query runs when executed or awaited). */
export type Statement = { execute(): unknown } & PromiseLike<unknown>;

/** A unit as the journal writes it: its content and the companion rows its caller commits with it. */
export interface WrittenUnit extends UnitContent {
  alsoWrite?: PostOptions['alsoWrite'];
}

/**
 * Sends statements on one transaction in the order given, then awaits them all. The order is the one
 * written: each statement is executed here, in turn (left to themselves, postgres.js queries start when
 * first awaited, which is not the array's order once some are wrapped in promises). When one fails, those
 * after it fail with 25P02 (the transaction is aborted), and their rejections may be seen first: the error
 * that counts is the first one that is not 25P02, so that a duplicate key, a deadlock or a serialization
 * failure is retried as such.
 */
export async function pipelined<T extends readonly unknown[] | []>(
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  for (const s of statements) (s as Partial<Statement>).execute?.();
  const settled = await Promise.allSettled(statements);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code?: string }] : []));
  if (failures.length > 0) throw failures.find((e) => e?.code !== SQLSTATE.in_failed_sql_transaction) ?? failures[0];
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** The order balance rows are locked in, (pool, account): concurrent batches never deadlock on them. */
export const lockOrder = (a: Account, b: Account) => compare(a.poolId, b.poolId) || compare(a.id, b.id);

/**
 * The balance rows of the accounts, given in lockOrder; with `lock`, locked in that order, so
 * that concurrent batches never deadlock on them.
 */
export function readBalances(tx: Queryable, accounts: Account[], lock: boolean) {
  const pools = accounts.map((a) => a.poolId.toString());
  const ids = accounts.map((a) => a.id.toString());
  return lock
    ? tx<BalanceRow[]>`
        SELECT b.pool_id, b.account_id, b.posted_debits AS "postedDebits", b.posted_credits AS "postedCredits",
               b.pending_debits AS "pendingDebits", b.pending_credits AS "pendingCredits"
          FROM account_balances b WHERE b.pool_id = ANY(${pools}::int8[]) AND b.account_id = ANY(${ids}::int8[])
         ORDER BY b.pool_id, b.account_id FOR UPDATE`
    : tx<BalanceRow[]>`
        SELECT b.pool_id, b.account_id, b.posted_debits AS "postedDebits", b.posted_credits AS "postedCredits",
               b.pending_debits AS "pendingDebits", b.pending_credits AS "pendingCredits"
          FROM account_balances b WHERE b.pool_id = ANY(${pools}::int8[]) AND b.account_id = ANY(${ids}::int8[])`;
}

/** The transactions that point at the referenced ones (which are therefore resolved or reversed). */
export function readResolutions(tx: Queryable, refInfos: RefInfo[]) {
  return refInfos.length === 0
    ? Promise.resolve([] as ResolutionRow[])
    : tx<ResolutionRow[]>`
        SELECT t.pool_id, t.refers_to
          FROM unnest(${refInfos.map((r) => r.poolId.toString())}::int8[], ${refInfos.map((r) => r.id.toString())}::int8[]) AS k(pool_id, id)
          CROSS JOIN LATERAL (SELECT x.pool_id, x.refers_to FROM transactions x WHERE x.pool_id = k.pool_id AND x.refers_to = k.id OFFSET 0) t`;
}

/** The outcomes the journal already holds for the requests' external ids. */
export function readEarlier(tx: Queryable, requests: PostingRequest[]) {
  return tx<EarlierRow[]>`
    SELECT r.pool_id, r.external_id, r.request_hash, r.transaction_id, r.refusal_type, r.refusal_detail, r.request
      FROM unnest(${requests.map((r) => r.poolId.toString())}::int8[], ${requests.map((r) => r.externalId)}::text[]) AS k(pool_id, external_id)
      CROSS JOIN LATERAL (SELECT * FROM ledger_requests x WHERE x.pool_id = k.pool_id AND x.external_id = k.external_id OFFSET 0) r`;
}

/** Fresh transaction and entry ids, and the transaction's start (every posting of the batch carries it). */
export function allocateIds(tx: Queryable, transactions: number, entries: number) {
  return tx<[{ transactions: string[]; entries: string[]; now: Date }]>`
    SELECT now() AS now,
           ARRAY(SELECT nextval('transactions_id_seq') FROM generate_series(1, ${transactions}))::text[] AS transactions,
           ARRAY(SELECT nextval('entries_id_seq') FROM generate_series(1, ${entries}))::text[] AS entries`;
}

export function allocateEntryIds(tx: Queryable, count: number) {
  return tx<
    [{ ids: string[] }]
  >`SELECT ARRAY(SELECT nextval('entries_id_seq') FROM generate_series(1, ${count}))::text[] AS ids`;
}

/** The last closed day of each pool. */
export function readClosedPeriods(tx: Queryable, pools: string[]) {
  return tx<{ pool_id: bigint; closed_through: string }[]>`
    SELECT pool_id, max(through)::text AS closed_through FROM ledger_closes WHERE pool_id = ANY(${pools}::int8[]) GROUP BY pool_id`;
}

export function commit(tx: Queryable) {
  return tx`COMMIT`;
}

/**
 * Inserts the batch's journal rows (transactions, entries, outcomes) in one statement. Rows travel as one
 * array literal per column: a fraction of the bytes of JSON records, and cheap for PostgreSQL to read.
 */
export function writeJournal(
  tx: Queryable,
  batch: UnitContent[],
  decided: Decided[],
  planned: PlannedTransaction[],
  refused: RefusedRequest[],
): Statement {
  const entries = planned.flatMap((p) => p.entries.map((e, i) => ({ p, e, id: p.entryIds![i]! })));
  const requests: {
    poolId: bigint;
    externalId: string;
    hash: Buffer;
    transactionId: bigint | null;
    refusal: Refusal | null;
    json: string;
  }[] = [];
  decided.forEach((d, i) => {
    const unit = batch[i]!;
    if (d.kind !== 'planned') return;
    d.planned.forEach((p, j) =>
      requests.push({
        poolId: p.poolId,
        externalId: p.externalId,
        hash: unit.hashes[j]!,
        transactionId: p.id,
        refusal: null,
        json: unit.json[j]!,
      }),
    );
  });
  for (const { unit, index, refusal } of refused) {
    const r = unit.requests[index]!;
    requests.push({
      poolId: r.poolId,
      externalId: r.externalId,
      hash: unit.hashes[index]!,
      transactionId: null,
      refusal,
      json: unit.json[index]!,
    });
  }
  // Sorted so that two processes inserting overlapping ids wait on each other in the same order.
  requests.sort(
    (a, b) => compare(a.poolId, b.poolId) || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0),
  );

  const a = arrayLiteral;
  return tx`
    WITH t AS (
      INSERT INTO transactions (pool_id, id, external_id, kind, effective_date, refers_to, description, metadata)
      SELECT * FROM unnest(
        ${a(planned.map((p) => p.poolId))}::int8[], ${a(planned.map((p) => p.id))}::int8[],
        ${a(planned.map((p) => p.externalId))}::text[], ${a(planned.map((p) => p.kind))}::text[],
        ${a(planned.map((p) => p.effectiveDate))}::date[], ${a(planned.map((p) => p.refersTo))}::int8[],
        ${a(planned.map((p) => p.description))}::text[], ${a(planned.map((p) => JSON.stringify(p.metadata)))}::jsonb[])
    ), e AS (
      INSERT INTO entries (pool_id, id, transaction_id, account_id, amount, currency, effective_date, phase)
      SELECT * FROM unnest(
        ${a(entries.map(({ p }) => p.poolId))}::int8[], ${a(entries.map(({ id }) => id))}::int8[],
        ${a(entries.map(({ p }) => p.id))}::int8[], ${a(entries.map(({ e }) => e.account.id))}::int8[],
        ${a(entries.map(({ e }) => e.amount))}::int8[], ${a(entries.map(({ e }) => e.account.currency))}::text[],
        ${a(entries.map(({ p }) => p.effectiveDate))}::date[], ${a(entries.map(({ e }) => e.phase))}::text[])
    ), r AS (
      INSERT INTO ledger_requests (pool_id, external_id, request_hash, transaction_id, refusal_type, refusal_detail, request)
      SELECT * FROM unnest(
        ${a(requests.map((r) => r.poolId))}::int8[], ${a(requests.map((r) => r.externalId))}::text[],
        ${a(requests.map((r) => '\\x' + r.hash.toString('hex')))}::bytea[], ${a(requests.map((r) => r.transactionId))}::int8[],
        ${a(requests.map((r) => r.refusal?.type ?? null))}::text[], ${a(requests.map((r) => r.refusal?.detail ?? null))}::text[],
        ${a(requests.map((r) => r.json))}::text[])
    )
    SELECT 1`;
}

/**
 * Callers' companion rows, built from the outcomes decided here, commit with them: one statement for each
 * kind of row in the batch.
 */
export function writeCompanions(tx: Queryable, batch: WrittenUnit[], decided: Decided[], createdAt: Date): Statement[] {
  const rows = new Map<CompanionWriter<unknown>, unknown[]>();
  decided.forEach((d, i) => {
    const unit = batch[i]!;
    if (!unit.alsoWrite || (d.kind !== 'planned' && d.kind !== 'refused')) return;
    const { writer, row } = unit.alsoWrite(newOutcomes(d, unit, createdAt));
    const list = rows.get(writer);
    if (list) list.push(row);
    else rows.set(writer, [row]);
  });
  return [...rows].map(([writer, rowsOf]) => {
    const statement = writer.statement(rowsOf);
    return tx.unsafe(statement.sql, [...statement.parameters] as never[], { prepare: true });
  });
}

/** Moves the running totals and the per-day movements by what the batch posted. */
export function writeBalances(
  tx: Queryable,
  planned: PlannedTransaction[],
  before: Map<string, AccountTotals>,
  after: Map<string, AccountTotals>,
): Statement {
  const moved: { account: Account; delta: Totals }[] = [];
  for (const [key, b] of after) {
    const old = before.get(key)!.totals;
    const delta: Totals = {
      postedDebits: b.totals.postedDebits - old.postedDebits,
      postedCredits: b.totals.postedCredits - old.postedCredits,
      pendingDebits: b.totals.pendingDebits - old.pendingDebits,
      pendingCredits: b.totals.pendingCredits - old.pendingCredits,
    };
    if (
      delta.postedDebits !== 0n ||
      delta.postedCredits !== 0n ||
      delta.pendingDebits !== 0n ||
      delta.pendingCredits !== 0n
    ) {
      moved.push({ account: b.account, delta });
    }
  }
  const days = dayDeltas(planned);
  const a = arrayLiteral;

  return tx`
    WITH b AS (
      UPDATE account_balances ab
         SET posted_debits = ab.posted_debits + x.pd, posted_credits = ab.posted_credits + x.pc,
             pending_debits = ab.pending_debits + x.nd, pending_credits = ab.pending_credits + x.nc
        FROM unnest(${a(moved.map((m) => m.account.poolId))}::int8[], ${a(moved.map((m) => m.account.id))}::int8[],
                    ${a(moved.map((m) => m.delta.postedDebits))}::int8[], ${a(moved.map((m) => m.delta.postedCredits))}::int8[],
                    ${a(moved.map((m) => m.delta.pendingDebits))}::int8[], ${a(moved.map((m) => m.delta.pendingCredits))}::int8[]) AS x(pool_id, account_id, pd, pc, nd, nc)
       WHERE ab.pool_id = x.pool_id AND ab.account_id = x.account_id
    ), d AS (
      INSERT INTO account_days AS ad (pool_id, account_id, day, posted_debits, posted_credits, pending_debits, pending_credits)
      SELECT * FROM unnest(${a(days.map((d) => d.poolId))}::int8[], ${a(days.map((d) => d.accountId))}::int8[],
                           ${a(days.map((d) => d.day))}::date[], ${a(days.map((d) => d.delta.postedDebits))}::int8[],
                           ${a(days.map((d) => d.delta.postedCredits))}::int8[], ${a(days.map((d) => d.delta.pendingDebits))}::int8[],
                           ${a(days.map((d) => d.delta.pendingCredits))}::int8[])
      ON CONFLICT (pool_id, account_id, day) DO UPDATE
         SET posted_debits = ad.posted_debits + excluded.posted_debits, posted_credits = ad.posted_credits + excluded.posted_credits,
             pending_debits = ad.pending_debits + excluded.pending_debits, pending_credits = ad.pending_credits + excluded.pending_credits
    )
    SELECT 1`;
}

/** Movements per account and effective day, netted over the batch so each row is written once. */
function dayDeltas(planned: PlannedTransaction[]): { poolId: bigint; accountId: bigint; day: string; delta: Totals }[] {
  const days = new Map<string, { poolId: bigint; accountId: bigint; day: string; delta: Totals }>();
  for (const p of planned) {
    for (const e of p.entries) {
      const key = `${balanceKey(p.poolId, e.account.id)}:${p.effectiveDate}`;
      let d = days.get(key);
      if (!d) {
        d = { poolId: p.poolId, accountId: e.account.id, day: p.effectiveDate, delta: { ...ZERO_TOTALS } };
        days.set(key, d);
      }
      addTotals(d.delta, entryEffect(e));
    }
  }
  return [...days.values()];
}

const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
