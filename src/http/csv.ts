import type { Context } from 'hono';
import { bigintReplacer } from './problem.js';

/**
 * CSV as every export of the API writes it: RFC 4180 quoting, and OWASP's defence against CSV (formula)
 * injection. A spreadsheet takes a cell that begins with =, +, -, @, tab or carriage return for a formula,
 * and memos, descriptions and names come from outside; such a cell is written behind a single quote
 * (`'=1+1`), which a spreadsheet shows as text. A cell that is a plain number (`-500`, `12.5`) is left as
 * it is whatever column it is in: an amount must stay a number, and a number is no formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: unknown): string {
  let cell =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value, bigintReplacer)
        : String(value);
  if (FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell)) cell = `'${cell}`;
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Rows of cells under a header, a line each (LF), the last one ended too. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',') + '\n').join('');
}

/** Records as CSV, the header from the first record's keys; nothing at all for no records. */
export function recordsToCsv(records: readonly Record<string, unknown>[]): string {
  if (records.length === 0) return '';
  const header = Object.keys(records[0]!);
  return toCsv(
    header,
    records.map((r) => header.map((k) => r[k])),
  );
}

/**
 * A CSV download: UTF-8 behind a byte-order mark (Excel in a Chinese locale reads a file as UTF-8 only with
 * one, and shows it garbled without), and a file name that says what and of when, in Chinese with an ASCII
 * name beside it for clients that cannot take one (RFC 6266, with RFC 8187's `filename*`).
 * @example csvDownload(c, csv, { zh: '资金池1-银行存款余额调节表-2026-04-30', ascii: 'pool-1-reconciliation-2026-04-30' })
 */
export function csvDownload(c: Context, csv: string, name: { zh: string; ascii: string }) {
  return c.body(`\uFEFF${csv}`, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name.ascii}.csv"; filename*=UTF-8''${encodeURIComponent(`${name.zh}.csv`)}`,
  });
}
