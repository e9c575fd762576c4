import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { authenticate } from '../../pool/keys.js';
import { principalOf, sessionPerson } from '../../pool/people.js';
import type { AppEnv } from '../env.js';
import { problem } from '../problem.js';

/** The cookie that carries a person's session (HttpOnly, SameSite=Lax; Secure except on 127.0.0.1). */
export const SESSION_COOKIE = 'pool_session';

/**
 * `Authorization: Bearer <key>` for systems; a person's session cookie for the console and a signed-in
 * person's own calls. The principal (role, pool, participant) comes from the key, or the person's identity
 * key, alone. A write sent with a session cookie must come from this site (its Origin, or Sec-Fetch-Site
 * same-origin): a page elsewhere cannot make a signed-in browser write.
 */
export const bearerAuth = createMiddleware<AppEnv>(async function bearerAuth(c, next) {
  const header = c.req.header('authorization');
  const db = c.get('deps').db.kysely;
  if (header === undefined) {
    const token = getCookie(c, SESSION_COOKIE);
    const person = token ? await sessionPerson(db, token) : null;
    if (person) {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameSite(c.req.raw))
        return problem(c, 'forbidden', { detail: 'a write with a session must come from this site' });
      // A one-time password opens the door to setting one's own, nothing else.
      if (person.mustChange)
        return problem(c, 'forbidden', { detail: 'set a password of your own first (sign in to the console)' });
      c.set('principal', principalOf(person));
      return next();
    }
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const principal = match ? await authenticate(db, match[1]!, c.get('keys')) : null;
  if (!principal) {
    return problem(c, 'unauthorized', {
      detail: match
        ? 'the API key is unknown or revoked'
        : header === undefined && getCookie(c, SESSION_COOKIE)
          ? 'the session has ended: sign in again'
          : 'send Authorization: Bearer <key>',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  c.set('principal', principal);
  await next();
});

/** Whether a request comes from a page of this site (what hono/csrf checks, for any content type). */
export function sameSite(request: Request): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return origin === new URL(request.url).origin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}
