import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createSql } from '../../src/db/client.js';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { freePort } from '../../scripts/lib/ports.js';

/**
 * PostgreSQL is lost while the server takes writes, several times: the server process never exits, answers
 * 503 problem+json with Retry-After while the database is away, and once it is back every route (the ledger's
 * own included: postings, accounts, the trial balance, a new pool) answers within seconds, without a restart
 * of the server. Every write acknowledged with 201 is in the journal, once, and every other one is done
 * once by its retry with the same Idempotency-Key.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-loss-'));
let pg: EmbeddedServer | undefined;
afterAll(async () => {
  await pg?.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

const ROUNDS = 3;
const WRITERS = 16;
/**
 * Every request is answered within this bound, through the outage too: a new connection is given up after
 * 5 s, a wait for a reserved one after 5 s, a statement unanswered after 10 s, and a lost connection is
 * retried at most a second apart.
 */
const ANSWER_WITHIN_MS = 20_000;

it('survives losing its database under write load, round after round', async () => {
  const pgPort = await freePort();
  pg = await startEmbedded({ dataDir, port: pgPort });
  const port = await freePort();
  const adminKey = `plk_cd34ab12_${'D'.repeat(32)}`;
  let serverOut = '';
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: pg.url('postgres'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_API_KEY: adminKey,
      IDEMPOTENCY_LEASE_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (serverOut = (serverOut + d).slice(-20_000)));
  server.stderr.on('data', (d) => (serverOut = (serverOut + d).slice(-20_000)));
  let exitCode: number | null | undefined;
  const exited = new Promise((r) => server.once('exit', (code) => r((exitCode = code))));
  const base = `http://127.0.0.1:${port}`;
  const call = (key: string, method: string, path: string, body?: unknown, idem?: string) =>
    fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(method === 'POST' ? { 'idempotency-key': idem ?? crypto.randomUUID() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
  try {
    for (
      let i = 0;
      i < 600 &&
      !(await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    const pool = (await (await call(adminKey, 'POST', '/v1/pools', { name: 'loss' })).json()) as { id: string };
    const treasury = (
      (await (await call(adminKey, 'POST', '/v1/keys', { role: 'treasury', pool_id: pool.id })).json()) as {
        key: string;
      }
    ).key;
    expect(
      (await call(treasury, 'POST', `/v1/pools/${pool.id}/accounts`, { code: 'cash', name: 'Cash', type: 'asset' }))
        .status,
    ).toBe(201);
    expect(
      (
        await call(treasury, 'POST', `/v1/pools/${pool.id}/accounts`, {
          code: 'capital',
          name: 'Capital',
          type: 'net_assets',
        })
      ).status,
    ).toBe(201);

    const acknowledged = new Set<number>();
    const sent: number[] = [];
    let n = 0;
    const post = (amount: number) =>
      call(
        treasury,
        'POST',
        `/v1/pools/${pool.id}/transactions`,
        {
          effective_date: '2026-07-01',
          entries: [
            { account: 'cash', debit: String(amount) },
            { account: 'capital', credit: String(amount) },
          ],
        },
        `w-${amount}`,
      );
    const write = async () => {
      const amount = 1000 + n++;
      sent.push(amount);
      const res = await post(amount);
      const text = await res.text();
      if (res.status === 201) acknowledged.add(amount);
      else {
        // 503 while the database is away; or 409 when the request outlived its short lease (1 s here) while
        // it waited, and nothing of it was committed: a retry with the same key does it.
        expect([503, 409], text).toContain(res.status);
        if (res.status === 409) expect(JSON.parse(text).type, text).toMatch(/idempotency-in-flight$/);
        expect(res.headers.get('retry-after'), text).toMatch(/^\d+$/);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
      return res.status;
    };

    for (let round = 0; round < ROUNDS; round++) {
      const roundStart = Date.now();
      let loading = true;
      const statuses: number[] = [];
      const load = Array.from({ length: WRITERS }, async () => {
        while (loading) {
          statuses.push(
            await write().catch((err) => {
              throw new Error(
                `round ${round}: no answer from the server (${String(err)}) ${Date.now() - roundStart} ms into the round; it printed: ${serverOut.slice(-3000)}`,
              );
            }),
          );
        }
      });
      await new Promise((r) => setTimeout(r, 300));
      await pg.stop();
      await new Promise((r) => setTimeout(r, 1500));
      expect(exitCode, serverOut).toBeUndefined();
      const downAt = statuses.length;
      pg = await startEmbedded({ dataDir, port: pgPort });
      const backAt = Date.now();
      // Within seconds of the database's return, writes succeed again.
      while (Date.now() - backAt < 15_000 && !statuses.slice(downAt).includes(201))
        await new Promise((r) => setTimeout(r, 50));
      loading = false;
      await Promise.all(load);
      expect(statuses.slice(downAt), serverOut).toContain(201);
      expect(statuses.filter((s) => s === 503).length, 'the database was away for 1.5 s under load').toBeGreaterThan(0);
      expect(exitCode, serverOut).toBeUndefined();

      // Every route, the ledger's own included, answers within seconds (a connection found lost on its
      // first use since the outage answers 503 once; the client's retry gets through).
      const soon = async (send: () => Promise<Response>) => {
        let res = await send();
        for (const started = Date.now(); res.status === 503 && Date.now() - started < 5_000;) {
          await new Promise((r) => setTimeout(r, 200));
          res = await send();
        }
        return res;
      };
      const routes = await Promise.all([
        soon(() => call(treasury, 'GET', `/v1/pools/${pool.id}/trial-balance`)),
        soon(() => call(treasury, 'GET', `/v1/pools/${pool.id}/accounts`)),
        soon(() => call(treasury, 'GET', `/v1/pools/${pool.id}/accounts/cash/balance`)),
        soon(() => call(adminKey, 'POST', '/v1/pools', { name: `after round ${round}` }, `pool-after-${round}`)),
        soon(() =>
          call(
            treasury,
            'POST',
            `/v1/pools/${pool.id}/transactions`,
            {
              effective_date: '2026-07-01',
              entries: [
                { account: 'cash', debit: '1' },
                { account: 'capital', credit: '1' },
              ],
            },
            `one-after-${round}`,
          ),
        ),
      ]);
      for (const r of routes) expect(r.status, `${r.url}: ${await r.clone().text()}`).toBeLessThan(300);
    }

    // Every write sent again with its key: the acknowledged ones replay, the rest are done now; then each
    // write is in the journal exactly once.
    console.log(`writes: ${sent.length}, acknowledged during the outages: ${acknowledged.size}`);
    for (const amount of sent) {
      let res = await post(amount);
      for (let attempt = 0; res.status === 409 && attempt < 100; attempt++) {
        await new Promise((r) => setTimeout(r, 100)); // a lease still held by an earlier attempt runs out
        res = await post(amount);
      }
      expect(res.status, `write ${amount}: ${await res.clone().text()}`).toBe(201);
    }
    // Each write once in the journal.
    const owner = createSql(pg.url('postgres'), { max: 1 });
    const rows = await owner<{ amount: bigint; n: bigint }[]>`
      SELECT e.amount, count(*) AS n FROM entries e JOIN accounts a ON a.pool_id = e.pool_id AND a.id = e.account_id
       WHERE e.pool_id = ${pool.id} AND a.code = 'cash' AND e.amount >= 1000 GROUP BY e.amount`;
    await owner.end();
    const journal = new Map(rows.map((r) => [Number(r.amount), r.n]));
    for (const amount of sent)
      expect(
        journal.get(amount),
        `write ${amount}${acknowledged.has(amount) ? ' (acknowledged during the outages)' : ''}`,
      ).toBe(1n);
    expect(journal.size).toBe(sent.length);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}, 240_000);
