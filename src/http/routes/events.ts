import { createRoute, z } from '@hono/zod-openapi';
import { readEvents } from '../../pool/events.js';
import { ProblemError } from '../problem.js';
import { routeGroup } from '../route-group.js';
import { Cursor, feedCursor, Id } from '../wire.js';
import { caller, errorResponses } from './common.js';

const EventOut = z
  .object({
    id: Id,
    pool_id: Id,
    type: z.string(),
    subject: z.string(),
    participant_id: Id.nullable(),
    data: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi('Event');

export function eventRoutes() {
  const app = routeGroup();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      tags: ['events'],
      summary: 'The event feed, in transaction order, none skipped',
      description: [
        'Poll with the `next_cursor` of the previous page as `after` (omit it to start from the beginning).',
        'Events appear in the order their database transactions began (xid8), each only once every transaction begun',
        'before it has ended: an event whose transaction commits late is delivered late, never skipped, and a cursor',
        'never moves past a transaction still in flight. An empty page returns the same cursor;',
        'ask again after a pause. Banks and insurers see only the events that concern them; treasury and auditors see all.',
        'Admin keys name the pool with `pool_id`.',
      ].join(' '),
      request: {
        query: z.object({
          after: Cursor.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          pool_id: Id.optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page',
          content: {
            'application/json': { schema: z.object({ data: z.array(EventOut), next_cursor: z.string().nullable() }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      // Without pool_id, the key's own pool; an admin key has none.
      const call = caller(c, q.pool_id);
      if (q.pool_id === undefined && call.principal.poolId === null) {
        throw new ProblemError('validation', {
          detail: 'an admin key must name the pool with pool_id',
          errors: [{ path: 'query.pool_id', message: 'required' }],
        });
      }
      const after = () => {
        const decoded = q.after === undefined ? undefined : feedCursor.decode(q.after);
        if (decoded === null)
          throw new ProblemError('validation', {
            detail: 'cursor is not one this API gave out',
            errors: [{ path: 'query.after', message: 'invalid' }],
          });
        return decoded;
      };
      const page = await readEvents(call.db, call.principal, call.poolId, { after, limit: q.limit });
      return c.json(
        {
          data: page.events.map((e) => ({
            id: e.id.toString(),
            pool_id: e.poolId.toString(),
            type: e.type,
            subject: e.subject,
            participant_id: e.participantId?.toString() ?? null,
            data: e.data,
            created_at: e.createdAt.toISOString(),
          })),
          next_cursor: page.next ? feedCursor.encode(page.next) : null,
        },
        200,
      );
    },
  );
  return app;
}
