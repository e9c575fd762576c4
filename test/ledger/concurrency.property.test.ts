import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import {
  createLedger,
  LedgerError,
  type Ledger,
  type PostingOutcome,
  type PostingRequest,
} from '../../src/ledger/index.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

/**
 * Random valid and invalid postings and batches, sent at once through eight engines (each with its own
 * connections and group-commit writer), most of them touching one hot guarded account. Afterwards every
 * invariant of the journal is checked against a replay of the entries.
 */

const ENGINES = 8;
const ACCOUNTS = [
  { code: 'cash', name: 'Pool cash', type: 'asset', currency: 'CNY', noNegative: true },
  { code: 'capital', name: 'Fund capital', type: 'net_assets', currency: 'CNY' },
  { code: 'reserved', name: 'Reserved', type: 'net_assets', currency: 'CNY', noNegative: true },
  { code: 'payable', name: 'Claims payable', type: 'liability', currency: 'CNY' },
  { code: 'expense', name: 'Compensation', type: 'expense', currency: 'CNY' },
  { code: 'budget', name: 'Award budget', type: 'asset', currency: 'CNY', noNegative: true },
] as const;
const CODES = ACCOUNTS.map((a) => a.code);

let f: LedgerFixture;
let engines: { db: Db; ledger: Ledger }[];

beforeAll(async () => {
  f = await ledgerFixture();
  // Half the engines take the optimistic path for every batch, half lock first: both paths race each other.
  engines = Array.from({ length: ENGINES }, (_, i) => {
    const db = createDb(f.db.appUrl, { max: 2 });
    return {
      db,
      ledger: createLedger({ sql: db.sql, kysely: db.kysely, writer: { optimisticFrom: i % 2 === 0 ? 1 : 1_000_000 } }),
    };
  });
});
afterAll(async () => {
  await Promise.all(engines.map((e) => e.db.close()));
  await f.db.close();
});

type Op =
  | { kind: 'post'; from: number; to: number; amount: bigint; pending: boolean; hot: boolean }
  | { kind: 'batch'; legs: { from: number; to: number; amount: bigint }[] }
  | { kind: 'resolve'; target: number; post: boolean; part: boolean }
  | { kind: 'reverse'; target: number }
  | { kind: 'retry'; target: number }
  | { kind: 'conflict'; target: number }
  | { kind: 'unbalanced'; amount: bigint };

const account = fc.integer({ min: 0, max: CODES.length - 1 });
const amount = fc.bigInt({ min: 1n, max: 5_000n });
const target = fc.nat({ max: 200 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      from: account,
      to: account,
      amount,
      pending: fc.boolean(),
      hot: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      legs: fc.array(fc.record({ from: account, to: account, amount }), { minLength: 2, maxLength: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('resolve' as const), target, post: fc.boolean(), part: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), target }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), target }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('conflict' as const), target }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unbalanced' as const), amount }) },
);

function legs(from: number, to: number, amt: bigint, hot: boolean) {
  // Half of the postings move money in or out of the hot account whatever the two indexes were.
  const debit = hot ? (to === 0 ? 0 : to) : to;
  const credit = hot ? 0 : from;
  const d = debit === credit ? (credit + 1) % CODES.length : debit;
  return [
    { account: CODES[d]!, amount: amt },
    { account: CODES[credit]!, amount: -amt },
  ];
}

interface Sent {
  request: PostingRequest | PostingRequest[];
  outcome?: PostingOutcome | PostingOutcome[];
  error?: unknown;
}

async function run(pool: bigint, ops: Op[]) {
  const sent: Sent[] = [];
  const requestOf = (i: number, o: Op): PostingRequest | PostingRequest[] | undefined => {
    const base = {
      poolId: pool,
      externalId: `op-${i}`,
      effectiveDate: `2026-05-${String(1 + (i % 28)).padStart(2, '0')}`,
    };
    const earlier = (t: number) => sent[t % Math.max(1, sent.length)];
    switch (o.kind) {
      case 'post':
        return { ...base, type: 'post', pending: o.pending, entries: legs(o.from, o.to, o.amount, o.hot) };
      case 'batch':
        return o.legs.map((l, j) => ({
          ...base,
          externalId: `op-${i}-${j}`,
          type: 'post' as const,
          entries: legs(l.from, l.to, l.amount, true),
        }));
      case 'resolve': {
        const e = earlier(o.target);
        if (!e || Array.isArray(e.request)) return undefined;
        const ref = { externalId: e.request.externalId };
        if (!o.post) return { ...base, type: 'void_pending', pending: ref };
        const entries =
          o.part && e.request.type === 'post'
            ? e.request.entries.map((x) => ({ ...x, amount: x.amount / 2n || x.amount }))
            : undefined;
        return { ...base, type: 'post_pending', pending: ref, entries };
      }
      case 'reverse': {
        const e = earlier(o.target);
        if (!e || Array.isArray(e.request)) return undefined;
        return { ...base, type: 'reverse', transaction: { externalId: e.request.externalId } };
      }
      case 'retry':
        return earlier(o.target)?.request;
      case 'conflict': {
        const e = earlier(o.target);
        if (!e || Array.isArray(e.request) || e.request.type !== 'post') return undefined;
        return { ...e.request, entries: e.request.entries.map((x) => ({ ...x, amount: x.amount * 3n })) };
      }
      case 'unbalanced':
        return {
          ...base,
          type: 'post',
          entries: [
            { account: 'cash', amount: o.amount },
            { account: 'capital', amount: -o.amount - 1n },
          ],
        };
    }
  };
  // Requests go out in waves so that later ones can refer to earlier ones, all engines at once in a wave.
  for (let start = 0; start < ops.length; start += ENGINES * 2) {
    const wave = ops
      .slice(start, start + ENGINES * 2)
      .map((o, k) => ({ i: start + k, request: requestOf(start + k, o) }));
    await Promise.all(
      wave.map(async ({ i, request }) => {
        if (!request) return;
        const engine = engines[i % ENGINES]!.ledger;
        const entry: Sent = { request };
        try {
          entry.outcome = Array.isArray(request) ? await engine.postBatch(request) : await engine.post(request);
        } catch (err) {
          if (!(err instanceof LedgerError)) throw err;
          entry.error = err;
        }
        sent.push(entry);
      }),
    );
  }
  return sent;
}

async function checkInvariants(pool: bigint, sent: Sent[]) {
  const sql = f.db.app.sql;
  const p = pool.toString();
  const unbalanced =
    await sql`SELECT currency, sum(amount) FROM entries WHERE pool_id = ${p} GROUP BY currency HAVING sum(amount) <> 0`;
  expect(unbalanced, 'entries sum to zero per currency').toHaveLength(0);

  const replay = await sql<
    {
      code: string;
      no_negative: boolean;
      debit_normal: boolean;
      pd: bigint;
      pc: bigint;
      nd: bigint;
      nc: bigint;
      b_pd: bigint;
      b_pc: bigint;
      b_nd: bigint;
      b_nc: bigint;
      d_pd: bigint;
      d_pc: bigint;
      d_nd: bigint;
      d_nc: bigint;
    }[]
  >`
    SELECT a.code, b.no_negative, b.debit_normal,
           coalesce(sum(e.amount) FILTER (WHERE e.phase = 'posted' AND e.amount > 0), 0)::int8 AS pd,
           coalesce(-sum(e.amount) FILTER (WHERE e.phase = 'posted' AND e.amount < 0), 0)::int8 AS pc,
           (coalesce(sum(e.amount) FILTER (WHERE e.phase = 'reserve' AND e.amount > 0), 0)
             + coalesce(sum(e.amount) FILTER (WHERE e.phase = 'release' AND e.amount < 0), 0))::int8 AS nd,
           (coalesce(-sum(e.amount) FILTER (WHERE e.phase = 'reserve' AND e.amount < 0), 0)
             - coalesce(sum(e.amount) FILTER (WHERE e.phase = 'release' AND e.amount > 0), 0))::int8 AS nc,
           b.posted_debits AS b_pd, b.posted_credits AS b_pc, b.pending_debits AS b_nd, b.pending_credits AS b_nc,
           (SELECT coalesce(sum(d.posted_debits), 0)::int8 FROM account_days d WHERE d.pool_id = a.pool_id AND d.account_id = a.id) AS d_pd,
           (SELECT coalesce(sum(d.posted_credits), 0)::int8 FROM account_days d WHERE d.pool_id = a.pool_id AND d.account_id = a.id) AS d_pc,
           (SELECT coalesce(sum(d.pending_debits), 0)::int8 FROM account_days d WHERE d.pool_id = a.pool_id AND d.account_id = a.id) AS d_nd,
           (SELECT coalesce(sum(d.pending_credits), 0)::int8 FROM account_days d WHERE d.pool_id = a.pool_id AND d.account_id = a.id) AS d_nc
      FROM accounts a
      JOIN account_balances b ON b.pool_id = a.pool_id AND b.account_id = a.id
      LEFT JOIN entries e ON e.pool_id = a.pool_id AND e.account_id = a.id
     WHERE a.pool_id = ${p}
     GROUP BY a.pool_id, a.id, a.code, b.no_negative, b.debit_normal, b.posted_debits, b.posted_credits, b.pending_debits, b.pending_credits`;
  for (const r of replay) {
    expect([r.b_pd, r.b_pc, r.b_nd, r.b_nc], `running totals of ${r.code} equal the replay of its entries`).toEqual([
      r.pd,
      r.pc,
      r.nd,
      r.nc,
    ]);
    expect([r.d_pd, r.d_pc, r.d_nd, r.d_nc], `per-day movements of ${r.code} add up to its totals`).toEqual([
      r.pd,
      r.pc,
      r.nd,
      r.nc,
    ]);
    const available = r.debit_normal ? r.pd - r.pc - r.nc : r.pc - r.pd - r.nd;
    if (r.no_negative) expect(available, `${r.code} available`).toBeGreaterThanOrEqual(0n);
    const reported = await f.ledger.balance(pool, r.code);
    expect(reported.available, `engine's available for ${r.code}`).toBe(available);
  }

  const dupes =
    await sql`SELECT external_id FROM transactions WHERE pool_id = ${p} GROUP BY external_id HAVING count(*) > 1`;
  expect(dupes, 'each external id posted at most once').toHaveLength(0);

  // Every answer stays the answer: the same requests again replay what they got the first time.
  for (const s of sent) {
    if (!s.outcome) continue;
    const engine = engines[0]!.ledger;
    const again = Array.isArray(s.request) ? await engine.postBatch(s.request) : [await engine.post(s.request)];
    const first = Array.isArray(s.outcome) ? s.outcome : [s.outcome];
    again.forEach((a, k) => {
      const o = first[k]!;
      expect(a.replayed).toBe(true);
      expect(a.status).toBe(o.status);
      if (a.status === 'posted' && o.status === 'posted') expect(a.transaction.id).toBe(o.transaction.id);
      if (a.status === 'refused' && o.status === 'refused') expect(a.refusal.type).toBe(o.refusal.type);
    });
  }
}

it('keeps every invariant under concurrent random postings', async () => {
  let runs = 0;
  const seen = { posted: 0, insufficient: 0, resolved: 0, conflicts: 0, invalid: 0 };
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 80 }), async (ops) => {
      const pool = await f.newPool();
      for (const a of ACCOUNTS) await f.ledger.createAccount(pool, a);
      await f.ledger.post({
        type: 'post',
        poolId: pool,
        externalId: 'fund',
        effectiveDate: '2026-05-01',
        entries: [
          { account: 'cash', amount: 20_000n },
          { account: 'capital', amount: -20_000n },
        ],
      });
      const sent = await run(pool, ops);
      for (const s of sent) {
        for (const o of [s.outcome ?? []].flat()) {
          if (o.status === 'posted') seen.posted++;
          if (o.status === 'posted' && o.transaction.refersTo !== null) seen.resolved++;
          if (o.status === 'refused' && o.refusal.type === 'insufficient_funds') seen.insufficient++;
        }
        if (s.error instanceof LedgerError && s.error.type === 'idempotency_conflict') seen.conflicts++;
        if (s.error instanceof LedgerError && s.error.type === 'invalid_posting') seen.invalid++;
      }
      await checkInvariants(pool, sent);
      runs++;
    }),
    // A failing run is reported at once with its case: shrinking replays whole concurrent runs, which would
    // only run the test into its timeout.
    { numRuns: 25, endOnFailure: true },
  );
  expect(runs).toBe(25);
  // The runs must have exercised what they claim to: refusals, resolutions, conflicts and bad input.
  for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
}, 120_000);
