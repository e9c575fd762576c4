import type { z } from '@hono/zod-openapi';
import { parse } from 'csv-parse/sync';
import { MAX_TAPE_ROWS, type TapeRow } from '../pool/loan-tapes.js';
import { ProblemError } from './problem.js';

/**
 * Reading a tape: CSV (UTF-8, a header row whose names may be the Chinese ones of a bank's export) or NDJSON
 * (one JSON object a line, with the API's field names). Each row is validated with the same zod schema as
 * the single request and turned into the domain's spec, or into an error naming its line and field.
 */
export type TapeFormat = 'csv' | 'ndjson';

/** A Content-Type without its parameters, lower case ('' when there is none). */
export const mediaTypeOf = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

export function tapeFormat(contentType: string | undefined): TapeFormat {
  const type = mediaTypeOf(contentType);
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  throw new ProblemError('unsupported-media-type', { detail: 'send a tape as text/csv (UTF-8, header row) or application/x-ndjson' });
}

/** A CSV column: its API field name, and how a cell becomes the JSON value the schema expects. */
export interface CsvColumn {
  field: string;
  names: string[];
  cell?: (value: string) => unknown;
}

export const booleanCell = (v: string): unknown => {
  const s = v.trim().toLowerCase();
  if (['是', 'y', 'yes', 'true', '1'].includes(s)) return true;
  if (['否', 'n', 'no', 'false', '0', ''].includes(s)) return false;
  return v;
};
export const integerCell = (v: string): unknown => (/^-?\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v);
export const codeCell = (codes: Record<string, string>) => (v: string): unknown => codes[v.trim()] ?? v.trim();

/** Header names compare without spaces and with full-width brackets made ASCII: "本金（分）" = "本金(分)". */
const headerKey = (name: string) => name.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').toLowerCase();

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
    if (rows.length >= MAX_TAPE_ROWS) throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
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
        if (rows.length >= MAX_TAPE_ROWS) throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
        rows.push({ line, error: { line, reference: null, message: 'the line is not JSON' } });
        continue;
      }
      add(line, value);
    }
    return rows;
  }

  const byName = new Map(columns.flatMap((c) => [c.field, ...c.names].map((n) => [headerKey(n), c] as const)));
  let header: (CsvColumn | undefined)[] = [];
  try {
    // csv-parse's synchronous reader: its stream reader imports Node's `stream`, which Workers lack.
    const records = parse(body, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: true }) as unknown as { record: string[]; info: { lines: number } }[];
    for (const { record, info } of records) {
      if (header.length === 0) {
        header = record.map((name) => byName.get(headerKey(name)));
        const unknown = record.filter((_, i) => header[i] === undefined);
        if (unknown.length > 0) {
          throw new ProblemError('validation', {
            detail: `line ${info.lines}: unknown column ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the columns are ${columns.map((c) => `${c.names[0]} (${c.field})`).join(', ')}`,
            errors: [{ path: 'body', message: 'unknown column' }],
          });
        }
        // Two cells of one row for one field: neither may silently win.
        const twice = header.find((column, i) => header.indexOf(column) !== i);
        if (twice) {
          const names = record.filter((_, i) => header[i] === twice).map((u) => JSON.stringify(u)).join(' and ');
          throw new ProblemError('validation', { detail: `line ${info.lines}: the header names the column ${twice.field} twice (${names})`, errors: [{ path: 'body', message: `duplicate column ${twice.field}` }] });
        }
        continue;
      }
      const value: Record<string, unknown> = {};
      record.forEach((cell, i) => {
        const column = header[i];
        if (!column || cell === '') return;
        value[column.field] = column.cell ? column.cell(cell) : cell;
      });
      if (record.length !== header.length) {
        if (rows.length >= MAX_TAPE_ROWS) throw new ProblemError('payload-too-large', { detail: `a tape holds at most ${MAX_TAPE_ROWS} rows` });
        rows.push({ line: info.lines, error: { line: info.lines, reference: referenceOf(value), message: `the row has ${record.length} cells; the header has ${header.length}` } });
        continue;
      }
      add(info.lines, value);
    }
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    const lines = (err as { lines?: number }).lines;
    throw new ProblemError('validation', { detail: `the CSV cannot be read${lines ? ` at line ${lines}` : ''}: ${(err as Error).message}`, errors: [{ path: 'body', message: 'not CSV' }] });
  }
  if (header.length === 0) throw new ProblemError('validation', { detail: 'the tape is empty: a CSV tape starts with its header row', errors: [{ path: 'body', message: 'empty' }] });
  return rows;
}
