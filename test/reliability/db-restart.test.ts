import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { freePort } from '../../scripts/lib/ports.js';

/**
 * PostgreSQL stops under load and comes back: meanwhile requests answer 503 problem+json with Retry-After,
 * afterwards they succeed again, and the server was never restarted. The database here is one of its own,
 * so that stopping it leaves the rest of the suite alone.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-restart-'));
let pg: EmbeddedServer | undefined;
afterAll(async () => {
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('answers 503 with Retry-After while the database is down and recovers without a restart', async () => {
  const pgPort = await freePort();
  pg = await startEmbedded({ dataDir, port: pgPort });
  const port = await freePort();
  const adminKey = `plk_ab12cd34_${'B'.repeat(32)}`;
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: pg.url('postgres'),
      PORT: String(port),
      LOG_LEVEL: 'silent',
      ADMIN_API_KEY: adminKey,
    },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => server.once('exit', r));
  const base = `http://127.0.0.1:${port}`;
  const post = (key: string, path: string, body: unknown) =>
    fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
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
    const pool = (await (await post(adminKey, '/v1/pools', { name: 'restart' })).json()) as { id: string };
    const treasury = (
      (await (await post(adminKey, '/v1/keys', { role: 'treasury', pool_id: pool.id })).json()) as { key: string }
    ).key;
    await post(treasury, `/v1/pools/${pool.id}/accounts`, { code: 'cash', name: 'Cash', type: 'asset' });
    await post(treasury, `/v1/pools/${pool.id}/accounts`, { code: 'capital', name: 'Capital', type: 'net_assets' });
    const write = () =>
      post(treasury, `/v1/pools/${pool.id}/transactions`, {
        effective_date: '2026-07-01',
        entries: [
          { account: 'cash', debit: '1' },
          { account: 'capital', credit: '1' },
        ],
      });
    expect((await write()).status).toBe(201);

    await pg.stop();
    const down = await Promise.all([
      write(),
      write(),
      fetch(`${base}/v1/pools/${pool.id}/accounts/cash/balance`, { headers: { authorization: `Bearer ${treasury}` } }),
      fetch(`${base}/readyz`),
    ]);
    for (const res of down) {
      const text = await res.text();
      expect(res.status, text).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(JSON.parse(text).type).toMatch(/problems\/unavailable$/);
    }

    pg = await startEmbedded({ dataDir, port: pgPort });
    let recovered = 0;
    for (let i = 0; i < 300 && recovered === 0; i++) {
      const res = await write();
      if (res.status === 201) recovered++;
      else {
        expect(res.status).toBe(503);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(recovered).toBe(1);
    const balance = (await (
      await fetch(`${base}/v1/pools/${pool.id}/accounts/cash/balance`, {
        headers: { authorization: `Bearer ${treasury}` },
      })
    ).json()) as { posted: { amount: string } };
    expect(balance.posted.amount).toBe('2');
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}, 120_000);
