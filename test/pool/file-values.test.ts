import fc from 'fast-check';
import { expect, it } from 'vitest';
import { readDay, readMonth, readYuan } from '../../src/pool/file-values.js';

/** Fen as a person writes yuan: grouped or not, with ¥ or 元, in full-width digits, signed. */
const written = (fen: bigint, style: { group: boolean; sign: '' | '¥' | '￥' | '元'; wide: boolean }) => {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  let whole = (abs / 100n).toString();
  if (style.group) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let text = `${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
  text = style.sign === '元' ? `${text}元` : `${style.sign}${text}`;
  if (negative) text = `-${text}`;
  return style.wide ? text.replace(/[0-9.,]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)) : text;
};

it('reads yuan as written back to the very fen, never through a float', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 16n) + 1n, max: 10n ** 16n - 1n }),
      fc.record({ group: fc.boolean(), sign: fc.constantFrom('', '¥', '￥', '元'), wide: fc.boolean() }),
      (fen, style) => {
        expect(readYuan(written(fen, style as never))).toEqual({ fen });
      },
    ),
    { numRuns: 2000 },
  );
  expect(readYuan('500000')).toEqual({ fen: 50000000n });
  expect(readYuan('12.5')).toEqual({ fen: 1250n });
  expect(readYuan('1.500')).toEqual({ fen: 150n });
  // What would need rounding, or is not an amount, is refused with why.
  for (const bad of ['1.005', '0.001', '1,00.00', '12,3456', '', '-', '1e5', '¥-¥1', '--1', '123456789012345.00'])
    expect(readYuan(bad), bad).toHaveProperty('issue');
  expect(readYuan('1.005')).toEqual({ issue: expect.stringMatching(/more than two decimals/) });
});

it('reads the days and months Chinese exports write, and only calendar days', () => {
  for (const day of [
    '2026-05-15',
    '2026/05/15',
    '2026/5/15',
    '2026.5.15',
    '20260515',
    '2026年5月15日',
    '２０２６/5/15',
  ])
    expect(readDay(day), day).toBe('2026-05-15');
  for (const bad of ['2026/2/30', '2026-13-01', '2026/5-15', '15/05/2026', '2026515', '2026年5月'])
    expect(readDay(bad), bad).toBeNull();
  for (const month of ['2026-05', '2026/5', '202605', '2026年5月', '2026-05-01', '2026/5/31'])
    expect(readMonth(month), month).toBe('2026-05');
  for (const bad of ['2026-13', '2026/0', '2026']) expect(readMonth(bad), bad).toBeNull();
});
