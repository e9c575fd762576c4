import type { Kysely, Selectable } from 'kysely';
import type { Database, ParticipantKind, ParticipantsTable, PoolsTable } from '../db/schema.js';
import { creditCodeProblem } from './credit-code.js';
import type { Ledger } from '../ledger/index.js';
import { admit, seesWholePool, type Principal } from './access.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';
import { ensureAccounts } from './posting-rules.js';

export interface Pool {
  id: bigint;
  name: string;
  currency: string;
  /** Money decisions are proposed by one person and confirmed by another (src/pool/four-eyes.ts). */
  fourEyes: boolean;
  createdAt: Date;
}

export const CREDIT_RATINGS = ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'CC', 'C'] as const;
export type CreditRating = (typeof CREDIT_RATINGS)[number];

/** What a zone enterprise carries beyond its name and code. */
export interface EnterpriseProfile {
  inZone: boolean;
  techSmeCertificate?: string | null;
  techSmeExpires?: string | null;
  creditRating?: CreditRating | null;
}

export interface Participant {
  poolId: bigint;
  id: bigint;
  kind: ParticipantKind;
  name: string;
  creditCode: string | null;
  enterprise: EnterpriseProfile | null;
  createdAt: Date;
}

export interface ParticipantSpec {
  kind: ParticipantKind;
  name: string;
  creditCode: string;
  enterprise?: EnterpriseProfile;
}

/** Creates a pool and opens its books. */
export async function createPool(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  spec: { name: string; currency?: string },
): Promise<Pool> {
  admit(principal, 'pools.create');
  const row = await db
    .insertInto('pools')
    .values({ name: spec.name, currency: spec.currency ?? 'CNY' })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(db, { poolId: row.id, type: 'pool.created', subject: `pool/${row.id}`, data: { name: row.name } });
  // The books live outside this transaction; opening them (and the chart's accounts) is idempotent, so a
  // retry completes it. The chart opens with the pool so that its codes are the domain's from the start.
  await ledger.openBook(row.id);
  await ensureAccounts(ledger, row.id);
  return toPool(row);
}

const toPool = (row: Selectable<PoolsTable>): Pool => ({
  id: row.id,
  name: row.name,
  currency: row.currency.trim(),
  fourEyes: row.four_eyes,
  createdAt: row.created_at,
});

/** Sets the pool's four-eyes rule (admin): off, one person of the treasury takes money decisions alone. */
export async function setFourEyes(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  fourEyes: boolean,
): Promise<Pool> {
  admit(principal, 'pools.settings', poolId);
  const row = await db
    .updateTable('pools')
    .set({ four_eyes: fourEyes })
    .where('id', '=', poolId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound(`pool ${poolId}`);
  await appendEvent(db, {
    poolId,
    type: 'pool.settings',
    subject: `pool/${poolId}`,
    data: { four_eyes: fourEyes },
  });
  return toPool(row);
}

export async function getPool(db: Kysely<Database>, principal: Principal, poolId: bigint): Promise<Pool> {
  admit(principal, 'pools.read', poolId);
  return poolOf(db, poolId);
}

async function poolOf(db: Kysely<Database>, poolId: bigint): Promise<Pool> {
  const row = await db.selectFrom('pools').selectAll().where('id', '=', poolId).executeTakeFirst();
  if (!row) throw notFound(`pool ${poolId}`);
  return toPool(row);
}

/** Every organisation carries a valid credit code; an enterprise also its zone, certificate and rating. */
function checkParticipant(spec: ParticipantSpec): void {
  const problem = creditCodeProblem(spec.creditCode);
  if (problem) throw invalidField('credit_code', problem);
  if (spec.kind === 'enterprise') {
    if (!spec.enterprise)
      throw invalidField(
        'enterprise',
        'an enterprise needs its profile: in_zone, and its tech-SME certificate and rating where it has them',
      );
    const e = spec.enterprise;
    if ((e.techSmeCertificate == null) !== (e.techSmeExpires == null)) {
      throw invalidField(
        'enterprise.tech_sme_expires',
        'a tech-SME certificate comes with its expiry date, and an expiry with its certificate',
      );
    }
  } else if (spec.enterprise) {
    throw invalidField('enterprise', `a ${spec.kind} has no enterprise profile`);
  }
}

export async function createParticipant(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  spec: ParticipantSpec,
): Promise<Participant> {
  admit(principal, 'participants.create', poolId);
  checkParticipant(spec);
  await poolOf(db, poolId);
  const e = spec.enterprise;
  const row = await db
    .insertInto('participants')
    .values({
      pool_id: poolId,
      kind: spec.kind,
      name: spec.name,
      credit_code: spec.creditCode,
      in_zone: e?.inZone ?? null,
      tech_sme_certificate: e?.techSmeCertificate ?? null,
      tech_sme_expires: e?.techSmeExpires ?? null,
      credit_rating: e?.creditRating ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    throw new DomainError(
      'conflict',
      'participant-exists',
      `a ${spec.kind} with this name or credit code already exists in pool ${poolId}`,
      { credit_code: spec.creditCode },
    );
  }
  await appendEvent(db, {
    poolId,
    type: 'participant.created',
    subject: `participant/${row.id}`,
    participantId: row.id,
    data: { kind: row.kind, name: row.name },
  });
  return toParticipant(row);
}

type ParticipantRow = Selectable<ParticipantsTable>;

function toParticipant(row: ParticipantRow): Participant {
  return {
    poolId: row.pool_id,
    id: row.id,
    kind: row.kind,
    name: row.name,
    creditCode: row.credit_code,
    enterprise:
      row.kind === 'enterprise'
        ? {
            inZone: row.in_zone ?? false,
            techSmeCertificate: row.tech_sme_certificate,
            techSmeExpires: row.tech_sme_expires,
            creditRating: row.credit_rating as CreditRating | null,
          }
        : null,
    createdAt: row.created_at,
  };
}

/** Participants in id order; a bank or insurer sees only itself. */
export async function listParticipants(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after?: bigint; limit: number },
): Promise<Participant[]> {
  admit(principal, 'participants.list', poolId);
  let query = db
    .selectFrom('participants')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('id')
    .limit(options.limit);
  if (options.after !== undefined) query = query.where('id', '>', options.after);
  if (!seesWholePool(principal)) query = query.where('id', '=', principal.participantId ?? -1n);
  return (await query.execute()).map(toParticipant);
}

export async function getParticipant(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  id: bigint,
): Promise<Participant> {
  admit(principal, 'participants.read', poolId);
  if (!seesWholePool(principal) && principal.participantId !== id) throw notFound(`participant ${id}`);
  const row = await db
    .selectFrom('participants')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(`participant ${id}`);
  return toParticipant(row);
}
