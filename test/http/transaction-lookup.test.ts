import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

/** A transaction is found by the external id it was posted under, as the journal shows it. */
let api: ApiFixture;
let t: Tenant;
const get = (key: string, path: string) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key });
const find = async (key: string, externalId: string) =>
  expectStatus(await get(key, `/transactions?external_id=${encodeURIComponent(externalId)}`), 200).data as {
    id: string;
    external_id: string;
  }[];

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
});
afterAll(() => api.close());

it('finds the transaction posted under an external id, and none for an id nothing was posted under', async () => {
  expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/appropriations`, {
      key: t.treasury,
      body: { reference: 'TL-1', amount: '500', notified_on: '2026-01-05' },
    }),
    201,
  );
  const entry = expectStatus(
    await api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
      key: t.treasury,
      body: {
        effective_date: '2026-01-06',
        entries: [
          { account: 'appropriation_receivable', debit: '7' },
          { account: 'fund_capital', credit: '7' },
        ],
      },
    }),
    201,
  );
  const found = await find(t.auditor, entry.external_id);
  expect(found).toHaveLength(1);
  expect(found[0]).toEqual(expectStatus(await get(t.auditor, `/transactions/${entry.id}`), 200));

  // A domain posting's id, as the account's statement shows it.
  const lines = expectStatus(await get(t.treasury, '/accounts/appropriation_receivable/statement'), 200).data as {
    transaction_id: string;
    external_id: string;
  }[];
  const notified = lines.find((l) => l.external_id.startsWith('appropriation:'))!;
  expect(notified).toBeDefined();
  expect((await find(t.treasury, notified.external_id)).map((x) => x.id)).toEqual([notified.transaction_id]);

  expect(await find(t.treasury, 'appropriation:nothing-here:notified')).toEqual([]);
  // Without an external id: the journal, in the order posted, a page at a time; banks do not read it.
  const first = expectStatus(await get(t.auditor, '/transactions?limit=1'), 200);
  expect(first.data).toHaveLength(1);
  const next = expectStatus(await get(t.auditor, `/transactions?limit=1&after=${first.next_cursor}`), 200);
  expect(BigInt(next.data[0].id)).toBeGreaterThan(BigInt(first.data[0].id));
  expect((await get(t.bank, '/transactions')).status).toBe(403);
});

it('finds a money event refused at first and posted when taken again under its own id', async () => {
  const post = (path: string, body: unknown) =>
    api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.treasury, body });
  const ret = { reference: 'TL-RET-1', amount: '300', on: '2026-02-01' };
  // Nothing is available yet: the return is refused, and its id now names a refusal.
  expectStatus(await post('/returns', ret), 422);
  expectStatus(await post('/appropriations', { reference: 'TL-2', amount: '1000', notified_on: '2026-01-20' }), 201);
  expectStatus(await post('/appropriations/TL-2/receipt', { received_on: '2026-01-21' }), 200);
  const posted = expectStatus(await post('/returns', ret), 201);
  const tx = expectStatus(await get(t.treasury, `/transactions/${posted.transaction_id}`), 200);
  const eventId = (tx.external_id as string).replace(/:retry-\d+$/, '');
  expect(eventId).not.toBe(tx.external_id);
  expect((await find(t.treasury, eventId)).map((x) => x.id)).toEqual([posted.transaction_id]);
});
