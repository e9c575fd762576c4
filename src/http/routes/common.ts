import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiRole } from '../../db/schema.js';
import { requireRole, scopePool } from '../../pool/access.js';
import type { AppEnv } from '../env.js';
import { ProblemSchema } from '../problem.js';

/** A JSON request or response body of this schema, for a route definition. */
export const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { description: 'Invalid request', content: problemContent },
  401: { description: 'No valid API key', content: problemContent },
  403: { description: 'The key\'s role may not do this', content: problemContent },
  404: { description: 'Not found (also: another tenant\'s resource)', content: problemContent },
  409: { description: 'Conflict, or a request with this Idempotency-Key is running', content: problemContent },
  422: { description: 'Refused: reused Idempotency-Key, invalid or refused posting', content: problemContent },
  503: { description: 'Database unavailable; retry after Retry-After', content: problemContent },
} as const;

/** Role check, then the pool the caller may address (another pool answers 404). */
export function authorize(c: Context<AppEnv>, roles: readonly ApiRole[], poolId?: string): bigint {
  const principal = c.get('principal');
  requireRole(principal, roles);
  return poolId === undefined ? (principal.poolId ?? 0n) : scopePool(principal, BigInt(poolId));
}

export const READERS: readonly ApiRole[] = ['admin', 'treasury', 'auditor'];
