/**
 * A PostgreSQL array literal ('{"a","b",NULL}') for a column of values sent as one parameter, for statements
 * that insert many rows through unnest(). postgres.js would build the same text, with two regular-expression
 * replacements per element; for the ledger's batches of thousands of values that was a visible share of
 * the writer's time. Numbers (bigint) go bare, strings quoted (escaped only when they hold '"' or '\'),
 * null as NULL. Send it with a cast, as in `${arrayLiteral(ids)}::int8[]`: a string passes through the
 * driver's array serializer unchanged.
 */
export function arrayLiteral(values: readonly (string | bigint | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'bigint') out += v.toString();
    else out += '"' + (NEEDS_ESCAPE.test(v) ? v.replace(ESCAPE, '\\$&') : v) + '"';
  }
  return out + '}';
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPE = /["\\]/g;
