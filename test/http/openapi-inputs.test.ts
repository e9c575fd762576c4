import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture } from '../support/api.js';

/**
 * Every string a request carries (a JSON field, a path or query value) is bounded and checked: an enum, a
 * format, a pattern that bounds it, or text under the API's text rule (text() in wire.ts), which the
 * document states as a pattern with a maximum length. A plain z.string() in a request schema fails here.
 */
let api: ApiFixture;
beforeAll(async () => {
  api = await apiFixture();
});
afterAll(() => api.close());

type Schema = Record<string, any>;

it('states a bound and a rule for every string a request takes', async () => {
  const doc = expectStatus(await api.call('GET', '/openapi.json'), 200);
  const resolve = (s: Schema): Schema => (s.$ref ? doc.components.schemas[s.$ref.split('/').at(-1)] : s);
  const unchecked: string[] = [];
  const walk = (raw: Schema, where: string) => {
    const s = resolve(raw);
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const)
      (s[k] ?? []).forEach((sub: Schema, i: number) => walk(sub, `${where}|${i}`));
    if (s.properties) for (const [name, sub] of Object.entries(s.properties)) walk(sub as Schema, `${where}.${name}`);
    if (s.items) walk(s.items, `${where}[]`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      walk(s.additionalProperties, `${where}{}`);
    const types = [s.type].flat();
    if (!types.includes('string')) return;
    const bounded =
      s.enum ||
      s.const !== undefined ||
      s.format ||
      (s.pattern && (s.maxLength !== undefined || !/[*+]/.test(s.pattern)));
    if (!bounded) unchecked.push(where);
  };
  let strings = 0;
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of op.parameters ?? []) {
        strings++;
        walk(p.schema, `${method} ${path} ${p.in}.${p.name}`);
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) {
        strings++;
        walk(body, `${method} ${path} json`);
      }
    }
  }
  expect(strings).toBeGreaterThan(50);
  expect(unchecked).toEqual([]);
});
