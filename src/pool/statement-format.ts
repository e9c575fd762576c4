import { isDay } from '../ledger/index.js';
import { readCsv, type CsvColumn } from './csv-table.js';
import { UnreadableInput } from './errors.js';
import type { StatementRow } from './reconciliation.js';
import { textIssue } from './text.js';

/**
 * The bank statement format: the pool account's export as CSV (UTF-8), one line per booking, in booking
 * order, with these columns (Chinese as exported, or the English names):
 * 交易日期 date (YYYY-MM-DD or YYYYMMDD), 交易流水号 reference (the bank's, unique), 借贷标志 direction (贷/C: into
 * the account, 借/D: out of it), 交易金额 amount (yuan, e.g. 1,234.56), 对方户名 counterparty, 账户余额 balance
 * (yuan, after the line), 摘要 memo. A column the format does not know is left out. `samples/bank-statement.csv`
 * is an example.
 */
export const STATEMENT_COLUMNS = [
  { field: 'date', names: ['交易日期'] },
  { field: 'reference', names: ['交易流水号'] },
  { field: 'direction', names: ['借贷标志'] },
  { field: 'amount', names: ['交易金额'] },
  { field: 'counterparty', names: ['对方户名'] },
  { field: 'balance', names: ['账户余额'] },
  { field: 'memo', names: ['摘要'] },
] as const satisfies readonly CsvColumn[];

const REQUIRED = ['date', 'reference', 'direction', 'amount', 'balance'] as const;

/** The statement's text cells, under the API's text rule; a memo is free text. */
const TEXT_COLUMNS = [
  { column: 'reference', max: 100, multiline: false },
  { column: 'counterparty', max: 200, multiline: false },
  { column: 'memo', max: 500, multiline: true },
] as const;

/** Yuan as written by a bank ("1,234.56", "-12.5") to fen, exactly: never through a float. */
export function yuanToFen(text: string): bigint | null {
  const m = /^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const fen = BigInt(m[2]!.replace(/,/g, '')) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -fen : fen;
}

/** A statement's lines as the domain takes them; refused as a whole at the first line that cannot be read. */
export function readStatement(text: string): StatementRow[] {
  const { records } = readCsv(text, STATEMENT_COLUMNS, {
    unknownColumns: 'ignore',
    required: REQUIRED,
    what: 'statement',
  });
  const bad = (line: number, message: string) =>
    new UnreadableInput(`line ${line}: ${message}`, [{ path: `body.line.${line}`, message }]);
  return records.map(({ line, values }) => {
    const cell = (column: (typeof STATEMENT_COLUMNS)[number]['field']) => values[column] ?? '';
    const day = cell('date').replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
    if (!isDay(day)) throw bad(line, `the date ${cell('date')} is not a calendar day`);
    const amount = yuanToFen(cell('amount'));
    if (amount === null || amount <= 0n)
      throw bad(line, `the amount ${cell('amount')} is not a positive amount in yuan`);
    const direction = cell('direction').toUpperCase();
    const sign =
      direction === '贷' || direction === 'C' || direction === 'CR'
        ? 1n
        : direction === '借' || direction === 'D' || direction === 'DR'
          ? -1n
          : 0n;
    if (sign === 0n) throw bad(line, `the direction ${cell('direction')} is neither 贷 (in) nor 借 (out)`);
    const balance = yuanToFen(cell('balance'));
    if (balance === null) throw bad(line, `the balance ${cell('balance')} is not an amount in yuan`);
    const [bankRef, counterparty, memo] = TEXT_COLUMNS.map(({ column, max, multiline }) => {
      const value = cell(column);
      if (column === 'reference' && value.length < 1) throw bad(line, 'the reference is 1 to 100 characters');
      const issue = value.length > max ? `is at most ${max} characters` : textIssue(value, { multiline });
      if (issue)
        throw new UnreadableInput(`line ${line}: the ${column} ${issue}`, [
          { path: `body.line.${line}.${column}`, message: issue },
        ]);
      return value;
    }) as [string, string, string];
    return { line, bookedOn: day, bankRef, amount: sign * amount, counterparty, balance, memo };
  });
}
