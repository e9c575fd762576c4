/**
 * What the bench's figures are divided by: references measured in the same run, on the same PostgreSQL and
 * in the same Node process, so that a ratio says something on a shared machine whose speed moves by run.
 */
import { createHash } from 'node:crypto';
import { createSql, type Sql } from '../../src/db/client.js';
import { drive, WARMUP_SECONDS } from './drive.js';

/** Accounts the row-lock transfer pays into; the hot account (id 0) pays every one of them. */
const ROW_LOCK_ACCOUNTS = 50;
/** Rows per commit of the bulk reference. */
export const BULK_ROWS = 1_000;

/** The database references, on tables of their own; `close` drops them. */
export interface DatabaseReferences {
  /** Hot-account transfers by row lock, one transaction each, `callers` at once: transfers/s and latency. */
  rowLock(callers: number, seconds: number): Promise<{ perSecond: number; p50: number; p99: number }>;
  /** Durable one-row INSERT commits, `callers` at once: commits/s. */
  commits(callers: number, seconds: number): Promise<number>;
  /** 1,000-row INSERTs, one commit each, `callers` at once: rows/s. */
  bulkRows(callers: number, seconds: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The peer design at its leanest, and the machine's durable commit rate, on small tables of their own in a
 * schema the bench creates and drops. The row-lock transfer is one round trip: a function that updates the
 * two balances (the hot one first, as a lock order would have it) and inserts the two entries, committed on
 * its own. Nothing else is in its way: no idempotency key, no hash chain, no checks. Each is measured just
 * before the figure it is the reference of, so that both see the machine as it is then.
 */
export async function openDatabaseReferences(ownerUrl: string, maxCallers: number): Promise<DatabaseReferences> {
  const schema = `bench_reference_${process.pid}`;
  const sql: Sql = createSql(ownerUrl, { max: maxCallers, applicationName: 'pool-ledger-bench' });
  const close = async () => {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql.end();
  };
  try {
    await sql.unsafe(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.accounts (id int8 PRIMARY KEY, balance int8 NOT NULL);
      CREATE TABLE ${schema}.entries (id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id int8 NOT NULL, amount int8 NOT NULL);
      CREATE TABLE ${schema}.commits (id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id int8 NOT NULL, amount int8 NOT NULL);
      INSERT INTO ${schema}.accounts SELECT g, 0 FROM generate_series(0, ${ROW_LOCK_ACCOUNTS}) g;
      CREATE FUNCTION ${schema}.transfer(p_from int8, p_to int8, p_amount int8) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ${schema}.accounts SET balance = balance - p_amount WHERE id = p_from;
        UPDATE ${schema}.accounts SET balance = balance + p_amount WHERE id = p_to;
        INSERT INTO ${schema}.entries (account_id, amount) VALUES (p_from, -p_amount);
        INSERT INTO ${schema}.entries (account_id, amount) VALUES (p_to, p_amount);
      END $$;`);
  } catch (err) {
    await close();
    throw err;
  }
  const accounts = Array.from({ length: BULK_ROWS }, (_, k) => String(k % ROW_LOCK_ACCOUNTS));
  const amounts = Array.from({ length: BULK_ROWS }, () => '100');
  return {
    async rowLock(callers, seconds) {
      const r = await drive(callers, seconds, async (_, i) => {
        await sql.unsafe(`SELECT ${schema}.transfer(0, $1, 100)`, [1 + (i % ROW_LOCK_ACCOUNTS)], { prepare: true });
        return 1;
      });
      const [{ balance }] = await sql.unsafe<[{ balance: bigint }]>(
        `SELECT sum(balance)::int8 AS balance FROM ${schema}.accounts`,
      );
      if (balance !== 0n) throw new Error(`the row-lock reference lost money: its balances sum to ${balance}`);
      return r;
    },
    async commits(callers, seconds) {
      const r = await drive(callers, seconds, async (c) => {
        await sql.unsafe(`INSERT INTO ${schema}.commits (account_id, amount) VALUES ($1, 100)`, [c], { prepare: true });
        return 1;
      });
      return r.perSecond;
    },
    async bulkRows(callers, seconds) {
      const r = await drive(callers, seconds, async () => {
        await sql.unsafe(
          `INSERT INTO ${schema}.commits (account_id, amount) SELECT * FROM unnest($1::int8[], $2::int8[])`,
          [accounts, amounts],
          { prepare: true },
        );
        return BULK_ROWS;
      });
      return r.perSecond;
    },
    close,
  };
}

/** A link of the chain as verify recomputes it: SHA-256(previous link's hash || canonical content). */
export interface ChainLink {
  prev: Buffer;
  content: Buffer;
  hash: Buffer;
}

/**
 * Links of a pool's chain with the canonical content of their transactions, exactly the bytes the chain
 * hashes (ledger_canonical is the view sealing reads).
 */
export async function chainSample(sql: Sql, poolId: bigint, links: number): Promise<ChainLink[]> {
  return sql<ChainLink[]>`
    SELECT p.hash AS prev, c.content, l.hash
      FROM ledger_chain l
      JOIN ledger_chain p ON p.pool_id = l.pool_id AND p.seq = l.seq - 1
      JOIN ledger_canonical c ON c.pool_id = l.pool_id AND c.transaction_id = l.transaction_id
     WHERE l.pool_id = ${poolId.toString()} AND l.seq BETWEEN 2 AND ${(links + 1).toString()}
     ORDER BY l.seq`;
}

/**
 * SHA-256 of those links in this Node process, one core, hashes/s. Each is checked against the hash the
 * chain recorded first: the reference hashes the same bytes as verify, not a shape like them.
 */
export function sha256Rate(sample: ChainLink[], seconds: number): number {
  if (sample.length === 0) throw new Error('no chain links to hash');
  const link = (l: ChainLink) => createHash('sha256').update(l.prev).update(l.content).digest();
  for (const l of sample) {
    if (!link(l).equals(l.hash)) throw new Error("the SHA-256 reference does not reproduce the chain's hash");
  }
  const timed = (ms: number) => {
    const until = performance.now() + ms;
    let n = 0;
    while (performance.now() < until) {
      // A clock read every 256 hashes keeps it out of what is measured.
      for (let k = 0; k < 256; k++) link(sample[(n + k) % sample.length]!);
      n += 256;
    }
    return n;
  };
  timed(WARMUP_SECONDS * 1000);
  const t0 = performance.now();
  const n = timed(seconds * 1000);
  return n / ((performance.now() - t0) / 1000);
}
