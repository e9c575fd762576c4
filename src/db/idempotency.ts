import { randomUUID } from 'node:crypto';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

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

/** How long finished responses are kept; documented in the README. */
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

/** The statement that records the response; it fails with SQLSTATE PLK01 when the lease was lost. */
export function finishQuery(
  db: Kysely<Database>,
  apiKeyId: bigint,
  key: string,
  leaseToken: string,
  response: { status: number; body: string },
): CompiledQuery {
  return sql`SELECT idempotency_finish(${apiKeyId.toString()}, ${key}, ${leaseToken}, ${response.status}, ${response.body})`.compile(db);
}

export const LEASE_LOST = 'PLK01';

/** Gives the key back after a failure that should not be remembered (a 5xx): a retry runs afresh. */
export async function releaseKey(db: Kysely<Database>, apiKeyId: bigint, key: string, leaseToken: string): Promise<void> {
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
