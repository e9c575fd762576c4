import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bpOf, splitByLargestRemainder } from '../../src/pool/money.js';

describe('money', () => {
  it('splits by largest remainder: the parts add up to the whole, each within a fen of its exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { minLength: 1, maxLength: 6 }),
        (total, weights) => {
          fc.pre(weights.some((w) => w > 0n));
          const parts = splitByLargestRemainder(total, weights);
          const sum = weights.reduce((a, b) => a + b, 0n);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          parts.forEach((p, i) => {
            const exactTimesSum = total * weights[i]!;
            expect(p * sum <= exactTimesSum + sum && p * sum >= exactTimesSum - sum).toBe(true);
            if (weights[i] === 0n) expect(p).toBe(0n);
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the odd fen to the largest remainder, ties to the earlier part', () => {
    expect(splitByLargestRemainder(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(splitByLargestRemainder(1000n, [2500n, 4500n, 3000n])).toEqual([250n, 450n, 300n]);
    expect(splitByLargestRemainder(1001n, [2500n, 4500n, 3000n])).toEqual([250n, 451n, 300n]);
    expect(splitByLargestRemainder(7n, [3333n, 3333n, 3334n])).toEqual([2n, 2n, 3n]);
    expect(() => splitByLargestRemainder(1n, [0n, 0n])).toThrow(RangeError);
  });

  it('takes basis points rounding down to the fen', () => {
    expect(bpOf(12_345n, 2500)).toBe(3086n);
    expect(bpOf(10n ** 15n, 10_000)).toBe(10n ** 15n);
  });
});
