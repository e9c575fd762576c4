import { readCsv, type CsvColumn } from './csv-table.js';
import { UnreadableInput } from './errors.js';
import { readDay, readYuan } from './file-values.js';
import type { StatementRow } from './reconciliation.js';
import { textIssue } from './text.js';

/**
 * The bank statement format: the pool account's export as CSV (UTF-8 or GB18030, comma or tab), one line per
 * booking, in booking order, with these columns (Chinese as exported, or the English names): 交易日期 date
 * (2026-05-15, 2026/5/15, 20260515, 2026年5月15日), 交易流水号 reference (the bank's, unique), the amount in
 * yuan (1,234.56; ¥ and full-width digits are read) in one of three layouts: 交易金额 amount with 借贷标志
 * direction (贷/C: into the account, 借/D: out of it); 交易金额 alone, signed (negative: out); or 借方发生额
 * debit (out) and 贷方发生额 credit (in), one of them filled a line; then 对方户名 counterparty, 账户余额
 * balance (yuan, after the line), 摘要 memo. A column the format does not know is left out.
 * `samples/bank-statement.csv` is an example.
 */
export const STATEMENT_COLUMNS = [
  { field: 'date', names: ['交易日期', '记账日期', '日期'] },
  { field: 'reference', names: ['交易流水号', '流水号'] },
  { field: 'direction', names: ['借贷标志', '借贷方向'] },
  { field: 'amount', names: ['交易金额', '发生额'] },
  { field: 'debit', names: ['借方发生额', '借方金额', '支出金额', '借方'] },
  { field: 'credit', names: ['贷方发生额', '贷方金额', '收入金额', '贷方'] },
  { field: 'counterparty', names: ['对方户名'] },
  { field: 'balance', names: ['账户余额', '余额'] },
  { field: 'memo', names: ['摘要', '用途'] },
] as const satisfies readonly CsvColumn[];

const REQUIRED = ['date', 'reference', 'balance'] as const;

/** The statement's text cells, under the API's text rule; a memo is free text. */
const TEXT_COLUMNS = [
  { column: 'reference', max: 100, multiline: false },
  { column: 'counterparty', max: 200, multiline: false },
  { column: 'memo', max: 500, multiline: true },
] as const;

/** A statement's lines as the domain takes them; refused as a whole at the first line that cannot be read. */
export function readStatement(text: string): StatementRow[] {
  const { records, columnOf } = readCsv(text, STATEMENT_COLUMNS, {
    unknownColumns: 'ignore',
    required: REQUIRED,
    what: 'statement',
  });
  const has = (field: string) => columnOf.has(field);
  const layout =
    has('debit') || has('credit') ? 'columns' : has('amount') ? (has('direction') ? 'flag' : 'signed') : null;
  if (layout === null || (layout === 'columns' && has('amount')))
    throw new UnreadableInput(
      'the statement states its amounts either as 交易金额 amount (with 借贷标志 direction, or signed), or as 借方发生额 debit and 贷方发生额 credit',
      [{ path: 'body', message: 'amount columns' }],
    );
  const bad = (line: number, message: string) =>
    new UnreadableInput(`line ${line}: ${message}`, [{ path: `body.line.${line}`, message }]);
  const yuan = (line: number, column: string, written: string) => {
    const read = readYuan(written);
    if ('issue' in read) throw bad(line, `the ${column} ${read.issue}`);
    return read.fen;
  };
  return records.map(({ line, values }) => {
    const cell = (column: (typeof STATEMENT_COLUMNS)[number]['field']) => values[column] ?? '';
    const day = readDay(cell('date'));
    if (day === null) throw bad(line, `the date ${cell('date')} is not a calendar day`);
    let signed: bigint;
    if (layout === 'columns') {
      const [debit, credit] = (['debit', 'credit'] as const).map((c) => (cell(c) === '' ? 0n : yuan(line, c, cell(c))));
      if (debit! < 0n || credit! < 0n || debit! > 0n === credit! > 0n)
        throw bad(line, `a line has a positive debit (${cell('debit')}) or credit (${cell('credit')}), not both`);
      signed = credit! - debit!;
    } else {
      const amount = yuan(line, 'amount', cell('amount'));
      if (layout === 'signed') {
        if (amount === 0n) throw bad(line, 'the amount is 0.00');
        signed = amount;
      } else {
        if (amount <= 0n) throw bad(line, `the amount ${cell('amount')} is not a positive amount in yuan`);
        const direction = cell('direction').toUpperCase();
        const sign =
          direction === '贷' || direction === 'C' || direction === 'CR'
            ? 1n
            : direction === '借' || direction === 'D' || direction === 'DR'
              ? -1n
              : 0n;
        if (sign === 0n) throw bad(line, `the direction ${cell('direction')} is neither 贷 (in) nor 借 (out)`);
        signed = sign * amount;
      }
    }
    const balance = yuan(line, 'balance', cell('balance'));
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
    return { line, bookedOn: day, bankRef, amount: signed, counterparty, balance, memo };
  });
}
