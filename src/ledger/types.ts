import type { AccountType, EntryPhase, RefusalType, TransactionKind } from '../db/schema.js';

export type { AccountType, EntryPhase, RefusalType, TransactionKind };

/** A calendar day, 'YYYY-MM-DD'. */
export type Day = string;

export interface AccountSpec {
  /** Stable machine name within the pool, e.g. `pool_cash` or `claims_payable:bank:12`. */
  code: string;
  name: string;
  type: AccountType;
  currency: string;
  /** Refuse any posting that would take the available balance below zero. */
  noNegative?: boolean;
}

export interface Account {
  poolId: bigint;
  id: bigint;
  code: string;
  name: string;
  type: AccountType;
  currency: string;
  noNegative: boolean;
  /** Assets and expenses grow with debits; the other types with credits. */
  debitNormal: boolean;
}

/** One leg of a posting: amount in minor units (fen), positive for a debit, negative for a credit. */
export interface EntryInput {
  account: string;
  amount: bigint;
}

interface RequestBase {
  poolId: bigint;
  /** The caller's id for this posting, unique in the pool forever; a retry with it replays the outcome. */
  externalId: string;
  /** The business date the posting belongs to (not when it was inserted). */
  effectiveDate: Day;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** An ordinary posting, or with `pending` a reservation to be posted or voided later. */
export interface PostRequest extends RequestBase {
  type: 'post';
  entries: EntryInput[];
  pending?: boolean;
}

export type TransactionRef = { id: bigint } | { externalId: string };

/** Posts a pending transaction, in full or (with entries no larger than the reserved ones) in part. */
export interface PostPendingRequest extends RequestBase {
  type: 'post_pending';
  pending: TransactionRef;
  entries?: EntryInput[];
}

export interface VoidPendingRequest extends RequestBase {
  type: 'void_pending';
  pending: TransactionRef;
}

export interface ReverseRequest extends RequestBase {
  type: 'reverse';
  transaction: TransactionRef;
}

export type PostingRequest = PostRequest | PostPendingRequest | VoidPendingRequest | ReverseRequest;

export interface Entry {
  id: bigint;
  accountId: bigint;
  account: string;
  amount: bigint;
  currency: string;
  phase: EntryPhase;
}

export interface Transaction {
  poolId: bigint;
  id: bigint;
  externalId: string;
  kind: TransactionKind;
  effectiveDate: Day;
  refersTo: bigint | null;
  description: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
  entries: Entry[];
}

export interface Refusal {
  type: RefusalType;
  detail: string;
}

/** A statement in plain SQL with its parameters (a Kysely CompiledQuery fits). */
export interface CompanionStatement {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * A row a caller writes in the database transaction that commits its posting. The writer gathers the rows
 * of all the postings of a batch that share a `writer` and sends them as one statement.
 */
export interface Companion<T = unknown> {
  writer: CompanionWriter<T>;
  row: T;
}

export interface CompanionWriter<T> {
  /** One statement for all the rows; it must fail (failing the batch) when any row cannot be written. */
  statement(rows: T[]): CompanionStatement;
}

export interface PostOptions {
  /**
   * A row to write in the database transaction that commits the posting, built from its outcome: a
   * caller's record of what it answered commits with the effect it answers for. Not called when the
   * outcome is a replay of an earlier one.
   */
  alsoWrite?: (outcomes: PostingOutcome[]) => Companion;
}

export type PostingOutcome =
  | { status: 'posted'; replayed: boolean; transaction: Transaction }
  | { status: 'refused'; replayed: boolean; externalId: string; refusal: Refusal };

/** The four running totals of an account, each a sum of positive amounts. */
export interface Totals {
  postedDebits: bigint;
  postedCredits: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

export interface Balance extends Totals {
  accountId: bigint;
  account: string;
  currency: string;
  /** Balance on the account's normal side (debits - credits for assets and expenses). */
  posted: bigint;
  /** Net reserved by pending transactions, on the normal side. */
  pending: bigint;
  /** posted minus pending outflows: what can still be spent. */
  available: bigint;
}
