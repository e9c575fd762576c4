import { createRoute, z } from '@hono/zod-openapi';
import {
  CREDIT_RATINGS,
  createParticipant,
  createPool,
  getParticipant,
  getPool,
  listParticipants,
  setFourEyes,
  type Participant,
  type Pool,
} from '../../pool/pools.js';
import { routeGroup } from '../route-group.js';
import { Day, Id, Limit, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const PoolBody = z
  .object({
    name: text(200),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('CNY'),
  })
  .openapi('NewPool');
const PoolOut = z
  .object({
    id: Id,
    name: z.string(),
    currency: z.string(),
    four_eyes: z.boolean().openapi({
      description: 'Money decisions are proposed by one person of the treasury and confirmed by another (default true)',
    }),
    created_at: z.string(),
  })
  .openapi('Pool');
const Kind = z.enum(['treasury', 'bank', 'insurer', 'guarantor', 'enterprise', 'vc', 'auditor']);
const Rating = z.enum(CREDIT_RATINGS);
const Enterprise = z
  .object({
    in_zone: z.boolean(),
    tech_sme_certificate: text(100).optional(),
    tech_sme_expires: Day.optional(),
    credit_rating: Rating.optional(),
  })
  .openapi('EnterpriseProfile');
const CreditCode = text(50).openapi({
  description: '统一社会信用代码: 18 characters with the check character of GB 32100-2015',
  example: '91350100M000100Y43',
});
const ParticipantBody = z
  .object({ kind: Kind, name: text(200), credit_code: CreditCode, enterprise: Enterprise.optional() })
  .openapi('NewParticipant', { description: 'An enterprise carries its profile; other kinds do not.' });
const ParticipantOut = z
  .object({
    id: Id,
    pool_id: Id,
    kind: Kind,
    name: z.string(),
    credit_code: z.string().nullable(),
    enterprise: z
      .object({
        in_zone: z.boolean(),
        tech_sme_certificate: z.string().nullable(),
        tech_sme_expires: Day.nullable(),
        credit_rating: Rating.nullable(),
      })
      .nullable(),
    created_at: z.string(),
  })
  .openapi('Participant');

const poolOut = (p: Pool) => ({
  id: p.id.toString(),
  name: p.name,
  currency: p.currency,
  four_eyes: p.fourEyes,
  created_at: p.createdAt.toISOString(),
});
const participantOut = (p: Participant) => ({
  id: p.id.toString(),
  pool_id: p.poolId.toString(),
  kind: p.kind,
  name: p.name,
  credit_code: p.creditCode,
  enterprise: p.enterprise && {
    in_zone: p.enterprise.inZone,
    tech_sme_certificate: p.enterprise.techSmeCertificate ?? null,
    tech_sme_expires: p.enterprise.techSmeExpires ?? null,
    credit_rating: p.enterprise.creditRating ?? null,
  },
  created_at: p.createdAt.toISOString(),
});

export function poolRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools',
      tags: ['pools'],
      summary: 'Create a pool and open its books (admin)',
      request: { body: { content: json(PoolBody), required: true } },
      responses: { 201: { description: 'Created', content: json(PoolOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c);
      const pool = await createPool(call.db, call.ledger, call.principal, c.req.valid('json'));
      return c.json(poolOut(pool), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}',
      tags: ['pools'],
      summary: 'A pool',
      request: { params: PoolParam },
      responses: { 200: { description: 'The pool', content: json(PoolOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      return c.json(poolOut(await getPool(call.db, call.principal, call.poolId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/settings',
      tags: ['pools'],
      summary: "The pool's rules (admin): four_eyes, whether money decisions need a second person of the treasury",
      request: {
        params: PoolParam,
        body: { content: json(z.object({ four_eyes: z.boolean() }).openapi('PoolSettings')), required: true },
      },
      responses: { 200: { description: 'The pool', content: json(PoolOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      return c.json(
        poolOut(await setFourEyes(call.db, call.principal, call.poolId, c.req.valid('json').four_eyes)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/participants',
      tags: ['participants'],
      summary: 'Register a bank, insurer or other participant (treasury)',
      request: { params: PoolParam, body: { content: json(ParticipantBody), required: true } },
      responses: { 201: { description: 'Created', content: json(ParticipantOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const participant = await createParticipant(call.db, call.principal, call.poolId, {
        kind: b.kind,
        name: b.name,
        creditCode: b.credit_code,
        enterprise: b.enterprise && {
          inZone: b.enterprise.in_zone,
          techSmeCertificate: b.enterprise.tech_sme_certificate,
          techSmeExpires: b.enterprise.tech_sme_expires,
          creditRating: b.enterprise.credit_rating,
        },
      });
      return c.json(participantOut(participant), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/participants',
      tags: ['participants'],
      summary: 'Participants (a bank or insurer sees only itself)',
      request: { params: PoolParam, query: z.object({ limit: Limit, after: Id.optional() }) },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(ParticipantOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { limit, after } = c.req.valid('query');
      const rows = await listParticipants(call.db, call.principal, call.poolId, {
        after: after ? BigInt(after) : undefined,
        limit,
      });
      return c.json(
        { data: rows.map(participantOut), next_cursor: rows.length === limit ? rows.at(-1)!.id.toString() : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/participants/{participant_id}',
      tags: ['participants'],
      summary: 'A participant',
      request: { params: PoolParam.extend({ participant_id: Id }) },
      responses: { 200: { description: 'The participant', content: json(ParticipantOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, participant_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(
        participantOut(await getParticipant(call.db, call.principal, call.poolId, BigInt(participant_id))),
        200,
      );
    },
  );
  return app;
}
