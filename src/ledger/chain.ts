import type { Sql } from '../db/client.js';

/**
 * The per-pool hash chain (invariant 6). Sealing and the canonical encoding live in SQL (ledger_seal,
 * ledger_canonical) so that every runtime seals the same bytes; verification recomputes each link from the
 * rows as they are now, set-based, a chunk of sequence numbers at a time.
 */

const SEAL_CHUNK = 5_000;
const VERIFY_CHUNK = 50_000;

/**
 * Seals committed transactions into the chain. Transactions still in flight anywhere in the cluster hold the
 * sealer back (it cannot know yet whether they commit before the rest), so with `waitForCommitted` it waits,
 * up to `timeout_ms`, until every transaction that had committed when it was called can be sealed.
 * Without it, it seals what it can now (the background sealer's mode). Returns how many it sealed.
 */
export async function seal(sql: Sql, poolId: bigint, options: { waitForCommitted?: boolean; timeout_ms?: number } = {}): Promise<number> {
  const pool = poolId.toString();
  const sealAll = async () => {
    let total = 0;
    for (let round = 0; round < 1_000; round++) {
      const [row] = await sql<{ n: number }[]>`SELECT ledger_seal(${pool}, ${SEAL_CHUNK}) AS n`;
      total += row!.n;
      if (row!.n < SEAL_CHUNK) break;
    }
    return total;
  };
  if (!options.waitForCommitted) return sealAll();
  const [{ horizon }] = await sql<[{ horizon: string }]>`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon`;
  const deadline = Date.now() + (options.timeout_ms ?? 10_000);
  let total = 0;
  for (;;) {
    const [{ passed }] = await sql<[{ passed: boolean }]>`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ${horizon}::xid8 AS passed`;
    total += await sealAll();
    if (passed) return total;
    if (Date.now() > deadline) throw new Error(`ledger: transactions in flight kept the chain of pool ${poolId} from sealing for ${options.timeout_ms ?? 10_000} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Digest {
  poolId: bigint;
  seq: bigint;
  /** SHA-256, hex. */
  hash: string;
  sealedAt: Date | null;
}

/** The head of the chain, or the link at `seq`: a value to publish and check later. */
export async function digest(sql: Sql, poolId: bigint, seq?: bigint): Promise<Digest | null> {
  if (seq === undefined) {
    const [head] = await sql<{ seq: bigint; hash: Buffer }[]>`SELECT seq, hash FROM ledger_chain_heads WHERE pool_id = ${poolId.toString()}`;
    if (!head) return null;
    if (head.seq === 0n) return { poolId, seq: 0n, hash: head.hash.toString('hex'), sealedAt: null };
    seq = head.seq;
  }
  const [link] = await sql<{ seq: bigint; hash: Buffer; sealed_at: Date }[]>`
    SELECT seq, hash, sealed_at FROM ledger_chain WHERE pool_id = ${poolId.toString()} AND seq = ${seq.toString()}`;
  return link ? { poolId, seq: link.seq, hash: link.hash.toString('hex'), sealedAt: link.sealed_at } : null;
}

export type VerifyResult =
  | { ok: true; checked: bigint; head: Digest; unsealed: bigint }
  | { ok: false; checked: bigint; brokenAt: bigint; reason: string };

/**
 * Recomputes every link: the hash of link n must be SHA-256(hash of link n-1 || canonical content of its
 * transaction as it is now). The first link that fails names where the journal or the chain was changed.
 */
export async function verify(sql: Sql, poolId: bigint, upTo?: bigint): Promise<VerifyResult> {
  const pool = poolId.toString();
  const [head] = await sql<{ seq: bigint; hash: Buffer }[]>`SELECT seq, hash FROM ledger_chain_heads WHERE pool_id = ${pool}`;
  if (!head) return { ok: false, checked: 0n, brokenAt: 0n, reason: 'the pool has no chain' };
  const last = upTo !== undefined && upTo < head.seq ? upTo : head.seq;
  for (let from = 1n; from <= last; from += BigInt(VERIFY_CHUNK)) {
    const to = from + BigInt(VERIFY_CHUNK) - 1n < last ? from + BigInt(VERIFY_CHUNK) - 1n : last;
    const [bad] = await sql<{ seq: bigint; reason: string }[]>`
      WITH expected AS (SELECT generate_series(${from.toString()}::int8, ${to.toString()}::int8) AS seq),
      links AS (
        SELECT x.seq, c.transaction_id, c.hash,
               CASE WHEN x.seq = 1 THEN ledger_genesis_hash(${pool}::int8) ELSE p.hash END AS prev_hash
          FROM expected x
          LEFT JOIN ledger_chain c ON c.pool_id = ${pool}::int8 AND c.seq = x.seq
          LEFT JOIN ledger_chain p ON p.pool_id = ${pool}::int8 AND p.seq = x.seq - 1
      )
      SELECT l.seq,
             CASE WHEN l.hash IS NULL THEN 'link missing'
                  WHEN l.prev_hash IS NULL THEN 'previous link missing'
                  WHEN k.content IS NULL THEN 'transaction ' || l.transaction_id || ' missing'
                  ELSE 'hash does not match the transaction ' || l.transaction_id || ' as recorded' END AS reason
        FROM links l
        LEFT JOIN ledger_canonical k ON k.pool_id = ${pool}::int8 AND k.transaction_id = l.transaction_id
       WHERE l.hash IS NULL OR l.prev_hash IS NULL OR k.content IS NULL OR l.hash <> sha256(l.prev_hash || k.content)
       ORDER BY l.seq
       LIMIT 1`;
    if (bad) return { ok: false, checked: bad.seq - 1n, brokenAt: bad.seq, reason: bad.reason };
  }
  if (upTo === undefined || upTo >= head.seq) {
    const [atHead] = await sql<{ hash: Buffer }[]>`SELECT hash FROM ledger_chain WHERE pool_id = ${pool} AND seq = ${head.seq.toString()}`;
    const expected = atHead?.hash ?? (head.seq === 0n ? head.hash : undefined);
    if (!expected || !expected.equals(head.hash)) {
      return { ok: false, checked: head.seq, brokenAt: head.seq, reason: 'the recorded head does not match the last link' };
    }
  }
  const [pending] = await sql<{ n: bigint }[]>`
    SELECT count(*) AS n FROM transactions t
     WHERE t.pool_id = ${pool}
       AND NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.pool_id = t.pool_id AND c.transaction_id = t.id)`;
  const headDigest = (await digest(sql, poolId, last === 0n ? undefined : last))!;
  return { ok: true, checked: last, head: headDigest, unsealed: pending!.n };
}
