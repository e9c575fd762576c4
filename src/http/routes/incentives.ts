import { createRoute, z } from '@hono/zod-openapi';
import {
  applyForAward,
  type AwardBreakdown,
  incentiveProgrammes,
  awardStepPossible,
  decideAward,
  fundAwardBudget,
  getAward,
  listAwards,
  runAwardRound,
  type Award,
  type AwardAction,
} from '../../pool/incentives/awards.js';
import { PROGRAMMES, type Programme, type Rule } from '../../pool/incentives/engine.js';
import { routeGroup } from '../route-group.js';
import { cny, cnyOf, EventDay, FenIn, Id, Limit, Money, PoolParam, PositiveFenIn, text } from '../wire.js';
import { underFourEyes } from '../../pool/four-eyes.js';
import { caller, errorResponses, json } from './common.js';
import { answerDecision, proposedResponse } from './proposals.js';

const Year = z.number().int().min(2000).max(2200);
const AwardOut = z
  .object({
    id: Id,
    reference: z.string(),
    programme: z.string(),
    article: z.number().int(),
    beneficiary_id: Id,
    item: z.string(),
    year: z.number().int(),
    basis_amount: Money,
    rate_bp: z.number().int().nullable(),
    amount: Money.openapi({ description: 'What is (or was) paid, after every limit' }),
    breakdown: z
      .object({
        programme: z.string(),
        article: z.number().int(),
        rule: z
          .record(z.string(), z.unknown())
          .openapi({ description: "The programme's rule (a fixed amount as Money)" }),
        gross: Money,
        rate_bp: z.number().int().nullable(),
        steps: z.array(z.object({ step: z.string(), limit: Money, amount: Money, bit: z.boolean() })),
        capped_by: z.array(z.string()),
      })
      .openapi({ description: 'The rule, the gross award, each limit (years, 从高不重复, cap) and which bit' }),
    status: z.enum(['submitted', 'approved', 'rejected', 'paid']),
    reason: z.string().nullable(),
  })
  .openapi('Award');
const awardOut = (a: Award) => ({
  id: a.id.toString(),
  reference: a.reference,
  programme: a.programme,
  article: a.article,
  beneficiary_id: a.beneficiaryId.toString(),
  item: a.item,
  year: a.year,
  basis_amount: cny(a.basisAmount),
  rate_bp: a.rateBp,
  amount: cny(a.amount),
  breakdown: breakdownOut(a.breakdown),
  status: a.status,
  reason: a.reason,
});
const ruleOut = (r: Rule) => (r.kind === 'fixed' ? { ...r, amount: cnyOf(r.amount) } : { ...r });
const breakdownOut = (b: AwardBreakdown) => ({
  ...b,
  rule: ruleOut(b.rule),
  gross: cnyOf(b.gross),
  steps: b.steps.map((s) => ({ ...s, limit: cnyOf(s.limit), amount: cnyOf(s.amount) })),
});
const programmeOut = (p: Programme) => ({
  ...p,
  rule: ruleOut(p.rule),
  cap_per_period: p.cap_per_period === null ? null : cnyOf(p.cap_per_period),
});
const ApplicationBody = z
  .object({
    programme: z.enum(PROGRAMMES.map((p) => p.code) as [string, ...string[]]),
    reference: text(100),
    beneficiary_id: Id.optional().openapi({ description: 'Treasury entering an award names its beneficiary' }),
    item: text(200).openapi({
      description: "What the award is for: a loan (loan:42), a listing (listing), a year's business (year:2026)",
    }),
    year: Year,
    basis_amount: FenIn.openapi({ description: 'The measured basis (0 for a fixed award)' }),
    rate_bp: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .openapi({ description: 'For a range of rates: the rate chosen within it' }),
    subkind: text(50).optional().openapi({ description: 'e.g. pure_credit for an Art. 5 pure-credit guarantee' }),
    guide_fund_stake_bp: z.number().int().min(0).max(10_000).optional(),
  })
  .openapi('AwardApplication');

export function incentiveRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/incentive-programmes',
      tags: ['incentives'],
      summary: 'The incentive programmes (the seed policy, one per article and award)',
      request: { params: PoolParam },
      responses: {
        200: {
          description: 'The programmes',
          content: json(z.object({ data: z.array(z.record(z.string(), z.unknown())) })),
        },
        ...errorResponses,
      },
    }),
    (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      return c.json({ data: incentiveProgrammes(call.principal, call.poolId).map(programmeOut) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/award-budget',
      tags: ['incentives'],
      summary:
        'Fund the award budget (treasury): award budget cash / award budget appropriations, apart from the risk pool',
      request: {
        params: PoolParam,
        body: {
          content: json(z.object({ reference: text(100), amount: PositiveFenIn, on: EventDay })),
          required: true,
        },
      },
      responses: { 201: { description: 'Posted', content: json(z.object({ transaction_id: Id })) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const tx = await fundAwardBudget(call.db, call.ledger, call.principal, call.poolId, {
        reference: b.reference,
        amount: BigInt(b.amount),
        on: b.on,
      });
      return c.json({ transaction_id: tx.id.toString() }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/awards',
      tags: ['incentives'],
      summary:
        'Apply for an award (a bank, guarantee institution or enterprise for itself; treasury for any beneficiary): computed with its breakdown',
      request: { params: PoolParam, body: { content: json(ApplicationBody), required: true } },
      responses: {
        201: { description: 'Submitted (the same reference again: the same award)', content: json(AwardOut) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const award = await applyForAward(call.db, call.principal, call.poolId, {
        programme: b.programme,
        reference: b.reference,
        beneficiaryId: b.beneficiary_id === undefined ? undefined : BigInt(b.beneficiary_id),
        item: b.item,
        year: b.year,
        basisAmount: BigInt(b.basis_amount),
        rateBp: b.rate_bp,
        subkind: b.subkind,
        guideFundStakeBp: b.guide_fund_stake_bp,
      });
      return c.json(awardOut(award), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/award-rounds',
      tags: ['incentives'],
      summary:
        "Run an award round (treasury), e.g. Art. 3 over each bank's new credit-type loans of a year; running it again changes nothing; late loans of the year before are adjusted",
      request: {
        params: PoolParam,
        body: { content: json(z.object({ programme: text(100), year: Year })), required: true },
      },
      responses: {
        200: { description: "The round's awards", content: json(z.object({ data: z.array(AwardOut) })) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const awards = await runAwardRound(call.db, call.principal, call.poolId, c.req.valid('json'));
      return c.json({ data: awards.map(awardOut) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/awards/{award_id}/{action}',
      tags: ['incentives'],
      summary:
        "Treasury's step on an award, with a reason: approve (recomputed; books the expense), reject, pay (from the award budget)",
      request: {
        params: PoolParam.extend({
          award_id: Id,
          action: z.enum(['approve', 'reject', 'pay'] as const satisfies readonly AwardAction[]),
        }),
        body: { content: json(z.object({ reason: text(1000, { multiline: true }) })), required: true },
      },
      responses: {
        200: { description: 'The award after the step', content: json(AwardOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, award_id, action } = c.req.valid('param');
      const call = caller(c, pool_id);
      const { reason } = c.req.valid('json');
      const id = BigInt(award_id);
      const step = () => decideAward(call.db, call.ledger, call.principal, call.poolId, id, action, reason);
      const answer = (award: Award) => c.json(awardOut(award), 200);
      if (action === 'reject') return answer(await step());
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        { decision: `award.${action}`, subject: `award/${award_id}`, body: {}, reason },
        { check: () => awardStepPossible(call.db, call.principal, call.poolId, id, action), act: step },
      );
      return answerDecision(c, outcome, answer);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/awards',
      tags: ['incentives'],
      summary: 'Awards in id order (a beneficiary its own)',
      request: {
        params: PoolParam,
        query: z.object({
          limit: Limit,
          after: Id.optional(),
          programme: text(100, { min: 0 }).optional(),
          year: z.coerce.number().int().min(2000).max(2200).optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(AwardOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      const awards = await listAwards(call.db, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
        programme: q.programme,
        year: q.year,
      });
      return c.json(
        { data: awards.map(awardOut), next_cursor: awards.length === q.limit ? awards.at(-1)!.id.toString() : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/awards/{award_id}',
      tags: ['incentives'],
      summary: 'An award (its beneficiary, treasury and auditors)',
      request: { params: PoolParam.extend({ award_id: Id }) },
      responses: { 200: { description: 'The award', content: json(AwardOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, award_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(awardOut(await getAward(call.db, call.principal, call.poolId, BigInt(award_id))), 200);
    },
  );
  return app;
}
