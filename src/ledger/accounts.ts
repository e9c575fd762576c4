import type { Sql } from '../db/client.js';
import { LedgerError } from './errors.js';
import { toAccount, DEBIT_NORMAL, type AccountCache, type AccountRow } from './store.js';
import type { Account, AccountSpec } from './types.js';

const ACCOUNT_TYPES = Object.keys(DEBIT_NORMAL);

/** Opens the books of a pool: the anchor of its accounts and the genesis of its hash chain. Idempotent. */
export async function openBook(sql: Sql, poolId: bigint): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO ledger_books (pool_id) VALUES (${poolId.toString()}) ON CONFLICT DO NOTHING`;
    await tx`
      INSERT INTO ledger_chain_heads (pool_id, hash) VALUES (${poolId.toString()}, ledger_genesis_hash(${poolId.toString()}))
      ON CONFLICT DO NOTHING`;
  });
}

function checkSpec(spec: AccountSpec): void {
  const bad = (message: string) => {
    throw new LedgerError('invalid_posting', message, { account: spec.code });
  };
  if (typeof spec.code !== 'string' || !/^[a-z0-9][a-z0-9_.:-]{0,99}$/.test(spec.code)) {
    bad('account code must be 1 to 100 of a-z 0-9 _ . : - starting with a letter or digit');
  }
  if (typeof spec.name !== 'string' || spec.name.length < 1 || spec.name.length > 200)
    bad('account name must be 1 to 200 characters');
  if (!ACCOUNT_TYPES.includes(spec.type)) bad(`account type must be one of ${ACCOUNT_TYPES.join(', ')}`);
  if (typeof spec.currency !== 'string' || !/^[A-Z]{3}$/.test(spec.currency))
    bad('currency must be an ISO 4217 code such as CNY');
}

/**
 * Creates an account with a zero balance. Creating the same account again returns it; the same code with
 * another definition is refused.
 */
export async function createAccount(
  sql: Sql,
  cache: AccountCache,
  poolId: bigint,
  spec: AccountSpec,
): Promise<Account> {
  checkSpec(spec);
  const noNegative = spec.noNegative ?? false;
  const account = await sql.begin(async (tx) => {
    const [book] = await tx`SELECT 1 FROM ledger_books WHERE pool_id = ${poolId.toString()}`;
    if (!book) throw new LedgerError('book_not_found', `pool ${poolId} has no books`);
    const inserted = await tx<AccountRow[]>`
      INSERT INTO accounts (pool_id, code, name, type, currency, no_negative)
      VALUES (${poolId.toString()}, ${spec.code}, ${spec.name}, ${spec.type}, ${spec.currency}, ${noNegative})
      ON CONFLICT (pool_id, code) DO NOTHING
      RETURNING pool_id, id, code, name, type, currency, no_negative`;
    if (inserted[0]) {
      const row = inserted[0];
      await tx`
        INSERT INTO account_balances (pool_id, account_id, debit_normal, no_negative)
        VALUES (${row.pool_id.toString()}, ${row.id.toString()}, ${DEBIT_NORMAL[row.type]}, ${row.no_negative})`;
      return toAccount(row);
    }
    const [existing] = await tx<AccountRow[]>`
      SELECT pool_id, id, code, name, type, currency, no_negative FROM accounts
       WHERE pool_id = ${poolId.toString()} AND code = ${spec.code}`;
    const found = toAccount(existing!);
    if (
      found.name !== spec.name ||
      found.type !== spec.type ||
      found.currency !== spec.currency ||
      found.noNegative !== noNegative
    ) {
      throw new LedgerError('account_conflict', `account ${spec.code} already exists with another definition`, {
        account: spec.code,
      });
    }
    return found;
  });
  cache.put(account);
  return account;
}

export async function getAccount(sql: Sql, cache: AccountCache, poolId: bigint, code: string): Promise<Account> {
  const cached = cache.get(poolId, code);
  if (cached) return cached;
  await cache.load(sql, [[poolId, code]], []);
  const account = cache.get(poolId, code);
  if (!account)
    throw new LedgerError('account_not_found', `account ${code} does not exist in pool ${poolId}`, { account: code });
  return account;
}

/** Accounts of a pool in code order, a keyset page at a time. */
export async function listAccounts(
  sql: Sql,
  poolId: bigint,
  options: { after?: string; limit: number },
): Promise<Account[]> {
  const rows = await sql<AccountRow[]>`
    SELECT pool_id, id, code, name, type, currency, no_negative FROM accounts
     WHERE pool_id = ${poolId.toString()} AND code > ${options.after ?? ''}
     ORDER BY code
     LIMIT ${options.limit}`;
  return rows.map(toAccount);
}
