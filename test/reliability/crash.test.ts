import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedger } from '../../src/ledger/index.js';
import { bootstrapAdmin } from '../../src/pool/keys.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../../scripts/lib/ports.js';
import { startServer } from '../support/server.js';

/**
 * Invariant 8: the server is killed (SIGKILL) while it takes concurrent writes, then restarted; every
 * request that got no answer is sent again with its Idempotency-Key. Every acknowledged write is there
 * exactly once, nothing is half-written, and the ledger's invariants hold.
 */
let db: TestDatabase;
let admin: string;

beforeAll(async () => {
  db = await testDatabase();
  admin = (await bootstrapAdmin(db.app.kysely))!.key;
});
afterAll(() => db.close());

it('keeps every acknowledged write exactly once across a SIGKILL, and retries finish the rest once', async () => {
  const port = await freePort();
  let server = await startServer(db, port);
  const base = `http://127.0.0.1:${port}`;
  const post = (key: string, path: string, body: unknown, idem: string = randomUUID()) =>
    fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const pool = (await (await post(admin, '/v1/pools', { name: 'crash' })).json()) as { id: string };
  const treasury = (
    (await (await post(admin, '/v1/keys', { role: 'treasury', pool_id: pool.id })).json()) as { key: string }
  ).key;
  // The pool's cash and fund capital open with the pool, as the chart of accounts says.

  // Writers with their own keys, each amount distinct so that every write can be found afterwards.
  const writes = Array.from({ length: 1000 }, (_, i) => ({
    idem: `w-${i}`,
    amount: String(1000 + i),
    acknowledged: false,
  }));
  const send = (w: (typeof writes)[number]) =>
    post(
      treasury,
      `/v1/pools/${pool.id}/transactions`,
      {
        effective_date: '2026-07-01',
        entries: [
          { account: 'pool_cash', debit: w.amount },
          { account: 'fund_capital', credit: w.amount },
        ],
      },
      w.idem,
    );

  let next = 0;
  const workers = Array.from({ length: 16 }, async () => {
    while (next < writes.length) {
      const w = writes[next++]!;
      try {
        const res = await send(w);
        if (res.status === 201) w.acknowledged = true;
      } catch {
        // No answer: the server died under this request.
      }
    }
  });
  // Kill it in the middle of the load: once some writes were answered, whatever the machine's speed.
  for (let i = 0; i < 600 && writes.filter((w) => w.acknowledged).length < 30; i++)
    await new Promise((r) => setTimeout(r, 10));
  server.child.kill('SIGKILL');
  await Promise.all(workers);
  await server.exited;
  const acknowledgedBefore = writes.filter((w) => w.acknowledged).length;
  console.log(`acknowledged before the kill: ${acknowledgedBefore} of ${writes.length}`);
  expect(acknowledgedBefore).toBeGreaterThan(0);
  expect(acknowledgedBefore).toBeLessThan(writes.length);

  server = await startServer(db, port);
  try {
    // Every write is sent again with its key: those already done replay, the rest are done now, once.
    for (const w of writes) {
      let res = await send(w);
      for (let attempt = 0; res.status === 409 && attempt < 50; attempt++) {
        await new Promise((r) => setTimeout(r, 100)); // a lease held by the killed process runs out (1.5 s)
        res = await send(w);
      }
      expect(res.status, await res.clone().text()).toBe(201);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }

  // Each write exactly once in the journal, whole.
  const ledger = createLedger({ sql: db.app.sql, kysely: db.app.kysely });
  const rows = await db.app.sql<{ amount: bigint; n: bigint }[]>`
    SELECT e.amount, count(*) AS n FROM entries e JOIN accounts a ON a.pool_id = e.pool_id AND a.id = e.account_id
     WHERE e.pool_id = ${pool.id} AND a.code = 'pool_cash' GROUP BY e.amount`;
  expect(rows.length).toBe(writes.length);
  expect(rows.every((r) => r.n === 1n)).toBe(true);
  const expected = writes.reduce((s, w) => s + BigInt(w.amount), 0n);
  expect((await ledger.balance(BigInt(pool.id), 'pool_cash')).posted).toBe(expected);
  const tb = await ledger.trialBalance(BigInt(pool.id));
  expect(tb.totals.every((t) => t.debit === t.credit)).toBe(true);
  expect(await ledger.verify(BigInt(pool.id))).toMatchObject({ ok: true });
}, 120_000);
