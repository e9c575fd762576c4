import {
  applyUnit,
  entryEffect,
  type AccountTotals,
  type ApplyState,
  type PlannedTransaction,
  type RefInfo,
} from '../apply.js';
import { LedgerError } from '../errors.js';
import { accountIdKey, accountKey, balanceKey, externalIdKey, refKey, transactionKey } from '../keys.js';
import type { Account, PostingOutcome, PostingRequest, Refusal, Totals, Transaction } from '../types.js';
import { canonicalRequest, differences, requestHash } from '../validate.js';

/**
 * The writer's decision step, without I/O: a batch of units decided in memory against what the database
 * held when it was read. The writer reads (statements.ts), decides here, and writes what was decided.
 */

/** What deciding needs of a unit: its requests, their canonical form as stored, and its hashes. */
export interface UnitContent {
  requests: PostingRequest[];
  canonical: Record<string, unknown>[];
  /** The canonical requests as JSON text: what is hashed and stored. */
  json: string[];
  hashes: Buffer[];
}

export function unitContent(requests: PostingRequest[]): UnitContent {
  const canonical = requests.map(canonicalRequest);
  const json = canonical.map((c) => JSON.stringify(c));
  return { requests, canonical, json, hashes: json.map(requestHash) };
}

/** The outcome an external id was given before, as the journal keeps it. */
export interface EarlierRow {
  pool_id: bigint;
  external_id: string;
  request_hash: Buffer;
  transaction_id: bigint | null;
  refusal_type: string | null;
  refusal_detail: string | null;
  request: string;
}

/** A balance row as read, its totals named as everywhere else. */
export interface BalanceRow extends Totals {
  pool_id: bigint;
  account_id: bigint;
}

/** A transaction that points at a referenced one: that one is resolved (or reversed). */
export interface ResolutionRow {
  pool_id: bigint;
  refers_to: bigint;
}

export type Decided =
  | { kind: 'planned'; planned: PlannedTransaction[] }
  | { kind: 'refused'; refusals: Refusal[] }
  | { kind: 'replay'; earlier: EarlierRow[] }
  | { kind: 'error'; error: unknown };

export type UnitOutcome = { ok: true; outcomes: PostingOutcome[] } | { ok: false; error: unknown };

/** The accounts a process has seen (the AccountCache). */
export interface AccountLookup {
  get(poolId: bigint, code: string): Account | undefined;
  getById(poolId: bigint, id: bigint): Account | undefined;
}

/** What one decision is made against, as read in the batch's transaction. */
export interface Basis {
  accounts: AccountLookup;
  /** The accounts whose balances the batch reads, by balance key. */
  touched: Map<string, Account>;
  /** The (pool, code) of every account the requests name. */
  codes: [bigint, string][];
  refInfos: RefInfo[];
  balances: BalanceRow[];
  resolutions: ResolutionRow[];
  /** Earlier outcomes by external id key: empty unless they were looked up. */
  earlier: Map<string, EarlierRow>;
  /** Transaction ids allocated for the batch, one per request. */
  transactionIds: bigint[];
  closedThrough: Map<bigint, string>;
}

export interface Decision {
  decided: Decided[];
  /** The balances as read, and as the decisions left them. */
  before: Map<string, AccountTotals>;
  after: Map<string, AccountTotals>;
}

/** Decides every unit of the batch in order, each against the balances its predecessors left. */
export function decideBatch(batch: UnitContent[], basis: Basis): Decision {
  const state = applyState(basis);
  const before = new Map([...state.balances].map(([k, b]) => [k, { account: b.account, totals: { ...b.totals } }]));
  const decided = batch.map((unit) => decide(unit, state, basis.earlier));
  return { decided, before, after: state.balances };
}

/** The working state for one decision: accounts, balances as read, references with their resolution. */
function applyState(basis: Basis): ApplyState {
  const state: ApplyState = {
    accounts: new Map(),
    balances: new Map(),
    refs: new Map(),
    nextId: idAllocator(basis.transactionIds),
    closedThrough: basis.closedThrough,
  };
  for (const a of basis.touched.values()) {
    state.accounts.set(accountKey(a.poolId, a.code), a);
    state.accounts.set(accountIdKey(a.poolId, a.id), a);
  }
  for (const [poolId, code] of basis.codes) {
    const a = basis.accounts.get(poolId, code);
    if (a) state.accounts.set(accountKey(poolId, code), a);
  }
  for (const b of basis.balances) {
    state.balances.set(balanceKey(b.pool_id, b.account_id), {
      account: basis.accounts.getById(b.pool_id, b.account_id)!,
      totals: {
        postedDebits: b.postedDebits,
        postedCredits: b.postedCredits,
        pendingDebits: b.pendingDebits,
        pendingCredits: b.pendingCredits,
      },
    });
  }
  const resolved = new Set(basis.resolutions.map((r) => transactionKey(r.pool_id, r.refers_to)));
  for (const ref of basis.refInfos) {
    // A copy per decision: deciding marks references resolved as it goes.
    const copy = { ...ref, resolved: resolved.has(transactionKey(ref.poolId, ref.id)) };
    state.refs.set(transactionKey(ref.poolId, ref.id), copy);
    state.refs.set(externalIdKey(ref.poolId, ref.externalId), copy);
  }
  return state;
}

/** A unit whose ids were seen before replays them, if the content is the same; otherwise it is applied. */
function decide(unit: UnitContent, state: ApplyState, earlierById: Map<string, EarlierRow>): Decided {
  const earlier = unit.requests.map((r) => earlierById.get(externalIdKey(r.poolId, r.externalId)));
  if (earlier.some((e) => e !== undefined)) {
    for (let i = 0; i < unit.requests.length; i++) {
      const e = earlier[i];
      const request = unit.requests[i]!;
      if (!e) {
        return {
          kind: 'error',
          error: new LedgerError(
            'idempotency_conflict',
            `external id ${request.externalId} was not part of the batch first posted with its batch-mates`,
            { externalId: request.externalId },
          ),
        };
      }
      if (!e.request_hash.equals(unit.hashes[i]!)) {
        const fields = differences(JSON.parse(e.request) as Record<string, unknown>, unit.canonical[i]!);
        return {
          kind: 'error',
          error: new LedgerError(
            'idempotency_conflict',
            `external id ${request.externalId} was used before with a different ${fields.join(', ')}`,
            {
              externalId: request.externalId,
              differences: fields,
            },
          ),
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

/** Every transaction the batch planned, in order. */
export function plannedOf(decided: Decided[]): PlannedTransaction[] {
  return decided.flatMap((d) => (d.kind === 'planned' ? d.planned : []));
}

/** A refusal to remember under the external id of a unit's request. */
export interface RefusedRequest<U extends UnitContent = UnitContent> {
  unit: U;
  index: number;
  refusal: Refusal;
}

export function refusedOf<U extends UnitContent>(batch: U[], decided: Decided[]): RefusedRequest<U>[] {
  return decided.flatMap((d, i) =>
    d.kind === 'refused' ? d.refusals.map((refusal, j) => ({ unit: batch[i]!, index: j, refusal })) : [],
  );
}

/**
 * Whether the batch's postings leave every guarded account at its lowest available balance at the end (or
 * never take it below where it started). Then "the final balance is not negative" (what the database
 * checks) is the same as "no posting of the batch took it below zero" (what the engine decides, posting
 * after posting).
 */
export function guardsHoldAtTheEnd(planned: PlannedTransaction[]): boolean {
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
export function signature(decided: Decided[]): string {
  return decided
    .map((d) =>
      d.kind === 'planned'
        ? `p${d.planned.length}`
        : d.kind === 'refused'
          ? `r:${d.refusals.map((r) => r.type).join(',')}`
          : d.kind,
    )
    .join('|');
}

export function idAllocator(ids: bigint[]): () => bigint {
  let next = 0;
  return () => {
    const id = ids[next++];
    if (id === undefined) throw new Error('ledger: ran out of allocated ids');
    return id;
  };
}

/** The most entries a request can produce: a resolution releases every reserved entry and may post as many. */
export function maxEntries(r: PostingRequest, refs: Map<string, { entries: unknown[] }>): number {
  switch (r.type) {
    case 'post':
      return r.entries.length;
    case 'post_pending':
      return (
        (refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0) +
        (r.entries?.length ?? refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0)
      );
    case 'void_pending':
      return refs.get(refKey(r.poolId, r.pending))?.entries.length ?? 0;
    case 'reverse':
      return refs.get(refKey(r.poolId, r.transaction))?.entries.length ?? 0;
  }
}

/** The (pool, transaction id) of every earlier transaction a replay answers with. */
export function replayedIds(decided: Decided[]): [bigint, bigint][] {
  return decided.flatMap((d) =>
    d.kind === 'replay'
      ? d.earlier.flatMap((e): [bigint, bigint][] => (e.transaction_id ? [[e.pool_id, e.transaction_id]] : []))
      : [],
  );
}

/** Each unit's answer: its outcomes, or the error that it alone gets. `replayed` holds the replays' transactions. */
export function answers(
  batch: UnitContent[],
  decided: Decided[],
  createdAt: Date,
  replayed: Map<string, Transaction>,
): UnitOutcome[] {
  return decided.map((d, i): UnitOutcome => {
    switch (d.kind) {
      case 'error':
        return { ok: false, error: d.error };
      case 'planned':
      case 'refused':
        return { ok: true, outcomes: newOutcomes(d, batch[i]!, createdAt) };
      case 'replay':
        return {
          ok: true,
          outcomes: d.earlier.map((e): PostingOutcome =>
            e.transaction_id !== null
              ? {
                  status: 'posted',
                  replayed: true,
                  transaction: replayed.get(transactionKey(e.pool_id, e.transaction_id))!,
                }
              : {
                  status: 'refused',
                  replayed: true,
                  externalId: e.external_id,
                  refusal: { type: e.refusal_type as Refusal['type'], detail: e.refusal_detail! },
                },
          ),
        };
    }
  });
}

/** The outcomes of a unit decided in this batch (not a replay). */
export function newOutcomes(
  d: Extract<Decided, { kind: 'planned' | 'refused' }>,
  unit: UnitContent,
  createdAt: Date,
): PostingOutcome[] {
  return d.kind === 'planned'
    ? d.planned.map((p) => ({ status: 'posted', replayed: false, transaction: committedTransaction(p, createdAt) }))
    : d.refusals.map((refusal, j) => ({
        status: 'refused',
        replayed: false,
        externalId: unit.requests[j]!.externalId,
        refusal,
      }));
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
    entries: p.entries.map((e, i) => ({
      id: p.entryIds![i]!,
      accountId: e.account.id,
      account: e.account.code,
      amount: e.amount,
      currency: e.account.currency,
      phase: e.phase,
    })),
  };
}
