import { randomUUID } from 'node:crypto';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Sql } from './client.js';
import { arrayLiteral } from './pg-array.js';
import type { Database } from './schema.js';
import { SQLSTATE } from './sqlstate.js';
import { TickBatcher } from './tick-batcher.js';

/**
 * Idempotency records: one per (API key, Idempotency-Key). A request first claims its key with a lease; it
 * then finishes it with the response in the same database transaction as its effect. A lease that outlives
 * a crashed process expires, and a retry with the same body takes it over and finishes the job.
 */
export type Claim =
  | { kind: 'acquired'; leaseToken: string }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'other-body' }
  | { kind: 'in-flight' };

/** How long finished responses are kept; documented in docs/api.md (Idempotency). */
export const RETENTION_DAYS = 30;

export async function claimKey(
  db: Kysely<Database>,
  apiKeyId: bigint,
  key: string,
  fingerprint: Buffer,
  lease_ms: number,
): Promise<Claim> {
  const token = randomUUID();
  const won = await sql<{ lease_token: string }>`
    INSERT INTO idempotency_keys (api_key_id, key, fingerprint, lease_token, lease_until)
    VALUES (${apiKeyId.toString()}, ${key}, ${fingerprint}, ${token}, now() + ${`${lease_ms} milliseconds`}::interval)
    ON CONFLICT (api_key_id, key) DO UPDATE
       SET lease_token = excluded.lease_token, lease_until = excluded.lease_until
     WHERE idempotency_keys.status IS NULL
       AND idempotency_keys.lease_until < now()
       AND idempotency_keys.fingerprint = excluded.fingerprint
    RETURNING lease_token`.execute(db);
  if (won.rows[0]?.lease_token === token) return { kind: 'acquired', leaseToken: token };
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status', 'body'])
    .where('api_key_id', '=', apiKeyId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return claimKey(db, apiKeyId, key, fingerprint, lease_ms); // released in between: try again
  if (!row.fingerprint.equals(fingerprint)) return { kind: 'other-body' };
  if (row.status !== null) return { kind: 'replay', status: row.status, body: row.body ?? '' };
  return { kind: 'in-flight' };
}

/**
 * The audit log's line for a write: what was asked (method, path), in which pool (0: the platform's own),
 * from which request. Who and the answer's status come with the answer it is recorded with.
 */
export interface AuditEntry {
  poolId: bigint;
  method: string;
  path: string;
  requestId: string;
}

/**
 * The statement that records the response, and its audit line; it fails with SQLSTATE PLK01 when the lease
 * was lost.
 */
export function finishQuery(
  db: Kysely<Database>,
  apiKeyId: bigint,
  key: string,
  leaseToken: string,
  response: { status: number; body: string },
  audit: AuditEntry,
): CompiledQuery {
  return sql`
    WITH audited AS (
      INSERT INTO audit_log (pool_id, key_id, method, path, status, request_id)
      VALUES (${audit.poolId.toString()}, ${apiKeyId.toString()}, ${audit.method}, ${audit.path}, ${response.status}, ${audit.requestId})
    )
    SELECT idempotency_finish(${apiKeyId.toString()}, ${key}, ${leaseToken}, ${response.status}, ${response.body})`.compile(
    db,
  );
}

/** Writes an audit line on its own, for an answer recorded outside the request's transaction. */
export async function auditAnswer(
  db: Kysely<Database>,
  apiKeyId: bigint,
  status: number,
  audit: AuditEntry,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      pool_id: audit.poolId,
      key_id: apiKeyId,
      method: audit.method,
      path: audit.path,
      status,
      request_id: audit.requestId,
    })
    .execute();
}

/** A request's answer, to record with its effect, and its audit line. */
export interface Answer {
  apiKeyId: bigint;
  key: string;
  leaseToken: string;
  status: number;
  body: string;
  audit?: AuditEntry;
}

/**
 * The statement that records many answers at once (in the transaction of their effects); it fails with
 * SQLSTATE PLK01, naming a key, when any lease was lost.
 */
export function finishManyQuery(batch: readonly Answer[]): { sql: string; parameters: string[] } {
  const answers = inKeyOrder(batch);
  const audited = answers.filter((a) => a.audit);
  return {
    sql: `WITH finished AS (SELECT idempotency_finish_many($1::int8[], $2::text[], $3::uuid[], $4::int4[], $5::text[])),
          audited AS (INSERT INTO audit_log (pool_id, key_id, method, path, status, request_id)
                      SELECT * FROM unnest($6::int8[], $7::int8[], $8::text[], $9::text[], $10::int4[], $11::text[]))
          SELECT 1 FROM finished`,
    parameters: [
      arrayLiteral(answers.map((a) => a.apiKeyId)),
      arrayLiteral(answers.map((a) => a.key)),
      arrayLiteral(answers.map((a) => a.leaseToken)),
      arrayLiteral(answers.map((a) => BigInt(a.status))),
      arrayLiteral(answers.map((a) => a.body)),
      arrayLiteral(audited.map((a) => a.audit!.poolId)),
      arrayLiteral(audited.map((a) => a.apiKeyId)),
      arrayLiteral(audited.map((a) => a.audit!.method)),
      arrayLiteral(audited.map((a) => a.audit!.path)),
      arrayLiteral(audited.map((a) => BigInt(a.status))),
      arrayLiteral(audited.map((a) => a.audit!.requestId)),
    ],
  };
}

interface ClaimInput {
  apiKeyId: bigint;
  key: string;
  fingerprint: Buffer;
  token: string;
  lease_ms: number;
}

interface FinishInput {
  apiKeyId: bigint;
  key: string;
  leaseToken: string;
  status: number;
  body: string;
}

export class LeaseLostError extends Error {
  readonly code = SQLSTATE.lease_lost;
}

/**
 * Claims and finishes of concurrent requests, each batch in one statement and one commit. A request
 * finishing inside its own transaction uses `finishQuery` instead.
 */
export class IdempotencyStore {
  private readonly claims: TickBatcher<ClaimInput, Claim>;
  private readonly finishes: TickBatcher<FinishInput, boolean>;

  constructor(
    private readonly sql: Sql,
    private readonly db: Kysely<Database>,
  ) {
    this.claims = new TickBatcher((items) => this.claimAll(items));
    this.finishes = new TickBatcher((items) => this.finishAll(items));
  }

  claim(apiKeyId: bigint, key: string, fingerprint: Buffer, lease_ms: number): Promise<Claim> {
    return this.claims.submit({ apiKeyId, key, fingerprint, token: randomUUID(), lease_ms });
  }

  /** Records a response outside any request transaction; throws LeaseLostError if the lease was lost. */
  async finish(
    apiKeyId: bigint,
    key: string,
    leaseToken: string,
    response: { status: number; body: string },
  ): Promise<void> {
    if (!(await this.finishes.submit({ apiKeyId, key, leaseToken, ...response }))) {
      throw new LeaseLostError(`the lease on Idempotency-Key ${key} was lost to another attempt`);
    }
  }

  private async claimAll(items: ClaimInput[]): Promise<Claim[]> {
    // The same key twice in one batch: the first claims it, the second finds it in flight.
    const first = new Map<string, number>();
    const unique = items.filter((it, i) => {
      const k = `${it.apiKeyId}:${it.key}`;
      if (first.has(k)) return false;
      first.set(k, i);
      return true;
    });
    const lease_ms = Math.max(...unique.map((u) => u.lease_ms));
    // Rows are inserted, or taken over and so locked, in the order of their keys (ORDER BY below), the order
    // every batch of claims and of answers locks them in: two batches with keys in common never deadlock.
    // The claims commit without waiting for their WAL to reach the disk (synchronous_commit off for this
    // statement only): a lease lost in a crash answered nobody, and a request's answer, committed durably
    // in a later transaction that updates its claim, flushes the WAL up to it and so the claim with it.
    // Under load, those flushes were a third of what the database's sessions spent waiting, in the queue
    // with the postings' own commits.
    const rows = await this.sql<
      {
        api_key_id: bigint;
        key: string;
        won: boolean;
        fingerprint: Buffer | null;
        status: number | null;
        body: string | null;
      }[]
    >`
      WITH lazily AS MATERIALIZED (
        SELECT set_config('synchronous_commit', 'off', true)
      ), input AS (
        SELECT x.* FROM lazily, unnest(${unique.map((u) => u.apiKeyId.toString())}::int8[], ${unique.map((u) => u.key)}::text[],
                             ${unique.map((u) => u.fingerprint.toString('hex'))}::text[], ${unique.map((u) => u.token)}::uuid[])
                 AS x(api_key_id, key, fingerprint_hex, lease_token)
      ), claimed AS (
        INSERT INTO idempotency_keys AS k (api_key_id, key, fingerprint, lease_token, lease_until)
        SELECT api_key_id, key, decode(fingerprint_hex, 'hex'), lease_token, now() + ${`${lease_ms} milliseconds`}::interval FROM input
         ORDER BY api_key_id, key COLLATE "C"
        ON CONFLICT (api_key_id, key) DO UPDATE SET lease_token = excluded.lease_token, lease_until = excluded.lease_until
         WHERE k.status IS NULL AND k.lease_until < now() AND k.fingerprint = excluded.fingerprint
        RETURNING k.api_key_id, k.key
      )
      SELECT i.api_key_id, i.key, (c.key IS NOT NULL) AS won, e.fingerprint, e.status, e.body
        FROM input i
        LEFT JOIN claimed c ON c.api_key_id = i.api_key_id AND c.key = i.key
        LEFT JOIN LATERAL (SELECT * FROM idempotency_keys x WHERE c.key IS NULL AND x.api_key_id = i.api_key_id AND x.key = i.key OFFSET 0) e ON true`;
    const byKey = new Map(rows.map((r) => [`${r.api_key_id}:${r.key}`, r]));
    return Promise.all(
      items.map(async (it, i): Promise<Claim> => {
        const k = `${it.apiKeyId}:${it.key}`;
        if (first.get(k) !== i)
          return it.fingerprint.equals(items[first.get(k)!]!.fingerprint)
            ? { kind: 'in-flight' }
            : { kind: 'other-body' };
        const row = byKey.get(k)!;
        if (row.won) return { kind: 'acquired', leaseToken: it.token };
        // A row that committed while this statement ran is not in its snapshot: ask again, alone.
        if (!row.fingerprint) return claimKey(this.db, it.apiKeyId, it.key, it.fingerprint, it.lease_ms);
        if (!row.fingerprint.equals(it.fingerprint)) return { kind: 'other-body' };
        if (row.status !== null) return { kind: 'replay', status: row.status, body: row.body ?? '' };
        return { kind: 'in-flight' };
      }),
    );
  }

  private async finishAll(batch: FinishInput[]): Promise<boolean[]> {
    // Rows found by an index probe per key, then updated by their ctid, in the order of their keys.
    const items = inKeyOrder(batch);
    const rows = await this.sql<{ api_key_id: bigint; key: string }[]>`
      WITH x AS (
        SELECT * FROM unnest(${items.map((i) => i.apiKeyId.toString())}::int8[], ${items.map((i) => i.key)}::text[], ${items.map((i) => i.leaseToken)}::uuid[],
                             ${items.map((i) => i.status)}::int4[], ${items.map((i) => i.body)}::text[]) AS x(api_key_id, key, lease_token, status, body)
      ), target AS (
        SELECT k.row_id, x.lease_token, x.status, x.body FROM x
        CROSS JOIN LATERAL (SELECT ctid AS row_id FROM idempotency_keys k WHERE k.api_key_id = x.api_key_id AND k.key = x.key AND k.lease_token = x.lease_token OFFSET 0) k
      )
      UPDATE idempotency_keys k
         SET status = t.status, body = t.body, finished_at = now(), lease_token = NULL, lease_until = NULL
        FROM target t
       WHERE k.ctid = t.row_id AND k.lease_token = t.lease_token
      RETURNING k.api_key_id, k.key`;
    const done = new Set(rows.map((r) => `${r.api_key_id}:${r.key}`));
    return batch.map((i) => done.has(`${i.apiKeyId}:${i.key}`));
  }
}

/**
 * Keys in the one order every statement locks their rows in: by API key, then by Idempotency-Key (printable
 * ASCII, so JavaScript's order is PostgreSQL's "C" order). Statements over many keys that lock them in one
 * order never deadlock on one another.
 */
export function inKeyOrder<T extends { apiKeyId: bigint; key: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) =>
    a.apiKeyId !== b.apiKeyId ? (a.apiKeyId < b.apiKeyId ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
}

/** Gives the key back after a failure that should not be remembered (a 5xx): a retry runs afresh. */
export async function releaseKey(
  db: Kysely<Database>,
  apiKeyId: bigint,
  key: string,
  leaseToken: string,
): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('api_key_id', '=', apiKeyId)
    .where('key', '=', key)
    .where('lease_token', '=', leaseToken)
    .where('status', 'is', null)
    .execute();
}

/** Forgets finished responses older than the retention period. */
export async function purgeExpired(db: Kysely<Database>, days = RETENTION_DAYS): Promise<bigint> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('finished_at', '<', sql<Date>`now() - ${`${days} days`}::interval`)
    .executeTakeFirst();
  return result.numDeletedRows;
}
