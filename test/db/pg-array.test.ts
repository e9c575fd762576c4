import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../src/db/pg-array.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

describe('array literals for unnest()', () => {
  it('round-trips awkward text through PostgreSQL unchanged', async () => {
    const values = [
      'plain',
      '',
      'NULL',
      'null',
      'with "quotes"',
      'back\\slash',
      '\\"both\\"',
      '{braces}',
      'a,b',
      ' spaced ',
      '中文 ✓',
      '{"json": "x\\"y"}',
      null,
    ];
    const rows = await db.app.sql<
      { x: string | null }[]
    >`SELECT x FROM unnest(${arrayLiteral(values)}::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i`;
    expect(rows.map((r) => r.x)).toEqual(values);
  });

  it('sends numbers bare, so large int8 values and negatives keep every digit', async () => {
    const values = [0n, -1n, 9223372036854775807n, -9223372036854775808n, null];
    const rows = await db.app.sql<
      { x: bigint | null }[]
    >`SELECT x FROM unnest(${arrayLiteral(values)}::int8[]) WITH ORDINALITY AS u(x, i) ORDER BY i`;
    expect(rows.map((r) => r.x)).toEqual(values);
  });

  it('makes an empty array of nothing', async () => {
    const [{ n }] = await db.app.sql<[{ n: number }]>`SELECT cardinality(${arrayLiteral([])}::int8[]) AS n`;
    expect(n).toBe(0);
  });
});
