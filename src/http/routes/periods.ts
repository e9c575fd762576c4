import { createRoute, z } from '@hono/zod-openapi';
import { underFourEyes } from '../../pool/four-eyes.js';
import { checkMonth, closeable, closeMonth, type PeriodClose } from '../../pool/periods.js';
import { routeGroup } from '../route-group.js';
import { CURRENCY } from '../../pool/money.js';
import { Day, money, Money, PoolParam } from '../wire.js';
import { caller, errorResponses, json } from './common.js';
import { answerDecision, proposedResponse } from './proposals.js';

const Month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month, YYYY-MM')
  .openapi({ example: '2026-03' });
const CloseOut = z
  .object({
    month: Month,
    through: Day,
    trial_balance: z.array(z.object({ account: z.string(), debit: Money, credit: Money })),
    chain_seq: z.string(),
    chain_hash: z.string(),
    closed_at: z.string(),
  })
  .openapi('PeriodClose');
const closeOut = (p: PeriodClose) => ({
  month: p.month,
  through: p.through,
  trial_balance: p.trialBalance.map((l) => ({
    account: l.account,
    // A close stored before lines kept their currency is of the pool's accounts, which open in CNY.
    debit: money(BigInt(l.debit), l.currency ?? CURRENCY),
    credit: money(BigInt(l.credit), l.currency ?? CURRENCY),
  })),
  chain_seq: p.chainSeq.toString(),
  chain_hash: p.chainHash,
  closed_at: p.closedAt.toISOString(),
});
const MonthParam = PoolParam.extend({ month: Month });

export function periodRoutes() {
  const app = routeGroup();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/periods/{month}/close',
      tags: ['reconciliation'],
      summary:
        'Close a month (treasury): postings dated into it are refused from then on; its trial balance is stored with the hash-chain head',
      request: { params: MonthParam, body: { content: json(z.object({}).passthrough()), required: false } },
      responses: {
        200: { description: 'Closed (closing again answers the same close)', content: json(CloseOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, month } = c.req.valid('param');
      const call = caller(c, pool_id);
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        { decision: 'period.close', subject: `period/${month}`, body: {}, reason: `close ${month}` },
        {
          check: () => closeable(call.db, call.ledger, call.principal, call.poolId, month),
          act: () => closeMonth(call.db, call.ledger, call.principal, call.poolId, month),
        },
      );
      return answerDecision(c, outcome, (close) => c.json(closeOut(close), 200));
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/periods/{month}',
      tags: ['reconciliation'],
      summary:
        'A closed month, checked: its trial balance recomputed and the hash chain verified up to the head stored at close',
      request: { params: MonthParam },
      responses: {
        200: {
          description: 'The close and the check',
          content: json(
            z.object({
              close: CloseOut,
              trial_balance_unchanged: z.boolean(),
              chain_unchanged: z.boolean(),
              unchanged: z.boolean(),
            }),
          ),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, month } = c.req.valid('param');
      const call = caller(c, pool_id);
      const r = await checkMonth(call.db, call.ledger, call.principal, call.poolId, month);
      return c.json(
        {
          close: closeOut(r.close),
          trial_balance_unchanged: r.trialBalanceUnchanged,
          chain_unchanged: r.chainUnchanged,
          unchanged: r.unchanged,
        },
        200,
      );
    },
  );
  return app;
}
