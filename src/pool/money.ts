/**
 * Money arithmetic of the domain, on integer fen (bigint) and basis points only: never a float.
 */

/** The currency of a pool's money: every domain amount is fen (0.01) of it. */
export const CURRENCY = 'CNY';

/** A share in basis points of an amount, rounded down to the fen. */
export function bpOf(amount: bigint, bp: number | bigint): bigint {
  return (amount * BigInt(bp)) / 10_000n;
}

/** Fen as yuan with thousands separators, by bigint arithmetic: -123456789n → "-1,234,567.89". */
export function yuanOf(fen: bigint): string {
  const sign = fen < 0n ? '-' : '';
  const a = fen < 0n ? -fen : fen;
  const whole = (a / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${whole}.${(a % 100n).toString().padStart(2, '0')}`;
}

export const minOf = (...values: bigint[]): bigint => values.reduce((a, b) => (b < a ? b : a));
export const maxOf = (...values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a));
export const sumOf = (values: Iterable<bigint>): bigint => {
  let total = 0n;
  for (const v of values) total += v;
  return total;
};

/**
 * Splits a whole into parts proportional to the weights, by largest remainder (Hamilton): each part gets
 * the floor of its exact share, then the fen left over go one each to the parts with the largest
 * remainders (ties to the earlier part). The parts always add up to the whole exactly.
 */
export function splitByLargestRemainder(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n) throw new RangeError('the whole to split is negative');
  if (weights.some((w) => w < 0n)) throw new RangeError('a weight is negative');
  const sum = sumOf(weights);
  if (sum === 0n) throw new RangeError('the weights add up to zero');
  const parts = weights.map((w) => (total * w) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (total * w) % sum }));
  let left = total - sumOf(parts);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return parts;
}
