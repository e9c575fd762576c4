import { createRoute, z } from '@hono/zod-openapi';
import { underFourEyes } from '../../pool/four-eyes.js';
import { checkMonth, closeable, closeMonth, closeTerms, monthStanding, type PeriodClose } from '../../pool/periods.js';
import { routeGroup } from '../route-group.js';
import { CURRENCY } from '../../pool/money.js';
import { cnyOf, Day, money, Money, PoolParam, text } from '../wire.js';
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
    reconciliation: z
      .object({
        as_of: Day,
        reconciled: z.boolean(),
        statement_balance: Money,
        ledger_cash: Money,
        difference: Money.openapi({ description: 'The statement balance less the ledger cash' }),
        unmatched_lines: z.number().int(),
        unmatched_postings: z.number().int(),
        reason: z.string().optional().openapi({ description: 'Why the month closed though it did not reconcile' }),
      })
      .nullable()
      .openapi({
        description:
          'Where the month stood against the bank statement at its last day; null for a close recorded before closes kept it',
      }),
  })
  .openapi('PeriodClose');
const CloseIn = z.object({
  reason: text(1000, { multiline: true })
    .refine((r) => r.trim() !== '', 'a reason says why')
    .optional()
    .openapi({
      description:
        'Why the month closes though it does not reconcile with the bank statement; required then, and recorded with the close',
    }),
});
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
  reconciliation: p.reconciliation && {
    as_of: p.reconciliation.as_of,
    reconciled: p.reconciliation.reconciled,
    statement_balance: cnyOf(p.reconciliation.statement_balance),
    ledger_cash: cnyOf(p.reconciliation.ledger_cash),
    difference: cnyOf(p.reconciliation.difference),
    unmatched_lines: p.reconciliation.unmatched_lines,
    unmatched_postings: p.reconciliation.unmatched_postings,
    ...(p.reconciliation.reason === undefined ? {} : { reason: p.reconciliation.reason }),
  },
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
        'Close a month (treasury): postings dated into it are refused from then on; its trial balance is stored with the hash-chain head, and its standing against the bank statement; a month that does not reconcile closes only with a reason',
      request: { params: MonthParam, body: { content: json(CloseIn), required: false } },
      responses: {
        200: { description: 'Closed (closing again answers the same close)', content: json(CloseOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, month } = c.req.valid('param');
      const reason = (c.req.valid('json') as z.infer<typeof CloseIn> | undefined)?.reason?.trim() || undefined;
      const call = caller(c, pool_id);
      // What the month's difference with the bank is now: a second person confirms the close of the
      // difference the first one proposed it with, or it is proposed anew.
      const standing = await monthStanding(call.db, call.ledger, call.principal, call.poolId, month);
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        {
          decision: 'period.close',
          subject: `period/${month}`,
          body: closeTerms(standing),
          reason: reason ?? `close ${month}`,
        },
        {
          check: () => closeable(call.db, call.ledger, call.principal, call.poolId, month, { reason }),
          // A confirmation closes at the standing proposed, with the proposer's reason only where the month
          // was proposed unreconciled (a reconciled proposal's reason is no reason to close a difference).
          act: (confirming) =>
            closeMonth(
              call.db,
              call.ledger,
              call.principal,
              call.poolId,
              month,
              confirming
                ? {
                    reason: 'unreconciled_difference' in confirming.body ? confirming.reason : undefined,
                    asProposed: confirming.body as Record<string, string>,
                  }
                : { reason },
            ),
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
