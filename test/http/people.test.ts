import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILURES_PER_LOGIN } from '../../src/pool/people.js';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

/**
 * People's accounts and sessions over HTTP: who creates whom, the password policy, sign-in with its cookie
 * and throttling, sessions that end, the API taken with a session only from this site, and the audit log
 * naming the person.
 */
let api: ApiFixture;
let t: Tenant;
const BASE = 'http://127.0.0.1';
const PASSWORD = 'a-Long-Secret-2026';

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant(undefined, { fourEyes: true });
});
afterAll(() => api.close());

const create = (key: string, body: Record<string, unknown>) => api.call('POST', '/v1/people', { key, body });
/** Posts the sign-in form as a browser of this site would. */
const signIn = (login: string, password: string, address = '10.0.0.1') =>
  api.app.request(`${BASE}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, 'x-forwarded-for': address },
    body: new URLSearchParams({ login, password }).toString(),
  });
const cookieOf = (res: Response) => /pool_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
const OWN = 'my-Own-Phrase-2026';
/** The first sign-in: the password given at creation, then one of the person's own. Returns the session. */
async function firstSignIn(login: string): Promise<string> {
  const token = cookieOf(await signIn(login, PASSWORD))!;
  const set = await api.app.request(`${BASE}/password`, {
    method: 'POST',
    headers: { cookie: `pool_session=${token}`, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ current: PASSWORD, next: OWN }).toString(),
  });
  expect(set.status).toBe(303);
  return token;
}
const readAs = (token: string) =>
  api.app.request(`${BASE}/v1/pools/${t.poolId}/trial-balance`, { headers: { cookie: `pool_session=${token}` } });

describe('accounts', () => {
  it('are created by the treasury for its pool and by the admin for the platform, by the rules of keys', async () => {
    const officer = await create(t.treasury, {
      login: 'officer.a',
      name: '信贷员甲',
      role: 'bank',
      pool_id: t.poolId,
      participant_id: t.bankId,
    });
    expect(officer.status, officer.text).toBe(201);
    expect(officer.body.one_time_password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(officer.body.person).toMatchObject({ login: 'officer.a', role: 'bank', must_change_password: true });
    // A treasury cannot make an admin, nor people of another pool; a bank cannot make anyone.
    expect((await create(t.treasury, { login: 'boss', name: 'x', role: 'admin' })).status).toBe(403);
    // Nor a person of the treasury: it would confirm its own proposals through them.
    const colleague = await create(t.treasury, { login: 'colleague', name: 'x', role: 'treasury', pool_id: t.poolId });
    expect(colleague.status).toBe(403);
    expect(colleague.text).toContain('created by the admin');
    const other = await api.tenant();
    expect((await create(t.treasury, { login: 'spy', name: 'x', role: 'auditor', pool_id: other.poolId })).status).toBe(
      404,
    );
    expect((await create(t.bank, { login: 'self', name: 'x', role: 'bank', pool_id: t.poolId })).status).toBe(403);
    // Logins are unique, whatever their case.
    expect(
      (await create(t.treasury, { login: 'OFFICER.A', name: 'y', role: 'auditor', pool_id: t.poolId })).status,
    ).toBe(409);
    // The treasury lists its pool's people, not another pool's.
    const mine = expectStatus(await api.call('GET', '/v1/people', { key: t.treasury }), 200).data;
    expect(mine.map((p: { login: string }) => p.login)).toEqual(['officer.a']);
  });

  it('refuse a password the policy does not take, saying why', async () => {
    const weak = await create(t.treasury, {
      login: 'weak.one',
      name: 'Weak',
      role: 'auditor',
      pool_id: t.poolId,
      password: 'password1234',
    });
    expect(weak.status).toBe(422);
    expect(weak.text).toContain('tried first');
    const short = await create(t.treasury, {
      login: 'short.one',
      name: 'S',
      role: 'auditor',
      pool_id: t.poolId,
      password: 'abc',
    });
    expect(short.text).toContain('at least 12');
  });
});

describe('sessions', () => {
  it('sign in with a new HttpOnly SameSite cookie each time, and end at sign-out', async () => {
    expectStatus(
      await create(t.treasury, {
        login: 'aud.b',
        name: '审计乙',
        role: 'auditor',
        pool_id: t.poolId,
        password: PASSWORD,
      }),
      201,
    );
    const first = await signIn('aud.b', PASSWORD);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/password');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // 127.0.0.1: no TLS in the way of a local start
    // With the password given at creation, the session does nothing but set one's own.
    expect((await readAs(cookieOf(first)!)).status).toBe(403);
    const second = await signIn('aud.b', PASSWORD);
    expect(cookieOf(second)).not.toBe(cookieOf(first));
    const set = await api.app.request(`${BASE}/password`, {
      method: 'POST',
      headers: {
        cookie: `pool_session=${cookieOf(second)}`,
        origin: BASE,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ current: PASSWORD, next: OWN }).toString(),
    });
    expect(set.status).toBe(303);
    // Setting it signed out every other session of the person (the first, here); this one reads the API.
    expect((await readAs(cookieOf(first)!)).status).toBe(401);
    const token = cookieOf(second)!;
    expect((await readAs(token)).status).toBe(200);

    await api.app.request(`${BASE}/logout`, {
      method: 'POST',
      headers: { cookie: `pool_session=${token}`, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
    });
    const after = await api.app.request(`${BASE}/v1/pools/${t.poolId}/trial-balance`, {
      headers: { cookie: `pool_session=${token}` },
    });
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('sign in again');
  });

  it('end when idle past the limit', async () => {
    const token = cookieOf(await signIn('aud.b', OWN))!;
    expect((await readAs(token)).status).toBe(200);
    await api.db.owner`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE ended_at IS NULL`;
    const r = await api.app.request(`${BASE}/v1/pools/${t.poolId}/trial-balance`, {
      headers: { cookie: `pool_session=${token}` },
    });
    expect(r.status).toBe(401);
  });

  it('take writes with a session only from this site', async () => {
    expectStatus(
      await create(api.adminKey, {
        login: 'fin.c',
        name: '财政丙',
        role: 'treasury',
        pool_id: t.poolId,
        password: PASSWORD,
      }),
      201,
    );
    const token = await firstSignIn('fin.c');
    const write = (origin: string) =>
      api.app.request(`${BASE}/v1/pools/${t.poolId}/participants`, {
        method: 'POST',
        headers: {
          cookie: `pool_session=${token}`,
          origin,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({ kind: 'guarantor', name: `担保 ${origin.length}`, credit_code: '91350100M000100Y43' }),
      });
    expect((await write('http://elsewhere.example')).status).toBe(403);
    const mine = await write(BASE);
    expect(mine.status, await mine.clone().text()).toBe(201);
    const log = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/audit?limit=1000`, { key: t.auditor }),
      200,
    ).data;
    expect(log.at(-1)).toMatchObject({
      person: { login: 'fin.c', name: '财政丙' },
      method: 'POST',
      path: `/v1/pools/${t.poolId}/participants`,
      status: 201,
    });
    expect(log.at(-1).request_id).not.toBe('');
  });

  it('throttle sign-in per account after repeated failures, even with the right password', async () => {
    expectStatus(
      await create(t.treasury, {
        login: 'target.d',
        name: 'Target',
        role: 'auditor',
        pool_id: t.poolId,
        password: PASSWORD,
      }),
      201,
    );
    for (let i = 0; i < MAX_FAILURES_PER_LOGIN; i++)
      expect((await signIn('target.d', 'wrong-password-xx', `10.1.0.${i}`)).status).toBe(401);
    const blocked = await signIn('target.d', PASSWORD, '10.2.0.1');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('900');
    expect(cookieOf(blocked)).toBeUndefined();
    // An unknown login is answered as a wrong password.
    const unknown = await signIn('nobody.here', PASSWORD, '10.3.0.1');
    expect(unknown.status).toBe(401);
  });
});

describe('one-time passwords', () => {
  const reset = (key: string, id: string, idem?: string) =>
    api.call('POST', `/v1/people/${id}/password-reset`, { key, idem });
  const loansAs = (token: string) =>
    api.app.request(`${BASE}/v1/pools/${t.poolId}/loans`, { headers: { cookie: `pool_session=${token}` } });

  it('work for a limited time; a reset gives a new one, once, and ends every session of the person', async () => {
    const made = expectStatus(
      await create(t.treasury, {
        login: 'reset.e',
        name: '重置戊',
        role: 'bank',
        pool_id: t.poolId,
        participant_id: t.bankId,
      }),
      201,
    );
    const first = made.one_time_password as string;
    await api.db.owner`UPDATE users SET password_expires_at = now() - interval '1 second' WHERE login = 'reset.e'`;
    const late = await signIn('reset.e', first, '10.4.0.1');
    expect(late.status).toBe(401);
    expect(cookieOf(late)).toBeUndefined();
    expect(await late.text()).toContain('一次性密码已过期');

    const again = expectStatus(await reset(t.treasury, made.person.id, 'reset-e-1'), 200);
    expect(again.one_time_password).toMatch(/\S{12,}/);
    expect(again.one_time_password).not.toBe(first);
    expect(again.person.must_change_password).toBe(true);
    // A replay answers the account, never the password again.
    const replayed = await reset(t.treasury, made.person.id, 'reset-e-1');
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.one_time_password).toBeNull();
    expect((await signIn('reset.e', first, '10.4.0.2')).status).toBe(401);

    const signedIn = await signIn('reset.e', again.one_time_password, '10.4.0.3');
    expect(signedIn.headers.get('location')).toBe('/password');
    const token = cookieOf(signedIn)!;
    const set = await api.app.request(`${BASE}/password`, {
      method: 'POST',
      headers: { cookie: `pool_session=${token}`, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ current: again.one_time_password, next: OWN }).toString(),
    });
    expect(set.status).toBe(303);
    expect((await loansAs(token)).status).toBe(200);
    // The person's own password does not expire.
    const [row] = await api.db.owner<{ password_expires_at: Date | null }[]>`
      SELECT password_expires_at FROM users WHERE login = 'reset.e'`;
    expect(row!.password_expires_at).toBeNull();

    expectStatus(await reset(t.treasury, made.person.id), 200);
    expect((await loansAs(token)).status).toBe(401);
    expect((await signIn('reset.e', OWN, '10.4.0.4')).status).toBe(401);
  });

  it("are reset by the treasury for its pool's people but not the treasury's, which the admin resets", async () => {
    const treasurer = expectStatus(
      await create(api.adminKey, { login: 'fin.f', name: '财政己', role: 'treasury', pool_id: t.poolId }),
      201,
    );
    const refused = await reset(t.treasury, treasurer.person.id);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('admin');
    expectStatus(await reset(api.adminKey, treasurer.person.id), 200);

    const clerk = expectStatus(
      await create(t.treasury, { login: 'clerk.g', name: '庚', role: 'auditor', pool_id: t.poolId }),
      201,
    );
    const other = await api.tenant();
    expect((await reset(other.treasury, clerk.person.id)).status).toBe(404);
    expect((await reset(t.bank, clerk.person.id)).status).toBe(403);
    expectStatus(await reset(t.treasury, clerk.person.id), 200);
  });
});

describe('what a tenant cannot reach through the log or the console', () => {
  it("keeps a request into another pool out of that pool's audit log", async () => {
    const other = await api.tenant();
    const probe = await api.call('POST', `/v1/pools/${other.poolId}/participants`, {
      key: t.treasury,
      body: { kind: 'guarantor', name: 'probe', credit_code: '91350100M000100Y43' },
    });
    expect(probe.status).toBe(404);
    const theirs = expectStatus(
      await api.call('GET', `/v1/pools/${other.poolId}/audit?limit=1000`, { key: other.auditor }),
      200,
    ).data;
    expect(theirs.filter((l: { request_id: string }) => l.request_id === probe.body.request_id)).toEqual([]);
    const mine = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/audit?limit=1000`, { key: t.auditor }),
      200,
    ).data;
    expect(mine.filter((l: { request_id: string }) => l.request_id === probe.body.request_id)).toHaveLength(1);
  });

  it('sends the language switch back to a page of this site only', async () => {
    for (const back of ['/\\evil.example', '/%09/evil.example', '//evil.example', 'https://evil.example/x']) {
      const res = await api.app.request(`${BASE}/lang?to=en&back=${encodeURIComponent(back)}`);
      expect(res.status).toBe(303);
      const to = new URL(res.headers.get('location')!, BASE);
      expect(to.origin, back).toBe(BASE);
    }
    const ok = await api.app.request(`${BASE}/lang?to=en&back=${encodeURIComponent('/claims?status=paid')}`);
    expect(ok.headers.get('location')).toBe('/claims?status=paid');
  });

  it('answers a login holding a NUL as a wrong password, not a 500', async () => {
    expect((await signIn('ad\u0000min', 'whatever-it-is')).status).toBe(401);
  });
});
