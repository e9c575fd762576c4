import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { appendEvent, readFeed, type FeedCursor } from '../../src/pool/events.js';
import type { Principal } from '../../src/pool/access.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let poolId: bigint;
const treasury = (pool: bigint): Principal => ({
  keyId: 1n,
  keyPrefix: 't',
  role: 'treasury',
  poolId: pool,
  participantId: null,
});

beforeAll(async () => {
  db = await testDatabase();
  const row = await db.app.kysely
    .insertInto('pools')
    .values({ name: 'feed' })
    .returning('id')
    .executeTakeFirstOrThrow();
  poolId = row.id;
});
afterAll(() => db.close());

it('never skips an event whose transaction commits after a later one', async () => {
  const slow = createDb(db.appUrl, { max: 1 });
  let release!: () => void;
  const mayCommit = new Promise<void>((r) => (release = r));
  let appended!: () => void;
  const hasAppended = new Promise<void>((r) => (appended = r));
  const slowTx = slow.kysely.transaction().execute(async (trx) => {
    await appendEvent(trx, { poolId, type: 'pool.created', subject: 'slow' });
    appended();
    await mayCommit;
  });
  await hasAppended;
  await appendEvent(db.app.kysely, { poolId, type: 'pool.created', subject: 'fast' });

  // The fast event has committed, but an earlier transaction is still open: the feed must wait for it.
  const seen: string[] = [];
  let cursor: FeedCursor | undefined;
  const poll = async () => {
    const page = await readFeed(db.app.kysely, treasury(poolId), poolId, { after: cursor, limit: 10 });
    seen.push(...page.events.map((e) => e.subject));
    cursor = page.next ?? cursor;
  };
  await poll();
  expect(seen).toEqual([]);
  release();
  await slowTx;
  await slow.close();
  // Other tests' transactions in the cluster may hold the horizon back a moment.
  for (let i = 0; i < 1000 && seen.length < 2; i++) {
    await poll();
    if (seen.length < 2) await new Promise((r) => setTimeout(r, 10));
  }
  expect(seen).toEqual(['slow', 'fast']);
});
