import { isDay } from '../ledger/index.js';

/**
 * Values as people write them in the files they send (tapes, statements) and the forms they fill: amounts in
 * yuan with separators, a currency sign or full-width digits, and dates in the forms Chinese exports use.
 * Read exactly, as text: an amount never passes through a float, and one that would need rounding is
 * refused. The API's JSON keeps fen and ISO dates; only files and forms get this leniency.
 */

/** The most yuan a file's amount may hold: 14 digits, so its fen fit the ledger's 16. */
const MAX_YUAN_DIGITS = 14;

/**
 * Yuan as written ("500,000.00", "500000", "¥500,000.00", "１２３４．５６", "-12.5", "12.50元") to fen, signed;
 * or why it is not an amount. Digits past the fen are refused unless they are zeros ("1.500" is 1.50).
 */
export function readYuan(written: string): { fen: bigint } | { issue: string } {
  const s = written.normalize('NFKC').replace(/\s+/g, '');
  const m = /^([-−]?)[¥$]?([-−]?)(?:RMB|CNY)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?元?$/i.exec(s);
  if (!m || (m[1] && m[2])) return { issue: `${JSON.stringify(written)} is not an amount in yuan (e.g. 1,234.56)` };
  const [, before, after, whole, decimals = ''] = m;
  if (/[1-9]/.test(decimals.slice(2)))
    return { issue: `${JSON.stringify(written)} has more than two decimals: an amount in yuan is exact to the fen` };
  const digits = whole!.replace(/,/g, '').replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_YUAN_DIGITS)
    return { issue: `${JSON.stringify(written)} is more than ${MAX_YUAN_DIGITS} digits of yuan` };
  const fen = BigInt(digits) * 100n + BigInt(decimals.slice(0, 2).padEnd(2, '0'));
  return { fen: before || after ? -fen : fen };
}

/** A day as written (2026-05-15, 2026/05/15, 2026/5/15, 2026.5.15, 20260515, 2026年5月15日) as YYYY-MM-DD, or null. */
export function readDay(written: string): string | null {
  const s = written.normalize('NFKC').trim();
  const m =
    /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(s)?.filter((_, i) => i !== 2) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(s) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(s);
  if (!m) return null;
  const day = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  return isDay(day) ? day : null;
}

/** A month as written (2026-05, 2026/5, 202605, 2026年5月, or a day of it) as YYYY-MM, or null. */
export function readMonth(written: string): string | null {
  const s = written.normalize('NFKC').trim();
  const m = /^(\d{4})(?:[-/.](\d{1,2})|(\d{2})|年(\d{1,2})月)$/.exec(s);
  if (m) {
    const month = (m[2] ?? m[3] ?? m[4])!.padStart(2, '0');
    return month >= '01' && month <= '12' ? `${m[1]}-${month}` : null;
  }
  return readDay(s)?.slice(0, 7) ?? null;
}
