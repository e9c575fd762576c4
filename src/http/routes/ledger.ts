import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Account, Balance, PostingOutcome, Transaction } from '../../ledger/index.js';
import type { Principal } from '../../pool/access.js';
import {
  accountBalance,
  accountStatement,
  chainDigest,
  findTransaction,
  listTransactions,
  getTransaction,
  listAccounts,
  trialBalance,
  verifyChain,
} from '../../pool/books.js';
import { REVERSAL_DATE_RULE } from '../../pool/business-dates.js';
import { underFourEyes } from '../../pool/four-eyes.js';
import { openAccount, postJournalEntry, reverseTransaction, reversible } from '../../pool/journal.js';
import type { AppEnv } from '../env.js';
import { ProblemError, problemParts } from '../problem.js';
import { routeGroup } from '../route-group.js';
import {
  Cursor,
  Day,
  EventDay,
  Id,
  Limit,
  Money,
  money,
  PoolParam,
  PositiveFen,
  statementCursor,
  text,
} from '../wire.js';
import { caller, errorResponses, json, type Answer } from './common.js';
import { answerDecision, proposedResponse } from './proposals.js';

const AccountType = z.enum(['asset', 'liability', 'net_assets', 'income', 'expense']);
const Code = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.:-]{0,99}$/)
  .openapi({ example: 'pool_cash' });
const AccountOut = z
  .object({ id: Id, code: Code, name: z.string(), type: AccountType, currency: z.string(), no_negative: z.boolean() })
  .openapi('Account');
const AccountBody = z
  .object({
    code: Code,
    name: text(200),
    type: AccountType,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('CNY'),
    no_negative: z.boolean().default(false),
  })
  .openapi('NewAccount');
const BalanceOut = z
  .object({
    account: Code,
    as_of: Day.nullable(),
    posted: Money,
    pending: Money,
    available: Money,
    posted_debits: Money,
    posted_credits: Money,
    pending_debits: Money,
    pending_credits: Money,
  })
  .openapi('Balance', {
    description:
      "On the account's normal side: debits minus credits for assets and expenses, the reverse for the others.",
  });
const EntryOut = z
  .object({
    id: Id,
    account: Code,
    side: z.enum(['debit', 'credit']),
    amount: Money,
    phase: z.enum(['posted', 'reserve', 'release']),
  })
  .openapi('Entry');
const TransactionOut = z
  .object({
    id: Id,
    external_id: z.string(),
    kind: z.enum(['posted', 'pending', 'post_pending', 'void_pending', 'reversal']),
    effective_date: Day,
    refers_to: Id.nullable(),
    description: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    entries: z.array(EntryOut),
  })
  .openapi('Transaction');
const EntryIn = z
  .union([
    z.object({ account: Code, debit: PositiveFen }).strict(),
    z.object({ account: Code, credit: PositiveFen }).strict(),
  ])
  .openapi('EntryIn');
const TransactionBody = z
  .object({
    effective_date: EventDay,
    description: text(500, { min: 0, multiline: true }).default(''),
    entries: z.array(EntryIn).min(2).max(100),
  })
  .openapi('NewTransaction', {
    description: 'A manual journal entry by the treasury: debits must equal credits per currency.',
  });
const ReversalBody = z
  .object({
    effective_date: Day.openapi({ description: REVERSAL_DATE_RULE }),
    description: text(500, { min: 0, multiline: true }).optional(),
  })
  .openapi('NewReversal');
const StatementLine = z
  .object({
    entry_id: Id,
    transaction_id: Id,
    external_id: z.string(),
    kind: z.string(),
    effective_date: Day,
    description: z.string(),
    side: z.enum(['debit', 'credit']),
    amount: Money,
    balance: Money,
  })
  .openapi('StatementLine');
const AccountParam = PoolParam.extend({ code: Code });

const accountOut = (a: Account) => ({
  id: a.id.toString(),
  code: a.code,
  name: a.name,
  type: a.type,
  currency: a.currency,
  no_negative: a.noNegative,
});
const balanceOut = (b: Balance, asOf: string | undefined) => ({
  account: b.account,
  as_of: asOf ?? null,
  posted: money(b.posted, b.currency),
  pending: money(b.pending, b.currency),
  available: money(b.available, b.currency),
  posted_debits: money(b.postedDebits, b.currency),
  posted_credits: money(b.postedCredits, b.currency),
  pending_debits: money(b.pendingDebits, b.currency),
  pending_credits: money(b.pendingCredits, b.currency),
});
const abs = (n: bigint) => (n < 0n ? -n : n);
export const transactionOut = (t: Transaction) => ({
  id: t.id.toString(),
  external_id: t.externalId,
  kind: t.kind,
  effective_date: t.effectiveDate,
  refers_to: t.refersTo?.toString() ?? null,
  description: t.description,
  metadata: t.metadata,
  created_at: t.createdAt.toISOString(),
  entries: t.entries.map((e) => ({
    id: e.id.toString(),
    account: e.account,
    side: e.amount > 0n ? ('debit' as const) : ('credit' as const),
    amount: money(abs(e.amount), e.currency),
    phase: e.phase,
  })),
});

export function ledgerRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/accounts',
      tags: ['ledger'],
      summary: 'The chart of accounts, in code order',
      request: { params: PoolParam, query: z.object({ limit: Limit, after: Code.optional() }) },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(AccountOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { limit, after } = c.req.valid('query');
      const accounts = await listAccounts(call.ledger, call.principal, call.poolId, { after, limit });
      return c.json(
        { data: accounts.map(accountOut), next_cursor: accounts.length === limit ? accounts.at(-1)!.code : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/accounts',
      tags: ['ledger'],
      summary:
        "Open an account of the treasury's own (treasury). The codes of the pool's chart of accounts (pool_cash, fund_capital, ..., recovery_receivable:*, awards_payable:*, incentive_expense:*) are the pool's: it opens them itself, and opening one here is refused (account-code-reserved)",
      request: { params: PoolParam, body: { content: json(AccountBody), required: true } },
      responses: {
        201: { description: 'Opened (or the same account again)', content: json(AccountOut) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const account = await openAccount(call.ledger, call.principal, call.poolId, {
        code: b.code,
        name: b.name,
        type: b.type,
        currency: b.currency,
        noNegative: b.no_negative,
      });
      return c.json(accountOut(account), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/accounts/{code}/balance',
      tags: ['ledger'],
      summary: 'Posted, pending and available balance, now or at the end of a day',
      request: { params: AccountParam, query: z.object({ as_of: Day.optional() }) },
      responses: { 200: { description: 'The balance', content: json(BalanceOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, code } = c.req.valid('param');
      const call = caller(c, pool_id);
      const { as_of } = c.req.valid('query');
      return c.json(
        balanceOut(await accountBalance(call.ledger, call.principal, call.poolId, code, as_of), as_of),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/accounts/{code}/statement',
      tags: ['ledger'],
      summary: 'Posted lines with a running balance, by effective date',
      request: {
        params: AccountParam,
        query: z.object({ from: Day.optional(), to: Day.optional(), limit: Limit, cursor: Cursor.optional() }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(
            z.object({
              account: Code,
              opening_balance: Money,
              data: z.array(StatementLine),
              next_cursor: z.string().nullable(),
            }),
          ),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, code } = c.req.valid('param');
      const call = caller(c, pool_id);
      const q = c.req.valid('query');
      const cursor = () => {
        const decoded = q.cursor === undefined ? undefined : statementCursor.decode(q.cursor);
        if (decoded === null)
          throw new ProblemError('validation', {
            detail: 'cursor is not one this API gave out',
            errors: [{ path: 'query.cursor', message: 'invalid' }],
          });
        return decoded;
      };
      const page = await accountStatement(call.ledger, call.principal, call.poolId, code, {
        from: q.from,
        to: q.to,
        limit: q.limit,
        cursor,
      });
      const cur = page.account.currency;
      return c.json(
        {
          account: code,
          opening_balance: money(page.openingBalance, cur),
          data: page.lines.map((l) => ({
            entry_id: l.entryId.toString(),
            transaction_id: l.transactionId.toString(),
            external_id: l.externalId,
            kind: l.kind,
            effective_date: l.effectiveDate,
            description: l.description,
            side: l.amount > 0n ? ('debit' as const) : ('credit' as const),
            amount: money(abs(l.amount), cur),
            balance: money(l.balance, cur),
          })),
          next_cursor: page.next ? statementCursor.encode(page.next) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/transactions',
      tags: ['ledger'],
      summary: 'Post a manual journal entry (treasury)',
      request: { params: PoolParam, body: { content: json(TransactionBody), required: true } },
      responses: { 201: { description: 'Posted', content: json(TransactionOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const outcome = await call.postAndRecord(
        (options) =>
          postJournalEntry(
            call.ledger,
            call.principal,
            {
              type: 'post',
              poolId: call.poolId,
              externalId: postingId(call.principal),
              effectiveDate: b.effective_date,
              description: b.description,
              entries: b.entries.map((e) =>
                'debit' in e
                  ? { account: e.account, amount: BigInt(e.debit) }
                  : { account: e.account, amount: -BigInt(e.credit) },
              ),
            },
            options,
          ),
        (outcome) => answerOf(c, outcome),
      );
      return c.json(transactionOut(posted(outcome)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/transactions',
      tags: ['ledger'],
      summary:
        'The journal: transactions in the order they were posted, a page at a time; with external_id, the one posted under that business reference (claim:12:reserve), as a list of none or one',
      request: {
        params: PoolParam,
        query: z.object({
          external_id: text(200).optional().openapi({ example: 'claim:12:reserve' }),
          limit: Limit,
          after: Id.optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page (none or one for an external id)',
          content: json(z.object({ data: z.array(TransactionOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      if (q.external_id !== undefined) {
        const tx = await findTransaction(call.ledger, call.principal, call.poolId, q.external_id);
        return c.json({ data: tx ? [transactionOut(tx)] : [], next_cursor: null }, 200);
      }
      const page = await listTransactions(call.ledger, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
      });
      return c.json(
        {
          data: page.map(transactionOut),
          next_cursor: page.length === q.limit ? page.at(-1)!.id.toString() : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/transactions/{transaction_id}',
      tags: ['ledger'],
      summary: 'A transaction with its entries',
      request: { params: PoolParam.extend({ transaction_id: Id }) },
      responses: { 200: { description: 'The transaction', content: json(TransactionOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, transaction_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(
        transactionOut(await getTransaction(call.ledger, call.principal, call.poolId, BigInt(transaction_id))),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/transactions/{transaction_id}/reversal',
      tags: ['ledger'],
      summary: 'Reverse a posted transaction, at most once (treasury)',
      request: {
        params: PoolParam.extend({ transaction_id: Id }),
        body: { content: json(ReversalBody), required: true },
      },
      responses: {
        201: { description: 'The reversal', content: json(TransactionOut) },
        ...proposedResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, transaction_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const b = c.req.valid('json');
      const request = {
        type: 'reverse' as const,
        poolId: call.poolId,
        externalId: postingId(call.principal),
        effectiveDate: b.effective_date,
        description: b.description ?? `reversal of transaction ${transaction_id}`,
        transaction: { id: BigInt(transaction_id) },
      };
      const outcome = await underFourEyes(
        call.db,
        call.principal,
        call.poolId,
        {
          decision: 'transaction.reverse',
          subject: `transaction/${transaction_id}`,
          body: { effective_date: b.effective_date, description: request.description },
          reason: request.description,
        },
        {
          check: async () => void (await reversible(call.ledger, call.principal, request)),
          act: () =>
            call.postAndRecord(
              (options) => reverseTransaction(call.ledger, call.principal, request, options),
              (outcome) => answerOf(c, outcome),
            ),
        },
      );
      return answerDecision(c, outcome, (reversal) => c.json(transactionOut(posted(reversal)), 201));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/trial-balance',
      tags: ['ledger'],
      summary: "Every account's posted balance in a debit or credit column",
      request: { params: PoolParam, query: z.object({ as_of: Day.optional() }) },
      responses: {
        200: {
          description: 'Debits equal credits per currency',
          content: json(
            z.object({
              as_of: Day.nullable(),
              lines: z.array(
                z.object({ account: Code, name: z.string(), type: AccountType, debit: Money, credit: Money }),
              ),
              totals: z.array(z.object({ debit: Money, credit: Money })),
            }),
          ),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { as_of } = c.req.valid('query');
      const tb = await trialBalance(call.ledger, call.principal, call.poolId, as_of);
      return c.json(
        {
          as_of: tb.asOf,
          lines: tb.lines.map((l) => ({
            account: l.account.code,
            name: l.account.name,
            type: l.account.type,
            debit: money(l.debit, l.account.currency),
            credit: money(l.credit, l.account.currency),
          })),
          totals: tb.totals.map((t) => ({ debit: money(t.debit, t.currency), credit: money(t.credit, t.currency) })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/chain/verify',
      tags: ['ledger'],
      summary: 'Recompute the hash chain and name the first broken link',
      request: { params: PoolParam, query: z.object({ up_to: Id.optional() }) },
      responses: {
        200: {
          description: 'The verdict',
          content: json(
            z.object({
              ok: z.boolean(),
              checked: z.string(),
              broken_at: z.string().nullable(),
              reason: z.string().nullable(),
              head: z.object({ seq: z.string(), hash: z.string() }).nullable(),
              unsealed: z.string().nullable(),
            }),
          ),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { up_to } = c.req.valid('query');
      const r = await verifyChain(
        call.ledger,
        call.principal,
        call.poolId,
        up_to === undefined ? undefined : BigInt(up_to),
      );
      return c.json(
        r.ok
          ? {
              ok: true,
              checked: r.checked.toString(),
              broken_at: null,
              reason: null,
              head: { seq: r.head.seq.toString(), hash: r.head.hash },
              unsealed: r.unsealed.toString(),
            }
          : {
              ok: false,
              checked: r.checked.toString(),
              broken_at: r.brokenAt.toString(),
              reason: r.reason,
              head: null,
              unsealed: null,
            },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/chain/digest',
      tags: ['ledger'],
      summary: 'The head hash (or the hash at a sequence number) to publish',
      request: { params: PoolParam, query: z.object({ seq: Id.optional() }) },
      responses: {
        200: {
          description: 'The digest',
          content: json(z.object({ pool_id: Id, seq: z.string(), hash: z.string(), sealed_at: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { seq } = c.req.valid('query');
      const d = await chainDigest(
        call.ledger,
        call.principal,
        call.poolId,
        seq === undefined ? undefined : BigInt(seq),
      );
      if (!d)
        throw new ProblemError('not-found', {
          detail: seq === undefined ? `pool ${call.poolId} has no chain` : `link ${seq} is not sealed`,
        });
      return c.json(
        {
          pool_id: call.poolId.toString(),
          seq: d.seq.toString(),
          hash: d.hash,
          sealed_at: d.sealedAt?.toISOString() ?? null,
        },
        200,
      );
    },
  );
  return app;
}

/**
 * The ledger's external id for a posting made by a request: the API key and its Idempotency-Key, so that a
 * retry of the request posts nothing twice. A long key is hashed to fit the ledger's 200 characters.
 */
function postingId({ keyId, requestKey }: Principal): string {
  const id = `http:${keyId}:${requestKey!}`;
  return id.length <= 200 ? id : `http:${keyId}:sha256:${createHash('sha256').update(requestKey!).digest('base64url')}`;
}

const refusalProblem = (outcome: Extract<PostingOutcome, { status: 'refused' }>) =>
  ({ detail: outcome.refusal.detail, extra: { refusal: outcome.refusal.type } }) as const;

/** The posted transaction, or the ledger's refusal as a 422 problem naming the refusal. */
function posted(outcome: PostingOutcome): Transaction {
  if (outcome.status === 'refused') throw new ProblemError('posting-refused', refusalProblem(outcome));
  return outcome.transaction;
}

/**
 * The answer of a posting request, recorded with the posting: the same body the handler then sends (the
 * transaction, or the refusal's problem), so a replay answers it byte for byte.
 */
function answerOf(c: Context<AppEnv>, outcome: PostingOutcome): Answer {
  return outcome.status === 'refused'
    ? problemParts(c, 'posting-refused', refusalProblem(outcome))
    : { status: 201, body: JSON.stringify(transactionOut(outcome.transaction)) };
}
