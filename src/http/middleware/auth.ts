import { createMiddleware } from 'hono/factory';
import { authenticate } from '../../pool/keys.js';
import type { AppEnv } from '../env.js';
import { problem } from '../problem.js';

/** `Authorization: Bearer <key>`; the principal (role, pool, participant) comes from the key alone. */
export const bearerAuth = createMiddleware<AppEnv>(async function bearerAuth(c, next) {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const principal = match ? await authenticate(c.get('deps').db.kysely, match[1]!, c.get('keys')) : null;
  if (!principal) {
    return problem(c, 'unauthorized', {
      detail: match ? 'the API key is unknown or revoked' : 'send Authorization: Bearer <key>',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  c.set('principal', principal);
  await next();
});
