import { sql, type Kysely } from 'kysely';
import type { AwardStatus, ClaimStatus, Database } from '../db/schema.js';
import { admit, seesWholePool, type Principal } from './access.js';

/**
 * Every type of event the feed carries, `<subject>.<what happened>`: a writer names one of these, so a
 * misspelt type fails to compile instead of reaching subscribers. The step functions in SQL write the
 * `claim.*` and `award.*` steps (`claim_record_steps`, `award_record_steps`: `<kind>.<its new status>`)
 * and `recovery.reported` (`recovery_record`).
 */
export const EVENT_TYPES = [
  'pool.created',
  'pool.settings',
  'participant.created',
  'key.issued',
  'key.revoked',
  'agreement.created',
  'agreement.terms',
  'agreement.suspended',
  'agreement.reinstated',
  'loan.enrolled',
  'loan.reported',
  'loan.defaulted',
  'loan_tape.enrolled',
  'loan_tape.reported',
  'claim.submitted',
  'claim.approved',
  'claim.deferred',
  'claim.rejected',
  'claim.paid',
  'claim.closed',
  'recovery.reported',
  'recovery.received',
  'award.submitted',
  'award.approved',
  'award.rejected',
  'award.paid',
  'money.award_budget',
  'money.interest',
  'money.return',
  'money.charge',
  'appropriation.notified',
  'appropriation.received',
  'statement.imported',
  'period.closed',
  'proposal.created',
  'proposal.confirmed',
  'proposal.withdrawn',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The types the SQL step functions build from a status: a status without its event type fails to compile. */
export type StepEventType = Within<EventType, `claim.${ClaimStatus}` | `award.${AwardStatus}`>;
type Within<Union, Part extends Union> = Part;

export interface DomainEvent {
  poolId: bigint;
  id: bigint;
  type: string;
  participantId: bigint | null;
  subject: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** Appends an event in the caller's transaction: it commits (and becomes visible) with the change it reports. */
export async function appendEvent(
  db: Kysely<Database>,
  event: {
    poolId: bigint;
    type: EventType;
    subject: string;
    participantId?: bigint | null;
    data?: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .insertInto('events')
    .values({
      pool_id: event.poolId,
      type: event.type,
      subject: event.subject,
      participant_id: event.participantId ?? null,
      data: event.data ?? {},
    })
    .execute();
}

export interface FeedCursor {
  xid: string;
  id: bigint;
}

export const MAX_FEED_PAGE = 500;

/** The pool's event feed as the principal may read it; the cursor is read once the principal is admitted. */
export async function readEvents(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after: () => FeedCursor | undefined; limit: number },
): Promise<{ events: DomainEvent[]; next: FeedCursor | null }> {
  admit(principal, 'events.read', poolId);
  return readFeed(db, principal, poolId, { after: options.after(), limit: options.limit });
}

/**
 * Events after the cursor in commit order. Only events of transactions older than every transaction still
 * in flight are returned, so the cursor never moves past an event that has yet to commit.
 */
export async function readFeed(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { after?: FeedCursor; limit: number },
): Promise<{ events: DomainEvent[]; next: FeedCursor | null }> {
  const limit = Math.min(Math.max(options.limit, 1), MAX_FEED_PAGE);
  let query = db
    .selectFrom('events')
    .select(['pool_id', 'id', 'tx_xid', 'type', 'participant_id', 'subject', 'data', 'created_at'])
    .where('pool_id', '=', poolId)
    .where(sql<boolean>`tx_xid < pg_snapshot_xmin(pg_current_snapshot())`)
    .orderBy('tx_xid')
    .orderBy('id')
    .limit(limit);
  if (options.after) {
    query = query.where(
      sql<boolean>`(tx_xid, id) > (${options.after.xid}::xid8, ${options.after.id.toString()}::int8)`,
    );
  }
  if (!seesWholePool(principal)) query = query.where('participant_id', '=', principal.participantId ?? -1n);
  const rows = await query.execute();
  const last = rows.at(-1);
  return {
    events: rows.map((r) => ({
      poolId: r.pool_id,
      id: r.id,
      type: r.type,
      participantId: r.participant_id,
      subject: r.subject,
      data: r.data,
      createdAt: r.created_at,
    })),
    // With a short page the caller is at the head; the same cursor asks again later.
    next: last ? { xid: last.tx_xid, id: last.id } : (options.after ?? null),
  };
}
