import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { admit, type Principal } from './access.js';

/** A line of the audit log: who wrote what, when, from which request, and what the API answered. */
export interface AuditLine {
  id: bigint;
  keyId: bigint;
  /** The key's label, and the person whose identity key it is (none for a system's key). */
  keyLabel: string;
  person: { login: string; name: string } | null;
  method: string;
  path: string;
  status: number;
  requestId: string;
  at: Date;
}

/** The pool's audit log, read-only, for the treasury and auditors: newest last, a keyset page at a time. */
export async function readAuditLog(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after?: bigint; limit: number },
): Promise<AuditLine[]> {
  admit(principal, 'audit.read', poolId);
  let q = db
    .selectFrom('audit_log as a')
    .leftJoin('api_keys as k', 'k.id', 'a.key_id')
    .leftJoin('users as u', 'u.key_id', 'a.key_id')
    .select([
      'a.id',
      'a.key_id',
      'k.label',
      'u.login',
      'u.name',
      'a.method',
      'a.path',
      'a.status',
      'a.request_id',
      'a.created_at',
    ])
    .where('a.pool_id', '=', poolId)
    .orderBy('a.id')
    .limit(options.limit);
  if (options.after !== undefined) q = q.where('a.id', '>', options.after);
  return (await q.execute()).map((r) => ({
    id: r.id,
    keyId: r.key_id,
    keyLabel: r.label ?? '',
    person: r.login === null ? null : { login: r.login, name: r.name! },
    method: r.method,
    path: r.path,
    status: r.status,
    requestId: r.request_id,
    at: r.created_at,
  }));
}
