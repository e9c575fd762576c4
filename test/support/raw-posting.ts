import type { Queryable } from '../../src/db/client.js';

export interface RawEntry {
  account: bigint;
  amount: bigint;
  currency?: string;
  phase?: string;
}

/**
 * A transaction and its entries written with plain SQL, bypassing the engine, as the database requires: in
 * one command (a statement with a data-modifying CTE). For tests of what the database itself enforces.
 * Returns the new transaction's id.
 */
export async function insertRawPosting(
  sql: Queryable,
  posting: { pool: bigint; externalId: string; day: string; entries: RawEntry[] },
): Promise<bigint> {
  const { entries } = posting;
  const [{ id }] = await sql<[{ id: bigint }]>`
    WITH t AS (
      INSERT INTO transactions (pool_id, external_id, kind, effective_date)
      VALUES (${posting.pool.toString()}, ${posting.externalId}, 'posted', ${posting.day}) RETURNING id
    ), e AS (
      INSERT INTO entries (pool_id, transaction_id, account_id, amount, currency, effective_date, phase)
      SELECT ${posting.pool.toString()}, t.id, x.account, x.amount, x.currency, ${posting.day}, x.phase
        FROM t, unnest(${entries.map((e) => e.account.toString())}::int8[], ${entries.map((e) => e.amount.toString())}::int8[],
                       ${entries.map((e) => e.currency ?? 'CNY')}::text[], ${entries.map((e) => e.phase ?? 'posted')}::text[])
               AS x(account, amount, currency, phase)
    )
    SELECT id FROM t`;
  return id;
}
