import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiRole, Database } from '../db/schema.js';
import { admit, scopePool, type Principal } from './access.js';
import { DomainError, notFound } from './errors.js';
import { appendEvent } from './events.js';

/**
 * API keys look like `plk_<prefix>_<secret>`: the prefix (8 hex characters) finds the key, the secret (32
 * base64url characters, 192 random bits) proves it. Only SHA-256 of the whole key is stored.
 */
const KEY_FORMAT = /^plk_([0-9a-f]{8})_([A-Za-z0-9_-]{32})$/;

export interface IssuedKey {
  id: bigint;
  prefix: string;
  role: ApiRole;
  poolId: bigint | null;
  participantId: bigint | null;
  label: string;
  createdAt: Date;
  /** The whole key: shown once, never again. */
  key: string;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest();
const cacheId = (key: string) => hashKey(key).toString('base64');

export function generateKey(): { key: string; prefix: string } {
  const prefix = randomBytes(4).toString('hex');
  return { key: `plk_${prefix}_${randomBytes(24).toString('base64url')}`, prefix };
}

/** Roles a key of each role may issue, and for which pool. */
function checkIssuer(issuer: Principal, role: ApiRole, poolId: bigint | null): void {
  const allowed =
    issuer.role === 'admin'
      ? role === 'admin' || role === 'treasury' || role === 'auditor'
      : issuer.role === 'treasury' && role !== 'admin' && poolId === issuer.poolId;
  if (!allowed)
    throw new DomainError(
      'forbidden',
      'forbidden',
      `${/^[aeiou]/.test(issuer.role) ? 'an' : 'a'} ${issuer.role} key may not issue ${role} keys here`,
    );
}

const PARTICIPANT_ROLES: readonly ApiRole[] = ['bank', 'insurer', 'guarantor', 'enterprise'];

export async function issueKey(
  db: Kysely<Database>,
  issuer: Principal,
  spec: {
    role: ApiRole;
    poolId: bigint | null;
    participantId?: bigint | null;
    label?: string;
    key?: string;
    /** A person's identity key (people.ts): it acts for that person, never for its issuer. */
    person?: boolean;
  },
): Promise<IssuedKey> {
  admit(issuer, 'keys.issue');
  // Another pool answers as a missing one, before the issuer's finer rules are asked.
  if (spec.poolId !== null) scopePool(issuer, spec.poolId);
  checkIssuer(issuer, spec.role, spec.poolId);
  if ((spec.role === 'admin') !== (spec.poolId === null)) {
    throw new DomainError(
      'invalid',
      'validation',
      spec.role === 'admin' ? 'admin keys belong to no pool' : 'the key needs a pool',
    );
  }
  if (spec.poolId !== null) {
    const pool = await db.selectFrom('pools').select('id').where('id', '=', spec.poolId).executeTakeFirst();
    if (!pool) throw notFound(`pool ${spec.poolId}`);
  }
  const participantId = spec.participantId ?? null;
  if (PARTICIPANT_ROLES.includes(spec.role)) {
    if (participantId === null)
      throw new DomainError('invalid', 'validation', `a ${spec.role} key needs participant_id`);
    const participant = await db
      .selectFrom('participants')
      .select('kind')
      .where('pool_id', '=', spec.poolId!)
      .where('id', '=', participantId)
      .executeTakeFirst();
    if (!participant) throw notFound(`participant ${participantId}`);
    if (participant.kind !== spec.role) {
      throw new DomainError(
        'invalid',
        'validation',
        `participant ${participantId} is a ${participant.kind}, not a ${spec.role}`,
      );
    }
  } else if (participantId !== null) {
    throw new DomainError('invalid', 'validation', `a ${spec.role} key belongs to no participant`);
  }
  let key: string;
  let prefix: string;
  if (spec.key !== undefined) {
    const m = KEY_FORMAT.exec(spec.key);
    if (!m) throw new DomainError('invalid', 'validation', 'a supplied key must look like plk_<8 hex>_<32 base64url>');
    key = spec.key;
    prefix = m[1]!;
  } else {
    ({ key, prefix } = generateKey());
  }
  // Prefixes are 32 random bits and unique: among tens of thousands of keys two may draw the same one. A
  // generated key then draws again (ON CONFLICT keeps the request's transaction usable); a supplied one is
  // refused by name.
  for (let draws = 1; ; draws++) {
    const inserted = await db
      .insertInto('api_keys')
      .values({
        prefix,
        secret_hash: hashKey(key),
        role: spec.role,
        pool_id: spec.poolId,
        participant_id: participantId,
        label: spec.label ?? '',
        // A treasury key issued by a treasury key acts for the same person (four-eyes).
        acts_for:
          issuer.role === 'treasury' && spec.role === 'treasury' && !spec.person
            ? (issuer.actsFor ?? issuer.keyId)
            : null,
      })
      .onConflict((oc) => oc.column('prefix').doNothing())
      .returning(['id', 'created_at', 'label'])
      .executeTakeFirst();
    if (inserted) return finishIssue(db, spec, participantId, prefix, key, inserted);
    if (spec.key !== undefined)
      throw new DomainError('conflict', 'conflict', `a key with prefix ${prefix} exists already`);
    if (draws >= 5) throw new Error(`no free key prefix after ${draws} draws`);
    ({ key, prefix } = generateKey());
  }
}

async function finishIssue(
  db: Kysely<Database>,
  spec: { role: ApiRole; poolId: bigint | null },
  participantId: bigint | null,
  prefix: string,
  key: string,
  row: { id: bigint; created_at: Date; label: string },
): Promise<IssuedKey> {
  if (spec.poolId !== null) {
    await appendEvent(db, {
      poolId: spec.poolId,
      type: 'key.issued',
      subject: `key/${row.id}`,
      participantId,
      data: { role: spec.role, prefix, label: row.label },
    });
  }
  return {
    id: row.id,
    prefix,
    role: spec.role,
    poolId: spec.poolId,
    participantId,
    label: row.label,
    createdAt: row.created_at,
    key,
  };
}

export async function revokeKey(
  db: Kysely<Database>,
  issuer: Principal,
  keyId: bigint,
  cache?: KeyCache,
): Promise<void> {
  admit(issuer, 'keys.revoke');
  const row = await db
    .selectFrom('api_keys')
    .select(['pool_id', 'role', 'revoked_at', 'participant_id'])
    .where('id', '=', keyId)
    .executeTakeFirst();
  // A treasury key sees only its pool's keys; anything else is as if it did not exist.
  if (!row || (issuer.role !== 'admin' && (issuer.role !== 'treasury' || row.pool_id !== issuer.poolId)))
    throw notFound(`key ${keyId}`);
  if (row.revoked_at) return;
  cache?.forget(keyId);
  await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', keyId).execute();
  if (row.pool_id !== null) {
    await appendEvent(db, {
      poolId: row.pool_id,
      type: 'key.revoked',
      subject: `key/${keyId}`,
      participantId: row.participant_id,
      data: { role: row.role },
    });
  }
}

export interface KeyListed {
  id: bigint;
  prefix: string;
  role: ApiRole;
  poolId: bigint | null;
  participantId: bigint | null;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** The login of the person whose identity this key is (people.ts), or null for a system's key. */
  personLogin: string | null;
}

/**
 * The keys an issuer can see, newest last: an admin's, all (or one pool's); a treasury key's, its own pool's.
 * Never their secrets, which are not stored.
 */
export async function listKeys(
  db: Kysely<Database>,
  principal: Principal,
  options: { poolId?: bigint; after?: bigint; limit: number },
): Promise<KeyListed[]> {
  admit(principal, 'keys.list');
  // Another pool answers as a missing one.
  if (options.poolId !== undefined) scopePool(principal, options.poolId);
  const pool = principal.role === 'admin' ? options.poolId : principal.poolId!;
  let q = db
    .selectFrom('api_keys as k')
    .leftJoin('users as u', 'u.key_id', 'k.id')
    .select([
      'k.id',
      'k.prefix',
      'k.role',
      'k.pool_id',
      'k.participant_id',
      'k.label',
      'k.created_at',
      'k.revoked_at',
      'u.login',
    ])
    .orderBy('k.id')
    .limit(options.limit);
  if (pool !== undefined) q = q.where('k.pool_id', '=', pool);
  if (options.after !== undefined) q = q.where('k.id', '>', options.after);
  return (await q.execute()).map((r) => ({
    id: r.id,
    prefix: r.prefix,
    role: r.role,
    poolId: r.pool_id,
    participantId: r.participant_id,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    personLogin: r.login,
  }));
}

/**
 * Principals of keys verified in the last `ttl_ms`, so that a busy client does not cost a query per
 * request. A revocation through this process takes effect at once; through another server process, within
 * the TTL. Bounded: the oldest entries go first. Entries are found by the key's SHA-256, never by the key:
 * no secret is kept in memory, and what a lookup compares (and might leak by its timing) is a hash.
 */
export class KeyCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  /** Keys revoked through this process: never cached again, even by a request that read them just before. */
  private readonly revoked = new Set<bigint>();
  constructor(
    readonly ttl_ms = 2_000,
    private readonly max = 10_000,
  ) {}

  get(presented: string): Principal | undefined {
    const id = cacheId(presented);
    const hit = this.entries.get(id);
    if (!hit) return undefined;
    if (this.revoked.has(hit.principal.keyId)) return undefined;
    if (hit.until < Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return hit.principal;
  }

  put(presented: string, principal: Principal): void {
    if (this.revoked.has(principal.keyId)) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(cacheId(presented), { principal, until: Date.now() + this.ttl_ms });
  }

  forget(keyId: bigint): void {
    this.revoked.add(keyId);
    for (const [k, v] of this.entries) if (v.principal.keyId === keyId) this.entries.delete(k);
  }

  /** Whether this process saw the key revoked (the database says so too once the revocation commits). */
  isRevoked(keyId: bigint): boolean {
    return this.revoked.has(keyId);
  }
}

/** The principal behind a presented key, or null for a malformed, unknown or revoked one. */
export async function authenticate(
  db: Kysely<Database>,
  presented: string,
  cache?: KeyCache,
): Promise<Principal | null> {
  const cached = cache?.get(presented);
  if (cached) return cached;
  const m = KEY_FORMAT.exec(presented);
  if (!m) return null;
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'secret_hash', 'role', 'pool_id', 'participant_id', 'revoked_at', 'acts_for'])
    .where('prefix', '=', m[1]!)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  if (!timingSafeEqual(row.secret_hash, hashKey(presented))) return null;
  if (cache?.isRevoked(row.id)) return null;
  const principal: Principal = {
    keyId: row.id,
    keyPrefix: row.prefix,
    role: row.role,
    poolId: row.pool_id,
    participantId: row.participant_id,
    actsFor: row.acts_for,
  };
  cache?.put(presented, principal);
  return principal;
}

/** On a database without any admin key: create one (the given key, or a random one) and return it once. */
export async function bootstrapAdmin(db: Kysely<Database>, key?: string): Promise<IssuedKey | null> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('api_keys')
      .select('id')
      .where('role', '=', 'admin')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (existing) return null;
    const system: Principal = { keyId: 0n, keyPrefix: 'system', role: 'admin', poolId: null, participantId: null };
    return issueKey(trx, system, { role: 'admin', poolId: null, label: 'first admin key', key });
  });
}
