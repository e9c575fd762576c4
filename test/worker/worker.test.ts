import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_startWorker } from 'wrangler';
import { LATEST_MIGRATION } from '../../src/db/latest-migration.js';
import { readMigrations } from '../../src/db/migrate.js';
import { bootstrapAdmin } from '../../src/pool/keys.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

/**
 * The Worker in the real runtime (workerd, through wrangler), reaching this suite's PostgreSQL through a
 * local Hyperdrive binding: the API's smoke, idempotency and authorization checks over HTTP.
 */
let db: TestDatabase;
let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let admin: string;

beforeAll(async () => {
  db = await testDatabase();
  admin = (await bootstrapAdmin(db.app.kysely))!.key;
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = db.appUrl;
  worker = await unstable_startWorker({
    config: 'wrangler.toml',
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: false,
      logLevel: 'warn',
      watch: false,
    },
  });
  await worker.ready;
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  await db?.close();
});

async function call(method: string, path: string, options: { key?: string; body?: unknown; idem?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? admin}` };
  if (method === 'POST') headers['idempotency-key'] = options.idem ?? randomUUID();
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await worker.fetch(`http://worker${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

it('knows the newest migration without reading sql/', async () => {
  expect(LATEST_MIGRATION).toBe((await readMigrations()).at(-1)!.version);
});

describe('the API on Workers', () => {
  let poolId: string;
  let treasury: string;

  it('answers health, readiness and the OpenAPI document', async () => {
    expect((await worker.fetch('http://worker/healthz')).status).toBe(200);
    const ready = await worker.fetch('http://worker/readyz');
    expect(ready.status, await ready.clone().text()).toBe(200);
    const doc = (await (await worker.fetch('http://worker/openapi.json')).json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('creates a pool, its treasury key, and posts to the ledger', async () => {
    const pool = await call('POST', '/v1/pools', { body: { name: 'worker pool' } });
    expect(pool.status, pool.text).toBe(201);
    poolId = pool.body.id;
    const key = await call('POST', '/v1/keys', { body: { role: 'treasury', pool_id: poolId } });
    expect(key.status, key.text).toBe(201);
    treasury = key.body.key;
    // The chart's accounts open with the pool; their codes are the pool's, not the treasury's to open.
    const accounts = await call('GET', `/v1/pools/${poolId}/accounts?limit=100`, { key: treasury });
    expect(accounts.status, accounts.text).toBe(200);
    expect(accounts.body.data.map((a: { code: string }) => a.code)).toEqual(
      expect.arrayContaining(['pool_cash', 'fund_capital']),
    );
    expect(
      (
        await call('POST', `/v1/pools/${poolId}/accounts`, {
          key: treasury,
          body: { code: 'pool_cash', name: 'Pool cash', type: 'asset' },
        })
      ).status,
    ).toBe(422);
    const tx = await call('POST', `/v1/pools/${poolId}/transactions`, {
      key: treasury,
      idem: 'worker-fund',
      body: {
        effective_date: '2026-05-01',
        entries: [
          { account: 'pool_cash', debit: '1000' },
          { account: 'fund_capital', credit: '1000' },
        ],
      },
    });
    expect(tx.status, tx.text).toBe(201);
    const again = await call('POST', `/v1/pools/${poolId}/transactions`, {
      key: treasury,
      idem: 'worker-fund',
      body: {
        effective_date: '2026-05-01',
        entries: [
          { account: 'pool_cash', debit: '1000' },
          { account: 'fund_capital', credit: '1000' },
        ],
      },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(tx.body.id);
    const other = await call('POST', `/v1/pools/${poolId}/transactions`, {
      key: treasury,
      idem: 'worker-fund',
      body: {
        effective_date: '2026-05-02',
        entries: [
          { account: 'pool_cash', debit: '1000' },
          { account: 'fund_capital', credit: '1000' },
        ],
      },
    });
    expect(other.status).toBe(422);
    const balance = await call('GET', `/v1/pools/${poolId}/accounts/pool_cash/balance`, { key: treasury });
    expect(balance.body.posted).toEqual({ amount: '1000', currency: 'CNY' });
  });

  it('refuses an overdraft and keeps tenants apart', async () => {
    const over = await call('POST', `/v1/pools/${poolId}/transactions`, {
      key: treasury,
      body: {
        effective_date: '2026-05-03',
        entries: [
          { account: 'fund_capital', debit: '5000' },
          { account: 'pool_cash', credit: '5000' },
        ],
      },
    });
    expect(over.status).toBe(422);
    expect(over.body.refusal).toBe('insufficient_funds');
    const otherPool = (await call('POST', '/v1/pools', { body: { name: 'another' } })).body.id;
    expect((await call('GET', `/v1/pools/${otherPool}`, { key: treasury })).status).toBe(404);
    expect(
      (await call('GET', `/v1/pools/${poolId}`, { key: 'plk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status,
    ).toBe(401);
    expect((await call('POST', '/v1/pools', { key: treasury, body: { name: 'x' } })).status).toBe(403);
  });
});

describe('the console on Workers', () => {
  it('serves its sign-in page, and refuses a wrong password as the Node server does', async () => {
    const page = await worker.fetch('http://worker/login');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('登录');
    // This host serves no htmx: the page does not ask for it.
    expect(html).not.toContain('htmx.min.js');
    const wrong = await worker.fetch('http://worker/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://worker' },
      body: 'login=nobody&password=not-the-password',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('账号或密码错误');
  });
});
