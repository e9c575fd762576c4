import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture, type Tenant } from '../support/api.js';
import { backendOf, queryBlockedBy } from '../support/db.js';

let api: ApiFixture;
let t: Tenant;

beforeAll(async () => {
  // One transaction in flight and room for one posting behind it: a third posting finds the queue full.
  api = await apiFixture({ writer: { maxInFlight: 1, maxBatch: 1, maxQueued: 1 } });
  t = await api.tenant();
});
afterAll(() => api.close());

const fund = (amount: string) =>
  api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
    key: t.treasury,
    body: {
      effective_date: '2026-03-01',
      description: 'appropriation received',
      entries: [
        { account: 'pool_cash', debit: amount },
        { account: 'fund_capital', credit: amount },
      ],
    },
  });

const direct = (externalId: string) =>
  api.ledger.post({
    type: 'post',
    poolId: BigInt(t.poolId),
    externalId,
    effectiveDate: '2026-03-01',
    entries: [
      { account: 'pool_cash', amount: 1n },
      { account: 'fund_capital', amount: -1n },
    ],
  });

describe('a full ledger queue', () => {
  it('answers 503 with Retry-After, and posts again once the queue drains', async () => {
    const first = await fund('100');
    expect(first.status, first.text).toBe(201);

    // Hold the pool's balance rows so that the batch in flight waits on them and the queue stays full.
    const holder = await api.db.app.sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`SELECT 1 FROM account_balances WHERE pool_id = ${t.poolId}::int8 FOR UPDATE`;
      const inFlight = direct('in-flight');
      // The batch in flight waits on the held balance rows.
      await queryBlockedBy(api.db.owner, await backendOf(holder));
      const waiting = direct('waiting');

      const busy = await fund('200');
      expect(busy.status, busy.text).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(busy.headers.get('content-type')).toContain('application/problem+json');
      expect(busy.body.type).toMatch(/\/unavailable$/);

      await holder`COMMIT`;
      expect((await inFlight).status).toBe('posted');
      expect((await waiting).status).toBe('posted');
    } finally {
      await holder`ROLLBACK`.catch(() => {});
      holder.release();
    }

    const again = await fund('300');
    expect(again.status, again.text).toBe(201);
    const balance = await api.call('GET', `/v1/pools/${t.poolId}/accounts/pool_cash/balance`, { key: t.treasury });
    expect(balance.body.posted.amount, balance.text).toBe('402');
  });
});
