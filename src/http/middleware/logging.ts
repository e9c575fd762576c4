import { routePath } from 'hono/route';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';

/**
 * One log line per request: method, route pattern (not the raw path, which may carry ids), status, duration,
 * the key's prefix and participant, the request id. Never a key, a password or a body.
 */
export const requestLog = createMiddleware<AppEnv>(async function requestLog(c, next) {
  const started = performance.now();
  await next();
  const principal = c.get('principal');
  const line = {
    request_id: c.get('requestId'),
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
    ...(principal
      ? {
          key: principal.keyPrefix,
          role: principal.role,
          pool_id: principal.poolId?.toString(),
          participant_id: principal.participantId?.toString(),
        }
      : {}),
  };
  const logger = c.get('deps').logger;
  if (c.res.status >= 500) logger.error(line, 'request failed');
  else logger.info(line, 'request');
});
