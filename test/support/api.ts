import { randomUUID } from 'node:crypto';
import { createApp, type App } from '../../src/http/app.js';
import { createLedger, type Ledger, type WriterOptions } from '../../src/ledger/index.js';
import { createLogger } from '../../src/logger.js';
import { bootstrapAdmin } from '../../src/pool/keys.js';
import { readMigrations } from '../../src/db/migrate.js';
import { createDb } from '../../src/db/client.js';
import { newCreditCode } from './credit-codes.js';
import { testDatabase, type TestDatabase } from './db.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface ApiFixture {
  db: TestDatabase;
  app: App;
  ledger: Ledger;
  adminKey: string;
  /** Sends a request through app.request(); POSTs get a fresh Idempotency-Key unless one is given. */
  call(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; idem?: string | null; headers?: Record<string, string> },
  ): Promise<Reply>;
  /**
   * A pool with a treasury key, a second treasury person's key (`checker`), a bank, an insurer and their
   * keys. Its money decisions are one person's unless `fourEyes` (the product's default, which
   * four-eyes.test.ts and the tests of the console hold to): tests of the other rules take them with one key.
   */
  tenant(name?: string, options?: { fourEyes?: boolean }): Promise<Tenant>;
  /**
   * Reads the caller's event feed from the start until an event matches, waiting (bounded) for the feed's
   * horizon: transactions in flight anywhere in the cluster hold newer events back a moment.
   */
  waitForEvent(
    key: string,
    match: (e: { type: string; subject: string }) => boolean,
  ): Promise<{ type: string; subject: string }[]>;
  /**
   * Opens further accounts of the treasury's own through the API. The chart's accounts (pool cash,
   * guarded; fund capital; ...) open with the pool, and their codes are refused here.
   */
  openAccounts(t: Tenant, more?: { code: string; name: string; type: string }[]): Promise<void>;
  close(): Promise<void>;
}

export interface Tenant {
  poolId: string;
  treasury: string;
  /** Another person of the treasury (a key the admin issued): confirms what `treasury` proposes. */
  checker: string;
  auditor: string;
  bankId: string;
  bank: string;
  insurerId: string;
  insurer: string;
}

export async function apiFixture(options: { lease_ms?: number; writer?: WriterOptions } = {}): Promise<ApiFixture> {
  const db = await testDatabase();
  const ledgerDb = createDb(db.appUrl, { max: 4 });
  const ledger = createLedger({ sql: ledgerDb.sql, kysely: ledgerDb.kysely, writer: options.writer });
  const migrations = await readMigrations();
  const app = createApp({
    db: db.app,
    ledger,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    latestMigration: migrations.at(-1)!.version,
    idempotencyLease_ms: options.lease_ms,
  });
  const admin = await bootstrapAdmin(db.app.kysely);
  const adminKey = admin!.key;

  const call: ApiFixture['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const key = opts.key === undefined ? adminKey : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (method === 'POST' && opts.idem !== null) headers['idempotency-key'] = opts.idem ?? randomUUID();
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  const expectStatus = (r: Reply, status: number, what: string) => {
    if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status}: ${r.text}`);
    return r.body;
  };

  let n = 0;
  const tenant: ApiFixture['tenant'] = async (name = `pool ${++n} ${randomUUID().slice(0, 6)}`, options = {}) => {
    const pool = expectStatus(await call('POST', '/v1/pools', { body: { name } }), 201, 'create pool');
    if (!options.fourEyes)
      expectStatus(
        await call('POST', `/v1/pools/${pool.id}/settings`, { body: { four_eyes: false } }),
        200,
        'one person decides',
      );
    const [treasury, checker] = (await Promise.all(
      ['treasury', 'checker'].map(
        async (label) =>
          expectStatus(
            await call('POST', '/v1/keys', { body: { role: 'treasury', pool_id: pool.id, label } }),
            201,
            `${label} key`,
          ).key as string,
      ),
    )) as [string, string];
    const auditor = expectStatus(
      await call('POST', '/v1/keys', { body: { role: 'auditor', pool_id: pool.id } }),
      201,
      'auditor key',
    ).key;
    const bank = expectStatus(
      await call('POST', `/v1/pools/${pool.id}/participants`, {
        key: treasury,
        body: { kind: 'bank', name: 'Bank of Dalian', credit_code: newCreditCode() },
      }),
      201,
      'bank',
    );
    const insurer = expectStatus(
      await call('POST', `/v1/pools/${pool.id}/participants`, {
        key: treasury,
        body: { kind: 'insurer', name: 'PICC Dalian', credit_code: newCreditCode() },
      }),
      201,
      'insurer',
    );
    const bankKey = expectStatus(
      await call('POST', '/v1/keys', {
        key: treasury,
        body: { role: 'bank', pool_id: pool.id, participant_id: bank.id },
      }),
      201,
      'bank key',
    ).key;
    const insurerKey = expectStatus(
      await call('POST', '/v1/keys', {
        key: treasury,
        body: { role: 'insurer', pool_id: pool.id, participant_id: insurer.id },
      }),
      201,
      'insurer key',
    ).key;
    return {
      poolId: pool.id,
      treasury,
      checker,
      auditor,
      bankId: bank.id,
      bank: bankKey,
      insurerId: insurer.id,
      insurer: insurerKey,
    };
  };

  const openAccounts: ApiFixture['openAccounts'] = async (t, more = []) => {
    for (const account of more) {
      expectStatus(
        await call('POST', `/v1/pools/${t.poolId}/accounts`, { key: t.treasury, body: account }),
        201,
        `open ${account.code}`,
      );
    }
  };

  const waitForEvent: ApiFixture['waitForEvent'] = async (key, match) => {
    // Transactions anywhere in the cluster (other test files creating databases, long tapes) hold the
    // feed's horizon back; 20 s is far past any of them, and a found event ends the wait at once.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const events: { type: string; subject: string }[] = [];
      let after = '';
      for (let page = 0; page < 100; page++) {
        const r = expectStatus(await call('GET', `/v1/events?limit=500${after}`, { key }), 200, 'read the feed');
        events.push(...r.data);
        if (r.data.length < 500) break;
        after = `&after=${r.next_cursor}`;
      }
      if (events.some(match)) return events.filter(match);
      await new Promise((r) => setTimeout(r, 25));
    }
    return [];
  };

  return {
    db,
    app,
    ledger,
    adminKey,
    call,
    tenant,
    openAccounts,
    waitForEvent,
    close: async () => {
      await ledgerDb.close();
      await db.close();
    },
  };
}

/** Fails with the response body in the message, so a failing test says what the API answered. */
export function expectStatus(r: Reply, status: number): any {
  if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}
