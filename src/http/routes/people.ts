import { createRoute, z } from '@hono/zod-openapi';
import { readAuditLog } from '../../pool/audit.js';
import { createPerson, disablePerson, listPeople, resetPassword, type Person } from '../../pool/people.js';
import { routeGroup } from '../route-group.js';
import { Id, Limit, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const Role = z.enum(['admin', 'treasury', 'bank', 'insurer', 'auditor', 'guarantor', 'enterprise']);
const PersonBody = z
  .object({
    login: text(64).openapi({ example: 'li.na' }),
    name: text(200).openapi({ example: '李娜' }),
    role: Role,
    pool_id: Id.optional(),
    participant_id: Id.optional(),
    password: text(200)
      .optional()
      .openapi({ description: 'Omitted: a one-time password is made and answered once. Changed at first sign-in.' }),
  })
  .openapi('NewPerson', {
    description:
      'The admin creates admins, treasuries and auditors; a treasury creates the people of its own pool (a bank officer with participant_id).',
  });
const PersonOut = z
  .object({
    id: Id,
    login: z.string(),
    name: z.string(),
    role: Role,
    pool_id: Id.nullable(),
    participant_id: Id.nullable(),
    key_id: Id.openapi({ description: 'The identity key the person acts through: records name it as the person' }),
    must_change_password: z.boolean(),
    disabled: z.boolean(),
    created_at: z.string(),
  })
  .openapi('Person');
const personOut = (p: Person) => ({
  id: p.id.toString(),
  login: p.login,
  name: p.name,
  role: p.role,
  pool_id: p.poolId?.toString() ?? null,
  participant_id: p.participantId?.toString() ?? null,
  key_id: p.keyId.toString(),
  must_change_password: p.mustChange,
  disabled: p.disabled,
  created_at: p.createdAt.toISOString(),
});
const AuditLineOut = z
  .object({
    id: Id,
    key_id: Id,
    key_label: z.string(),
    person: z.object({ login: z.string(), name: z.string() }).nullable(),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    request_id: z.string(),
    at: z.string(),
  })
  .openapi('AuditLine');

export function peopleRoutes() {
  const app = routeGroup();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/people',
      tags: ['people'],
      summary: "Create a person's account (admin; a treasury for its pool), with a one-time password unless given",
      request: { body: { content: json(PersonBody), required: true } },
      responses: {
        201: {
          description: 'Created; a one-time password, if made, is in the body once',
          content: json(z.object({ person: PersonOut, one_time_password: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const b = c.req.valid('json');
      const { person, oneTimePassword } = await createPerson(call.db, call.principal, {
        login: b.login,
        name: b.name,
        role: b.role,
        poolId: b.pool_id === undefined ? null : BigInt(b.pool_id),
        participantId: b.participant_id === undefined ? null : BigInt(b.participant_id),
        password: b.password,
      });
      c.header('cache-control', 'no-store');
      const out = { person: personOut(person), one_time_password: oneTimePassword };
      // The password is shown once: a replay answers the account without it.
      c.set('replayBody', JSON.stringify({ ...out, one_time_password: null }));
      return c.json(out, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/people',
      tags: ['people'],
      summary: 'People: a treasury sees those of its pool; the admin everyone (pool_id= one pool)',
      request: { query: z.object({ limit: Limit, after: Id.optional(), pool_id: Id.optional() }) },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(PersonOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const q = c.req.valid('query');
      const rows = await listPeople(call.db, call.principal, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
        poolId: q.pool_id === undefined ? undefined : BigInt(q.pool_id),
      });
      return c.json(
        { data: rows.map(personOut), next_cursor: rows.length === q.limit ? rows.at(-1)!.id.toString() : null },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/people/{person_id}/disable',
      tags: ['people'],
      summary: 'Disable an account: its sessions end and it can no longer sign in',
      request: {
        params: z.object({ person_id: Id }),
        body: { content: json(z.object({}).passthrough()), required: false },
      },
      responses: { 200: { description: 'Disabled', content: json(PersonOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c);
      return c.json(
        personOut(await disablePerson(call.db, call.principal, BigInt(c.req.valid('param').person_id))),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/people/{person_id}/password-reset',
      tags: ['people'],
      summary:
        "Give a person a new one-time password, answered once (admin; a treasury for its pool's people but not the treasury's): their sessions end",
      request: {
        params: z.object({ person_id: Id }),
        body: { content: json(z.object({}).passthrough()), required: false },
      },
      responses: {
        200: {
          description: 'Reset; the one-time password is in the body once (null when the request is replayed)',
          content: json(z.object({ person: PersonOut, one_time_password: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c);
      const { person, oneTimePassword } = await resetPassword(
        call.db,
        call.principal,
        BigInt(c.req.valid('param').person_id),
      );
      c.header('cache-control', 'no-store');
      const out = { person: personOut(person), one_time_password: oneTimePassword };
      c.set('replayBody', JSON.stringify({ ...out, one_time_password: null }));
      return c.json(out, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/audit',
      tags: ['people'],
      summary:
        "The pool's audit log (treasury, auditors): every write answered, who made it (key, person), what, when, from which request id",
      request: { params: PoolParam, query: z.object({ limit: Limit, after: Id.optional() }) },
      responses: {
        200: {
          description: 'A page, oldest first',
          content: json(z.object({ data: z.array(AuditLineOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const q = c.req.valid('query');
      const rows = await readAuditLog(call.db, call.principal, call.poolId, {
        limit: q.limit,
        after: q.after === undefined ? undefined : BigInt(q.after),
      });
      return c.json(
        {
          data: rows.map((r) => ({
            id: r.id.toString(),
            key_id: r.keyId.toString(),
            key_label: r.keyLabel,
            person: r.person,
            method: r.method,
            path: r.path,
            status: r.status,
            request_id: r.requestId,
            at: r.at.toISOString(),
          })),
          next_cursor: rows.length === q.limit ? rows.at(-1)!.id.toString() : null,
        },
        200,
      );
    },
  );
  return app;
}
