import { z } from '@hono/zod-openapi';
import { isDay, type StatementCursor } from '../ledger/index.js';
import { EVENT_DATE_RULE } from '../pool/business-dates.js';
import { CURRENCY } from '../pool/money.js';
import type { FeedCursor } from '../pool/events.js';
import { textIssue } from '../pool/text.js';

/** Wire formats shared by the routes: ids and money as strings of digits, days as YYYY-MM-DD. */

const INT8_MAX = 2n ** 63n - 1n;
const isId = (v: string) => /^[1-9]\d{0,18}$/.test(v) && BigInt(v) <= INT8_MAX;

export const Id = z
  .string()
  .refine(isId, 'a positive integer id below 2^63')
  .openapi({ type: 'string', pattern: '^[1-9][0-9]{0,18}$', example: '42' });
export const Amount = z
  .string()
  .regex(/^-?\d{1,19}$/, 'an integer amount in fen, as a string')
  .openapi({ example: '1234567' });
export const Day = z
  .string()
  .refine(isDay, 'a calendar day, YYYY-MM-DD')
  .openapi({ type: 'string', format: 'date', example: '2026-06-30' });
/** The date of a business event, documented with the window the domain takes it in. */
export const EventDay = Day.openapi({ description: EVENT_DATE_RULE });
/** A non-negative amount in fen, as a string of digits (caps, limits, balances reported by banks). */
export const Fen = z.string().regex(/^\d{1,16}$/, 'an amount in fen, as a string of digits');
/** A positive amount in fen, as a string of digits (what is lent, posted or paid). */
export const PositiveFen = z.string().regex(/^[1-9]\d{0,15}$/, 'a positive amount in fen, as a string of digits');
export const Money = z.object({ amount: Amount, currency: z.string().regex(/^[A-Z]{3}$/) }).openapi('Money', {
  description: 'An amount in minor units (fen for CNY), as a string of digits, and its currency.',
});

/**
 * A money field of a request: `{ "amount": "250000", "currency": "CNY" }`, the form every response uses, or
 * the amount in fen alone as a string of digits (the form requests took before, still accepted). Either
 * reads as the fen string, so a handler sees one form.
 */
function moneyIn(fen: z.ZodString) {
  return z
    .union([z.object({ amount: fen, currency: z.literal(CURRENCY) }).strict(), fen])
    .transform((v) => (typeof v === 'string' ? v : v.amount))
    .openapi({
      description: `Money in ${CURRENCY}: { "amount": "<fen>", "currency": "${CURRENCY}" }, or the fen alone as a string`,
      example: { amount: '250000', currency: CURRENCY },
    });
}
/** A non-negative money field of a request (a cap, a limit, a balance a bank reports). */
export const FenIn = moneyIn(Fen);
/** A positive money field of a request (what is lent, posted or paid). */
export const PositiveFenIn = moneyIn(PositiveFen);

/** The text rule as the OpenAPI document states it to clients (a pattern cannot say "no lone surrogate"). */
const LINE_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
const FREE_TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$';

/**
 * A string the API takes: at most `max` characters (UTF-16 code units, as JavaScript counts them), at
 * least `min` (1 unless told), under the text rule of `textIssue`. Every string schema of a request uses it.
 * @example text(200) // a name; text(1000, { multiline: true }) // a reason
 */
export function text(max: number, options: { min?: number; multiline?: boolean } = {}) {
  return z
    .string()
    .min(options.min ?? 1)
    .max(max)
    .superRefine((value, ctx) => {
      const issue = textIssue(value, options);
      if (issue) ctx.addIssue({ code: 'custom', message: issue });
    })
    .openapi({ pattern: options.multiline ? FREE_TEXT_PATTERN : LINE_PATTERN });
}

export const PoolParam = z.object({ pool_id: Id.openapi({ param: { name: 'pool_id', in: 'path' } }) });

export const Limit = z.coerce.number().int().min(1).max(1000).default(100).openapi({ example: 100 });
export const Cursor = text(500).openapi({ description: 'Opaque: the next_cursor of the previous page.' });

export const money = (amount: bigint, currency: string) => ({ amount: amount.toString(), currency });
/** A domain amount on the wire: the pool's money is fen of CNY. */
export const cny = (fen: bigint) => money(fen, CURRENCY);
/** A domain amount kept as a string of fen digits (a stored breakdown's figures), on the wire. */
export const cnyOf = (fenDigits: string) => cny(BigInt(fenDigits));

/** Cursors are opaque to clients: base64url of a small JSON value. */
export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string, keys: string[]): Record<string, string> | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!value || typeof value !== 'object') return null;
    const record = value as Record<string, unknown>;
    return keys.every((k) => typeof record[k] === 'string') ? (record as Record<string, string>) : null;
  } catch {
    return null;
  }
}

export const statementCursor = {
  // A position only: the balance there is looked up again for every page (see the engine's statement).
  encode: (c: StatementCursor) => encodeCursor({ d: c.day, e: c.entryId.toString() }),
  decode(cursor: string): StatementCursor | null {
    const v = decodeCursor(cursor, ['d', 'e']);
    if (!v || !isDay(v.d!) || !isId(v.e!)) return null;
    return { day: v.d!, entryId: BigInt(v.e!) };
  },
};

export const feedCursor = {
  encode: (c: FeedCursor) => encodeCursor({ x: c.xid, i: c.id.toString() }),
  decode(cursor: string): FeedCursor | null {
    const v = decodeCursor(cursor, ['x', 'i']);
    if (!v || !/^\d{1,20}$/.test(v.x!) || BigInt(v.x!) >= 2n ** 64n || !isId(v.i!)) return null;
    return { xid: v.x!, id: BigInt(v.i!) };
  },
};
