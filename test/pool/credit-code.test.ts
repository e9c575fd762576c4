import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditCodeCheck, creditCodeProblem } from '../../src/pool/credit-code.js';

describe('unified social credit code (GB 32100-2015)', () => {
  it('accepts real codes', () => {
    // The standard's own example, and the registered codes of three well-known companies.
    for (const code of ['91350100M000100Y43', '91330100799655058B', '9144030071526726XG', '91110108551385082Q']) {
      expect(creditCodeProblem(code), code).toBeNull();
    }
  });

  it('names what is wrong with a corrupted one', () => {
    expect(creditCodeProblem('91350100M000100Y44')).toMatch(/check character .* should be 3/);
    expect(creditCodeProblem('91350100M000100Y4')).toMatch(/18 characters/);
    expect(creditCodeProblem('91350100M000100I43')).toMatch(/other than I, O, S, V and Z/);
    expect(creditCodeProblem('913501A0M000100Y43')).toMatch(/digits in places 3 to 8/);
    expect(creditCodeProblem('91350100m000100y43')).not.toBeNull();
  });

  it('finds every single-character change of a valid code', () => {
    const valid = '91330100799655058B';
    const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    fc.assert(
      fc.property(fc.nat({ max: 17 }), fc.constantFrom(...chars), (position, replacement) => {
        fc.pre(valid[position] !== replacement);
        const changed = valid.slice(0, position) + replacement + valid.slice(position + 1);
        expect(creditCodeProblem(changed)).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('completes any 17 characters to a valid code', () => {
    const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const part = (n: number, digits = false) =>
      fc
        .array(fc.constantFrom(...(digits ? '0123456789' : chars)), { minLength: n, maxLength: n })
        .map((a) => a.join(''));
    fc.assert(
      fc.property(part(2), part(6, true), part(9), (head, region, org) => {
        const first17 = head + region + org;
        expect(creditCodeProblem(first17 + creditCodeCheck(first17))).toBeNull();
      }),
    );
  });
});
