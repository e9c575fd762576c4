import { createRoute, z } from '@hono/zod-openapi';
import { currentMigration } from '../../db/health.js';
import { routeGroup } from '../route-group.js';
import { isUnavailable } from '../../db/client.js';
import { ProblemError, ProblemSchema } from '../problem.js';

const Health = z.object({ status: z.literal('ok') }).openapi('Health');
const Ready = z.object({ status: z.literal('ready'), migration: z.number().int() }).openapi('Ready');

export function systemRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['system'],
      summary: 'The process is up',
      security: [],
      responses: { 200: { description: 'Up', content: { 'application/json': { schema: Health } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['system'],
      summary: 'The database answers and has every migration this build expects',
      security: [],
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'Not ready', content: { 'application/problem+json': { schema: ProblemSchema } } },
      },
    }),
    async (c) => {
      const expected = c.get('deps').latestMigration;
      let current: number;
      try {
        current = await currentMigration(c.get('deps').db.kysely);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        throw new ProblemError('unavailable', {
          detail: 'the database cannot be reached',
          headers: { 'retry-after': '2' },
        });
      }
      if (current < expected) {
        throw new ProblemError('unavailable', {
          detail: `database is at migration ${current}, this build needs ${expected}`,
          headers: { 'retry-after': '5' },
        });
      }
      return c.json({ status: 'ready' as const, migration: current }, 200);
    },
  );
  return app;
}
