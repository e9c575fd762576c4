import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_MIGRATION } from '../../src/db/latest-migration.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { issueKey } from '../../src/pool/keys.js';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';

let api: ApiFixture;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  api = await apiFixture();
  a = await api.tenant();
  b = await api.tenant();
});
afterAll(() => api.close());

const isProblem = (r: { status: number; headers: Headers; body: any }) => {
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body).toMatchObject({
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
    status: r.status,
    detail: expect.any(String),
    request_id: expect.any(String),
  });
  expect(JSON.stringify(r.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
};

describe('system', () => {
  it('answers health and readiness without a key', async () => {
    expect(expectStatus(await api.call('GET', '/healthz', { key: null }), 200)).toEqual({ status: 'ok' });
    expect(expectStatus(await api.call('GET', '/readyz', { key: null }), 200)).toMatchObject({ status: 'ready' });
  });

  it('answers /readyz 503 with Retry-After while the database lacks a migration this build needs', async () => {
    const ahead = createApp({
      db: api.db.app,
      ledger: api.ledger,
      logger: createLogger('silent'),
      latestMigration: LATEST_MIGRATION + 1,
    });
    const r = await ahead.request('/readyz');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(((await r.json()) as { detail: string }).detail).toBe(
      `database is at migration ${LATEST_MIGRATION}, this build needs ${LATEST_MIGRATION + 1}`,
    );
  });

  it('serves an OpenAPI 3.1 document that lists every route and documents the problem types', async () => {
    const doc = expectStatus(await api.call('GET', '/openapi.json', { key: null }), 200);
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/pools',
      '/v1/keys',
      '/v1/events',
      '/v1/pools/{pool_id}/accounts/{code}/statement',
      '/v1/pools/{pool_id}/transactions/{transaction_id}/reversal',
      '/v1/pools/{pool_id}/chain/verify',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.info.description).toContain('problems/idempotency-key-reused');
    expect(doc.components.schemas.Problem).toBeDefined();
    const docs = await api.call('GET', '/docs', { key: null });
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('/openapi.json');
  });

  it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    const r = await api.call('GET', '/healthz', { key: null, headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const bad = await api.call('GET', '/healthz', { key: null, headers: { 'x-request-id': 'no spaces allowed' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a problem', async () => {
    const r = await api.call('GET', '/v1/nothing-here');
    expect(r.status).toBe(404);
    isProblem(r);
  });
});

describe('keys and roles', () => {
  it('refuses a request without a key, with a malformed key and with a revoked key', async () => {
    for (const key of [null, 'nonsense', 'plk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await api.call('GET', `/v1/pools/${a.poolId}`, { key });
      expect(r.status).toBe(401);
      isProblem(r);
    }
    const issued = expectStatus(
      await api.call('POST', '/v1/keys', { key: a.treasury, body: { role: 'auditor', pool_id: a.poolId } }),
      201,
    );
    expect(issued.key).toMatch(/^plk_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    expectStatus(await api.call('GET', `/v1/pools/${a.poolId}`, { key: issued.key }), 200);
    expectStatus(await api.call('POST', `/v1/keys/${issued.id}/revoke`, { key: a.treasury }), 200);
    expect((await api.call('GET', `/v1/pools/${a.poolId}`, { key: issued.key })).status).toBe(401);
  });

  it("lists a pool's keys to its treasury, revoked ones marked, never a secret nor another pool's key", async () => {
    const issued = expectStatus(
      await api.call('POST', '/v1/keys', {
        key: a.treasury,
        body: { role: 'auditor', pool_id: a.poolId, label: 'listed' },
      }),
      201,
    );
    expectStatus(await api.call('POST', `/v1/keys/${issued.id}/revoke`, { key: a.treasury }), 200);
    const seen = [];
    for (let after: string | null = null, pages = 0; pages === 0 || after; pages++) {
      const page = expectStatus(
        await api.call('GET', `/v1/keys?limit=2${after ? `&after=${after}` : ''}`, { key: a.treasury }),
        200,
      );
      seen.push(...page.data);
      after = page.next_cursor;
    }
    expect(seen.every((k: { pool_id: string }) => k.pool_id === a.poolId)).toBe(true);
    expect(seen.find((k: { id: string }) => k.id === issued.id)).toMatchObject({
      role: 'auditor',
      label: 'listed',
      prefix: issued.prefix,
      revoked_at: expect.any(String),
      person_login: null,
    });
    expect(JSON.stringify(seen)).not.toContain(issued.key);
    expect(seen.some((k: { prefix: string }) => a.treasury.includes(k.prefix))).toBe(true);
    const admin = expectStatus(await api.call('GET', `/v1/keys?pool_id=${b.poolId}`, {}), 200);
    expect(admin.data.length).toBeGreaterThan(0);
    expect(admin.data.every((k: { pool_id: string }) => k.pool_id === b.poolId)).toBe(true);
  });

  it('shows a key once: a replayed issuance answers the same record without the secret', async () => {
    const body = { role: 'auditor', pool_id: a.poolId, label: 'replayed' };
    const first = expectStatus(await api.call('POST', '/v1/keys', { key: a.treasury, idem: 'issue-once', body }), 201);
    const again = await api.call('POST', '/v1/keys', { key: a.treasury, idem: 'issue-once', body });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual({ ...first, key: null });
    const stored = await api.db.owner<{ body: string }[]>`SELECT body FROM idempotency_keys WHERE key = 'issue-once'`;
    expect(stored[0]!.body).not.toContain(first.key);
  });

  it('stores only a hash of each key', async () => {
    const rows = await api.db.owner<{ secret_hash: Buffer }[]>`SELECT secret_hash FROM api_keys`;
    const keys = [api.adminKey, a.treasury, a.bank];
    for (const row of rows) for (const key of keys) expect(row.secret_hash.toString()).not.toContain(key);
  });

  it('lets a treasury key issue keys only for its own pool, and never admin keys', async () => {
    expect(
      (await api.call('POST', '/v1/keys', { key: a.treasury, body: { role: 'auditor', pool_id: b.poolId } })).status,
    ).toBe(404);
    expect((await api.call('POST', '/v1/keys', { key: a.treasury, body: { role: 'admin' } })).status).toBe(403);
    expect(
      (
        await api.call('POST', '/v1/keys', {
          key: a.bank,
          body: { role: 'bank', pool_id: a.poolId, participant_id: a.bankId },
        })
      ).status,
    ).toBe(403);
    // A bank key must belong to a bank.
    expect(
      (
        await api.call('POST', '/v1/keys', {
          key: a.treasury,
          body: { role: 'bank', pool_id: a.poolId, participant_id: a.insurerId },
        })
      ).status,
    ).toBe(422);
  });

  it('only the admin creates pools', async () => {
    for (const key of [a.treasury, a.bank, a.auditor])
      expect((await api.call('POST', '/v1/pools', { key, body: { name: 'x' } })).status).toBe(403);
  });
});

describe('key prefixes', () => {
  it('refuses by name a supplied key whose prefix another key has, instead of failing', async () => {
    const taken = api.adminKey.split('_')[1]!;
    const admin = { keyId: 0n, keyPrefix: 'system', role: 'admin' as const, poolId: null, participantId: null };
    await expect(
      issueKey(api.db.app.kysely, admin, { role: 'admin', poolId: null, key: `plk_${taken}_${'C'.repeat(32)}` }),
    ).rejects.toMatchObject({
      kind: 'conflict',
      message: `a key with prefix ${taken} exists already`,
    });
  });
});

describe('tenancy', () => {
  it("answers another tenant's pool exactly like a pool that does not exist", async () => {
    const other = await api.call('GET', `/v1/pools/${b.poolId}`, { key: a.treasury });
    const missing = await api.call('GET', '/v1/pools/999999', { key: a.treasury });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect({ ...other.body, detail: '', instance: '', request_id: '' }).toEqual({
      ...missing.body,
      detail: '',
      instance: '',
      request_id: '',
    });
  });

  it('a bank sees itself among the participants and nobody else', async () => {
    const page = expectStatus(await api.call('GET', `/v1/pools/${a.poolId}/participants`, { key: a.bank }), 200);
    expect(page.data.map((p: { id: string }) => p.id)).toEqual([a.bankId]);
    expect((await api.call('GET', `/v1/pools/${a.poolId}/participants/${a.insurerId}`, { key: a.bank })).status).toBe(
      404,
    );
    const all = expectStatus(await api.call('GET', `/v1/pools/${a.poolId}/participants`, { key: a.treasury }), 200);
    expect(all.data).toHaveLength(2);
  });
});

describe('participants carry their credit code', () => {
  const register = (body: unknown) => api.call('POST', `/v1/pools/${a.poolId}/participants`, { key: a.treasury, body });

  it('refuses a code with a wrong check character, naming the field', async () => {
    const r = await register({ kind: 'bank', name: 'Typo Bank', credit_code: '91350100M000100Y44' });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ details: { field: 'credit_code' } });
    expect(r.body.detail).toMatch(/should be 3/);
  });

  it('registers an enterprise with its zone, certificate and rating', async () => {
    const code = newCreditCode();
    const r = expectStatus(
      await register({
        kind: 'enterprise',
        name: '大连某科技有限公司',
        credit_code: code,
        enterprise: {
          in_zone: true,
          tech_sme_certificate: 'GR202321000123',
          tech_sme_expires: '2027-12-31',
          credit_rating: 'BB',
        },
      }),
      201,
    );
    expect(r).toMatchObject({
      credit_code: code,
      enterprise: {
        in_zone: true,
        tech_sme_certificate: 'GR202321000123',
        tech_sme_expires: '2027-12-31',
        credit_rating: 'BB',
      },
    });
    const again = await register({
      kind: 'enterprise',
      name: 'Another name',
      credit_code: code,
      enterprise: { in_zone: false },
    });
    expect(again.status).toBe(409);
  });

  it('asks an enterprise for its profile and nobody else', async () => {
    expect(
      (await register({ kind: 'enterprise', name: 'No profile', credit_code: newCreditCode() })).body,
    ).toMatchObject({ details: { field: 'enterprise' } });
    expect(
      (
        await register({
          kind: 'bank',
          name: 'Profiled bank',
          credit_code: newCreditCode(),
          enterprise: { in_zone: true },
        })
      ).status,
    ).toBe(422);
    const half = await register({
      kind: 'enterprise',
      name: 'Half certificate',
      credit_code: newCreditCode(),
      enterprise: { in_zone: true, tech_sme_certificate: 'GR1' },
    });
    expect(half.body).toMatchObject({ details: { field: 'enterprise.tech_sme_expires' } });
  });
});

describe('idempotency', () => {
  it('requires an Idempotency-Key on every POST', async () => {
    const r = await api.call('POST', '/v1/pools', { idem: null, body: { name: 'no key' } });
    expect(r.status).toBe(400);
    expect(r.body.type).toMatch(/idempotency-key-missing$/);
  });

  it('replays the first response for the same key and body, and refuses another body', async () => {
    const code = newCreditCode();
    const first = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      idem: 'p-1',
      body: { kind: 'bank', name: 'Harbin Bank', credit_code: code },
    });
    const again = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      idem: 'p-1',
      body: { name: 'Harbin Bank', credit_code: code, kind: 'bank' },
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      idem: 'p-1',
      body: { kind: 'bank', name: 'Another Bank', credit_code: newCreditCode() },
    });
    expect(other.status).toBe(422);
    expect(other.body.type).toMatch(/idempotency-key-reused$/);
    const list = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/participants?limit=100`, { key: a.treasury }),
      200,
    );
    expect(list.data.filter((p: { name: string }) => p.name === 'Harbin Bank')).toHaveLength(1);
  });

  it('replays a refusal as a refusal', async () => {
    const dup = { kind: 'bank', name: 'Bank of Dalian', credit_code: newCreditCode() };
    const first = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      idem: 'dup-1',
      body: dup,
    });
    expect(first.status).toBe(409);
    const again = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      idem: 'dup-1',
      body: dup,
    });
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('lets exactly one of two concurrent requests with one key take effect; the other answers 409 or replays', async () => {
    const body = { kind: 'insurer', name: 'Concurrent Insurance', credit_code: newCreditCode() };
    const [r1, r2] = await Promise.all([
      api.call('POST', `/v1/pools/${a.poolId}/participants`, { key: a.treasury, idem: 'race-1', body }),
      api.call('POST', `/v1/pools/${a.poolId}/participants`, { key: a.treasury, idem: 'race-1', body }),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses[0]).toBe(201);
    expect([201, 409]).toContain(statuses[1]);
    if (statuses[1] === 409) expect([r1, r2].find((r) => r.status === 409)!.headers.get('retry-after')).toBe('1');
    const list = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/participants?limit=100`, { key: a.treasury }),
      200,
    );
    expect(list.data.filter((p: { name: string }) => p.name === body.name)).toHaveLength(1);
  });

  it('answers 409 with Retry-After while the first request with the key still runs, then replays its answer', async () => {
    const body = { kind: 'insurer', name: 'Slow Insurance', credit_code: newCreditCode() };
    const send = () =>
      api.call('POST', `/v1/pools/${a.poolId}/participants`, { key: a.treasury, idem: 'slow-1', body });
    // Hold the first request inside its effect: the table it inserts into is locked by another session.
    const holder = await api.db.owner.reserve();
    try {
      await holder`BEGIN`;
      await holder`LOCK TABLE participants IN EXCLUSIVE MODE`;
      const first = send();
      for (let i = 0; i < 100; i++) {
        const [claim] = await api.db.owner`SELECT 1 FROM idempotency_keys WHERE key = 'slow-1' AND finished_at IS NULL`;
        if (claim) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const second = await send();
      expect(second.status).toBe(409);
      expect(second.body.type).toMatch(/idempotency-in-flight$/);
      expect(second.headers.get('retry-after')).toBe('1');
      await holder`COMMIT`;
      expect((await first).status).toBe(201);
    } finally {
      await holder`ROLLBACK`.catch(() => {});
      holder.release();
    }
    const third = await send();
    expect(third.status).toBe(201);
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    const list = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/participants?limit=100`, { key: a.treasury }),
      200,
    );
    expect(list.data.filter((p: { name: string }) => p.name === body.name)).toHaveLength(1);
  });

  it('keys are scoped to the API key that sent them', async () => {
    const r1 = await api.call('POST', '/v1/keys', {
      key: a.treasury,
      idem: 'same',
      body: { role: 'auditor', pool_id: a.poolId },
    });
    const r2 = await api.call('POST', '/v1/keys', {
      key: b.treasury,
      idem: 'same',
      body: { role: 'auditor', pool_id: b.poolId },
    });
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect(r2.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('validation', () => {
  it('names each failing field', async () => {
    const r = await api.call('POST', `/v1/pools/${a.poolId}/participants`, {
      key: a.treasury,
      body: { kind: 'pirate', name: '' },
    });
    expect(r.status).toBe(400);
    isProblem(r);
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['json.kind', 'json.name']));
  });

  it('refuses a body over 1 MiB, whether its length is declared or it arrives in chunks', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const declared = await api.call('POST', '/v1/pools', {
      body: big,
      headers: { 'content-length': String(Buffer.byteLength(big)) },
    });
    expect(declared.status).toBe(413);
    isProblem(declared);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++)
          controller.enqueue(new TextEncoder().encode(big.slice(i * 300_000, (i + 1) * 300_000)));
        controller.close();
      },
    });
    const res = await api.app.request('/v1/pools', {
      method: 'POST',
      body: chunks,
      duplex: 'half',
      headers: {
        authorization: `Bearer ${api.adminKey}`,
        'idempotency-key': 'chunked-' + Math.random(),
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
    } as RequestInit);
    expect(res.status).toBe(413);
    // A length that is not a plain number is refused, not half-read (Node's parser refuses it first; this is for any other host).
    const odd = await api.call('POST', '/v1/pools', { body: big, headers: { 'content-length': '12abc' } });
    expect(odd.status).toBe(400);
    isProblem(odd);
    const small = await api.call('POST', '/v1/pools', {
      body: { name: 'declared' },
      headers: { 'content-length': String(Buffer.byteLength(JSON.stringify({ name: 'declared' }))) },
    });
    expect(small.status).toBe(201);
  });

  it('answers a body that is not JSON with a problem, not a 500', async () => {
    const r = await api.call('POST', '/v1/pools', {
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    isProblem(r);
  });
});
