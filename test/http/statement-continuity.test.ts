import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

/**
 * A bank statement continues the one imported before it: its first new line opens at the balance the last
 * imported line closed at. A statement that skips a period (or belongs to another account) would otherwise
 * be taken, and the reconciliation would compare the ledger with a balance whose history has a hole.
 */
let api: ApiFixture;
let t: Tenant;
const HEADER = '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要';
const importStatement = (lines: string[]) =>
  api.call('POST', `/v1/pools/${t.poolId}/bank-statements`, {
    key: t.treasury,
    body: [HEADER, ...lines].join('\n'),
    headers: { 'content-type': 'text/csv' },
  });
const lines = async () =>
  expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/bank-statements/lines`, { key: t.treasury }), 200).data;

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
});
afterAll(() => api.close());

it('takes a first statement opening anywhere, and a next one only where the last one closed', async () => {
  // January: opens at 100.00 (the account held money before the pool's first statement), closes at 1,100.00.
  expectStatus(
    await importStatement([
      '2026-01-10,C-1,贷,"1,000.00",财政局,"1,100.00",拨款',
      '2026-01-20,C-2,借,0.50,,"1,099.50",手续费',
    ]),
    200,
  );
  // March, with February missing: it opens at 1,500.00, not at 1,099.50.
  const gap = expectStatus(
    await importStatement(['2026-03-05,C-9,贷,200.00,,"1,700.00",利息', '2026-03-06,C-10,借,1.00,,"1,699.00",手续费']),
    422,
  );
  expect(gap.type).toMatch(/\/problems\/statement-refused$/);
  expect(gap.detail).toContain('C-2');
  expect(gap.details).toMatchObject({ line: 2, opening_balance: '150000', previous_closing_balance: '109950' });
  expect((await lines()).map((l: { reference: string }) => l.reference)).toEqual(['C-1', 'C-2']);

  // February, which continues January; then March follows.
  expectStatus(await importStatement(['2026-02-03,C-5,贷,400.50,,"1,500.00",利息']), 200);
  expectStatus(
    await importStatement(['2026-03-05,C-9,贷,200.00,,"1,700.00",利息', '2026-03-06,C-10,借,1.00,,"1,699.00",手续费']),
    200,
  );
  // A statement sent again, or one that overlaps the last (its known lines first), is still taken.
  expectStatus(
    await importStatement([
      '2026-03-06,C-10,借,1.00,,"1,699.00",手续费',
      '2026-03-09,C-11,借,99.00,,"1,600.00",手续费',
    ]),
    200,
  );
  expect((await lines()).map((l: { reference: string }) => l.reference)).toEqual([
    'C-1',
    'C-2',
    'C-5',
    'C-9',
    'C-10',
    'C-11',
  ]);
});
