import { createRoute, z } from '@hono/zod-openapi';
import { underFourEyes } from '../../pool/four-eyes.js';
import {
  claimStepPossible,
  decideClaim,
  fileClaim,
  getClaim,
  listClaims,
  type Claim,
  type ClaimAction,
  type ClaimBreakdown,
} from '../../pool/claims.js';
import { receiveRecovery, reportRecovery, type Recovery } from '../../pool/recoveries.js';
import { routeGroup } from '../route-group.js';
import { cny, cnyOf, Day, EventDay, FenIn, Id, Limit, Money, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';
import { answerDecision, proposedResponse } from './proposals.js';

const STATUSES = ['submitted', 'approved', 'deferred', 'rejected', 'paid', 'closed'] as const;
const ACTIONS = ['approve', 'defer', 'reject', 'pay', 'close'] as const satisfies readonly ClaimAction[];

const Document = z.object({
  name: text(200),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest in lowercase hex'),
});
const ClaimBody = z
  .object({
    loan_id: Id,
    loss_principal: FenIn.openapi({
      description: 'Principal lost, in fen (at most what was outstanding when the loan defaulted)',
    }),
    loss_interest: FenIn.default('0').openapi({
      description:
        'Contract interest lost, in fen (in the loss base where the terms cover interest); at most the overdue interest the bank reported from the month the loan defaulted',
    }),
    paid_to_bank: FenIn.optional().openapi({
      description:
        "An insurer's claim: what it paid the bank under the policy (more than 0); the pool never repays it more",
    }),
    documents: z.array(Document).min(1).max(50),
  })
  .openapi('NewClaim');
const Step = z.object({ step: z.string(), limit: Money, amount: Money, bit: z.boolean() });
const Breakdown = z.object({
  base: Money,
  pool_bp: z.number().int(),
  split: z.object({ pool: Money, insurer: Money, bank: Money }),
  steps: z.array(Step),
  capped_by: z.array(z.string()),
});
const ClaimOut = z
  .object({
    id: Id,
    pool_id: Id,
    loan_id: Id,
    claimant_id: Id,
    claimant_kind: z.enum(['bank', 'insurer']),
    loss_principal: Money,
    loss_interest: Money,
    paid_to_bank: Money.nullable(),
    documents: z.array(Document),
    amount: Money.openapi({ description: "The pool's share" }),
    breakdown: Breakdown,
    status: z.enum(STATUSES),
    due_by: Day.nullable(),
    loss_year: z.number().int(),
    created_at: z.string(),
    steps: z
      .array(
        z.object({
          status: z.string(),
          reason: z.string(),
          at: z.string(),
          by: z
            .string()
            .nullable()
            .openapi({ description: 'The key that took the step (under four-eyes: who confirmed it)' }),
          by_name: z.string().nullable().openapi({ description: "The person's name, when a person took it" }),
        }),
      )
      .optional(),
  })
  .openapi('Claim');
const claimOut = (cl: Claim) => ({
  id: cl.id.toString(),
  pool_id: cl.poolId.toString(),
  loan_id: cl.loanId.toString(),
  claimant_id: cl.claimantId.toString(),
  claimant_kind: cl.claimantKind,
  loss_principal: cny(cl.lossPrincipal),
  loss_interest: cny(cl.lossInterest),
  paid_to_bank: cl.paidToBank === null ? null : cny(cl.paidToBank),
  documents: cl.documents,
  amount: cny(cl.amount),
  breakdown: breakdownOut(cl.breakdown),
  status: cl.status,
  due_by: cl.dueBy,
  loss_year: cl.lossYear,
  created_at: cl.createdAt.toISOString(),
  ...(cl.steps
    ? {
        steps: cl.steps.map((s) => ({
          status: s.status,
          reason: s.reason,
          at: s.at.toISOString(),
          by: s.by,
          by_name: s.byName,
        })),
      }
    : {}),
});
const breakdownOut = (b: ClaimBreakdown): z.infer<typeof Breakdown> => ({
  base: cnyOf(b.base),
  pool_bp: b.pool_bp,
  split: { pool: cnyOf(b.split.pool), insurer: cnyOf(b.split.insurer), bank: cnyOf(b.split.bank) },
  steps: b.steps.map((s) => ({ step: s.step, limit: cnyOf(s.limit), amount: cnyOf(s.amount), bit: s.bit })),
  capped_by: b.capped_by,
});
const ClaimParam = PoolParam.extend({ claim_id: Id });

const RecoveryOut = z
  .object({
    id: Id,
    loan_id: Id,
    bank_id: Id,
    reference: z.string(),
    recovered_on: Day,
    gross: Money,
    costs: Money,
    pool_part: Money,
    insurer_part: Money,
    bank_part: Money,
    received_on: Day.nullable(),
  })
  .openapi('Recovery');
const recoveryOut = (r: Recovery) => ({
  id: r.id.toString(),
  loan_id: r.loanId.toString(),
  bank_id: r.bankId.toString(),
  reference: r.reference,
  recovered_on: r.recoveredOn,
  gross: cny(r.gross),
  costs: cny(r.costs),
  pool_part: cny(r.poolPart),
  insurer_part: cny(r.insurerPart),
  bank_part: cny(r.bankPart),
  received_on: r.receivedOn,
});
const Reference = text(100);

export function claimRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/claims',
      tags: ['claims'],
      summary:
        'File a claim on a defaulted loan (its bank; or the insurer of an insured loan, after paying the bank), inside the filing window',
      request: { params: PoolParam, body: { content: json(ClaimBody), required: true } },
      responses: {
        201: { description: "Submitted, with the pool's share and its breakdown", content: json(ClaimOut) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const claim = await fileClaim(call.db, call.ledger, call.principal, call.poolId, {
        loanId: BigInt(b.loan_id),
        lossPrincipal: BigInt(b.loss_principal),
        lossInterest: BigInt(b.loss_interest),
        paidToBank: b.paid_to_bank === undefined ? undefined : BigInt(b.paid_to_bank),
        documents: b.documents,
      });
      return c.json(claimOut(claim), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/claims/{claim_id}/{action}',
      tags: ['claims'],
      summary:
        "Treasury's step on a claim, with a reason: approve (reserves the amount; deferred while the agreement is suspended), defer, reject (voids a reservation), pay (posts it), close",
      request: {
        params: ClaimParam.extend({ action: z.enum(ACTIONS) }),
        body: { content: json(z.object({ reason: text(1000, { multiline: true }) })), required: true },
      },
      responses: {
        200: { description: 'The claim after the step', content: json(ClaimOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, claim_id, action } = c.req.valid('param');
      const call = caller(c, pool_id);
      const { reason } = c.req.valid('json');
      const id = BigInt(claim_id);
      const step = () => decideClaim(call.db, call.ledger, call.principal, call.poolId, id, action, reason);
      const answer = (claim: Claim) => c.json(claimOut(claim), 200);
      // Approval (复审/审批, after another's 初审) and payment are money decisions; the other steps are one person's.
      if (action !== 'approve' && action !== 'pay') return answer(await step());
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        { decision: `claim.${action}`, subject: `claim/${claim_id}`, body: {}, reason },
        { check: () => claimStepPossible(call.db, call.principal, call.poolId, id, action), act: step },
      );
      return answerDecision(c, outcome, answer);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/claims',
      tags: ['claims'],
      summary:
        "Claims in id order (a bank or an insurer its own); overdue=true lists open claims past their step's deadline; loan_id= the claims on one loan",
      request: {
        params: PoolParam,
        query: z.object({
          limit: Limit,
          after: Id.optional(),
          status: z.enum(STATUSES).optional(),
          overdue: z.enum(['true', 'false']).optional(),
          loan_id: Id.optional().openapi({ description: "The claims on one loan (its bank's and its insurer's)" }),
        }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(ClaimOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      const claims = await listClaims(call.db, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
        status: q.status,
        overdue: q.overdue === 'true',
        loanId: q.loan_id === undefined ? undefined : BigInt(q.loan_id),
      });
      return c.json(
        { data: claims.map(claimOut), next_cursor: claims.length === q.limit ? claims.at(-1)!.id.toString() : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/claims/{claim_id}',
      tags: ['claims'],
      summary: 'A claim with its steps (its claimant, treasury and auditors)',
      request: { params: ClaimParam },
      responses: { 200: { description: 'The claim', content: json(ClaimOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, claim_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(claimOut(await getClaim(call.db, call.principal, call.poolId, BigInt(claim_id))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loans/{loan_id}/recoveries',
      tags: ['claims'],
      summary:
        "Report money recovered on a compensated loan (its bank): shared back as the loss was borne; the pool's part is receivable from the bank",
      request: {
        params: PoolParam.extend({ loan_id: Id }),
        body: {
          content: json(
            z.object({ reference: Reference, recovered_on: EventDay, gross: FenIn, costs: FenIn.default('0') }),
          ),
          required: true,
        },
      },
      responses: {
        201: {
          description: 'Reported (the same reference and figures again: the same record)',
          content: json(RecoveryOut),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, loan_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const b = c.req.valid('json');
      const r = await reportRecovery(call.db, call.ledger, call.principal, call.poolId, BigInt(loan_id), {
        reference: b.reference,
        recoveredOn: b.recovered_on,
        gross: BigInt(b.gross),
        costs: BigInt(b.costs),
      });
      return c.json(recoveryOut(r), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loans/{loan_id}/recoveries/{reference}/receipt',
      tags: ['claims'],
      summary: "Record the pool's part of a recovery as received from the bank (treasury)",
      request: {
        params: PoolParam.extend({ loan_id: Id, reference: Reference }),
        body: { content: json(z.object({ received_on: EventDay })), required: true },
      },
      responses: { 200: { description: 'Received', content: json(RecoveryOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, loan_id, reference } = c.req.valid('param');
      const call = caller(c, pool_id);
      const r = await receiveRecovery(
        call.db,
        call.ledger,
        call.principal,
        call.poolId,
        BigInt(loan_id),
        reference,
        c.req.valid('json').received_on,
      );
      return c.json(recoveryOut(r), 200);
    },
  );
  return app;
}
