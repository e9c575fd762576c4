import { createHash } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { claimKey, finishKey, releaseKey } from '../../db/idempotency.js';
import { sortKeys } from '../../ledger/validate.js';
import type { AppEnv } from '../env.js';
import { problem } from '../problem.js';

const KEY = /^[\x21-\x7e]{1,255}$/;
const DEFAULT_LEASE_MS = 30_000;

class Rollback extends Error {}

/**
 * Invariant 5 over HTTP, after the IETF httpapi Idempotency-Key draft. Every POST carries a key (400
 * without). The key is claimed with a lease; the handler runs in a database transaction that also records
 * the response, so the effect and its record commit together. The same key and body then replay the first
 * response (refusals too) with `Idempotent-Replayed: true`; another body is refused (422); a request still
 * running answers 409. A 5xx is not remembered: the key is released and a retry runs afresh.
 *
 * Effects a handler makes outside this transaction (ledger postings through the group-commit writer) are
 * keyed by the Idempotency-Key themselves, so a retry after a crash between the two finishes the job once.
 */
export const idempotency = createMiddleware<AppEnv>(async function idempotency(c, next) {
  const { db } = c.var.deps;
  if (c.req.method !== 'POST') {
    c.set('db', db.kysely);
    return next();
  }
  const key = c.req.header('idempotency-key');
  if (key === undefined) return problem(c, 'idempotency-key-missing', { detail: 'send an Idempotency-Key header (e.g. a UUID) with every POST' });
  if (!KEY.test(key)) return problem(c, 'validation', { detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters', errors: [{ path: 'header.Idempotency-Key', message: 'invalid' }] });
  c.set('idempotencyKey', key);

  const principal = c.var.principal;
  const fingerprint = await fingerprintOf(c.req.method, c.req.path, await c.req.text());
  const claim = await claimKey(db.kysely, principal.keyId, key, fingerprint, c.var.deps.idempotencyLease_ms ?? DEFAULT_LEASE_MS);
  switch (claim.kind) {
    case 'replay':
      return new Response(claim.body, {
        status: claim.status,
        headers: {
          'content-type': claim.status >= 400 ? 'application/problem+json' : 'application/json',
          'idempotent-replayed': 'true',
          'x-request-id': c.var.requestId,
        },
      });
    case 'other-body':
      return problem(c, 'idempotency-key-reused', { detail: `Idempotency-Key ${key} was already used with a different request` });
    case 'in-flight':
      return problem(c, 'idempotency-in-flight', { detail: `a request with Idempotency-Key ${key} is still running`, headers: { 'retry-after': '1' } });
  }

  const lease = claim.leaseToken;
  try {
    await db.kysely.transaction().execute(async (trx) => {
      c.set('db', trx);
      await next();
      if (c.error || c.res.status >= 400) throw new Rollback();
      const recorded = await finishKey(trx, principal.keyId, key, lease, { status: c.res.status, body: await c.res.clone().text() });
      if (!recorded) throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) {
      await releaseKey(db.kysely, principal.keyId, key, lease).catch(() => {});
      throw err;
    }
    if (c.res.status >= 500) {
      await releaseKey(db.kysely, principal.keyId, key, lease).catch(() => {});
    } else if (c.res.status >= 400) {
      // A refusal is an answer too: remember it, outside the rolled-back transaction.
      await finishKey(db.kysely, principal.keyId, key, lease, { status: c.res.status, body: await c.res.clone().text() });
    } else {
      return problem(c, 'idempotency-in-flight', { detail: `the claim on Idempotency-Key ${key} expired while the request ran; retry to get its answer`, headers: { 'retry-after': '1' } });
    }
  }
});

/** Method, path and the body in a canonical form (JSON with sorted keys), hashed. */
async function fingerprintOf(method: string, path: string, body: string): Promise<Buffer> {
  let canonical = body;
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(body)));
  } catch {
    // Not JSON: the raw text is its own canonical form; validation answers for it.
  }
  return createHash('sha256').update(`${method} ${path}\n${canonical}`).digest();
}
