import { createRoute, z } from '@hono/zod-openapi';
import { issueKey, listKeys, revokeKey } from '../../pool/keys.js';
import { routeGroup } from '../route-group.js';
import { Id, Limit, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const Role = z.enum(['admin', 'treasury', 'bank', 'insurer', 'auditor', 'guarantor', 'enterprise']);
const KeyBody = z
  .object({
    role: Role,
    pool_id: Id.optional(),
    participant_id: Id.optional(),
    label: text(200, { min: 0 }).optional(),
  })
  .openapi('NewKey', {
    description: 'Admin keys issue admin, treasury and auditor keys; a treasury key issues keys for its own pool.',
  });
const KeyOut = z
  .object({
    id: Id,
    prefix: z.string(),
    role: Role,
    pool_id: Id.nullable(),
    participant_id: Id.nullable(),
    label: z.string(),
    created_at: z.string(),
    key: z
      .string()
      .nullable()
      .openapi({ description: 'The key itself: shown once, stored only as a hash (null when a request is replayed).' }),
  })
  .openapi('IssuedKey');

const KeyListedOut = z
  .object({
    id: Id,
    prefix: z.string(),
    role: Role,
    pool_id: Id.nullable(),
    participant_id: Id.nullable(),
    label: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    person_login: z.string().nullable().openapi({
      description: "The person whose identity the key is (their sessions act as it); null for a system's key",
    }),
  })
  .openapi('Key');

export function keyRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/keys',
      tags: ['keys'],
      summary: "The keys: an admin's, all (or one pool's); a treasury key's, its own pool's. Never a secret.",
      request: { query: z.object({ pool_id: Id.optional(), limit: Limit, after: Id.optional() }) },
      responses: {
        200: {
          description: 'A page, oldest first',
          content: json(z.object({ data: z.array(KeyListedOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const { pool_id, limit, after } = c.req.valid('query');
      const rows = await listKeys(call.db, call.principal, {
        poolId: pool_id === undefined ? undefined : BigInt(pool_id),
        after: after === undefined ? undefined : BigInt(after),
        limit,
      });
      return c.json(
        {
          data: rows.map((k) => ({
            id: k.id.toString(),
            prefix: k.prefix,
            role: k.role,
            pool_id: k.poolId?.toString() ?? null,
            participant_id: k.participantId?.toString() ?? null,
            label: k.label,
            created_at: k.createdAt.toISOString(),
            revoked_at: k.revokedAt?.toISOString() ?? null,
            person_login: k.personLogin,
          })),
          next_cursor: rows.length === limit ? rows.at(-1)!.id.toString() : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/keys',
      tags: ['keys'],
      summary: 'Issue an API key',
      request: { body: { content: json(KeyBody), required: true } },
      responses: {
        201: { description: 'Issued; the key is in the body, once', content: json(KeyOut) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const body = c.req.valid('json');
      const issued = await issueKey(call.db, call.principal, {
        role: body.role,
        poolId: body.pool_id === undefined ? null : BigInt(body.pool_id),
        participantId: body.participant_id === undefined ? null : BigInt(body.participant_id),
        label: body.label,
      });
      c.header('cache-control', 'no-store');
      const out = {
        id: issued.id.toString(),
        prefix: issued.prefix,
        role: issued.role,
        pool_id: issued.poolId?.toString() ?? null,
        participant_id: issued.participantId?.toString() ?? null,
        label: issued.label,
        created_at: issued.createdAt.toISOString(),
        key: issued.key,
      };
      // The key is shown once: a replay of this request answers the same key record without the secret.
      c.set('replayBody', JSON.stringify({ ...out, key: null }));
      return c.json(out, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/keys/{key_id}/revoke',
      tags: ['keys'],
      summary: 'Revoke an API key; it stops working at once',
      request: { params: z.object({ key_id: Id }) },
      responses: {
        200: { description: 'Revoked', content: json(z.object({ id: Id, revoked: z.literal(true) })) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const { key_id } = c.req.valid('param');
      await revokeKey(call.db, call.principal, BigInt(key_id), c.get('keys'));
      return c.json({ id: key_id, revoked: true as const }, 200);
    },
  );
  return app;
}
