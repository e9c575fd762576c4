import type { z } from '@hono/zod-openapi';
import { readCsv, type CsvColumn as CsvTableColumn } from '../pool/csv-table.js';
import { readDay, readMonth, readYuan } from '../pool/file-values.js';
import { MAX_TAPE_ROWS, type TapeRow } from '../pool/loan-tapes.js';
import { ProblemError } from './problem.js';

/**
 * Reading a tape: CSV (UTF-8 or GB18030, a header row whose names may be the Chinese ones of a bank's export,
 * amounts in fen or, under a column named in yuan, in yuan as people write them; dates as Chinese exports
 * write them) or NDJSON (one JSON object a line, with the API's field names and forms). Each row is
 * validated with the same zod schema as the single request and turned into the domain's spec, or into an
 * error naming its line and field.
 */
export type TapeFormat = 'csv' | 'ndjson';

/** A Content-Type without its parameters, lower case ('' when there is none). */
export const mediaTypeOf = (contentType: string | undefined): string =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();

export function tapeFormat(contentType: string | undefined): TapeFormat {
  const type = mediaTypeOf(contentType);
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  throw new ProblemError('unsupported-media-type', {
    detail: 'send a tape as text/csv (UTF-8, header row) or application/x-ndjson',
  });
}

/** A CSV column: its API field name, and how a cell becomes the JSON value the schema expects. */
export interface CsvColumn extends CsvTableColumn {
  cell?: (value: string) => unknown;
}

export const booleanCell = (v: string): unknown => {
  const s = v.trim().toLowerCase();
  if (['是', 'y', 'yes', 'true', '1'].includes(s)) return true;
  if (['否', 'n', 'no', 'false', '0', ''].includes(s)) return false;
  return v;
};
export const integerCell = (v: string): unknown => (/^-?\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v);
/** A cell its column cannot read: the row is refused with the message, under the cell's field. */
export class CellIssue {
  constructor(readonly message: string) {}
}
/** A day as Chinese exports write it (2026/5/15, 20260515, 2026年5月15日) as the API's YYYY-MM-DD. */
export const dayCell = (v: string): unknown => readDay(v) ?? v.trim();
/** A month (2026-04, 2026/4, 202604, 2026年4月) as the first day of it, as the API takes a month. */
export const monthCell = (v: string): unknown => {
  const month = readMonth(v);
  return month ? `${month}-01` : v.trim();
};
/** Yuan as written (500,000.00, ¥500,000.00, full-width digits) as fen digits, exactly; never rounded. */
export const yuanCell = (v: string): unknown => {
  const read = readYuan(v);
  return 'fen' in read ? read.fen.toString() : new CellIssue(read.issue);
};
export const codeCell =
  (codes: Record<string, string>) =>
  (v: string): unknown =>
    codes[v.trim()] ?? v.trim();

/** Reads and validates every row of a tape; a tape that cannot be read at all is refused as a whole. */
export async function readTape<T, S extends z.ZodType>(
  body: string,
  format: TapeFormat,
  columns: CsvColumn[],
  schema: S,
  toSpec: (value: z.output<S>) => T,
  referenceOf: (raw: Record<string, unknown>) => string | null,
): Promise<TapeRow<T>[]> {
  const rows: TapeRow<T>[] = [];
  const add = (line: number, raw: unknown) => {
    if (rows.length >= MAX_TAPE_ROWS)
      throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
    const record = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
    const reference = record ? referenceOf(record) : null;
    if (!record) {
      rows.push({ line, error: { line, reference, message: 'a row is a JSON object' } });
      return;
    }
    const parsed = schema.safeParse(record);
    if (parsed.success) {
      rows.push({ line, spec: toSpec(parsed.data) });
      return;
    }
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || undefined;
    rows.push({ line, error: { line, reference, ...(field ? { field } : {}), message: issue.message } });
  };

  if (format === 'ndjson') {
    let line = 0;
    for (const text of body.split('\n')) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (rows.length >= MAX_TAPE_ROWS)
          throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
        rows.push({ line, error: { line, reference: null, message: 'the line is not JSON' } });
        continue;
      }
      add(line, value);
    }
    return rows;
  }

  const { width, records, columnOf } = readCsv(body, columns, { unknownColumns: 'refuse', what: 'tape' });
  for (const { line, values, cells } of records) {
    const value: Record<string, unknown> = {};
    for (const [field, cell] of Object.entries(values)) {
      const column = columnOf.get(field) as CsvColumn;
      value[field] = column.cell ? column.cell(cell) : cell;
    }
    const unread = Object.entries(value).find(([, v]) => v instanceof CellIssue) as [string, CellIssue] | undefined;
    if (unread) {
      if (rows.length >= MAX_TAPE_ROWS)
        throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
      rows.push({ line, error: { line, reference: referenceOf(value), field: unread[0], message: unread[1].message } });
      continue;
    }
    if (cells !== width) {
      if (rows.length >= MAX_TAPE_ROWS)
        throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
      rows.push({
        line,
        error: { line, reference: referenceOf(value), message: `the row has ${cells} cells; the header has ${width}` },
      });
      continue;
    }
    add(line, value);
  }
  return rows;
}
