import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ApiRole, Database } from '../db/schema.js';
import { admit, type Principal } from './access.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { issueKey } from './keys.js';
import { hashPassword, NO_ACCOUNT_HASH, oneTimePassword, passwordProblem, verifyPassword } from './passwords.js';

/**
 * People at work. A person has an account (a login, a name, a password) and acts through an identity key of
 * their own: a key row with the person's role, pool and participant, whose secret nobody holds. Everything
 * the API records of a key (by_key, proposals, the audit log) therefore names the person, and four-eyes
 * tells two people apart as it tells two keys. The treasury creates the people of its pool, the admin
 * those of the platform (admins, treasuries, auditors), with the same rules as for keys.
 *
 * Sessions: the browser holds a random token in a cookie; the database keeps its SHA-256. A session ends at
 * sign-out, after IDLE_MS without a request, or SESSION_MS after sign-in. Sign-in is throttled: after
 * MAX_FAILURES_PER_LOGIN failed attempts on one login, or MAX_FAILURES_PER_ADDRESS from one address, within
 * THROTTLE_WINDOW_MS, further attempts are refused until the window passes.
 *
 * A one-time password works for ONE_TIME_MS; whoever manages the person (the rules of createPerson) resets
 * it: a new one-time password, and every session of the person ends.
 */
export const IDLE_MS = 30 * 60_000;
export const SESSION_MS = 12 * 3600_000;
export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_LOGIN = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
/** How long a one-time password (a new account's, or a reset's) works before the person needs another. */
export const ONE_TIME_MS = 7 * 86_400_000;

export interface Person {
  id: bigint;
  login: string;
  name: string;
  keyId: bigint;
  role: ApiRole;
  poolId: bigint | null;
  participantId: bigint | null;
  mustChange: boolean;
  createdAt: Date;
  disabled: boolean;
}

const LOGIN = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

const people = (db: Kysely<Database>) =>
  db
    .selectFrom('users as u')
    .innerJoin('api_keys as k', 'k.id', 'u.key_id')
    .select([
      'u.id',
      'u.login',
      'u.name',
      'u.key_id',
      'u.password_hash',
      'u.must_change',
      'u.password_expires_at',
      'u.created_at',
      'u.disabled_at',
      'k.role',
      'k.pool_id',
      'k.participant_id',
      'k.revoked_at',
    ]);
type PersonRow = Awaited<ReturnType<ReturnType<typeof people>['executeTakeFirstOrThrow']>>;

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  login: r.login,
  name: r.name,
  keyId: r.key_id,
  role: r.role,
  poolId: r.pool_id,
  participantId: r.participant_id,
  mustChange: r.must_change,
  createdAt: r.created_at,
  disabled: r.disabled_at !== null || r.revoked_at !== null,
});

/**
 * Creates a person's account. Without a password, a one-time password is made and returned once; either
 * way the person sets their own at the first sign-in.
 */
export async function createPerson(
  db: Kysely<Database>,
  creator: Principal,
  spec: {
    login: string;
    name: string;
    role: ApiRole;
    poolId: bigint | null;
    participantId?: bigint | null;
    password?: string;
    /** The first admin's one-time password, printed at the first start, does not expire. */
    expires?: boolean;
  },
): Promise<{ person: Person; oneTimePassword: string | null }> {
  admit(creator, 'people.create');
  // A person of the treasury confirms others' money decisions: one the treasury made itself would let it
  // confirm its own (it knows the one-time password). The admin, who takes no money decision, makes them.
  if (spec.role === 'treasury' && creator.role !== 'admin')
    throw new DomainError(
      'forbidden',
      'forbidden',
      "the treasury's people are created by the admin: a treasury could confirm its own proposals through a person it made",
    );
  const login = spec.login.toLowerCase();
  if (!LOGIN.test(login))
    throw invalidField('login', 'a login is 2 to 64 of a-z, 0-9 and . _ @ -, starting with a letter or digit');
  if (spec.password !== undefined) {
    const problem = passwordProblem(spec.password, { login, name: spec.name });
    if (problem) throw invalidField('password', problem);
  }
  const taken = await db.selectFrom('users').select('id').where('login', '=', login).executeTakeFirst();
  if (taken) throw new DomainError('conflict', 'conflict', `the login ${login} is taken`, { field: 'login' });
  // The identity key: issued under the same rules as any key (a treasury, for its own pool), acting for
  // this person alone.
  const key = await issueKey(db, creator, {
    role: spec.role,
    poolId: spec.poolId,
    participantId: spec.participantId ?? null,
    label: `person ${login}`,
    person: true,
  });
  const otp = spec.password === undefined ? oneTimePassword() : null;
  const inserted = await db
    .insertInto('users')
    .values({
      login,
      name: spec.name,
      key_id: key.id,
      password_hash: await hashPassword(spec.password ?? otp!),
      must_change: true,
      password_expires_at: spec.expires === false ? null : new Date(Date.now() + ONE_TIME_MS),
      created_by: creator.keyId,
    })
    .onConflict((oc) => oc.column('login').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw new DomainError('conflict', 'conflict', `the login ${login} is taken`, { field: 'login' });
  return { person: await personById(db, inserted.id), oneTimePassword: otp };
}

async function personById(db: Kysely<Database>, id: bigint): Promise<Person> {
  return toPerson(await people(db).where('u.id', '=', id).executeTakeFirstOrThrow());
}

/** The people the principal manages: a treasury those of its pool, the admin everyone. */
export async function listPeople(
  db: Kysely<Database>,
  principal: Principal,
  options: { poolId?: bigint; after?: bigint; limit: number },
): Promise<Person[]> {
  admit(principal, 'people.list');
  let q = people(db).orderBy('u.id').limit(options.limit);
  const pool = principal.role === 'admin' ? options.poolId : principal.poolId!;
  if (pool !== undefined) q = q.where('k.pool_id', '=', pool);
  if (options.after !== undefined) q = q.where('u.id', '>', options.after);
  return (await q.execute()).map(toPerson);
}

/** Disables an account (its sessions end): the person can no longer sign in. */
export async function disablePerson(db: Kysely<Database>, principal: Principal, personId: bigint): Promise<Person> {
  admit(principal, 'people.disable');
  await managed(db, principal, personId);
  await db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', personId).execute();
  await endSessions(db, personId);
  return personById(db, personId);
}

/**
 * Gives a person a new one-time password (they forgot theirs, or the first one expired): answered once,
 * changed at the next sign-in; every session of the person ends. A treasury resets the people of its pool
 * but not its own kind, for the reason createPerson gives: knowing the password, it could act as them.
 */
export async function resetPassword(
  db: Kysely<Database>,
  principal: Principal,
  personId: bigint,
): Promise<{ person: Person; oneTimePassword: string }> {
  admit(principal, 'people.reset');
  const row = await managed(db, principal, personId);
  if (row.role === 'treasury' && principal.role !== 'admin')
    throw new DomainError(
      'forbidden',
      'forbidden',
      "the treasury's people are reset by the admin: a treasury could confirm its own proposals as the person",
    );
  if (row.disabled_at !== null) throw new DomainError('conflict', 'conflict', `person ${personId} is disabled`);
  const otp = oneTimePassword();
  await db
    .updateTable('users')
    .set({
      password_hash: await hashPassword(otp),
      must_change: true,
      password_expires_at: new Date(Date.now() + ONE_TIME_MS),
    })
    .where('id', '=', personId)
    .execute();
  await endSessions(db, personId);
  return { person: await personById(db, personId), oneTimePassword: otp };
}

/** The person, if the principal manages them (a treasury, those of its pool; the admin, everyone). */
async function managed(db: Kysely<Database>, principal: Principal, personId: bigint): Promise<PersonRow> {
  const row = await people(db).where('u.id', '=', personId).executeTakeFirst();
  if (!row || (principal.role !== 'admin' && row.pool_id !== principal.poolId)) throw notFound(`person ${personId}`);
  return row;
}

const endSessions = (db: Kysely<Database>, personId: bigint) =>
  db
    .updateTable('sessions')
    .set({ ended_at: new Date() })
    .where('user_id', '=', personId)
    .where('ended_at', 'is', null)
    .execute();

const tokenHash = (token: string) => createHash('sha256').update(token).digest();

const REFUSALS = {
  credentials: 'login or password is wrong',
  throttled: 'too many failed sign-ins; wait and try again',
  expired: 'the one-time password has expired; ask whoever manages your account for a new one',
};

export class SignInRefused extends Error {
  constructor(
    readonly reason: keyof typeof REFUSALS,
    readonly retryAfterS = 0,
  ) {
    super(REFUSALS[reason]);
  }
}

/**
 * Signs a person in: a new session (a new token at every sign-in) and its token, to set as a cookie.
 * Refuses with SignInRefused, saying the same for an unknown login as for a wrong password.
 */
export async function signIn(
  db: Kysely<Database>,
  attempt: { login: string; password: string; address: string; userAgent: string },
): Promise<{ token: string; person: Person }> {
  // Control characters (a NUL would be refused by PostgreSQL) are no part of a login or an address.
  const clean = (s: string, max: number) => s.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, max);
  const login = clean(attempt.login.toLowerCase(), 200);
  const address = clean(attempt.address, 100);
  const [failures] = (
    await sql<{ by_login: number; by_address: number }>`
      SELECT count(*) FILTER (WHERE login = ${login})::int AS by_login,
             count(*) FILTER (WHERE address = ${address})::int AS by_address
        FROM login_attempts
       WHERE NOT ok AND created_at > now() - ${`${THROTTLE_WINDOW_MS} milliseconds`}::interval
         AND (login = ${login} OR address = ${address})`.execute(db)
  ).rows;
  if (failures!.by_login >= MAX_FAILURES_PER_LOGIN || failures!.by_address >= MAX_FAILURES_PER_ADDRESS)
    throw new SignInRefused('throttled', THROTTLE_WINDOW_MS / 1000);
  const row = LOGIN.test(login) ? await people(db).where('u.login', '=', login).executeTakeFirst() : undefined;
  const ok = await verifyPassword(attempt.password, row?.password_hash ?? NO_ACCOUNT_HASH);
  const usable = ok && row !== undefined && row.disabled_at === null && row.revoked_at === null;
  // The right one-time password, past its time: said as such (whoever types it holds it), and not a success.
  const expired = usable && row.password_expires_at !== null && row.password_expires_at.getTime() <= Date.now();
  await db
    .insertInto('login_attempts')
    .values({ login, address, ok: usable && !expired })
    .execute();
  if (!usable) throw new SignInRefused('credentials');
  if (expired) throw new SignInRefused('expired');
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('sessions')
    .values({
      token_hash: tokenHash(token),
      user_id: row.id,
      expires_at: new Date(Date.now() + SESSION_MS),
      address,
      user_agent: attempt.userAgent.slice(0, 500),
    })
    .execute();
  return { token, person: toPerson(row) };
}

/** The person behind a session token, or null for an unknown, ended, idle or expired session. */
export async function sessionPerson(db: Kysely<Database>, token: string): Promise<Person | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const hash = tokenHash(token);
  const row = await people(db)
    .innerJoin('sessions as s', 's.user_id', 'u.id')
    .select(['s.last_seen_at'])
    .where('s.token_hash', '=', hash)
    .where('s.ended_at', 'is', null)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('s.last_seen_at', '>', sql<Date>`now() - ${`${IDLE_MS} milliseconds`}::interval`)
    .executeTakeFirst();
  if (!row || row.disabled_at !== null || row.revoked_at !== null) return null;
  // Seen again: at most one write a minute per session.
  if (Date.now() - row.last_seen_at.getTime() > 60_000)
    await db.updateTable('sessions').set({ last_seen_at: new Date() }).where('token_hash', '=', hash).execute();
  return toPerson(row);
}

export async function signOut(db: Kysely<Database>, token: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ ended_at: new Date() })
    .where('token_hash', '=', tokenHash(token))
    .where('ended_at', 'is', null)
    .execute();
}

/** A person sets their own password: the current one first (the one-time one, at the first sign-in). */
export async function changePassword(
  db: Kysely<Database>,
  person: Person,
  current: string,
  next: string,
  keepSession?: string,
): Promise<void> {
  const row = await people(db).where('u.id', '=', person.id).executeTakeFirstOrThrow();
  if (!(await verifyPassword(current, row.password_hash ?? NO_ACCOUNT_HASH)))
    throw invalidField('current_password', 'the current password is wrong');
  const problem = passwordProblem(next, person);
  if (problem) throw invalidField('new_password', problem);
  if (next === current) throw invalidField('new_password', 'choose a password other than the current one');
  await db
    .updateTable('users')
    .set({ password_hash: await hashPassword(next), must_change: false, password_expires_at: null })
    .where('id', '=', person.id)
    .execute();
  // Whoever signed in with the old password (the creator, with a one-time one) is signed out.
  await db
    .updateTable('sessions')
    .set({ ended_at: new Date() })
    .where('user_id', '=', person.id)
    .where('ended_at', 'is', null)
    .where('token_hash', '!=', keepSession === undefined ? Buffer.alloc(32) : tokenHash(keepSession))
    .execute();
}

/** The principal a person acts as: their identity key's. */
export const principalOf = (p: Person): Principal => ({
  keyId: p.keyId,
  keyPrefix: `person:${p.login}`,
  role: p.role,
  poolId: p.poolId,
  participantId: p.participantId,
  actsFor: null,
  person: { id: p.id, login: p.login, name: p.name },
});

/**
 * On a database without any person: an admin account `admin` with a one-time password, returned once (the
 * first start prints it beside the first admin key).
 */
export async function bootstrapAdminPerson(db: Kysely<Database>): Promise<{ login: string; password: string } | null> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('bootstrap-admin-person', 0))`.execute(trx);
    const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    const system: Principal = { keyId: 0n, keyPrefix: 'system', role: 'admin', poolId: null, participantId: null };
    const { oneTimePassword: password } = await createPerson(trx, system, {
      login: 'admin',
      name: 'Administrator',
      role: 'admin',
      poolId: null,
      expires: false,
    });
    return { login: 'admin', password: password! };
  });
}
