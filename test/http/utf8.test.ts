import fc from 'fast-check';
import { expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../src/http/middleware/body.js';

const strict = (bytes: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

it('finds the first byte the strict decoder refuses, and none in UTF-8', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: 'grapheme' }).map((s) => new TextEncoder().encode(s)),
    fc
      .tuple(
        fc.string({ unit: 'grapheme', maxLength: 10 }),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        fc.string({ unit: 'grapheme', maxLength: 10 }),
      )
      .map(([a, b, c]) => new Uint8Array([...new TextEncoder().encode(a), ...b, ...new TextEncoder().encode(c)])),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      const at = firstInvalidUtf8(b);
      expect(at === b.length).toBe(strict(b));
      // Everything before it is UTF-8.
      expect(strict(b.subarray(0, at))).toBe(true);
    }),
    { numRuns: 2000 },
  );
  expect(firstInvalidUtf8(new Uint8Array([0x61, 0xd6, 0xd0, 0xb9, 0xfa]))).toBe(1);
  expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0);
  expect(firstInvalidUtf8(new Uint8Array([0xe4, 0xb8]))).toBe(0);
});
