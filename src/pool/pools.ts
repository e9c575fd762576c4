import type { Kysely } from 'kysely';
import type { Database, ParticipantKind } from '../db/schema.js';
import type { Ledger } from '../ledger/index.js';
import { scopePool, seesWholePool, type Principal } from './access.js';
import { DomainError, notFound } from './errors.js';
import { appendEvent } from './events.js';

export interface Pool {
  id: bigint;
  name: string;
  currency: string;
  createdAt: Date;
}

export interface Participant {
  poolId: bigint;
  id: bigint;
  kind: ParticipantKind;
  name: string;
  createdAt: Date;
}

/** Creates a pool and opens its books. */
export async function createPool(db: Kysely<Database>, ledger: Ledger, spec: { name: string; currency?: string }): Promise<Pool> {
  const row = await db
    .insertInto('pools')
    .values({ name: spec.name, currency: spec.currency ?? 'CNY' })
    .returning(['id', 'name', 'currency', 'created_at'])
    .executeTakeFirstOrThrow();
  await appendEvent(db, { poolId: row.id, type: 'pool.created', subject: `pool/${row.id}`, data: { name: row.name } });
  // The books live outside this transaction; opening them is idempotent, so a retry completes it.
  await ledger.openBook(row.id);
  return { id: row.id, name: row.name, currency: row.currency.trim(), createdAt: row.created_at };
}

export async function getPool(db: Kysely<Database>, principal: Principal, poolId: bigint): Promise<Pool> {
  scopePool(principal, poolId);
  const row = await db.selectFrom('pools').selectAll().where('id', '=', poolId).executeTakeFirst();
  if (!row) throw notFound(`pool ${poolId}`);
  return { id: row.id, name: row.name, currency: row.currency.trim(), createdAt: row.created_at };
}

export async function createParticipant(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  spec: { kind: ParticipantKind; name: string },
): Promise<Participant> {
  await getPool(db, principal, poolId);
  const row = await db
    .insertInto('participants')
    .values({ pool_id: poolId, kind: spec.kind, name: spec.name })
    .onConflict((oc) => oc.columns(['pool_id', 'kind', 'name']).doNothing())
    .returning(['pool_id', 'id', 'kind', 'name', 'created_at'])
    .executeTakeFirst();
  if (!row) {
    throw new DomainError('conflict', 'participant-exists', `a ${spec.kind} named ${spec.name} already exists in pool ${poolId}`);
  }
  await appendEvent(db, { poolId, type: 'participant.created', subject: `participant/${row.id}`, participantId: row.id, data: { kind: row.kind, name: row.name } });
  return toParticipant(row);
}

function toParticipant(row: { pool_id: bigint; id: bigint; kind: ParticipantKind; name: string; created_at: Date }): Participant {
  return { poolId: row.pool_id, id: row.id, kind: row.kind, name: row.name, createdAt: row.created_at };
}

/** Participants in id order; a bank or insurer sees only itself. */
export async function listParticipants(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after?: bigint; limit: number },
): Promise<Participant[]> {
  scopePool(principal, poolId);
  let query = db.selectFrom('participants').selectAll().where('pool_id', '=', poolId).orderBy('id').limit(options.limit);
  if (options.after !== undefined) query = query.where('id', '>', options.after);
  if (!seesWholePool(principal)) query = query.where('id', '=', principal.participantId ?? -1n);
  return (await query.execute()).map(toParticipant);
}

export async function getParticipant(db: Kysely<Database>, principal: Principal, poolId: bigint, id: bigint): Promise<Participant> {
  scopePool(principal, poolId);
  if (!seesWholePool(principal) && principal.participantId !== id) throw notFound(`participant ${id}`);
  const row = await db.selectFrom('participants').selectAll().where('pool_id', '=', poolId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`participant ${id}`);
  return toParticipant(row);
}
