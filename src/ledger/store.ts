import type { Queryable, Sql } from '../db/client.js';
import type { RefInfo } from './apply.js';
import { accountIdKey, accountKey } from './keys.js';
import type { Account, AccountType, Entry, EntryPhase, Transaction, TransactionKind } from './types.js';

/** Row shapes and the small reads the engine shares; all SQL of the ledger's tables lives in src/ledger. */

export interface AccountRow {
  pool_id: bigint;
  id: bigint;
  code: string;
  name: string;
  type: AccountType;
  currency: string;
  no_negative: boolean;
}

export const DEBIT_NORMAL: Record<AccountType, boolean> = {
  asset: true,
  expense: true,
  liability: false,
  net_assets: false,
  income: false,
};

export function toAccount(row: AccountRow): Account {
  return {
    poolId: row.pool_id,
    id: row.id,
    code: row.code,
    name: row.name,
    type: row.type,
    currency: row.currency.trim(),
    noNegative: row.no_negative,
    debitNormal: DEBIT_NORMAL[row.type],
  };
}

/** Accounts never change once created, so a process may keep every one it has seen. */
export class AccountCache {
  private readonly byCode = new Map<string, Account>();
  private readonly byId = new Map<string, Account>();

  get(poolId: bigint, code: string): Account | undefined {
    return this.byCode.get(accountKey(poolId, code));
  }

  getById(poolId: bigint, id: bigint): Account | undefined {
    return this.byId.get(accountIdKey(poolId, id));
  }

  put(account: Account): void {
    this.byCode.set(accountKey(account.poolId, account.code), account);
    this.byId.set(accountIdKey(account.poolId, account.id), account);
  }

  async load(sql: Queryable, byCode: [bigint, string][], byId: [bigint, bigint][]): Promise<void> {
    const codes = byCode.filter(([p, c]) => !this.get(p, c));
    const ids = byId.filter(([p, i]) => !this.getById(p, i));
    if (codes.length === 0 && ids.length === 0) return;
    // Key lookups are written as LATERAL probes so that every plan is an index probe per key, whatever the
    // planner believes about the size of the tables.
    const rows = await sql<AccountRow[]>`
      SELECT a.pool_id, a.id, a.code, a.name, a.type, a.currency, a.no_negative
        FROM unnest(${codes.map(([p]) => p.toString())}::int8[], ${codes.map(([, c]) => c)}::text[]) AS k(pool_id, code)
        CROSS JOIN LATERAL (SELECT * FROM accounts a WHERE a.pool_id = k.pool_id AND a.code = k.code OFFSET 0) a
      UNION
      SELECT a.pool_id, a.id, a.code, a.name, a.type, a.currency, a.no_negative
        FROM unnest(${ids.map(([p]) => p.toString())}::int8[], ${ids.map(([, i]) => i.toString())}::int8[]) AS k(pool_id, id)
        CROSS JOIN LATERAL (SELECT * FROM accounts a WHERE a.pool_id = k.pool_id AND a.id = k.id OFFSET 0) a`;
    for (const row of rows) this.put(toAccount(row));
  }
}

interface RefRow {
  pool_id: bigint;
  id: bigint;
  external_id: string;
  kind: TransactionKind;
  resolved: boolean;
  entries: [string, string, EntryPhase][];
}

/**
 * Loads the transactions that requests refer to, with their entries and whether something already points at
 * them. The writer reads `resolved` again once it holds the balance locks; this first read only finds accounts.
 */
export async function loadRefs(
  sql: Queryable,
  byId: [bigint, bigint][],
  byExternalId: [bigint, string][],
): Promise<RefInfo[]> {
  if (byId.length === 0 && byExternalId.length === 0) return [];
  const rows = await sql<RefRow[]>`
    SELECT t.pool_id, t.id, t.external_id, t.kind,
           EXISTS (SELECT 1 FROM transactions r WHERE r.pool_id = t.pool_id AND r.refers_to = t.id) AS resolved,
           (SELECT json_agg(json_build_array(e.account_id::text, e.amount::text, e.phase) ORDER BY e.id)
              FROM entries e WHERE e.pool_id = t.pool_id AND e.transaction_id = t.id) AS entries
      FROM (SELECT x.* FROM unnest(${byId.map(([p]) => p.toString())}::int8[], ${byId.map(([, i]) => i.toString())}::int8[]) AS k(pool_id, id)
              CROSS JOIN LATERAL (SELECT * FROM transactions x WHERE x.pool_id = k.pool_id AND x.id = k.id OFFSET 0) x
            UNION
            SELECT x.* FROM unnest(${byExternalId.map(([p]) => p.toString())}::int8[], ${byExternalId.map(([, e]) => e)}::text[]) AS k(pool_id, external_id)
              CROSS JOIN LATERAL (SELECT * FROM transactions x WHERE x.pool_id = k.pool_id AND x.external_id = k.external_id OFFSET 0) x) t`;
  return rows.map((r) => ({
    poolId: r.pool_id,
    id: r.id,
    externalId: r.external_id,
    kind: r.kind,
    resolved: r.resolved,
    entries: (r.entries ?? []).map(([accountId, amount, phase]) => ({
      accountId: BigInt(accountId),
      amount: BigInt(amount),
      phase,
    })),
  }));
}

interface TransactionRow {
  pool_id: bigint;
  id: bigint;
  external_id: string;
  kind: TransactionKind;
  effective_date: string;
  refers_to: bigint | null;
  description: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  entries: [string, string, string, string, string, EntryPhase][];
}

/** Reads whole transactions (with entries and account codes) by id. */
export async function loadTransactions(sql: Queryable, keys: [bigint, bigint][]): Promise<Transaction[]> {
  if (keys.length === 0) return [];
  const rows = await sql<TransactionRow[]>`
    SELECT t.pool_id, t.id, t.external_id, t.kind, t.effective_date, t.refers_to, t.description, t.metadata, t.created_at,
           (SELECT json_agg(json_build_array(e.id::text, e.account_id::text, a.code, e.amount::text, e.currency, e.phase) ORDER BY e.id)
              FROM entries e JOIN accounts a ON a.pool_id = e.pool_id AND a.id = e.account_id
             WHERE e.pool_id = t.pool_id AND e.transaction_id = t.id) AS entries
      FROM unnest(${keys.map(([p]) => p.toString())}::int8[], ${keys.map(([, i]) => i.toString())}::int8[]) AS k(pool_id, id)
      CROSS JOIN LATERAL (SELECT * FROM transactions x WHERE x.pool_id = k.pool_id AND x.id = k.id OFFSET 0) t
     ORDER BY t.pool_id, t.id`;
  return rows.map(transactionFromRow);
}

function transactionFromRow(r: TransactionRow): Transaction {
  return {
    poolId: r.pool_id,
    id: r.id,
    externalId: r.external_id,
    kind: r.kind,
    effectiveDate: r.effective_date,
    refersTo: r.refers_to,
    description: r.description,
    metadata: r.metadata,
    createdAt: r.created_at,
    entries: (r.entries ?? []).map(([id, accountId, account, amount, currency, phase]): Entry => ({
      id: BigInt(id),
      accountId: BigInt(accountId),
      account,
      amount: BigInt(amount),
      currency: currency.trim(),
      phase,
    })),
  };
}
