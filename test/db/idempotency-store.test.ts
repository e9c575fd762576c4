import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { finishManyQuery, IdempotencyStore, type Answer } from '../../src/db/idempotency.js';
import { backendOf, queryBlockedBy, testDatabase, type TestDatabase } from '../support/db.js';

/** Claims and answers recorded together, as the HTTP layer and the ledger writer record those of many requests. */

let db: TestDatabase;
let store: IdempotencyStore;
let apiKeyId: bigint;
beforeAll(async () => {
  db = await testDatabase();
  store = new IdempotencyStore(db.app.sql, db.app.kysely);
  [{ id: apiKeyId }] = await db.owner<[{ id: bigint }]>`
    INSERT INTO api_keys (prefix, secret_hash, role) VALUES (${randomBytes(4).toString('hex')}, ${randomBytes(32)}, 'admin') RETURNING id`;
});
afterAll(() => db.close());

async function leased(n: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const key = randomUUID();
      const claim = await store.claim(apiKeyId, key, randomBytes(32), 30_000);
      if (claim.kind !== 'acquired') throw new Error(`claim ${claim.kind}`);
      return {
        apiKeyId,
        key,
        leaseToken: claim.leaseToken,
        status: 201,
        body: `{"n":${i},"text":"a \\"quoted\\" body"}`,
      };
    }),
  );
}

const run = (answers: Answer[]) => {
  const q = finishManyQuery(answers);
  return db.app.sql.unsafe(q.sql, q.parameters);
};
const stored = (answers: Answer[]) =>
  db.app.sql<{ key: string; status: number | null; body: string | null; lease_token: string | null }[]>`
    SELECT key, status, body, lease_token FROM idempotency_keys WHERE api_key_id = ${apiKeyId.toString()} AND key = ANY(${answers.map((a) => a.key)}::text[]) ORDER BY key`;

describe('recording many answers in one statement', () => {
  it('records every answer and ends every lease', async () => {
    const answers = await leased(3);
    await run(answers);
    const rows = await stored(answers);
    expect(rows).toEqual(
      [...answers]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map((a) => ({ key: a.key, status: 201, body: a.body, lease_token: null })),
    );
  });

  it('fails as a whole, naming the key, when one lease was lost', async () => {
    const answers = await leased(3);
    const lost = { ...answers[1]!, leaseToken: randomUUID() };
    await expect(run([answers[0]!, lost, answers[2]!])).rejects.toMatchObject({
      code: 'PLK01',
      message: expect.stringContaining(lost.key),
    });
    expect((await stored(answers)).every((r) => r.status === null && r.lease_token !== null)).toBe(true);
  });
});

describe('a lease taken over while its answer waits to be recorded', () => {
  /** Holds the key's row, lets `record` start and queue on it, hands the lease to another attempt, lets go. */
  async function takenOverMeanwhile(answer: Answer, record: () => Promise<unknown>): Promise<unknown> {
    const other = randomUUID();
    let recording: Promise<unknown> | undefined;
    await db.app.sql.begin(async (tx) => {
      await tx`SELECT 1 FROM idempotency_keys WHERE api_key_id = ${apiKeyId.toString()} AND key = ${answer.key} FOR UPDATE`;
      recording = record().then(
        () => 'recorded',
        (err: unknown) => err,
      );
      await queryBlockedBy(db.owner, await backendOf(tx));
      await tx`UPDATE idempotency_keys SET lease_token = ${other} WHERE api_key_id = ${apiKeyId.toString()} AND key = ${answer.key}`;
    });
    const outcome = await recording;
    // The other attempt's lease stands, and nothing was recorded under it.
    const [row] = await stored([answer]);
    expect(row).toMatchObject({ status: null, lease_token: other });
    return outcome;
  }

  it('is not recorded over by the statement that records a batch with its postings', async () => {
    const [answer] = await leased(1);
    expect(await takenOverMeanwhile(answer!, () => run([answer!]))).toMatchObject({ code: 'PLK01' });
  });

  it('is not recorded over by the statement that records refusals', async () => {
    const [answer] = await leased(1);
    const outcome = await takenOverMeanwhile(answer!, () =>
      store.finish(answer!.apiKeyId, answer!.key, answer!.leaseToken, { status: 422, body: '{}' }),
    );
    expect(outcome).toMatchObject({ code: 'PLK01' });
  });
});

describe('claims', () => {
  it('leave every later statement on their connection durable (their own commit does not wait for the disk)', async () => {
    const one = createDb(db.appUrl, { max: 1 });
    try {
      const lone = new IdempotencyStore(one.sql, one.kysely);
      const claim = await lone.claim(apiKeyId, randomUUID(), randomBytes(32), 30_000);
      expect(claim.kind).toBe('acquired');
      // The same (only) connection: a session-wide setting would make ledger postings on it non-durable.
      const [{ synchronous_commit }] = await one.sql<[{ synchronous_commit: string }]>`SHOW synchronous_commit`;
      expect(synchronous_commit).toBe('on');
    } finally {
      await one.close();
    }
  });
});

/**
 * Batches of claims and of answers running at once lock their keys' rows in one order, so that two of them
 * holding keys in common never wait on each other: a deadlock was a 500 for a request that only sent a
 * key another request was sending too.
 */
describe('concurrent batches over the same keys', () => {
  it('never deadlock, in whatever order their requests came', async () => {
    const stores = [0, 1, 2].map(() => createDb(db.appUrl, { max: 4 }));
    try {
      const each = stores.map((s) => new IdempotencyStore(s.sql, s.kysely));
      const fingerprint = randomBytes(32);
      const keys = Array.from({ length: 12 }, () => randomUUID());
      const shuffled = () => [...keys].sort(() => Math.random() - 0.5);
      // Leases of a millisecond: each claim takes the expired row over, locking it, as a retry does.
      for (let round = 0; round < 40; round++) {
        const outcomes = await Promise.allSettled(
          each.flatMap((store) => shuffled().map((key) => store.claim(apiKeyId, key, fingerprint, 1))),
        );
        const failed = outcomes.filter((o) => o.status === 'rejected');
        expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
        await new Promise((r) => setTimeout(r, 2));
      }
      // Answers recorded in batches at once, each batch's keys in its own order.
      const leases = await Promise.all(keys.map((key) => each[0]!.claim(apiKeyId, `${key}-done`, fingerprint, 30_000)));
      const answers = leases.map((l, i) => {
        if (l.kind !== 'acquired') throw new Error(`claim ${l.kind}`);
        return { apiKeyId, key: `${keys[i]}-done`, leaseToken: l.leaseToken, status: 200, body: '{}' };
      });
      const finishing = await Promise.allSettled(
        answers.map((a, i) => each[i % 3]!.finish(a.apiKeyId, a.key, a.leaseToken, a)),
      );
      expect(finishing.filter((o) => o.status === 'rejected')).toEqual([]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 60_000);
});
