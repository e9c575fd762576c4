import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isUnavailable } from '../db/client.js';
import { SQLSTATE } from '../db/sqlstate.js';
import { LedgerError } from '../ledger/index.js';
import { DomainError, UnreadableInput } from '../pool/errors.js';

/**
 * RFC 9457 problem details. Every failure leaves the API as one of these, with a stable `type` URI from the
 * table below (documented in the OpenAPI document), the request id, and never a stack trace.
 */
export const PROBLEM_BASE = 'https://pool-ledger.example/problems/';

export const PROBLEM_TYPES = {
  validation: { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'This key may not do this' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'idempotency-key-missing': { status: 400, title: 'Idempotency-Key header is required on every POST' },
  'idempotency-in-flight': { status: 409, title: 'A request with this Idempotency-Key is still running' },
  'idempotency-key-reused': { status: 422, title: 'This Idempotency-Key was used with another request' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'participant-exists': { status: 409, title: 'A participant with this kind and name exists' },
  'account-exists': { status: 409, title: 'An account with this code exists with another definition' },
  'account-code-reserved': {
    status: 422,
    title: "The pool's chart of accounts uses this code; the pool opens that account itself",
  },
  'invalid-posting': { status: 422, title: 'The posting is not valid' },
  'posting-refused': { status: 422, title: 'The ledger refused the posting' },
  'loan-refused': { status: 422, title: 'The loan is not eligible under its agreement' },
  'award-refused': { status: 422, title: 'The award is not due under its programme' },
  'claim-refused': { status: 422, title: 'The claim cannot be filed or taken further under its agreement' },
  'insufficient-funds': { status: 422, title: "The pool's available balance cannot cover this; nothing changed" },
  'period-closed': { status: 422, title: 'The period is closed: date it in the open period' },
  unreconciled: {
    status: 422,
    title: 'The month does not reconcile with the bank statement; give a reason to close it',
  },
  'date-out-of-window': {
    status: 422,
    title: 'The date is outside the window the API takes for it; details name the field, the rule and the window',
  },
  'four-eyes': { status: 403, title: 'Another person of the treasury must confirm this decision' },
  'statement-refused': { status: 422, title: 'The bank statement does not add up; nothing was imported' },
  'tape-refused': { status: 422, title: 'The tape has rows that are not valid; nothing was written' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body is not in a format this route reads' },
  unavailable: { status: 503, title: 'The database is unavailable; retry later' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .url()
      .openapi({
        example: `${PROBLEM_BASE}not-found`,
        description: `One of ${Object.keys(PROBLEM_TYPES)
          .map((t) => PROBLEM_BASE + t)
          .join(', ')}`,
      }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough()
  .openapi('Problem');

export interface ProblemInit {
  detail: string;
  status?: number;
  errors?: { path: string; message: string }[];
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Thrown by a handler to answer with a problem: typed routes return only their success shapes. */
export class ProblemError extends Error {
  constructor(
    readonly type: ProblemType,
    readonly init: ProblemInit,
  ) {
    super(init.detail);
  }
}

export function problem(c: Context, type: ProblemType, init: ProblemInit): Response {
  const { status, body, headers } = problemParts(c, type, init);
  return new Response(body, { status, headers });
}

/** The status, body and headers of a problem, for a caller that must store the answer before sending it. */
export function problemParts(
  c: Context,
  type: ProblemType,
  init: ProblemInit,
): { status: number; body: string; headers: Record<string, string> } {
  const spec = PROBLEM_TYPES[type];
  const status = init.status ?? spec.status;
  const body = {
    type: PROBLEM_BASE + type,
    title: spec.title,
    status,
    detail: init.detail,
    instance: c.req.path,
    request_id: (c.get('requestId') as string | undefined) ?? '',
    ...(init.errors ? { errors: init.errors } : {}),
    ...(init.extra ?? {}),
  };
  return {
    status,
    body: JSON.stringify(body, bigintReplacer),
    headers: { 'content-type': 'application/problem+json', 'x-request-id': body.request_id, ...(init.headers ?? {}) },
  };
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The one place where errors become responses. */
export function errorToProblem(c: Context, err: unknown): { response: Response; unexpected: boolean } {
  if (err instanceof ProblemError) return { response: problem(c, err.type, err.init), unexpected: false };
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own refusals (e.g. a body that is not JSON) become problems like every other.
    const type: ProblemType =
      err.status === 413
        ? 'payload-too-large'
        : err.status === 415
          ? 'unsupported-media-type'
          : err.status === 404
            ? 'not-found'
            : 'validation';
    return {
      response: problem(c, type, { detail: err.message || 'the request could not be read', status: err.status }),
      unexpected: false,
    };
  }
  if (err instanceof UnreadableInput)
    return { response: problem(c, 'validation', { detail: err.message, errors: err.errors }), unexpected: false };
  if (err instanceof DomainError) {
    const type: ProblemType =
      err.type in PROBLEM_TYPES
        ? (err.type as ProblemType)
        : err.kind === 'not_found'
          ? 'not-found'
          : err.kind === 'forbidden'
            ? 'forbidden'
            : err.kind === 'conflict'
              ? 'conflict'
              : 'validation';
    const status = err.kind === 'invalid' || err.kind === 'refused' ? 422 : undefined;
    return {
      response: problem(c, type, {
        detail: err.message,
        status,
        extra: Object.keys(err.details).length ? { details: err.details } : undefined,
      }),
      unexpected: false,
    };
  }
  if (err instanceof LedgerError) {
    const map: Record<LedgerError['type'], ProblemType> = {
      invalid_posting: 'invalid-posting',
      idempotency_conflict: 'idempotency-key-reused',
      account_not_found: 'not-found',
      account_conflict: 'account-exists',
      transaction_not_found: 'not-found',
      book_not_found: 'not-found',
      chain_busy: 'unavailable',
      ledger_busy: 'unavailable',
    };
    // A full writer queue frees room with every batch it commits (hundreds of postings every few milliseconds).
    const retryAfter: Partial<Record<LedgerError['type'], string>> = { chain_busy: '5', ledger_busy: '1' };
    const headers: Record<string, string> | undefined = retryAfter[err.type]
      ? { 'retry-after': retryAfter[err.type]! }
      : undefined;
    return {
      response: problem(c, map[err.type], { detail: err.message, extra: { details: err.details }, headers }),
      unexpected: false,
    };
  }
  if ((err as { code?: string }).code === SQLSTATE.numeric_value_out_of_range) {
    return {
      response: problem(c, 'invalid-posting', {
        detail: 'an amount or a running total would leave the range the ledger keeps (int8 fen)',
      }),
      unexpected: false,
    };
  }
  if (isUnavailable(err)) {
    return {
      response: problem(c, 'unavailable', {
        detail: 'the database cannot be reached; retry shortly',
        headers: { 'retry-after': '2' },
      }),
      unexpected: true,
    };
  }
  return {
    response: problem(c, 'internal', {
      detail: `an unexpected error occurred; quote request id ${c.get('requestId') ?? ''}`,
    }),
    unexpected: true,
  };
}
