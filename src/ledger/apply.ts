import { LedgerError } from './errors.js';
import { accountIdKey, accountKey, balanceKey, externalIdKey, refKey, transactionKey } from './keys.js';
import type {
  Account,
  EntryInput,
  EntryPhase,
  PostingRequest,
  Refusal,
  Totals,
  TransactionKind,
  TransactionRef,
} from './types.js';

/**
 * The ledger's decisions, without I/O: given the locked balances and what the journal already holds, turn
 * requests into planned transactions or refusals. The writer loads the state, calls `applyUnit` for each
 * unit in order, and writes what it planned in the same database transaction.
 */

/** An account's totals as a decision moves them. */
export interface AccountTotals {
  account: Account;
  totals: Totals;
}

export const ZERO_TOTALS: Readonly<Totals> = {
  postedDebits: 0n,
  postedCredits: 0n,
  pendingDebits: 0n,
  pendingCredits: 0n,
};

/** What the account can still give: posted, less the outflows that pending transactions reserved. */
export function available(account: Account, t: Totals): bigint {
  return account.debitNormal
    ? t.postedDebits - t.postedCredits - t.pendingCredits
    : t.postedCredits - t.postedDebits - t.pendingDebits;
}

/** Adds `delta` into `into`, in place. */
export function addTotals(into: Totals, delta: Totals): void {
  into.postedDebits += delta.postedDebits;
  into.postedCredits += delta.postedCredits;
  into.pendingDebits += delta.pendingDebits;
  into.pendingCredits += delta.pendingCredits;
}

/** A transaction already in the journal (or planned earlier in this batch) that a request refers to. */
export interface RefInfo {
  poolId: bigint;
  id: bigint;
  externalId: string;
  kind: TransactionKind;
  entries: { accountId: bigint; amount: bigint; phase: EntryPhase }[];
  /** Another transaction already points at it: a pending one resolved, a posted one reversed. */
  resolved: boolean;
}

export interface PlannedEntry {
  account: Account;
  amount: bigint;
  phase: EntryPhase;
}

export interface PlannedTransaction {
  poolId: bigint;
  id: bigint;
  externalId: string;
  kind: TransactionKind;
  effectiveDate: string;
  refersTo: bigint | null;
  description: string;
  metadata: Record<string, unknown>;
  entries: PlannedEntry[];
  /** Entry ids, assigned by the writer just before it writes. */
  entryIds?: bigint[];
}

export interface ApplyState {
  /** Accounts by `${poolId}:${code}` and by `${poolId}#${id}`. */
  accounts: Map<string, Account>;
  /** Locked balances by `${poolId}:${accountId}`. */
  balances: Map<string, AccountTotals>;
  /** Referenced transactions by `${poolId}#${id}` and `${poolId}:${externalId}`. */
  refs: Map<string, RefInfo>;
  /** Transaction ids allocated for this batch, taken in order. */
  nextId: () => bigint;
  /** The last day of each pool's closed periods: nothing may be dated on or before it. */
  closedThrough: Map<bigint, string>;
}

export type UnitResult = { ok: true; planned: PlannedTransaction[] } | { ok: false; refusals: Refusal[] };

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
  }
}

function refuse(type: Refusal['type'], detail: string): never {
  throw new Refused({ type, detail });
}

function resolveAccount(state: ApplyState, poolId: bigint, code: string): Account {
  const account = state.accounts.get(accountKey(poolId, code));
  if (!account)
    throw new LedgerError('account_not_found', `account ${code} does not exist in pool ${poolId}`, { account: code });
  return account;
}

function checkBalanced(entries: PlannedEntry[]): void {
  const sums = new Map<string, bigint>();
  for (const e of entries) sums.set(e.account.currency, (sums.get(e.account.currency) ?? 0n) + e.amount);
  for (const [currency, sum] of sums) {
    if (sum !== 0n) {
      throw new LedgerError('invalid_posting', `entries do not balance in ${currency}: they sum to ${sum}`, {
        currency,
        sum: sum.toString(),
      });
    }
  }
}

/** How one entry moves the four running totals of its account. */
export function entryEffect(e: { amount: bigint; phase: EntryPhase }): Totals {
  const debit = e.amount > 0n;
  const size = debit ? e.amount : -e.amount;
  switch (e.phase) {
    case 'posted':
      return debit
        ? { postedDebits: size, postedCredits: 0n, pendingDebits: 0n, pendingCredits: 0n }
        : { postedDebits: 0n, postedCredits: size, pendingDebits: 0n, pendingCredits: 0n };
    case 'reserve':
      return debit
        ? { postedDebits: 0n, postedCredits: 0n, pendingDebits: size, pendingCredits: 0n }
        : { postedDebits: 0n, postedCredits: 0n, pendingDebits: 0n, pendingCredits: size };
    case 'release':
      // A release negates a reserve entry: a negative release ends a reserved debit, a positive one a credit.
      return debit
        ? { postedDebits: 0n, postedCredits: 0n, pendingDebits: 0n, pendingCredits: -size }
        : { postedDebits: 0n, postedCredits: 0n, pendingDebits: -size, pendingCredits: 0n };
  }
}

function move(state: ApplyState, entries: PlannedEntry[]): void {
  for (const e of entries) {
    const b = state.balances.get(balanceKey(e.account.poolId, e.account.id));
    if (!b) throw new Error(`ledger: balance of account ${e.account.id} was not locked`);
    addTotals(b.totals, entryEffect(e));
  }
}

function checkGuards(state: ApplyState, entries: PlannedEntry[]): void {
  const seen = new Set<bigint>();
  for (const e of entries) {
    if (!e.account.noNegative || seen.has(e.account.id)) continue;
    seen.add(e.account.id);
    const b = state.balances.get(balanceKey(e.account.poolId, e.account.id))!;
    const left = available(b.account, b.totals);
    if (left < 0n) {
      refuse('insufficient_funds', `account ${e.account.code} would have ${left} available; it may not go below zero`);
    }
  }
}

function plannedFromInputs(state: ApplyState, poolId: bigint, inputs: EntryInput[], phase: EntryPhase): PlannedEntry[] {
  const planned = inputs.map((e) => ({ account: resolveAccount(state, poolId, e.account), amount: e.amount, phase }));
  checkBalanced(planned);
  return planned;
}

function findRef(state: ApplyState, poolId: bigint, ref: TransactionRef): RefInfo {
  const info = state.refs.get(refKey(poolId, ref));
  if (!info) {
    refuse(
      'transaction_not_found',
      `transaction ${'id' in ref ? ref.id : ref.externalId} does not exist in pool ${poolId}`,
    );
  }
  return info;
}

function accountById(state: ApplyState, poolId: bigint, id: bigint): Account {
  const account = state.accounts.get(accountIdKey(poolId, id));
  if (!account) throw new Error(`ledger: account ${id} of a referenced transaction was not loaded`);
  return account;
}

function plan(state: ApplyState, request: PostingRequest): PlannedTransaction {
  const { poolId } = request;
  const closed = state.closedThrough.get(poolId);
  if (closed !== undefined && request.effectiveDate <= closed) {
    refuse(
      'period_closed',
      `the books are closed through ${closed}; date the posting after it (corrections go into the open period)`,
    );
  }
  let kind: TransactionKind;
  let refersTo: bigint | null = null;
  let entries: PlannedEntry[];
  let target: RefInfo | undefined;
  switch (request.type) {
    case 'post':
      kind = request.pending ? 'pending' : 'posted';
      entries = plannedFromInputs(state, poolId, request.entries, request.pending ? 'reserve' : 'posted');
      break;
    case 'post_pending':
    case 'void_pending': {
      target = findRef(state, poolId, request.pending);
      if (target.kind !== 'pending') refuse('not_pending', `transaction ${target.id} is not a pending transaction`);
      if (target.resolved)
        refuse('pending_already_resolved', `pending transaction ${target.id} was already posted or voided`);
      kind = request.type;
      refersTo = target.id;
      const release = target.entries.map((e) => ({
        account: accountById(state, poolId, e.accountId),
        amount: -e.amount,
        phase: 'release' as const,
      }));
      let posted: PlannedEntry[] = [];
      if (request.type === 'post_pending') {
        const reserved = target.entries.map((e) => ({
          account: accountById(state, poolId, e.accountId),
          amount: e.amount,
          phase: 'posted' as const,
        }));
        posted = request.entries ? plannedFromInputs(state, poolId, request.entries, 'posted') : reserved;
        checkWithinReservation(target, posted);
      }
      entries = [...release, ...posted];
      break;
    }
    case 'reverse': {
      target = findRef(state, poolId, request.transaction);
      if (target.kind === 'pending' || target.kind === 'void_pending' || target.kind === 'reversal') {
        refuse('not_reversible', `transaction ${target.id} is ${target.kind}; only posted transactions are reversed`);
      }
      if (target.resolved) refuse('already_reversed', `transaction ${target.id} was already reversed`);
      kind = 'reversal';
      refersTo = target.id;
      entries = target.entries
        .filter((e) => e.phase === 'posted')
        .map((e) => ({
          account: accountById(state, poolId, e.accountId),
          amount: -e.amount,
          phase: 'posted' as const,
        }));
      break;
    }
  }
  return {
    poolId,
    id: 0n,
    externalId: request.externalId,
    kind,
    effectiveDate: request.effectiveDate,
    refersTo,
    description: request.description ?? '',
    metadata: request.metadata ?? {},
    entries,
  };
}

/** A partial post may only move, per account and direction, up to what the pending transaction reserved. */
function checkWithinReservation(target: RefInfo, posted: PlannedEntry[]): void {
  const reserved = new Map<bigint, bigint>();
  for (const e of target.entries) reserved.set(e.accountId, (reserved.get(e.accountId) ?? 0n) + e.amount);
  const asked = new Map<bigint, bigint>();
  for (const e of posted) asked.set(e.account.id, (asked.get(e.account.id) ?? 0n) + e.amount);
  for (const [accountId, amount] of asked) {
    const limit = reserved.get(accountId) ?? 0n;
    const sameSide = (amount > 0n && limit > 0n) || (amount < 0n && limit < 0n);
    if (amount !== 0n && (!sameSide || (amount > 0n ? amount > limit : amount < limit))) {
      refuse(
        'post_exceeds_pending',
        `posting ${amount} to account ${accountId} exceeds the ${limit} reserved by transaction ${target.id}`,
      );
    }
  }
}

function snapshot(state: ApplyState, entries: PlannedEntry[]): () => void {
  const saved = new Map<string, AccountTotals>();
  for (const e of entries) {
    const key = balanceKey(e.account.poolId, e.account.id);
    if (!saved.has(key)) {
      const b = state.balances.get(key)!;
      saved.set(key, { account: b.account, totals: { ...b.totals } });
    }
  }
  return () => {
    for (const [key, b] of saved) state.balances.set(key, b);
  };
}

/**
 * Applies one unit (a single posting, or an atomic batch) to the working state. Either every posting of the
 * unit is planned, or none is and each gets a refusal; balances are left as they were for a refused unit.
 * Malformed requests (unbalanced, unknown account) throw LedgerError and are not remembered.
 */
export function applyUnit(state: ApplyState, requests: PostingRequest[]): UnitResult {
  const planned: PlannedTransaction[] = [];
  const undo: (() => void)[] = [];
  const addedRefs: string[] = [];
  const resolvedRefs: RefInfo[] = [];
  const rollback = () => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
    for (const key of addedRefs) state.refs.delete(key);
    for (const ref of resolvedRefs) ref.resolved = false;
  };
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i]!;
    try {
      const tx = plan(state, request);
      undo.push(snapshot(state, tx.entries));
      move(state, tx.entries);
      checkGuards(state, tx.entries);
      tx.id = state.nextId();
      planned.push(tx);
      const info: RefInfo = {
        poolId: tx.poolId,
        id: tx.id,
        externalId: tx.externalId,
        kind: tx.kind,
        entries: tx.entries.map((e) => ({ accountId: e.account.id, amount: e.amount, phase: e.phase })),
        resolved: false,
      };
      for (const key of [transactionKey(tx.poolId, tx.id), externalIdKey(tx.poolId, tx.externalId)]) {
        state.refs.set(key, info);
        addedRefs.push(key);
      }
      if (tx.refersTo !== null) {
        const target = state.refs.get(transactionKey(tx.poolId, tx.refersTo))!;
        target.resolved = true;
        resolvedRefs.push(target);
      }
    } catch (err) {
      rollback();
      if (!(err instanceof Refused)) throw err;
      if (requests.length === 1) return { ok: false, refusals: [err.refusal] };
      return {
        ok: false,
        refusals: requests.map((r, j) =>
          j === i
            ? err.refusal
            : { type: 'batch_refused', detail: `batch refused: ${request.externalId}: ${err.refusal.detail}` },
        ),
      };
    }
  }
  return { ok: true, planned };
}
