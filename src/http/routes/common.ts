import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Ledger, PostingOutcome, PostOptions } from '../../ledger/index.js';
import type { Principal } from '../../pool/access.js';
import type { AppEnv } from '../env.js';
import { ProblemSchema } from '../problem.js';

/** A JSON request or response body of this schema, for a route definition. */
export const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { description: 'Invalid request', content: problemContent },
  401: { description: 'No valid API key', content: problemContent },
  403: { description: "The key's role may not do this", content: problemContent },
  404: { description: "Not found (also: another tenant's resource)", content: problemContent },
  409: { description: 'Conflict, or a request with this Idempotency-Key is running', content: problemContent },
  422: { description: 'Refused: reused Idempotency-Key, invalid or refused posting', content: problemContent },
  503: { description: 'Database unavailable; retry after Retry-After', content: problemContent },
} as const;

/**
 * Who is asking, about which pool, with what: built once per request from its context and handed to the
 * domain operation, which decides whether the caller may (src/pool/access.ts). `db` is the request's
 * database handle (inside a write, its transaction); `poolId` is the pool the path names, unchecked.
 */
export interface Caller {
  db: Kysely<Database>;
  ledger: Ledger;
  principal: Principal;
  poolId: bigint;
  /**
   * Posts to the ledger with the request's answer (`answerOf` the outcome: the very status and body the
   * handler then sends) written in the transaction that commits the posting, and tells the idempotency
   * middleware so: the answer commits with its effect, once. A replayed posting recorded nothing new.
   */
  postAndRecord(
    post: (options: PostOptions) => Promise<PostingOutcome>,
    answerOf: (outcome: PostingOutcome) => Answer,
  ): Promise<PostingOutcome>;
}

/** A response as the idempotency record keeps it. */
export interface Answer {
  status: number;
  body: string;
}

/** The caller of this request; a route on no pool leaves poolId to the key's own (none for admin keys: 0). */
export function caller(c: Context<AppEnv>, poolId?: string): Caller {
  const principal = c.get('principal');
  return {
    db: c.get('db'),
    ledger: c.get('deps').ledger,
    principal,
    poolId: poolId === undefined ? (principal.poolId ?? 0n) : BigInt(poolId),
    async postAndRecord(post, answerOf) {
      const record = c.get('recordAnswer');
      const outcome = await post(record ? { alsoWrite: ([outcome]) => record(answerOf(outcome!)) } : {});
      c.set('recorded', !outcome.replayed);
      return outcome;
    },
  };
}
