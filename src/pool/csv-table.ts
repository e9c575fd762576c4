import { parse } from 'csv-parse/sync';
import { UnreadableInput } from './errors.js';

/**
 * The one reader of the CSV files banks send (loan tapes, bank statements): UTF-8 with or without a BOM, a
 * header row, then a record a line, cells trimmed, blank lines skipped. A header cell names a column by its
 * field name or by any of its other names (the Chinese ones of a bank's export), compared without spaces, in
 * any case, and with full-width brackets made ASCII: "本金（分）" = "本金(分)". Cells are separated by commas,
 * or by tabs when the header has tabs and no comma (a sheet copied out of Excel). Several columns may feed one
 * field (本金(分) and 本金(元), read differently); a header that names a field twice is refused, since
 * neither cell may silently win. Lines are counted as in the file, for refusals.
 */
export interface CsvColumn {
  field: string;
  names: readonly string[];
}

export interface CsvRecord {
  /** The file's line the record ends on. */
  line: number;
  /** The record's non-empty cells by the field of their column (a cell under an ignored column is dropped). */
  values: Record<string, string>;
  /** How many cells the record has, for a caller that refuses a record wider or narrower than the header. */
  cells: number;
}

export interface CsvOptions {
  /** What a header cell that names no column means: a refusal, or a column the reader leaves out. */
  unknownColumns: 'refuse' | 'ignore';
  /** Fields the header must name. */
  required?: readonly string[];
  /** What the file is, for refusals ("tape", "statement"). */
  what: string;
}

/** Header names compare without spaces, in lower case, and with full-width brackets made ASCII. */
const headerKey = (name: string) => name.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').toLowerCase();

const notCsv = (detail: string, message: string) => new UnreadableInput(detail, [{ path: 'body', message }]);

/** The header's width and the records under it; a file whose header cannot be read is refused as a whole. */
export function readCsv(
  text: string,
  columns: readonly CsvColumn[],
  options: CsvOptions,
): { width: number; records: CsvRecord[]; columnOf: Map<string, CsvColumn> } {
  let rows: { record: string[]; info: { lines: number } }[];
  const firstLine = /^[^\n]*/.exec(text.slice(0, 64 * 1024))![0];
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  try {
    // csv-parse's synchronous reader: its stream reader imports Node's `stream`, which Workers lack.
    rows = parse(text, {
      bom: true,
      delimiter,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      trim: true,
    }) as unknown as typeof rows;
  } catch (err) {
    const lines = (err as { lines?: number }).lines;
    throw notCsv(`the CSV cannot be read${lines ? ` at line ${lines}` : ''}: ${(err as Error).message}`, 'not CSV');
  }
  const [head, ...rest] = rows;
  if (!head) throw notCsv(`the ${options.what} is empty: a CSV ${options.what} starts with its header row`, 'empty');

  // The first column a name is given to keeps it: a field's own name is its first column's (本金(分), in fen).
  const byName = new Map<string, CsvColumn>();
  for (const c of columns)
    for (const name of [c.field, ...c.names]) if (!byName.has(headerKey(name))) byName.set(headerKey(name), c);
  const listed = () => columns.map((c) => `${c.names[0] ?? c.field} (${c.field})`).join(', ');
  const header = head.record.map((name) => byName.get(headerKey(name)));
  const at = `line ${head.info.lines}`;
  const unknown = head.record.filter((_, i) => header[i] === undefined);
  if (unknown.length > 0 && options.unknownColumns === 'refuse') {
    throw notCsv(
      `${at}: unknown column ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the columns are ${listed()}`,
      'unknown column',
    );
  }
  const twice = header.find(
    (column, i) => column !== undefined && header.findIndex((c) => c?.field === column.field) !== i,
  );
  if (twice) {
    const names = head.record
      .filter((_, i) => header[i]?.field === twice.field)
      .map((u) => JSON.stringify(u))
      .join(' and ');
    throw notCsv(
      `${at}: the header names the column ${twice.field} twice (${names})`,
      `duplicate column ${twice.field}`,
    );
  }
  const missing = (options.required ?? []).filter((field) => !header.some((c) => c?.field === field));
  if (missing.length > 0)
    throw notCsv(`${at}: the header lacks ${missing.join(', ')}; the columns are ${listed()}`, 'header');

  const records = rest.map(({ record, info }) => {
    const values: Record<string, string> = {};
    record.forEach((cell, i) => {
      const column = header[i];
      if (column && cell !== '') values[column.field] = cell;
    });
    return { line: info.lines, values, cells: record.length };
  });
  const columnOf = new Map(header.filter((c) => c !== undefined).map((c) => [c.field, c]));
  return { width: header.length, records, columnOf };
}
