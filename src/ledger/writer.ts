import type { Queryable, Sql } from '../db/client.js';
import { nextTurn } from '../db/next-turn.js';
import { Session } from '../db/session.js';
import { arrayLiteral } from '../db/pg-array.js';
import { addTotals, applyUnit, entryEffect, ZERO_TOTALS, type AccountTotals, type ApplyState, type RefInfo, type PlannedTransaction } from './apply.js';
import { accountIdKey, accountKey, balanceKey, externalIdKey, refKey, transactionKey } from './keys.js';
import { LedgerError } from './errors.js';
import { AccountCache, loadRefs, loadTransactions } from './store.js';
import type { Account, CompanionWriter, PostingOutcome, PostingRequest, PostOptions, Refusal, Totals, Transaction, TransactionRef } from './types.js';
import { canonicalRequest, differences, requestHash, validateRequest } from './validate.js';

/**
 * The group-commit writer. Concurrent callers' postings are gathered into one database transaction: lock the
 * touched balance rows in a fixed order, decide every posting in memory against the locked balances, write
 * all of it in one statement, commit once. One fsync and one hot-row lock then serve many postings.
 *
 * Bounds: about `maxBatch` postings per database transaction (an atomic batch larger than that runs alone, up
 * to MAX_ATOMIC_BATCH), at most `maxInFlight` transactions at once
 * (the next one waits on the hot rows, already parsed and sent), at most `maxAttempts` tries of a batch that
 * lost a race (deadlock, serialization, a duplicate key committed by another process), plus one to look up
 * the earlier outcomes of ids seen before.
 * A refused posting does not fail its batch-mates; a batch that fails for another reason is retried posting
 * by posting so that only the culprit gets the error.
 */
export interface WriterOptions {
  maxBatch?: number;
  maxInFlight?: number;
  /** Batches of at least this many postings decide before they lock the balances (smaller ones lock first). */
  optimisticFrom?: number;
  maxAttempts?: number;
}

interface Unit {
  requests: PostingRequest[];
  alsoWrite?: PostOptions['alsoWrite'];
  canonical: Record<string, unknown>[];
  /** The canonical requests as JSON text: what is hashed and stored. */
  json: string[];
  hashes: Buffer[];
  resolve: (outcomes: PostingOutcome[]) => void;
  reject: (err: unknown) => void;
}

const RETRYABLE = new Set(['40001', '40P01', '23505']);

/** The largest atomic batch one call may post. */
export const MAX_ATOMIC_BATCH = 1000;

export class Writer {
  private readonly queue: Unit[] = [];
  private readonly inFlightIds = new Set<string>();
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly optimisticFrom: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly sql: Sql,
    private readonly accounts: AccountCache,
    options: WriterOptions = {},
  ) {
    // Measured on 2 cores: ~300 postings per transaction and 4 in flight keep both PostgreSQL and Node busy;
    // larger batches leave one idle while the other works.
    this.maxBatch = options.maxBatch ?? 300;
    this.maxInFlight = options.maxInFlight ?? 4;
    // Every batch starts optimistic: it locks the hot rows for the shortest time (see execute).
    this.optimisticFrom = options.optimisticFrom ?? 1;
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  /** Posts the requests as one unit: all of them, or (refused) none. */
  submit(requests: PostingRequest[], options: PostOptions = {}): Promise<PostingOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    if (requests.length > MAX_ATOMIC_BATCH) {
      return Promise.reject(new LedgerError('invalid_posting', `an atomic batch holds at most ${MAX_ATOMIC_BATCH} postings`));
    }
    const ids = new Set<string>();
    for (const r of requests) {
      validateRequest(r);
      const key = externalIdKey(r.poolId, r.externalId);
      if (ids.has(key)) {
        return Promise.reject(new LedgerError('invalid_posting', `external id ${r.externalId} appears twice in the batch`));
      }
      ids.add(key);
    }
    const canonical = requests.map(canonicalRequest);
    const json = canonical.map((c) => JSON.stringify(c));
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, alsoWrite: options.alsoWrite, canonical, json, hashes: json.map(requestHash), resolve, reject });
      this.schedulePump();
    });
  }

  private pumpScheduled = false;

  /**
   * Cuts the next batch one turn of the event loop later, so that every caller that is about to submit (for
   * one, each caller the last batch just answered) gets into it.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    nextTurn(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch: Unit[] = [];
      let size = 0;
      const taken = new Set<string>();
      for (let i = 0; i < this.queue.length && size < this.maxBatch; ) {
        const unit = this.queue[i]!;
        const keys = unit.requests.map((r) => externalIdKey(r.poolId, r.externalId));
        // The same external id in two concurrent transactions would only make one of them retry.
        const fits = size === 0 || size + unit.requests.length <= this.maxBatch;
        if (!fits || keys.some((k) => this.inFlightIds.has(k) || taken.has(k))) {
          i++;
          continue;
        }
        this.queue.splice(i, 1);
        keys.forEach((k) => taken.add(k));
        batch.push(unit);
        size += unit.requests.length;
      }
      if (batch.length === 0) return;
      taken.forEach((k) => this.inFlightIds.add(k));
      this.inFlight++;
      void this.run(batch).finally(() => {
        taken.forEach((k) => this.inFlightIds.delete(k));
        this.inFlight--;
        this.schedulePump();
      });
    }
  }

  private async run(batch: Unit[]): Promise<void> {
    try {
      const results = await this.withRetry(batch);
      results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.outcomes) : batch[i]!.reject(r.error)));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // Something unexpected failed the whole transaction: find the culprit by posting unit by unit.
      for (const unit of batch) await this.run([unit]);
    }
  }

  private async withRetry(batch: Unit[]): Promise<UnitOutcome[]> {
    let mode: Mode = batch.reduce((n, u) => n + u.requests.length, 0) >= this.optimisticFrom ? 'optimistic' : 'locked';
    // External ids are new far more often than not: the first attempt does not look for earlier outcomes and
    // lets the unique keys of the journal catch an id seen before (23505); the next attempt looks. So does
    // the next attempt after a unit that could not be applied at all (an id used before with content that
    // is not even valid is answered as a reuse, as when it was looked up first).
    let lookUpEarlier = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execute(batch, mode, lookUpEarlier);
      } catch (err) {
        if (err instanceof Reconsider) {
          mode = 'locked';
          continue;
        }
        const code = (err as { code?: string }).code;
        if (!lookUpEarlier && (err instanceof LookUpEarlier || code === '23505')) {
          // A row that collided has committed (a unique check waits for its writer): look it up at once.
          // Once per batch, beside the attempts counted for lost races.
          lookUpEarlier = true;
          attempt--;
          continue;
        }
        if (!code || !RETRYABLE.has(code) || attempt >= this.maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 2 ** attempt));
      }
    }
  }

  /** The working state for one decision: accounts, balances as read, references with their resolution. */
  private state(
    touched: Map<string, Account>,
    codes: [bigint, string][],
    rows: BalanceRow[],
    refInfos: RefInfo[],
    resolvedRows: { pool_id: bigint; refers_to: bigint }[],
    ids: bigint[],
    closedThrough: Map<bigint, string>,
  ): ApplyState {
    const state: ApplyState = { accounts: new Map(), balances: new Map(), refs: new Map(), nextId: idAllocator(ids), closedThrough };
    for (const a of touched.values()) {
      state.accounts.set(accountKey(a.poolId, a.code), a);
      state.accounts.set(accountIdKey(a.poolId, a.id), a);
    }
    for (const [poolId, code] of codes) {
      const a = this.accounts.get(poolId, code);
      if (a) state.accounts.set(accountKey(poolId, code), a);
    }
    for (const b of rows) {
      state.balances.set(balanceKey(b.pool_id, b.account_id), {
        account: this.accounts.getById(b.pool_id, b.account_id)!,
        totals: { postedDebits: b.postedDebits, postedCredits: b.postedCredits, pendingDebits: b.pendingDebits, pendingCredits: b.pendingCredits },
      });
    }
    const resolved = new Set(resolvedRows.map((r) => transactionKey(r.pool_id, r.refers_to)));
    for (const ref of refInfos) {
      // A copy per decision: deciding marks references resolved as it goes.
      const copy = { ...ref, resolved: resolved.has(transactionKey(ref.poolId, ref.id)) };
      state.refs.set(transactionKey(ref.poolId, ref.id), copy);
      state.refs.set(externalIdKey(ref.poolId, ref.externalId), copy);
    }
    return state;
  }

  /**
   * One database transaction for the batch. Optimistic (the default): decide against balances read without
   * a lock. When nothing was refused, write the journal, lock and move the balances and commit in one round
   * trip (the database's guard on the final totals stands in for a second decision; see guardsHoldAtTheEnd).
   * Otherwise insert the journal rows, then lock the balance rows, decide again against them and, if every
   * unit came out the same, move the balances and commit. Either way the hot rows are locked for the last
   * step only, while the next batch prepares its rows. If a decision changed (money moved in between), the
   * batch is thrown away and run again locked: lock first, decide once, write.
   */
  private async execute(batch: Unit[], mode: Mode, lookUpEarlier: boolean): Promise<UnitOutcome[]> {
    const requests = batch.flatMap((u) => u.requests);
    const refs = requests.flatMap((r): [bigint, TransactionRef][] =>
      r.type === 'post_pending' || r.type === 'void_pending' ? [[r.poolId, r.pending]] : r.type === 'reverse' ? [[r.poolId, r.transaction]] : [],
    );
    const codes = requests.flatMap((r): [bigint, string][] =>
      'entries' in r && r.entries ? r.entries.map((e): [bigint, string] => [r.poolId, e.account]) : [],
    );

    let committed: { decided: Decided[]; createdAt: Date };
    // A transaction by hand on a reserved connection, so that BEGIN travels with the first queries and COMMIT
    // with the last statement.
    const session = await Session.reserve(this.sql);
    const tx = session.sql;
    let finished = false;
    try {
      // Every wait below is bounded by the connection's life: statements queued on a connection that
      // closes are never settled by the driver (see Session).
      committed = await session.guard((async () => {
        // Sent at once, so that the look-ups below (when needed) travel with it, inside the transaction.
        const begun = session.begin();
        begun.execute();
        begun.catch(() => {});
        // Only when needed: referenced transactions and accounts this process has not seen yet.
        const refInfos = await loadRefs(
          tx,
          refs.flatMap(([p, r]): [bigint, bigint][] => ('id' in r ? [[p, r.id]] : [])),
          refs.flatMap(([p, r]): [bigint, string][] => ('externalId' in r ? [[p, r.externalId]] : [])),
        );
        await this.accounts.load(
          tx,
          codes,
          refInfos.flatMap((ref) => ref.entries.map((e): [bigint, bigint] => [ref.poolId, e.accountId])),
        );
        const touched = new Map<string, Account>();
        for (const [poolId, code] of codes) {
          const account = this.accounts.get(poolId, code);
          if (account) touched.set(balanceKey(poolId, account.id), account);
        }
        for (const ref of refInfos) {
          for (const e of ref.entries) touched.set(balanceKey(ref.poolId, e.accountId), this.accounts.getById(ref.poolId, e.accountId)!);
        }
        const locked = [...touched.values()].sort(byPoolThenId);
        const lockOrRead = (lock: boolean) => {
          const pools = locked.map((a) => a.poolId.toString());
          const ids = locked.map((a) => a.id.toString());
          // Locked in (pool, account) order, so that concurrent batches never deadlock on them.
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
        };
        const readResolutions = () =>
          refInfos.length === 0
            ? Promise.resolve([])
            : tx<{ pool_id: bigint; refers_to: bigint }[]>`
                SELECT t.pool_id, t.refers_to
                  FROM unnest(${refInfos.map((r) => r.poolId.toString())}::int8[], ${refInfos.map((r) => r.id.toString())}::int8[]) AS k(pool_id, id)
                  CROSS JOIN LATERAL (SELECT x.pool_id, x.refers_to FROM transactions x WHERE x.pool_id = k.pool_id AND x.refers_to = k.id OFFSET 0) t`;

        // Pipelined on one round trip: the balances (locked, in the locked mode), whether the referenced
        // transactions were resolved (read after the locks, so after any batch that touched the same accounts
        // has committed), the earlier outcomes of these ids (after a collision), and fresh ids.
        const byRef = new Map(refInfos.flatMap((r) => [[transactionKey(r.poolId, r.id), r], [externalIdKey(r.poolId, r.externalId), r]]));
        const entryBound = requests.reduce((n, r) => n + maxEntries(r, byRef), 0);
        const pools = [...new Set(requests.map((r) => r.poolId.toString()))];
        const [, balances, resolutions, earlier, [allocated], closedRows] = await pipelined([
          begun,
          lockOrRead(mode === 'locked'),
          readResolutions(),
          lookUpEarlier
            ? tx<EarlierRow[]>`
                SELECT r.pool_id, r.external_id, r.request_hash, r.transaction_id, r.refusal_type, r.refusal_detail, r.request
                  FROM unnest(${requests.map((r) => r.poolId.toString())}::int8[], ${requests.map((r) => r.externalId)}::text[]) AS k(pool_id, external_id)
                  CROSS JOIN LATERAL (SELECT * FROM ledger_requests x WHERE x.pool_id = k.pool_id AND x.external_id = k.external_id OFFSET 0) r`
            : Promise.resolve([] as EarlierRow[]),
          tx<[{ transactions: string[]; entries: string[]; now: Date }]>`
            SELECT now() AS now,
                   ARRAY(SELECT nextval('transactions_id_seq') FROM generate_series(1, ${requests.length}))::text[] AS transactions,
                   ARRAY(SELECT nextval('entries_id_seq') FROM generate_series(1, ${entryBound}))::text[] AS entries`,
          // Closed periods (read without a lock: a close waits for in-flight postings, and a posting that
          // still slips past a close that committed meanwhile is stopped by the database and retried).
          tx<{ pool_id: bigint; closed_through: string }[]>`
            SELECT pool_id, max(through)::text AS closed_through FROM ledger_closes WHERE pool_id = ANY(${pools}::int8[]) GROUP BY pool_id`,
        ]);
        const closedThrough = new Map(closedRows.map((r) => [r.pool_id, r.closed_through]));
        const ids = allocated.transactions.map(BigInt);
        const entryIds = allocated.entries.map(BigInt);
        const earlierById = new Map(earlier.map((e) => [externalIdKey(e.pool_id, e.external_id), e]));
        const decideAll = (rows: BalanceRow[], resolvedRows: { pool_id: bigint; refers_to: bigint }[]) => {
          const state = this.state(touched, codes, rows, refInfos, resolvedRows, ids, closedThrough);
          const before = new Map([...state.balances].map(([k, b]) => [k, { account: b.account, totals: { ...b.totals } }]));
          const decided = batch.map((unit) => decide(unit, state, earlierById));
          return { decided, before, after: state.balances };
        };

        let { decided, before, after } = decideAll(balances, resolutions);
        if (!lookUpEarlier && decided.some((d) => d.kind === 'error')) throw new LookUpEarlier();
        const planned = decided.flatMap((d) => (d.kind === 'planned' ? d.planned : []));
        const refused = decided.flatMap((d, i) =>
          d.kind === 'refused' ? d.refusals.map((refusal, j) => ({ unit: batch[i]!, index: j, refusal })) : [],
        );
        // A batch that resolves or reverses its own earlier postings needs more entry ids than the bound
        // counted from what the database held: take the rest now.
        const needed = planned.reduce((n, p) => n + p.entries.length, 0);
        if (needed > entryIds.length) {
          const [more] = await tx<[{ ids: string[] }]>`SELECT ARRAY(SELECT nextval('entries_id_seq') FROM generate_series(1, ${needed - entryIds.length}))::text[] AS ids`;
          entryIds.push(...more.ids.map(BigInt));
        }
        const nextEntryId = idAllocator(entryIds);
        for (const p of planned) p.entryIds = p.entries.map(nextEntryId);

        // now() is the transaction's start: every posting of the batch carries it as its creation time.
        const createdAt = allocated.now;
        // Callers' companion rows, built from the outcomes decided here, commit with them: one statement for
        // each kind of row in the batch, sent before the hot rows are locked so as not to lengthen the lock.
        const companions = () => {
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
        };
        if (planned.length === 0 && refused.length === 0) {
          await tx`COMMIT`;
        } else if (mode === 'locked') {
          await pipelined([writeJournal(tx, batch, decided, planned, refused), ...companions(), writeBalances(tx, planned, before, after), tx`COMMIT`]);
        } else if (refused.length === 0 && guardsHoldAtTheEnd(planned)) {
          // Nothing refused, and no guarded balance dips lower during the batch than where it ends: the
          // decisions would be the same against any balances for which the database's own guard
          // (available_not_negative) accepts the final totals. So lock, move and commit in one round trip;
          // the hot rows are held only while PostgreSQL applies the totals and commits. Should money have
          // left in between so that the guard refuses, the batch runs again, locked, and decides anew.
          try {
            await pipelined([writeJournal(tx, batch, decided, planned, refused), ...companions(), lockOrRead(true), writeBalances(tx, planned, before, after), tx`COMMIT`]);
          } catch (err) {
            if ((err as { constraint_name?: string }).constraint_name === 'available_not_negative') throw new Reconsider();
            throw err;
          }
        } else {
          const written = await pipelined([writeJournal(tx, batch, decided, planned, refused), ...companions(), lockOrRead(true), readResolutions()]);
          const [lockedRows, resolvedNow] = written.slice(-2) as unknown as [BalanceRow[], { pool_id: bigint; refers_to: bigint }[]];
          const again = decideAll(lockedRows, resolvedNow);
          if (signature(again.decided) !== signature(decided)) throw new Reconsider();
          ({ before, after } = again);
          await pipelined([writeBalances(tx, planned, before, after), tx`COMMIT`]);
        }
        return { decided, createdAt };
      })());
      finished = true;
    } finally {
      // After a failed statement COMMIT has already rolled back; otherwise roll back what is open.
      if (!finished) await session.rollback();
      session.release();
    }

    const replayIds = committed.decided.flatMap((d) =>
      d.kind === 'replay' ? d.earlier.flatMap((e): [bigint, bigint][] => (e.transaction_id ? [[e.pool_id, e.transaction_id]] : [])) : [],
    );
    const replayed = new Map((await loadTransactions(this.sql, replayIds)).map((t) => [transactionKey(t.poolId, t.id), t]));

    return committed.decided.map((d, i): UnitOutcome => {
      const unit = batch[i]!;
      switch (d.kind) {
        case 'error':
          return { ok: false, error: d.error };
        case 'planned':
        case 'refused':
          return { ok: true, outcomes: newOutcomes(d, unit, committed.createdAt) };
        case 'replay':
          return {
            ok: true,
            outcomes: d.earlier.map((e): PostingOutcome =>
              e.transaction_id !== null
                ? { status: 'posted', replayed: true, transaction: replayed.get(transactionKey(e.pool_id, e.transaction_id))! }
                : { status: 'refused', replayed: true, externalId: e.external_id, refusal: { type: e.refusal_type as Refusal['type'], detail: e.refusal_detail! } },
            ),
          };
      }
    });
  }
}

type UnitOutcome = { ok: true; outcomes: PostingOutcome[] } | { ok: false; error: unknown };

/** A statement not sent yet (a postgres.js query runs when executed or awaited). */
type Statement = { execute(): unknown } & PromiseLike<unknown>;

/**
 * Sends statements on one transaction in the order given, then awaits them all. The order is the one
 * written: each statement is executed here, in turn (left to themselves, postgres.js queries start when
 * first awaited, which is not the array's order once some are wrapped in promises). When one fails, those
 * after it fail with 25P02 (the transaction is aborted), and their rejections may be seen first: the error
 * that counts is the first one that is not 25P02, so that a duplicate key, a deadlock or a serialization
 * failure is retried as such.
 */
async function pipelined<T extends readonly unknown[] | []>(statements: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  for (const s of statements) (s as Partial<Statement>).execute?.();
  const settled = await Promise.allSettled(statements);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code?: string }] : []));
  if (failures.length > 0) throw failures.find((e) => e?.code !== '25P02') ?? failures[0];
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** The outcomes of a unit decided in this batch (not a replay). */
function newOutcomes(d: Extract<Decided, { kind: 'planned' | 'refused' }>, unit: Unit, createdAt: Date): PostingOutcome[] {
  return d.kind === 'planned'
    ? d.planned.map((p) => ({ status: 'posted', replayed: false, transaction: committedTransaction(p, createdAt) }))
    : d.refusals.map((refusal, j) => ({ status: 'refused', replayed: false, externalId: unit.requests[j]!.externalId, refusal }));
}

type Mode = 'optimistic' | 'locked';

/** An optimistic batch whose decisions changed once the balances were locked: run it again, locked. */
class Reconsider extends Error {}

/** A batch decided without the earlier outcomes of its ids that must see them: run it again, looking. */
class LookUpEarlier extends Error {}

/**
 * Whether the batch's postings leave every guarded account at its lowest available balance at the end (or
 * never take it below where it started). Then "the final balance is not negative" (what the database
 * checks) is the same as "no posting of the batch took it below zero" (what the engine decides, posting
 * after posting).
 */
function guardsHoldAtTheEnd(planned: PlannedTransaction[]): boolean {
  const running = new Map<bigint, { now: bigint; lowest: bigint }>();
  for (const p of planned) {
    const touched = new Set<bigint>();
    for (const e of p.entries) {
      if (!e.account.noNegative) continue;
      const d = entryEffect(e);
      const change = e.account.debitNormal
        ? d.postedDebits - d.postedCredits - d.pendingCredits
        : d.postedCredits - d.postedDebits - d.pendingDebits;
      const r = running.get(e.account.id) ?? { now: 0n, lowest: 0n };
      r.now += change;
      running.set(e.account.id, r);
      touched.add(e.account.id);
    }
    // The engine checks a guard after each posting, not after each entry.
    for (const id of touched) {
      const r = running.get(id)!;
      if (r.now < r.lowest) r.lowest = r.now;
    }
  }
  for (const r of running.values()) if (r.lowest < 0n && r.lowest !== r.now) return false;
  return true;
}

/** What was decided, unit by unit: equal signatures mean the same postings and refusals. */
function signature(decided: Decided[]): string {
  return decided
    .map((d) => (d.kind === 'planned' ? `p${d.planned.length}` : d.kind === 'refused' ? `r:${d.refusals.map((r) => r.type).join(',')}` : d.kind))
    .join('|');
}

type Decided =
  | { kind: 'planned'; planned: PlannedTransaction[] }
  | { kind: 'refused'; refusals: Refusal[] }
  | { kind: 'replay'; earlier: EarlierRow[] }
  | { kind: 'error'; error: unknown };

interface EarlierRow {
  pool_id: bigint;
  external_id: string;
  request_hash: Buffer;
  transaction_id: bigint | null;
  refusal_type: string | null;
  refusal_detail: string | null;
  request: string;
}

/** A balance row as read, its totals named as everywhere else. */
interface BalanceRow extends Totals {
  pool_id: bigint;
  account_id: bigint;
}

const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
const byPoolThenId = (a: Account, b: Account) => compare(a.poolId, b.poolId) || compare(a.id, b.id);

function idAllocator(ids: bigint[]): () => bigint {
  let next = 0;
  return () => {
    const id = ids[next++];
    if (id === undefined) throw new Error('ledger: ran out of allocated ids');
    return id;
  };
}

/** The most entries a request can produce: a resolution releases every reserved entry and may post as many. */
function maxEntries(r: PostingRequest, refs: Map<string, { entries: unknown[] }>): number {
  switch (r.type) {
    case 'post':
      return r.entries.length;
    case 'post_pending':
      return (refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0) + (r.entries?.length ?? refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0);
    case 'void_pending':
      return refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0;
    case 'reverse':
      return refs.get(refKey(r.poolId, r.transaction))?.entries.length ?? 0;
  }
}

/** A unit whose ids were seen before replays them, if the content is the same; otherwise it is applied. */
function decide(unit: Unit, state: ApplyState, earlierById: Map<string, EarlierRow>): Decided {
  const earlier = unit.requests.map((r) => earlierById.get(externalIdKey(r.poolId, r.externalId)));
  if (earlier.some((e) => e !== undefined)) {
    for (let i = 0; i < unit.requests.length; i++) {
      const e = earlier[i];
      const request = unit.requests[i]!;
      if (!e) {
        return { kind: 'error', error: new LedgerError('idempotency_conflict', `external id ${request.externalId} was not part of the batch first posted with its batch-mates`, { externalId: request.externalId }) };
      }
      if (!e.request_hash.equals(unit.hashes[i]!)) {
        const fields = differences(JSON.parse(e.request) as Record<string, unknown>, unit.canonical[i]!);
        return {
          kind: 'error',
          error: new LedgerError('idempotency_conflict', `external id ${request.externalId} was used before with a different ${fields.join(', ')}`, {
            externalId: request.externalId,
            differences: fields,
          }),
        };
      }
    }
    return { kind: 'replay', earlier: earlier as EarlierRow[] };
  }
  try {
    const result = applyUnit(state, unit.requests);
    return result.ok ? { kind: 'planned', planned: result.planned } : { kind: 'refused', refusals: result.refusals };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** A planned transaction as it reads once committed at `createdAt`. */
function committedTransaction(p: PlannedTransaction, createdAt: Date): Transaction {
  return {
    poolId: p.poolId,
    id: p.id,
    externalId: p.externalId,
    kind: p.kind,
    effectiveDate: p.effectiveDate,
    refersTo: p.refersTo,
    description: p.description,
    metadata: p.metadata,
    createdAt,
    entries: p.entries.map((e, i) => ({ id: p.entryIds![i]!, accountId: e.account.id, account: e.account.code, amount: e.amount, currency: e.account.currency, phase: e.phase })),
  };
}

/**
 * Inserts the batch's journal rows (transactions, entries, outcomes) in one statement. Rows travel as one
 * array literal per column: a fraction of the bytes of JSON records, and cheap for PostgreSQL to read.
 */
function writeJournal(
  tx: Queryable,
  batch: Unit[],
  decided: Decided[],
  planned: PlannedTransaction[],
  refused: { unit: Unit; index: number; refusal: Refusal }[],
): Statement {
  const entries = planned.flatMap((p) => p.entries.map((e, i) => ({ p, e, id: p.entryIds![i]! })));
  const requests: { poolId: bigint; externalId: string; hash: Buffer; transactionId: bigint | null; refusal: Refusal | null; json: string }[] = [];
  decided.forEach((d, i) => {
    const unit = batch[i]!;
    if (d.kind !== 'planned') return;
    d.planned.forEach((p, j) =>
      requests.push({ poolId: p.poolId, externalId: p.externalId, hash: unit.hashes[j]!, transactionId: p.id, refusal: null, json: unit.json[j]! }),
    );
  });
  for (const { unit, index, refusal } of refused) {
    const r = unit.requests[index]!;
    requests.push({ poolId: r.poolId, externalId: r.externalId, hash: unit.hashes[index]!, transactionId: null, refusal, json: unit.json[index]! });
  }
  // Sorted so that two processes inserting overlapping ids wait on each other in the same order.
  requests.sort((a, b) => compare(a.poolId, b.poolId) || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));

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

/** Moves the running totals and the per-day movements by what the batch posted. */
function writeBalances(tx: Queryable, planned: PlannedTransaction[], before: Map<string, AccountTotals>, after: Map<string, AccountTotals>): Statement {
  const moved: { account: Account; delta: Totals }[] = [];
  for (const [key, b] of after) {
    const old = before.get(key)!.totals;
    const delta: Totals = {
      postedDebits: b.totals.postedDebits - old.postedDebits,
      postedCredits: b.totals.postedCredits - old.postedCredits,
      pendingDebits: b.totals.pendingDebits - old.pendingDebits,
      pendingCredits: b.totals.pendingCredits - old.pendingCredits,
    };
    if (delta.postedDebits !== 0n || delta.postedCredits !== 0n || delta.pendingDebits !== 0n || delta.pendingCredits !== 0n) {
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
