import { createHash } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import {
  auditAnswer,
  finishManyQuery,
  finishQuery,
  releaseKey,
  type Answer,
  type AuditEntry,
} from '../../db/idempotency.js';
import { RequestTransaction } from '../../db/request-transaction.js';
import { SQLSTATE } from '../../db/sqlstate.js';
import { sortKeys, type CompanionWriter } from '../../ledger/index.js';
import type { AppEnv } from '../env.js';
import { problem } from '../problem.js';

const KEY = /^[\x21-\x7e]{1,255}$/;
const DEFAULT_LEASE_MS = 30_000;

/**
 * Invariant 5 over HTTP, after the IETF httpapi Idempotency-Key draft. Every POST carries a key (400
 * without). The key is claimed with a lease; the handler's queries run in a database transaction that
 * commits together with the recorded response. The same key and body then replay the first response
 * (refusals too) with `Idempotent-Replayed: true`; another body is refused (422); a request still running
 * answers 409. A 5xx is not remembered: the key is released and a retry runs afresh.
 *
 * Effects a handler makes outside that transaction (ledger postings through the group-commit writer) are
 * keyed by their business references, and a money step's record commits with its posting, so a retry after
 * a crash between the two finishes the job once. The principal carries the Idempotency-Key
 * (`requestKey`), by which a step recognises the retry of the request that took it.
 */
export const idempotency = createMiddleware<AppEnv>(async function idempotency(c, next) {
  const { db } = c.get('deps');
  if (c.req.method !== 'POST') return next();
  const key = c.req.header('idempotency-key');
  if (key === undefined)
    return problem(c, 'idempotency-key-missing', {
      detail: 'send an Idempotency-Key header (e.g. a UUID) with every POST',
    });
  if (!KEY.test(key))
    return problem(c, 'validation', {
      detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      errors: [{ path: 'header.Idempotency-Key', message: 'invalid' }],
    });
  const principal = { ...c.get('principal'), requestKey: key, requestId: c.get('requestId') as string | undefined };
  c.set('principal', principal);

  const url = new URL(c.req.url);
  const fingerprint = fingerprintOf(c.req.method, url.pathname + url.search, await c.req.text());
  const store = c.get('idempotency');
  const claim = await store.claim(
    principal.keyId,
    key,
    fingerprint,
    c.get('deps').idempotencyLease_ms ?? DEFAULT_LEASE_MS,
  );
  switch (claim.kind) {
    case 'replay':
      return new Response(claim.body, {
        status: claim.status,
        headers: {
          'content-type': claim.status >= 400 ? 'application/problem+json' : 'application/json',
          'idempotent-replayed': 'true',
          'x-request-id': c.get('requestId'),
        },
      });
    case 'other-body':
      return problem(c, 'idempotency-key-reused', {
        detail: `Idempotency-Key ${key} was already used with a different request`,
      });
    case 'in-flight':
      return problem(c, 'idempotency-in-flight', {
        detail: `a request with Idempotency-Key ${key} is still running`,
        headers: { 'retry-after': '1' },
      });
  }

  const lease = claim.leaseToken;
  const tx = new RequestTransaction(db.sql);
  c.set('db', tx.kysely);
  // The audit log's line: who (the key, or the person's), what, in which pool, from which request.
  const audit: AuditEntry = {
    // The key's own pool: a request into another pool (answered 404) is the asker's business, not that
    // pool's. Admin keys belong to none: the pool their path names.
    poolId: principal.poolId ?? BigInt(/^\/v1\/pools\/(\d{1,18})(\/|$)/.exec(url.pathname)?.[1] ?? 0n),
    method: c.req.method,
    path: url.pathname.slice(0, 2000),
    requestId: (c.get('requestId') as string | undefined) ?? '',
  };
  c.set('recordAnswer', (answer) => ({
    writer: answers,
    row: { apiKeyId: principal.keyId, key, leaseToken: lease, ...answer, audit },
  }));
  try {
    await next();
  } catch (err) {
    await tx.rollback();
    await releaseKey(db.kysely, principal.keyId, key, lease).catch(() => {});
    throw err;
  }
  const status = c.res.status;
  if (c.get('recorded') && status < 500) {
    // The answer was recorded in the transaction of the handler's posting, which has committed; what the
    // handler wrote besides (a proposal's confirmation) commits after it. Lost in a crash in between, the
    // proposal stays open while the decision it proposed stands: confirming it again is refused.
    await tx.commit();
    return;
  }
  // Read the answer once and send it as read (cloning a web stream costs more than the request itself).
  const body = await c.res.text();
  c.res = new Response(body, { status, headers: c.res.headers });
  if (status >= 400 || c.error) {
    await tx.rollback();
    if (status >= 500) {
      await releaseKey(db.kysely, principal.keyId, key, lease).catch(() => {});
    } else {
      // A refusal is an answer too: remember it (the handler's own writes were rolled back).
      try {
        await store.finish(principal.keyId, key, lease, { status, body });
        await auditAnswer(db.kysely, principal.keyId, status, audit);
      } catch (err) {
        if ((err as { code?: string }).code !== SQLSTATE.lease_lost) throw err;
        c.res = leaseLost(c, key);
      }
    }
    return;
  }
  const stored = { status, body: c.get('replayBody') ?? body };
  try {
    if (tx.started) await tx.commitWith(finishQuery(db.kysely, principal.keyId, key, lease, stored, audit));
    else {
      await store.finish(principal.keyId, key, lease, stored);
      await auditAnswer(db.kysely, principal.keyId, status, audit);
    }
  } catch (err) {
    if ((err as { code?: string }).code !== SQLSTATE.lease_lost) {
      // Nothing was committed with the record (commitWith rolls back on any failure): free the key.
      await releaseKey(db.kysely, principal.keyId, key, lease).catch(() => {});
      throw err;
    }
    c.res = leaseLost(c, key);
  }
});

/** Answers recorded with ledger postings: the writer sends those of a batch as one statement. */
const answers: CompanionWriter<Answer> = { statement: finishManyQuery };

const leaseLost = (c: Parameters<typeof problem>[0], key: string) =>
  problem(c, 'idempotency-in-flight', {
    detail: `the claim on Idempotency-Key ${key} expired while the request ran; retry to get its answer`,
    headers: { 'retry-after': '1' },
  });

/** Method, path with its query and the body in a canonical form (JSON with sorted keys), hashed. */
function fingerprintOf(method: string, path: string, body: string): Buffer {
  let canonical = body;
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(body)));
  } catch {
    // Not JSON: the raw text is its own canonical form; validation answers for it.
  }
  return createHash('sha256').update(`${method} ${path}\n${canonical}`).digest();
}
