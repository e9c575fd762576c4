import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ProposalDecision, ProposalsTable, ProposalStatus } from '../db/schema.js';
import { sortKeys } from '../ledger/index.js';
import { admit, type Operation, type Principal } from './access.js';
import { DomainError, notFound } from './errors.js';
import { appendEvent } from './events.js';

/**
 * Four-eyes on money (maker-checker). In a pool that keeps it (the default), a money decision is proposed
 * by one person of the treasury and carried out when another confirms it by asking for the same decision;
 * the same person can never do both, whatever key or channel they use. The proposal records who proposed,
 * with their reason; the decision's own record (a claim's step, a close) records who confirmed.
 *
 * A person is a key, or the key a treasury key was issued by (`acts_for`): a second key of one's own is
 * still oneself.
 */
export interface Proposal {
  poolId: bigint;
  id: bigint;
  decision: ProposalDecision;
  subject: string;
  body: Record<string, unknown>;
  reason: string;
  proposedBy: bigint;
  /** The names of the people behind the keys, where people (not systems' keys) acted. */
  proposedByName?: string | null;
  decidedByName?: string | null;
  status: ProposalStatus;
  decidedBy: bigint | null;
  decidedAt: Date | null;
  createdAt: Date;
}

/** The operation of the access table each decision is, so that only those who may take it propose it. */
const OPERATION: Record<ProposalDecision, Operation> = {
  'claim.approve': 'claims.decide',
  'claim.pay': 'claims.decide',
  'award.approve': 'awards.decide',
  'award.pay': 'awards.decide',
  'transaction.reverse': 'transactions.reverse',
  'period.close': 'periods.close',
  'statement.match': 'statements.match',
  'statement.book': 'statements.book',
};

/** The person behind a principal: the key itself, or the treasury key it acts for. */
export const personOf = (p: Principal): bigint => p.actsFor ?? p.keyId;

export type UnderFourEyes<T> = { proposed: Proposal } | { done: T; confirmed: Proposal | null };

/**
 * Takes a money decision under the pool's four-eyes rule. `check` refuses, before anything is proposed, a
 * decision that cannot be taken now (a claim in the wrong state), so a proposal always names a decision
 * that could be carried out; it may also answer at once (`done`) a decision already taken that asking again
 * merely answers (a month closed already). `act` carries the decision out: at once where the pool does
 * not keep four-eyes, else when a second person confirms, given the proposal it confirms (whose reason
 * is the decision's, not the confirmer's). Proposals of one decision on one subject are
 * taken one at a time, and one stays open at most; if `act` fails, the proposal stays open.
 */
export async function underFourEyes<T>(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  /** `body`: what the decision is, beyond its subject and the reason (a reversal's date, a match's transaction). */
  decision: { decision: ProposalDecision; subject: string; body: Record<string, unknown>; reason: string },
  steps: { check: () => Promise<T | undefined>; act: (confirming: Proposal | null) => Promise<T> },
): Promise<UnderFourEyes<T>> {
  admit(principal, OPERATION[decision.decision], poolId);
  const pool = await db.selectFrom('pools').select('four_eyes').where('id', '=', poolId).executeTakeFirst();
  if (!pool) throw notFound(`pool ${poolId}`);
  if (!pool.four_eyes) return { done: await steps.act(null), confirmed: null };
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`proposal:${poolId}:${decision.decision}:${decision.subject}`}, 0))`.execute(
    db,
  );
  const open = await db
    .selectFrom('proposals')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('decision', '=', decision.decision)
    .where('subject', '=', decision.subject)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (!open) {
    const already = await steps.check();
    if (already !== undefined) return { done: already, confirmed: null };
    const row = await db
      .insertInto('proposals')
      .values({
        pool_id: poolId,
        decision: decision.decision,
        subject: decision.subject,
        body: decision.body,
        reason: decision.reason,
        proposed_by: principal.keyId,
        proposer: personOf(principal),
        request_id: principal.requestId ?? '',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendEvent(db, {
      poolId,
      type: 'proposal.created',
      subject: `proposal/${row.id}`,
      data: { decision: row.decision, subject: row.subject },
    });
    return { proposed: toProposal(row) };
  }
  if (open.proposer === personOf(principal))
    throw new DomainError(
      'forbidden',
      'four-eyes',
      `proposal ${open.id} (${open.decision} of ${open.subject}) is yours; another person of the treasury confirms it`,
      { proposal_id: open.id.toString() },
    );
  if (JSON.stringify(sortKeys(open.body)) !== JSON.stringify(sortKeys(decision.body)))
    throw new DomainError(
      'conflict',
      'conflict',
      `proposal ${open.id} proposes ${JSON.stringify(open.body)}; confirm it as proposed, or withdraw it and propose anew`,
      { proposal_id: open.id.toString() },
    );
  const done = await steps.act(toProposal(open));
  const confirmed = await db
    .updateTable('proposals')
    .set({ status: 'confirmed', decided_by: principal.keyId, decided_at: new Date() })
    .where('pool_id', '=', poolId)
    .where('id', '=', open.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvent(db, {
    poolId,
    type: 'proposal.confirmed',
    subject: `proposal/${open.id}`,
    data: { decision: open.decision, subject: open.subject },
  });
  return { done, confirmed: toProposal(confirmed) };
}

/** Withdraws an open proposal: its proposer changes their mind, or another treasury person turns it down. */
export async function withdrawProposal(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  proposalId: bigint,
): Promise<Proposal> {
  const row = await proposalRow(db, principal, poolId, proposalId);
  admit(principal, OPERATION[row.decision], poolId);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`proposal:${poolId}:${row.decision}:${row.subject}`}, 0))`.execute(
    db,
  );
  const updated = await db
    .updateTable('proposals')
    .set({ status: 'withdrawn', decided_by: principal.keyId, decided_at: new Date() })
    .where('pool_id', '=', poolId)
    .where('id', '=', proposalId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!updated) {
    const now = await proposalRow(db, principal, poolId, proposalId);
    throw new DomainError(
      'conflict',
      'conflict',
      `proposal ${proposalId} is ${now.status}; only an open one is withdrawn`,
      {
        status: now.status,
      },
    );
  }
  await appendEvent(db, {
    poolId,
    type: 'proposal.withdrawn',
    subject: `proposal/${proposalId}`,
    data: { decision: row.decision, subject: row.subject },
  });
  return toProposal(updated);
}

async function proposalRow(db: Kysely<Database>, principal: Principal, poolId: bigint, proposalId: bigint) {
  admit(principal, 'proposals.read', poolId);
  const row = await db
    .selectFrom('proposals')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', proposalId)
    .executeTakeFirst();
  if (!row) throw notFound(`proposal ${proposalId}`);
  return row;
}

export async function getProposal(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  proposalId: bigint,
): Promise<Proposal> {
  return toProposal(await proposalRow(db, principal, poolId, proposalId));
}

/** The treasury's inbox: proposals in id order, by status or subject, a keyset page at a time. */
export async function listProposals(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { status?: ProposalStatus; subject?: string; after?: bigint; limit: number },
): Promise<Proposal[]> {
  admit(principal, 'proposals.read', poolId);
  let query = db
    .selectFrom('proposals as p')
    .leftJoin('users as a', 'a.key_id', 'p.proposed_by')
    .leftJoin('users as b', 'b.key_id', 'p.decided_by')
    .selectAll('p')
    .select(['a.name as proposed_by_name', 'b.name as decided_by_name'])
    .where('p.pool_id', '=', poolId)
    .orderBy('p.id')
    .limit(options.limit);
  if (options.status) query = query.where('p.status', '=', options.status);
  if (options.subject) query = query.where('p.subject', '=', options.subject);
  if (options.after !== undefined) query = query.where('p.id', '>', options.after);
  return (await query.execute()).map((r) => ({
    ...toProposal(r),
    proposedByName: r.proposed_by_name,
    decidedByName: r.decided_by_name,
  }));
}

const toProposal = (r: Selectable<ProposalsTable>): Proposal => ({
  poolId: r.pool_id,
  id: r.id,
  decision: r.decision,
  subject: r.subject,
  body: r.body,
  reason: r.reason,
  proposedBy: r.proposed_by,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  createdAt: r.created_at,
});
