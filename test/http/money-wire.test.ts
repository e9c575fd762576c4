import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

/**
 * Money goes on the wire one way: every amount a response carries is Money, `{ amount, currency }` with
 * the amount in fen as a string of digits. A request takes that form or, as it always did, the fen alone.
 */
let api: ApiFixture;
let t: Tenant;
const post = (path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.treasury, body });
const get = (path: string) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key: t.treasury });
const cny = (amount: string) => ({ amount, currency: 'CNY' });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
});
afterAll(() => api.close());

type Schema = Record<string, any>;

/** Names the responses give money, and only money (`covers_interest` is a flag, not a string). */
const MONEY_NAME =
  /(^|_)(amount|principal|outstanding|premium|balance|cash|reserved|available|appropriated|returned|gross|costs|part|cap|credit_line|paid|base|limit|debit|credit|debits|credits|posted|pending|difference|explained|recoveries|receivable|interest|pool|insurer|bank)$/;

it('writes every money figure of every response as Money, never as a bare string', async () => {
  const doc = expectStatus(await api.call('GET', '/openapi.json'), 200);
  const MONEY = '#/components/schemas/Money';
  const resolve = (s: Schema): Schema => (s.$ref ? doc.components.schemas[s.$ref.split('/').at(-1)] : s);
  const bare: string[] = [];
  let money = 0;
  const walk = (raw: Schema, where: string, name: string | null) => {
    if (raw.$ref === MONEY) return void money++;
    const s = resolve(raw);
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) (s[k] ?? []).forEach((sub: Schema) => walk(sub, where, name));
    if (name !== null && MONEY_NAME.test(name) && [s.type].flat().includes('string')) bare.push(where);
    if (s.properties) for (const [n, sub] of Object.entries(s.properties)) walk(sub as Schema, `${where}.${n}`, n);
    if (s.items) walk(s.items, `${where}[]`, name);
  };
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Schema>)) {
        if (!status.startsWith('2')) continue;
        const schema = response.content?.['application/json']?.schema;
        if (schema) walk(schema, `${method} ${path} ${status}`, null);
      }
    }
  }
  expect(bare).toEqual([]);
  expect(money).toBeGreaterThan(60);
});

it('takes a money field as Money or as the fen alone, and answers with Money either way', async () => {
  const asMoney = expectStatus(
    await post('/appropriations', { reference: 'MW-1', amount: cny('500000000'), notified_on: '2026-01-05' }),
    201,
  );
  expect(asMoney.amount).toEqual(cny('500000000'));
  const asFen = expectStatus(
    await post('/appropriations', { reference: 'MW-2', amount: '250', notified_on: '2026-01-05' }),
    201,
  );
  expect(asFen.amount).toEqual(cny('250'));
  // The same request in the other form is the same record, not a second one.
  const again = expectStatus(
    await post('/appropriations', { reference: 'MW-2', amount: cny('250'), notified_on: '2026-01-05' }),
    201,
  );
  expect(again.id).toBe(asFen.id);
  expectStatus(await post('/appropriations/MW-1/receipt', { received_on: '2026-01-06' }), 200);

  const position = expectStatus(await get('/position'), 200);
  expect(position.cash).toEqual(cny('500000000'));
  expect(position.appropriations_receivable).toEqual(cny('250'));
  const report = expectStatus(await get('/reports/position'), 200);
  expect(report.rows[0].cash).toEqual(cny('500000000'));
  const csv = await get('/reports/position?format=csv');
  expect(csv.status).toBe(200);
  expect(csv.text).toMatch(/^as_of,cash,/);
  expect(csv.text.split('\n')[1]).toMatch(/^,500000000,/);
});

it('refuses Money in another currency, with a sign, with a fraction or with more fields, naming the field', async () => {
  for (const amount of [
    { amount: '100', currency: 'USD' },
    { amount: '-100', currency: 'CNY' },
    { amount: '1.50', currency: 'CNY' },
    { amount: 100, currency: 'CNY' },
    { amount: '100' },
    { amount: '100', currency: 'CNY', unit: 'yuan' },
  ]) {
    const r = await post('/interest', { reference: `MW-BAD-${JSON.stringify(amount)}`, amount, on: '2026-01-07' });
    const problem = expectStatus(r, 400);
    expect(problem.type).toMatch(/\/problems\/validation$/);
    expect(JSON.stringify(problem.errors)).toContain('json.amount');
  }
  const position = expectStatus(await get('/position'), 200);
  expect(position.interest).toEqual(cny('0'));
});
