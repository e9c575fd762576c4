import type { Sql } from '../db/client.js';
import { LedgerError } from './errors.js';

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
export async function seal(
  sql: Sql,
  poolId: bigint,
  options: { waitForCommitted?: boolean; timeout_ms?: number } = {},
): Promise<number> {
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
  const [{ horizon }] = await sql<
    [{ horizon: string }]
  >`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon`;
  const deadline = Date.now() + (options.timeout_ms ?? 10_000);
  let total = 0;
  for (;;) {
    const [{ passed }] = await sql<
      [{ passed: boolean }]
    >`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ${horizon}::xid8 AS passed`;
    total += await sealAll();
    if (passed) return total;
    if (Date.now() > deadline) {
      throw new LedgerError(
        'chain_busy',
        `transactions still in flight kept the chain of pool ${poolId} from sealing for ${options.timeout_ms ?? 10_000} ms; retry later`,
      );
    }
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
    const [head] = await sql<
      { seq: bigint; hash: Buffer }[]
    >`SELECT seq, hash FROM ledger_chain_heads WHERE pool_id = ${poolId.toString()}`;
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
  const [head] = await sql<
    { seq: bigint; hash: Buffer }[]
  >`SELECT seq, hash FROM ledger_chain_heads WHERE pool_id = ${pool}`;
  if (!head) return { ok: false, checked: 0n, brokenAt: 0n, reason: 'the pool has no chain' };
  const last = upTo !== undefined && upTo < head.seq ? upTo : head.seq;
  for (let from = 1n; from <= last; from += BigInt(VERIFY_CHUNK)) {
    const to = from + BigInt(VERIFY_CHUNK) - 1n < last ? from + BigInt(VERIFY_CHUNK) - 1n : last;
    // Materialized steps fix the plan whatever the statistics say: the chunk of links, the transactions and
    // entries in the id range it covers (one index range scan each), then hash joins.
    const [bad] = await sql<{ seq: bigint; reason: string }[]>`
      WITH links AS MATERIALIZED (
        SELECT seq, transaction_id, hash, lag(hash) OVER (ORDER BY seq) AS prev_hash, lag(seq) OVER (ORDER BY seq) AS prev_seq
          FROM ledger_chain WHERE pool_id = ${pool}::int8 AND seq BETWEEN ${(from - 1n).toString()}::int8 AND ${to.toString()}::int8
      ), span AS MATERIALIZED (
        SELECT min(transaction_id) AS lo, max(transaction_id) AS hi FROM links WHERE seq >= ${from.toString()}::int8
      ), tx AS MATERIALIZED (
        SELECT t.* FROM transactions t, span WHERE t.pool_id = ${pool}::int8 AND t.id BETWEEN span.lo AND span.hi
      ), ent AS MATERIALIZED (
        SELECT x.transaction_id, string_agg(ledger_entry_text(x.id, x.account_id, x.amount, x.currency, x.phase), ';' ORDER BY x.id) AS entries
          FROM entries x, span WHERE x.pool_id = ${pool}::int8 AND x.transaction_id BETWEEN span.lo AND span.hi
         GROUP BY x.transaction_id
      ), expected AS (
        SELECT generate_series(${from.toString()}::int8, ${to.toString()}::int8) AS seq
      )
      SELECT x.seq,
             CASE WHEN l.seq IS NULL THEN 'link missing'
                  WHEN x.seq > 1 AND l.prev_seq IS DISTINCT FROM x.seq - 1 THEN 'previous link missing'
                  WHEN t.id IS NULL THEN 'transaction ' || l.transaction_id || ' missing'
                  ELSE 'hash does not match the transaction ' || l.transaction_id || ' as recorded' END AS reason
        FROM expected x
        LEFT JOIN links l ON l.seq = x.seq
        LEFT JOIN tx t ON t.id = l.transaction_id
        LEFT JOIN ent e ON e.transaction_id = l.transaction_id
       WHERE l.seq IS NULL
          OR (x.seq > 1 AND l.prev_seq IS DISTINCT FROM x.seq - 1)
          OR t.id IS NULL
          OR l.hash <> sha256(CASE WHEN x.seq = 1 THEN ledger_genesis_hash(${pool}::int8) ELSE l.prev_hash END
                              || ledger_content(t.id, t.external_id, t.kind, t.effective_date, t.refers_to, t.description, t.metadata, e.entries))
       ORDER BY x.seq
       LIMIT 1`;
    if (bad) return { ok: false, checked: bad.seq - 1n, brokenAt: bad.seq, reason: bad.reason };
  }
  if (upTo === undefined || upTo >= head.seq) {
    const [atHead] = await sql<
      { hash: Buffer }[]
    >`SELECT hash FROM ledger_chain WHERE pool_id = ${pool} AND seq = ${head.seq.toString()}`;
    const expected = atHead?.hash ?? (head.seq === 0n ? head.hash : undefined);
    if (!expected || !expected.equals(head.hash)) {
      return {
        ok: false,
        checked: head.seq,
        brokenAt: head.seq,
        reason: 'the recorded head does not match the last link',
      };
    }
  }
  // A transaction that is not in the chain although the sealer has passed its place was slipped in behind
  // the sealer's back: the chain cannot vouch for it, so the journal does not verify.
  const [pending] = await sql<{ n: bigint; skipped: bigint | null }[]>`
    SELECT count(*) AS n,
           min(t.id) FILTER (WHERE (t.tx_xid, t.id) <= (h.last_xid, h.last_id)) AS skipped
      FROM transactions t JOIN ledger_chain_heads h ON h.pool_id = t.pool_id
     WHERE t.pool_id = ${pool}
       AND NOT EXISTS (SELECT 1 FROM ledger_chain c WHERE c.pool_id = t.pool_id AND c.transaction_id = t.id)`;
  if (pending!.skipped !== null && (upTo === undefined || upTo >= head.seq)) {
    return {
      ok: false,
      checked: last,
      brokenAt: last + 1n,
      reason: `transaction ${pending!.skipped} is in the journal but was never sealed`,
    };
  }
  const headDigest = (await digest(sql, poolId, last === 0n ? undefined : last))!;
  return { ok: true, checked: last, head: headDigest, unsealed: pending!.n };
}
