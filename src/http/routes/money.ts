import { createRoute, z } from '@hono/zod-openapi';
import {
  notifyAppropriation,
  poolPosition,
  receiveAppropriation,
  recordCashEvent,
  type Appropriation,
  type PoolPosition,
} from '../../pool/treasury.js';
import { routeGroup } from '../route-group.js';
import { cny, cnyOf, Day, EventDay, Id, Money, PoolParam, PositiveFenIn, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const Reference = text(100).openapi({
  description: 'The business reference (a notice number, a bank statement reference): unique forever',
});
const AppropriationOut = z
  .object({ id: Id, reference: z.string(), amount: Money, notified_on: Day, received_on: Day.nullable() })
  .openapi('Appropriation');
const appropriationOut = (a: Appropriation) => ({
  id: a.id.toString(),
  reference: a.reference,
  amount: cny(a.amount),
  notified_on: a.notifiedOn,
  received_on: a.receivedOn,
});
const CashEventBody = z.object({ reference: Reference, amount: PositiveFenIn, on: EventDay });
const CashEventOut = z.object({ transaction_id: Id, reference: z.string(), amount: Money, on: Day });
const PositionOut = z
  .object({
    as_of: Day.nullable(),
    cash: Money,
    reserved: Money,
    available: Money,
    appropriated: Money,
    appropriations_receivable: Money,
    returned: Money,
    compensation_paid: Money,
    recoveries: Money,
    recoveries_receivable: Money,
    interest: Money,
  })
  .openapi('PoolPosition', {
    description: 'reserved: held by approved, unpaid claims (current only; 0 as of a past date).',
  });

/** The pool's position on the wire. */
const positionOut = (p: PoolPosition) => ({
  as_of: p.asOf,
  cash: cny(p.cash),
  reserved: cny(p.reserved),
  available: cny(p.available),
  appropriated: cny(p.appropriated),
  appropriations_receivable: cny(p.appropriationsReceivable),
  returned: cny(p.returned),
  compensation_paid: cny(p.compensationPaid),
  recoveries: cny(p.recoveries),
  recoveries_receivable: cny(p.recoveriesReceivable),
  interest: cny(p.interest),
});

export function moneyRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/appropriations',
      tags: ['pool money'],
      summary: 'Record an appropriation notified to the pool (treasury): appropriation receivable / fund capital',
      request: {
        params: PoolParam,
        body: {
          content: json(z.object({ reference: Reference, amount: PositiveFenIn, notified_on: EventDay })),
          required: true,
        },
      },
      responses: {
        201: {
          description: 'Recorded (the same reference and figures again: the same record)',
          content: json(AppropriationOut),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const a = await notifyAppropriation(call.db, call.ledger, call.principal, call.poolId, {
        reference: b.reference,
        amount: BigInt(b.amount),
        notifiedOn: b.notified_on,
      });
      return c.json(appropriationOut(a), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/appropriations/{reference}/receipt',
      tags: ['pool money'],
      summary:
        'Record that a notified appropriation arrived in the pool account (treasury): pool cash / appropriation receivable',
      request: {
        params: PoolParam.extend({ reference: Reference }),
        body: { content: json(z.object({ received_on: EventDay })), required: true },
      },
      responses: { 200: { description: 'Received', content: json(AppropriationOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, reference } = c.req.valid('param');
      const call = caller(c, pool_id);
      const a = await receiveAppropriation(
        call.db,
        call.ledger,
        call.principal,
        call.poolId,
        reference,
        c.req.valid('json').received_on,
      );
      return c.json(appropriationOut(a), 200);
    },
  );

  for (const [path, event, summary] of [
    [
      'interest',
      'interest_credited',
      'Record interest credited to the pool account (treasury): pool cash / interest income',
    ],
    [
      'returns',
      'returned_to_treasury',
      'Return money from the pool to the treasury (treasury): fund capital / pool cash; refused past the available balance',
    ],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/pools/{pool_id}/${path}`,
        tags: ['pool money'],
        summary,
        request: { params: PoolParam, body: { content: json(CashEventBody), required: true } },
        responses: { 201: { description: 'Posted', content: json(CashEventOut) }, ...errorResponses },
      }),
      async (c) => {
        const call = caller(c, c.req.valid('param').pool_id);
        const b = c.req.valid('json');
        const tx = await recordCashEvent(call.db, call.ledger, call.principal, call.poolId, event, {
          reference: b.reference,
          amount: BigInt(b.amount),
          on: b.on,
        });
        return c.json(
          { transaction_id: tx.id.toString(), reference: b.reference, amount: cnyOf(b.amount), on: b.on },
          201,
        );
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/position',
      tags: ['pool money'],
      summary:
        "The pool's position: cash, reserved for approved claims, available, appropriations, compensation paid, recoveries, interest",
      request: { params: PoolParam, query: z.object({ as_of: Day.optional() }) },
      responses: { 200: { description: 'The position', content: json(PositionOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const p = await poolPosition(call.ledger, call.principal, call.poolId, c.req.valid('query').as_of);
      return c.json(positionOut(p), 200);
    },
  );
  return app;
}
