import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ProposalDecision } from '../../db/schema.js';
import {
  getProposal,
  listProposals,
  withdrawProposal,
  type Proposal,
  type UnderFourEyes,
} from '../../pool/four-eyes.js';
import type { AppEnv } from '../env.js';
import { routeGroup } from '../route-group.js';
import { Id, Limit, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const DECISIONS = [
  'claim.approve',
  'claim.pay',
  'award.approve',
  'award.pay',
  'transaction.reverse',
  'period.close',
  'statement.match',
  'statement.book',
] as const satisfies readonly ProposalDecision[];
const STATUSES = ['pending', 'confirmed', 'withdrawn'] as const;

/** The request that confirms a decision: the decision's own, sent by another person of the treasury. */
const CONFIRM_PATH: Record<ProposalDecision, (id: string) => string> = {
  'claim.approve': (id) => `claims/${id}/approve`,
  'claim.pay': (id) => `claims/${id}/pay`,
  'award.approve': (id) => `awards/${id}/approve`,
  'award.pay': (id) => `awards/${id}/pay`,
  'transaction.reverse': (id) => `transactions/${id}/reversal`,
  'period.close': (month) => `periods/${month}/close`,
  'statement.match': (id) => `bank-statements/lines/${id}/match`,
  'statement.book': (id) => `bank-statements/lines/${id}/book`,
};

export const ProposalOut = z
  .object({
    id: z.string(),
    decision: z.enum(DECISIONS),
    subject: z.string().openapi({ example: 'claim/12' }),
    status: z.enum(STATUSES),
    reason: z.string(),
    body: z.record(z.string(), z.string()).openapi({ description: 'What is decided, beyond its subject: as proposed' }),
    proposed_by: z.string().openapi({ description: 'The key that proposed it' }),
    proposed_by_name: z.string().nullable().openapi({ description: "The proposer's name, when a person proposed it" }),
    decided_by: z.string().nullable().openapi({ description: 'The key that confirmed or withdrew it' }),
    decided_by_name: z.string().nullable(),
    decided_at: z.string().nullable(),
    created_at: z.string(),
    confirm_with: z.object({ method: z.literal('POST'), path: z.string() }).openapi({
      description: 'The request another person of the treasury sends, with the same body, to confirm it',
    }),
  })
  .openapi('Proposal');

export function proposalOut(p: Proposal): z.infer<typeof ProposalOut> {
  return {
    id: p.id.toString(),
    decision: p.decision,
    subject: p.subject,
    status: p.status,
    reason: p.reason,
    body: Object.fromEntries(Object.entries(p.body).map(([k, v]) => [k, String(v)])),
    proposed_by: p.proposedBy.toString(),
    proposed_by_name: p.proposedByName ?? null,
    decided_by: p.decidedBy?.toString() ?? null,
    decided_by_name: p.decidedByName ?? null,
    decided_at: p.decidedAt?.toISOString() ?? null,
    created_at: p.createdAt.toISOString(),
    confirm_with: {
      method: 'POST',
      path: `/v1/pools/${p.poolId}/${CONFIRM_PATH[p.decision](p.subject.slice(p.subject.indexOf('/') + 1))}`,
    },
  };
}

/** The 202 a money decision answers while it waits for a second person, for a route's responses. */
export const proposedResponse = {
  202: {
    description: 'Proposed: under four-eyes, another person of the treasury confirms it by sending the same request',
    content: json(ProposalOut),
  },
};

/** Answers a decision taken under four-eyes: 202 with the proposal, or the decision's own answer. */
export function answerDecision<T, R>(c: Context<AppEnv>, outcome: UnderFourEyes<T>, answer: (done: T) => R) {
  if ('proposed' in outcome) {
    const p = outcome.proposed;
    return c.json(proposalOut(p), 202, { location: `/v1/pools/${p.poolId}/proposals/${p.id}` });
  }
  return answer(outcome.done);
}

const ProposalParam = PoolParam.extend({ proposal_id: Id });

export function proposalRoutes() {
  const app = routeGroup();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/proposals',
      tags: ['four-eyes'],
      summary:
        "The treasury's inbox: money decisions proposed by one person, waiting for another to confirm (status=pending), or decided",
      request: {
        params: PoolParam,
        query: z.object({
          limit: Limit,
          after: Id.optional(),
          status: z.enum(STATUSES).optional(),
          subject: text(200).optional().openapi({ description: 'Proposals on one subject, e.g. claim/12' }),
        }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(ProposalOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      const rows = await listProposals(call.db, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
        status: q.status,
        subject: q.subject,
      });
      return c.json(
        { data: rows.map(proposalOut), next_cursor: rows.length === q.limit ? rows.at(-1)!.id.toString() : null },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/proposals/{proposal_id}',
      tags: ['four-eyes'],
      summary: 'One proposal',
      request: { params: ProposalParam },
      responses: { 200: { description: 'The proposal', content: json(ProposalOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, proposal_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(proposalOut(await getProposal(call.db, call.principal, call.poolId, BigInt(proposal_id))), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/proposals/{proposal_id}/withdraw',
      tags: ['four-eyes'],
      summary: 'Withdraw an open proposal (its proposer), or turn it down (another person of the treasury)',
      request: { params: ProposalParam, body: { content: json(z.object({}).passthrough()), required: false } },
      responses: { 200: { description: 'Withdrawn', content: json(ProposalOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, proposal_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(
        proposalOut(await withdrawProposal(call.db, call.principal, call.poolId, BigInt(proposal_id))),
        200,
      );
    },
  );
  return app;
}
