import type { Kysely } from 'kysely';
import type { Sql } from '../db/client.js';
import type { Database } from '../db/schema.js';
import { createAccount, getAccount, listAccounts, openBook } from './accounts.js';
import {
  getBalance,
  statement,
  trialBalance,
  type StatementCursor,
  type StatementPage,
  type TrialBalance,
} from './balances.js';
import { digest, seal, verify, type Digest, type VerifyResult } from './chain.js';
import { LedgerError } from './errors.js';
import { isDay } from './validate.js';
import { AccountCache, loadTransactions } from './store.js';
import type {
  Account,
  AccountSpec,
  Balance,
  Day,
  PostingOutcome,
  PostingRequest,
  PostOptions,
  Refusal,
  Transaction,
} from './types.js';
import { Writer, type WriterOptions } from './writer/index.js';

export * from './types.js';
export { LedgerError, type LedgerErrorType } from './errors.js';
export type { StatementCursor, StatementLine, StatementPage, TrialBalance } from './balances.js';
export type { Digest, VerifyResult } from './chain.js';
export type { WriterOptions } from './writer/index.js';
/** A calendar day as the ledger takes it, and the canonical (key-sorted) form of a JSON value. */
export { isDay, sortKeys } from './validate.js';

export interface Ledger {
  openBook(poolId: bigint): Promise<void>;
  createAccount(poolId: bigint, spec: AccountSpec): Promise<Account>;
  getAccount(poolId: bigint, code: string): Promise<Account>;
  listAccounts(poolId: bigint, options?: { after?: string; limit?: number }): Promise<Account[]>;
  /** Posts one request. A refusal is an outcome (remembered under the external id), not an exception. */
  post(request: PostingRequest, options?: PostOptions): Promise<PostingOutcome>;
  /** Posts the requests atomically: all of them or, if one is refused, none (each then carries a refusal). */
  postBatch(requests: PostingRequest[], options?: PostOptions): Promise<PostingOutcome[]>;
  getTransaction(poolId: bigint, id: bigint): Promise<Transaction>;
  /** The book's transactions in id order (the order they were posted), a keyset page at a time. */
  listTransactions(poolId: bigint, options: { after?: bigint; limit: number }): Promise<Transaction[]>;
  balance(poolId: bigint, code: string, asOf?: Day): Promise<Balance>;
  statement(
    poolId: bigint,
    code: string,
    options: { from?: Day; to?: Day; limit?: number; cursor?: StatementCursor },
  ): Promise<StatementPage>;
  trialBalance(poolId: bigint, asOf?: Day): Promise<TrialBalance>;
  /** Seals every transaction committed so far into the hash chain (waits for in-flight ones to settle). */
  seal(poolId: bigint): Promise<number>;
  /** Seals what can be sealed right now without waiting: for a background loop. */
  sealAvailable(poolId: bigint): Promise<number>;
  verify(poolId: bigint, upTo?: bigint): Promise<VerifyResult>;
  digest(poolId: bigint, seq?: bigint): Promise<Digest | null>;
  /**
   * Closes the books through a day: from then on nothing may be dated on or before it. Waits for postings
   * in flight; closing through a day already closed changes nothing. Answers the day closed through.
   */
  closeThrough(poolId: bigint, through: Day): Promise<Day>;
  /** The last day of the closed periods, or null. */
  closedThrough(poolId: bigint): Promise<Day | null>;
  /** What became of an external id: its transaction, its refusal, or null if it was never posted. */
  outcomeOf(poolId: bigint, externalId: string): Promise<PostingOutcome | null>;
}

export interface LedgerDeps {
  sql: Sql;
  kysely: Kysely<Database>;
  writer?: WriterOptions;
}

const MAX_ACCOUNTS_PER_POOL = 100_000;

export function createLedger({ sql, kysely, writer: writerOptions }: LedgerDeps): Ledger {
  const cache = new AccountCache();
  const writer = new Writer(sql, cache, writerOptions);
  const account = (poolId: bigint, code: string) => getAccount(sql, cache, poolId, code);

  return {
    openBook: (poolId) => openBook(sql, poolId),
    createAccount: (poolId, spec) => createAccount(sql, cache, poolId, spec),
    getAccount: account,
    listAccounts: (poolId, options = {}) =>
      listAccounts(sql, poolId, { after: options.after, limit: Math.min(options.limit ?? 100, 1000) }),
    async post(request, options) {
      const [outcome] = await writer.submit([request], options);
      return outcome!;
    },
    postBatch: async (requests, options) => writer.submit(requests, options),
    async listTransactions(poolId, options) {
      const ids = await sql<{ id: bigint }[]>`
        SELECT id FROM transactions WHERE pool_id = ${poolId.toString()}::int8 AND id > ${(options.after ?? 0n).toString()}::int8
         ORDER BY id LIMIT ${Math.min(options.limit, 1000)}`;
      return loadTransactions(
        sql,
        ids.map((r) => [poolId, r.id]),
      );
    },
    async getTransaction(poolId, id) {
      const [tx] = await loadTransactions(sql, [[poolId, id]]);
      if (!tx) throw new LedgerError('transaction_not_found', `transaction ${id} does not exist in pool ${poolId}`);
      return tx;
    },
    balance: async (poolId, code, asOf) => getBalance(kysely, await account(poolId, code), asOf),
    statement: async (poolId, code, options) =>
      statement(kysely, await account(poolId, code), { ...options, limit: options.limit ?? 100 }),
    async trialBalance(poolId, asOf) {
      const accounts = await listAccounts(sql, poolId, { limit: MAX_ACCOUNTS_PER_POOL });
      return trialBalance(kysely, accounts, asOf);
    },
    seal: (poolId) => seal(sql, poolId, { waitForCommitted: true }),
    sealAvailable: (poolId) => seal(sql, poolId),
    async verify(poolId, upTo) {
      await seal(sql, poolId, { waitForCommitted: true });
      return verify(sql, poolId, upTo);
    },
    digest: (poolId, seq) => digest(sql, poolId, seq),
    async closeThrough(poolId, through) {
      if (!isDay(through)) throw new LedgerError('invalid_posting', `${through} is not a calendar day`);
      const [row] = await sql<
        [{ through: string }]
      >`SELECT ledger_close_through(${poolId.toString()}::int8, ${through}::date)::text AS through`;
      return row.through;
    },
    async outcomeOf(poolId, externalId) {
      const [row] = await sql<
        { transaction_id: bigint | null; refusal_type: string | null; refusal_detail: string | null }[]
      >`
        SELECT transaction_id, refusal_type, refusal_detail FROM ledger_requests WHERE pool_id = ${poolId.toString()}::int8 AND external_id = ${externalId}`;
      if (!row) return null;
      if (row.transaction_id === null) {
        return {
          status: 'refused',
          replayed: true,
          externalId,
          refusal: { type: row.refusal_type as Refusal['type'], detail: row.refusal_detail ?? '' },
        };
      }
      const [tx] = await loadTransactions(sql, [[poolId, row.transaction_id]]);
      return { status: 'posted', replayed: true, transaction: tx! };
    },
    async closedThrough(poolId) {
      const [row] = await sql<
        [{ through: string | null }]
      >`SELECT max(through)::text AS through FROM ledger_closes WHERE pool_id = ${poolId.toString()}::int8`;
      return row.through;
    },
  };
}
