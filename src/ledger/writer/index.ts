import type { Queryable, Sql } from '../../db/client.js';
import { nextTurn } from '../../db/next-turn.js';
import { Session } from '../../db/session.js';
import { SQLSTATE } from '../../db/sqlstate.js';
import type { PlannedTransaction, RefInfo } from '../apply.js';
import { LedgerError } from '../errors.js';
import { balanceKey, externalIdKey, transactionKey } from '../keys.js';
import { AccountCache, loadRefs, loadTransactions } from '../store.js';
import type { Account, PostingOutcome, PostingRequest, PostOptions, TransactionRef } from '../types.js';
import { validateRequest } from '../validate.js';
import {
  answers,
  decideBatch,
  guardsHoldAtTheEnd,
  idAllocator,
  maxEntries,
  plannedOf,
  refusedOf,
  replayedIds,
  signature,
  unitContent,
  type Basis,
  type Decided,
  type Decision,
  type EarlierRow,
  type UnitOutcome,
} from './decide.js';
import { PendingQueue, type Unit } from './queue.js';
import {
  allocateEntryIds,
  allocateIds,
  commit,
  lockOrder,
  pipelined,
  readBalances,
  readClosedPeriods,
  readEarlier,
  readResolutions,
  writeBalances,
  writeCompanions,
  writeJournal,
} from './statements.js';

/**
 * The group-commit writer. Concurrent callers' postings are gathered into one database transaction: lock the
 * touched balance rows in a fixed order, decide every posting in memory against the locked balances, write
 * all of it in one statement, commit once. One fsync and one hot-row lock then serve many postings.
 *
 * Bounds: at most `maxQueued` postings waiting (past it a caller is told to retry), about `maxBatch` postings
 * per database transaction (an atomic batch larger than that runs alone, up to MAX_ATOMIC_BATCH), at most
 * `maxInFlight` transactions at once (the next one waits on the hot rows, already parsed and sent), at most
 * `maxAttempts` tries of a batch that lost a race (deadlock, serialization, a duplicate key committed by
 * another process), plus one to look up the earlier outcomes of ids seen before.
 * A refused posting does not fail its batch-mates; a batch that fails for another reason is retried posting
 * by posting so that only the culprit gets the error.
 */
export interface WriterOptions {
  maxBatch?: number;
  maxInFlight?: number;
  /** Batches of at least this many postings decide before they lock the balances (smaller ones lock first). */
  optimisticFrom?: number;
  maxAttempts?: number;
  /** Postings waiting for a batch, at most; a submission that would go past it is refused (`ledger_busy`). */
  maxQueued?: number;
}

const RETRYABLE = new Set<string>([
  SQLSTATE.serialization_failure,
  SQLSTATE.deadlock_detected,
  SQLSTATE.unique_violation,
]);

/** The largest atomic batch one call may post. */
export const MAX_ATOMIC_BATCH = 1000;

type Mode = 'optimistic' | 'locked';

/**
 * How a batch's transaction ended. `reconsider`: an optimistic batch whose decisions changed once the
 * balances were locked, to run again locked. `look-up-earlier`: a batch decided without the earlier
 * outcomes of its ids that must see them, to run again looking. Both rolled back.
 */
type Ended =
  { kind: 'committed'; decided: Decided[]; createdAt: Date } | { kind: 'reconsider' } | { kind: 'look-up-earlier' };

type Attempt = { kind: 'committed'; outcomes: UnitOutcome[] } | Exclude<Ended, { kind: 'committed' }>;

/** What the batch touches: the accounts its requests name and the transactions they refer to. */
interface Scope {
  codes: [bigint, string][];
  refInfos: RefInfo[];
  touched: Map<string, Account>;
  /** The touched accounts in (pool, account) order: the order their balance rows are locked in. */
  locked: Account[];
}

/** What the batch's reads brought back: the basis of its decision, its entry ids and its creation time. */
interface Read {
  basis: Basis;
  entryIds: bigint[];
  createdAt: Date;
}

export class Writer {
  private readonly queue: PendingQueue;
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
    // Tens of seconds of work at the throughput measured (a few thousand postings a second): a caller
    // further back is better told to retry than kept waiting.
    this.queue = new PendingQueue(options.maxQueued ?? 100_000);
  }

  /** Posts the requests as one unit: all of them, or (refused) none. */
  submit(requests: PostingRequest[], options: PostOptions = {}): Promise<PostingOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    if (requests.length > MAX_ATOMIC_BATCH) {
      return Promise.reject(
        new LedgerError('invalid_posting', `an atomic batch holds at most ${MAX_ATOMIC_BATCH} postings`),
      );
    }
    const ids = new Set<string>();
    for (const r of requests) {
      validateRequest(r);
      const key = externalIdKey(r.poolId, r.externalId);
      if (ids.has(key)) {
        return Promise.reject(
          new LedgerError('invalid_posting', `external id ${r.externalId} appears twice in the batch`),
        );
      }
      ids.add(key);
    }
    const content = unitContent(requests);
    return new Promise((resolve, reject) => {
      this.queue.push({ ...content, alsoWrite: options.alsoWrite, resolve, reject });
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
      const { batch, ids } = this.queue.take(this.maxBatch, this.inFlightIds);
      if (batch.length === 0) return;
      ids.forEach((k) => this.inFlightIds.add(k));
      this.inFlight++;
      void this.run(batch).finally(() => {
        ids.forEach((k) => this.inFlightIds.delete(k));
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
      let result: Attempt;
      try {
        result = await this.execute(batch, mode, lookUpEarlier);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!lookUpEarlier && code === SQLSTATE.unique_violation) {
          // A row that collided has committed (a unique check waits for its writer): look it up at once.
          // Once per batch, beside the attempts counted for lost races.
          lookUpEarlier = true;
          attempt--;
          continue;
        }
        if (!code || !RETRYABLE.has(code) || attempt >= this.maxAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 2 ** attempt));
        continue;
      }
      switch (result.kind) {
        case 'committed':
          return result.outcomes;
        case 'reconsider':
          mode = 'locked';
          break;
        case 'look-up-earlier':
          // As after a collision: once per batch, not one of the counted attempts.
          lookUpEarlier = true;
          attempt--;
          break;
      }
    }
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
  private async execute(batch: Unit[], mode: Mode, lookUpEarlier: boolean): Promise<Attempt> {
    // A transaction by hand on a reserved connection, so that BEGIN travels with the first queries and COMMIT
    // with the last statement.
    const session = await Session.reserve(this.sql);
    let ended: Ended | undefined;
    try {
      // Every wait below is bounded by the connection's life: statements queued on a connection that
      // closes are never settled by the driver (see Session).
      ended = await session.guard(this.transact(session, batch, mode, lookUpEarlier));
    } finally {
      // After a failed statement COMMIT has already rolled back; otherwise roll back what is open.
      if (ended?.kind !== 'committed') await session.rollback();
      session.release();
    }
    if (ended.kind !== 'committed') return ended;
    const replayed = await loadTransactions(this.sql, replayedIds(ended.decided));
    const byKey = new Map(replayed.map((t) => [transactionKey(t.poolId, t.id), t]));
    return { kind: 'committed', outcomes: answers(batch, ended.decided, ended.createdAt, byKey) };
  }

  /** The batch's transaction, phase by phase: what it touches, what it reads, what it decides, how it ends. */
  private async transact(session: Session, batch: Unit[], mode: Mode, lookUpEarlier: boolean): Promise<Ended> {
    const tx = session.sql;
    // Sent at once, so that the look-ups below (when needed) travel with it, inside the transaction.
    const begun = session.begin();
    begun.execute();
    begun.catch(() => {});
    const requests = batch.flatMap((u) => u.requests);
    const scope = await this.scope(tx, requests);
    const read = await this.read(tx, begun, requests, scope, mode === 'locked', lookUpEarlier);
    const decision = decideBatch(batch, read.basis);
    if (!lookUpEarlier && decision.decided.some((d) => d.kind === 'error')) return { kind: 'look-up-earlier' };
    await assignEntryIds(tx, plannedOf(decision.decided), read.entryIds);
    return this.end(tx, batch, mode, scope, read, decision);
  }

  /** Only when needed: the referenced transactions and the accounts this process has not seen yet. */
  private async scope(tx: Queryable, requests: PostingRequest[]): Promise<Scope> {
    const refs = requests.flatMap((r): [bigint, TransactionRef][] =>
      r.type === 'post_pending' || r.type === 'void_pending'
        ? [[r.poolId, r.pending]]
        : r.type === 'reverse'
          ? [[r.poolId, r.transaction]]
          : [],
    );
    const codes = requests.flatMap((r): [bigint, string][] =>
      'entries' in r && r.entries ? r.entries.map((e): [bigint, string] => [r.poolId, e.account]) : [],
    );
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
      for (const e of ref.entries)
        touched.set(balanceKey(ref.poolId, e.accountId), this.accounts.getById(ref.poolId, e.accountId)!);
    }
    return { codes, refInfos, touched, locked: [...touched.values()].sort(lockOrder) };
  }

  /**
   * Pipelined on one round trip: the balances (locked, in the locked mode), whether the referenced
   * transactions were resolved (read after the locks, so after any batch that touched the same accounts
   * has committed), the earlier outcomes of these ids (after a collision), fresh ids, and closed periods
   * (read without a lock: a close waits for in-flight postings, and a posting that still slips past a close
   * that committed meanwhile is stopped by the database and retried).
   */
  private async read(
    tx: Queryable,
    begun: PromiseLike<unknown>,
    requests: PostingRequest[],
    scope: Scope,
    lock: boolean,
    lookUpEarlier: boolean,
  ): Promise<Read> {
    const byRef = new Map(
      scope.refInfos.flatMap((r) => [
        [transactionKey(r.poolId, r.id), r],
        [externalIdKey(r.poolId, r.externalId), r],
      ]),
    );
    const entryBound = requests.reduce((n, r) => n + maxEntries(r, byRef), 0);
    const pools = [...new Set(requests.map((r) => r.poolId.toString()))];
    const [, balances, resolutions, earlier, [allocated], closedRows] = await pipelined([
      begun,
      readBalances(tx, scope.locked, lock),
      readResolutions(tx, scope.refInfos),
      lookUpEarlier ? readEarlier(tx, requests) : Promise.resolve([] as EarlierRow[]),
      allocateIds(tx, requests.length, entryBound),
      readClosedPeriods(tx, pools),
    ]);
    const basis: Basis = {
      accounts: this.accounts,
      touched: scope.touched,
      codes: scope.codes,
      refInfos: scope.refInfos,
      balances,
      resolutions,
      earlier: new Map(earlier.map((e) => [externalIdKey(e.pool_id, e.external_id), e])),
      transactionIds: allocated.transactions.map(BigInt),
      closedThrough: new Map(closedRows.map((r) => [r.pool_id, r.closed_through])),
    };
    // now() is the transaction's start: every posting of the batch carries it as its creation time.
    return { basis, entryIds: allocated.entries.map(BigInt), createdAt: allocated.now };
  }

  /**
   * Writes what was decided and commits, one of four ways: nothing to write; locked (the balances read were
   * locked: write it all); optimistic with nothing refused and guards that hold at the end (write, lock and
   * move in one round trip); optimistic otherwise (write the journal, lock, decide again, then move).
   * Callers' companion rows go before the hot rows are locked so as not to lengthen the lock.
   */
  private async end(
    tx: Queryable,
    batch: Unit[],
    mode: Mode,
    scope: Scope,
    read: Read,
    decision: Decision,
  ): Promise<Ended> {
    const { decided } = decision;
    const planned = plannedOf(decided);
    const refused = refusedOf(batch, decided);
    const journal = () => [
      writeJournal(tx, batch, decided, planned, refused),
      ...writeCompanions(tx, batch, decided, read.createdAt),
    ];
    if (planned.length === 0 && refused.length === 0) {
      await commit(tx);
    } else if (mode === 'locked') {
      await pipelined([...journal(), writeBalances(tx, planned, decision.before, decision.after), commit(tx)]);
    } else if (refused.length === 0 && guardsHoldAtTheEnd(planned)) {
      // Nothing refused, and no guarded balance dips lower during the batch than where it ends: the
      // decisions would be the same against any balances for which the database's own guard
      // (available_not_negative) accepts the final totals. So lock, move and commit in one round trip;
      // the hot rows are held only while PostgreSQL applies the totals and commits. Should money have
      // left in between so that the guard refuses, the batch runs again, locked, and decides anew.
      try {
        await pipelined([
          ...journal(),
          readBalances(tx, scope.locked, true),
          writeBalances(tx, planned, decision.before, decision.after),
          commit(tx),
        ]);
      } catch (err) {
        if ((err as { constraint_name?: string }).constraint_name === 'available_not_negative')
          return { kind: 'reconsider' };
        throw err;
      }
    } else {
      const written = await pipelined([
        ...journal(),
        readBalances(tx, scope.locked, true),
        readResolutions(tx, scope.refInfos),
      ]);
      const [lockedRows, resolvedNow] = written.slice(-2) as [Basis['balances'], Basis['resolutions']];
      const again = decideBatch(batch, { ...read.basis, balances: lockedRows, resolutions: resolvedNow });
      if (signature(again.decided) !== signature(decided)) return { kind: 'reconsider' };
      await pipelined([writeBalances(tx, planned, again.before, again.after), commit(tx)]);
    }
    return { kind: 'committed', decided, createdAt: read.createdAt };
  }
}

/**
 * Gives every planned entry its id. A batch that resolves or reverses its own earlier postings needs more
 * entry ids than the bound counted from what the database held: the rest are taken now.
 */
async function assignEntryIds(tx: Queryable, planned: PlannedTransaction[], entryIds: bigint[]): Promise<void> {
  const needed = planned.reduce((n, p) => n + p.entries.length, 0);
  if (needed > entryIds.length) {
    const [more] = await allocateEntryIds(tx, needed - entryIds.length);
    entryIds.push(...more.ids.map(BigInt));
  }
  const nextEntryId = idAllocator(entryIds);
  for (const p of planned) p.entryIds = p.entries.map(nextEntryId);
}
