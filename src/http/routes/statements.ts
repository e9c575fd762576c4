import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import {
  bookable,
  bookLine,
  importStatement,
  listLines,
  matchable,
  matchLine,
  reconcile,
  unmatchLine,
  type StatementLineOut,
} from '../../pool/reconciliation.js';
import { readStatement } from '../../pool/statement-format.js';
import { csvDownload, toCsv } from '../csv.js';
import { ProblemError } from '../problem.js';
import { routeGroup } from '../route-group.js';
import { mediaTypeOf } from '../tape.js';
import { cny, Day, Id, Limit, Money, PoolParam, text } from '../wire.js';
import { underFourEyes } from '../../pool/four-eyes.js';
import { caller, errorResponses, json } from './common.js';
import { answerDecision, proposedResponse } from './proposals.js';

const LineOut = z
  .object({
    id: Id,
    booked_on: Day,
    reference: z.string(),
    amount: Money,
    counterparty: z.string(),
    balance: Money,
    memo: z.string(),
    matched_transaction: Id.nullable(),
  })
  .openapi('BankStatementLine', { description: 'amount signed: into the pool account positive' });
const lineOut = (l: StatementLineOut) => ({
  id: l.id.toString(),
  booked_on: l.bookedOn,
  reference: l.bankRef,
  amount: cny(l.amount),
  counterparty: l.counterparty,
  balance: cny(l.balance),
  memo: l.memo,
  matched_transaction: l.matchedTx?.toString() ?? null,
});
const LineParam = PoolParam.extend({ line_id: Id });

export function statementRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/bank-statements',
      tags: ['reconciliation'],
      summary:
        "Import the pool account's bank statement (treasury): new lines only, then automatic matching; refused at the first line whose running balance does not add up",
      request: {
        params: PoolParam,
        body: {
          content: {
            'text/csv': {
              schema: z.string().openapi({
                description: '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要 (amounts in yuan)',
              }),
            },
          },
          required: true,
        },
      },
      responses: {
        200: {
          description: 'Imported',
          content: json(z.object({ lines: z.number().int(), new_lines: z.number().int(), matched: z.number().int() })),
        },
        415: { description: 'Not CSV' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const read = async () => {
        if (mediaTypeOf(c.req.header('content-type')) !== 'text/csv')
          throw new ProblemError('unsupported-media-type', {
            detail: 'send the statement as text/csv (UTF-8, header row)',
          });
        const body = await c.req.text();
        return { rows: readStatement(body), sha256: createHash('sha256').update(body).digest() };
      };
      const r = await importStatement(call.db, call.ledger, call.principal, call.poolId, read);
      return c.json({ lines: r.lines, new_lines: r.newLines, matched: r.matched }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/bank-statements/lines',
      tags: ['reconciliation'],
      summary: 'Statement lines in id order (unmatched=true: those not matched)',
      request: {
        params: PoolParam,
        query: z.object({ limit: Limit, after: Id.optional(), unmatched: z.enum(['true', 'false']).optional() }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(LineOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      const lines = await listLines(call.db, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
        unmatched: q.unmatched === 'true',
      });
      return c.json(
        { data: lines.map(lineOut), next_cursor: lines.length === q.limit ? lines.at(-1)!.id.toString() : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/bank-statements/lines/{line_id}/match',
      tags: ['reconciliation'],
      summary: 'Match a line to a pool cash posting of the same amount by hand (treasury), saying why',
      request: {
        params: LineParam,
        body: {
          content: json(z.object({ transaction_id: Id, reason: text(500, { multiline: true }) })),
          required: true,
        },
      },
      responses: {
        200: { description: 'Matched', content: json(LineOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, line_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const b = c.req.valid('json');
      const [line, tx] = [BigInt(line_id), BigInt(b.transaction_id)];
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        {
          decision: 'statement.match',
          subject: `statement_line/${line_id}`,
          body: { transaction_id: b.transaction_id },
          reason: b.reason,
        },
        {
          check: async () => void (await matchable(call.db, call.ledger, call.principal, call.poolId, line, tx)),
          act: () => matchLine(call.db, call.ledger, call.principal, call.poolId, line, tx, b.reason),
        },
      );
      return answerDecision(c, outcome, (matched) => c.json(lineOut(matched), 200));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/bank-statements/lines/{line_id}/book',
      tags: ['reconciliation'],
      summary:
        "Book a line the ledger lacks (treasury; a second person confirms under four-eyes) and match it at once: the bank's charge (a line out) or the interest it credited (a line in), for the line's amount under its reference",
      request: {
        params: LineParam,
        body: {
          content: json(
            z.object({
              as: z
                .enum(['bank_charge', 'interest'])
                .openapi({ description: 'bank_charge 手续费 (out), interest 结息 (in)' }),
              reason: text(500, { multiline: true }),
              on: Day.optional().openapi({
                description:
                  "The posting's date: the line's day unless given; a later day when the line's month is closed",
              }),
            }),
          ),
          required: true,
        },
      },
      responses: {
        201: {
          description: 'Booked and matched',
          content: json(z.object({ line: LineOut, transaction_id: Id })),
        },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, line_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const b = c.req.valid('json');
      const line = BigInt(line_id);
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        {
          decision: 'statement.book',
          subject: `statement_line/${line_id}`,
          body: { as: b.as, ...(b.on ? { on: b.on } : {}) },
          reason: b.reason,
        },
        {
          check: async () => void (await bookable(call.db, call.ledger, call.principal, call.poolId, line, b)),
          act: (confirming) =>
            bookLine(call.db, call.ledger, call.principal, call.poolId, line, {
              ...b,
              reason: confirming?.reason ?? b.reason,
            }),
        },
      );
      return answerDecision(c, outcome, (booked) =>
        c.json({ line: lineOut(booked), transaction_id: booked.matchedTx.toString() }, 201),
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/bank-statements/lines/{line_id}/unmatch',
      tags: ['reconciliation'],
      summary: "Undo a line's match (treasury), saying why",
      request: {
        params: LineParam,
        body: { content: json(z.object({ reason: text(500, { multiline: true }) })), required: true },
      },
      responses: { 200: { description: 'Unmatched', content: json(LineOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, line_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(
        lineOut(await unmatchLine(call.db, call.principal, call.poolId, BigInt(line_id), c.req.valid('json').reason)),
        200,
      );
    },
  );

  const Posting = z.object({
    transaction_id: Id,
    external_id: z.string(),
    effective_date: Day,
    amount: Money,
    description: z.string(),
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/reconciliation',
      tags: ['reconciliation'],
      summary:
        'Reconciliation at the end of a day: statement balance against ledger cash, unmatched lines and postings, the difference explained to the fen (format=csv for CSV)',
      request: { params: PoolParam, query: z.object({ as_of: Day, format: z.enum(['json', 'csv']).default('json') }) },
      responses: {
        200: {
          description: 'The reconciliation',
          content: {
            ...json(
              z
                .object({
                  as_of: Day,
                  statement_balance: Money,
                  ledger_cash: Money,
                  difference: Money,
                  opening_balance: Money,
                  explained: Money,
                  reconciled: z.boolean(),
                  unmatched_lines: z.array(LineOut),
                  unmatched_postings: z.array(Posting),
                })
                .openapi('Reconciliation'),
            ),
            'text/csv': { schema: z.string() },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { as_of, format } = c.req.valid('query');
      const r = await reconcile(call.db, call.ledger, call.principal, call.poolId, as_of);
      const postings = r.unmatchedPostings.map((p) => ({
        transaction_id: p.transactionId.toString(),
        external_id: p.externalId,
        effective_date: p.effectiveDate,
        amount: cny(p.amount),
        description: p.description,
      }));
      if (format === 'csv') {
        const csv = toCsv(
          ['item', 'date', 'reference', 'amount_fen', 'detail'],
          [
            ['statement_balance', r.asOf, '', r.statementBalance, ''],
            ['ledger_cash', r.asOf, '', r.ledgerCash, ''],
            ['difference', r.asOf, '', r.difference, ''],
            ['opening_balance', '', '', r.openingBalance, ''],
            ...r.unmatchedLines.map((l) => ['unmatched_statement_line', l.bookedOn, l.bankRef, l.amount, l.memo]),
            ...r.unmatchedPostings.map((p) => [
              'unmatched_posting',
              p.effectiveDate,
              p.externalId,
              p.amount,
              p.description,
            ]),
            [
              'explained',
              r.asOf,
              '',
              r.explained,
              r.explained === r.difference ? 'equals the difference' : 'does NOT equal the difference',
            ],
          ],
        );
        return csvDownload(c, csv, {
          zh: `资金池${c.req.valid('param').pool_id}-银行存款余额调节表-${as_of}`,
          ascii: `pool-${c.req.valid('param').pool_id}-reconciliation-${as_of}`,
        });
      }
      return c.json(
        {
          as_of: r.asOf,
          statement_balance: cny(r.statementBalance),
          ledger_cash: cny(r.ledgerCash),
          difference: cny(r.difference),
          opening_balance: cny(r.openingBalance),
          explained: cny(r.explained),
          reconciled: r.reconciled,
          unmatched_lines: r.unmatchedLines.map(lineOut),
          unmatched_postings: postings,
        },
        200,
      );
    },
  );
  return app;
}
