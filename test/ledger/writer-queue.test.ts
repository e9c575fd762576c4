import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError, type PostingRequest } from '../../src/ledger/index.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';

let f: LedgerFixture;
let pool: bigint;

const MAX_QUEUED = 5;

beforeAll(async () => {
  f = await ledgerFixture({ writer: { maxQueued: MAX_QUEUED } });
  pool = await f.newPool();
  await f.ledger.createAccount(pool, { code: 'cash', name: 'Pool cash', type: 'asset', currency: 'CNY' });
  await f.ledger.createAccount(pool, { code: 'capital', name: 'Fund capital', type: 'net_assets', currency: 'CNY' });
});
afterAll(() => f.db.close());

const fund = (externalId: string): PostingRequest => ({
  type: 'post',
  poolId: pool,
  externalId,
  effectiveDate: '2026-01-05',
  entries: [
    { account: 'cash', amount: 100n },
    { account: 'capital', amount: -100n },
  ],
});

describe('the writer queue', () => {
  it('refuses what would take it past its bound, posts the rest, and takes postings again once it drains', async () => {
    // Submitted in one turn of the event loop: none has left the queue for a batch yet.
    const queued = Array.from({ length: MAX_QUEUED }, (_, i) => f.ledger.post(fund(`queued-${i}`)));
    const refused = f.ledger.post(fund('one-too-many')).then(
      () => null,
      (err: unknown) => err,
    );
    const batch = f.ledger.postBatch([fund('batch-a'), fund('batch-b')]).then(
      () => null,
      (err: unknown) => err,
    );
    for (const err of [await refused, await batch]) {
      expect(err).toBeInstanceOf(LedgerError);
      expect((err as LedgerError).type).toBe('ledger_busy');
    }
    for (const outcome of await Promise.all(queued)) expect(outcome.status).toBe('posted');
    expect(await f.ledger.outcomeOf(pool, 'one-too-many')).toBeNull();
    expect(await f.ledger.outcomeOf(pool, 'batch-a')).toBeNull();
    expect((await f.ledger.post(fund('after-the-drain'))).status).toBe('posted');
    expect((await f.ledger.balance(pool, 'cash')).posted).toBe(BigInt(MAX_QUEUED + 1) * 100n);
  });
});
