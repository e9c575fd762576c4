import { createRoute, z } from '@hono/zod-openapi';
import {
  enrolLoanTape,
  MAX_TAPE_ROWS,
  reportLoanTape,
  TAPE_MODES,
  TapeRefused,
  type TapeResult,
} from '../../pool/loan-tapes.js';
import { LOAN_KINDS } from '../../pool/loans.js';
import { ProblemError } from '../problem.js';
import { routeGroup } from '../route-group.js';
import {
  booleanCell,
  codeCell,
  dayCell,
  integerCell,
  monthCell,
  readTape,
  tapeFormat,
  yuanCell,
  type CsvColumn,
  type TapeFormat,
} from '../tape.js';
import { cny, Money, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';
import { LoanBody, loanSpec, monthlyReport, ReportBody } from './loans.js';

/** The loan kinds as a bank's export names them. */
const KIND_NAMES: Record<string, (typeof LOAN_KINDS)[number]> = {
  信用: 'credit',
  信用贷款: 'credit',
  知识产权质押: 'ip_pledge',
  股权质押: 'equity_pledge',
  应收账款质押: 'receivables_pledge',
  仓单质押: 'warehouse_receipt_pledge',
  履约保证保险: 'performance_bond_insured',
};
/** 五级分类 as a bank's export names it. */
const CLASSIFICATION_NAMES: Record<string, string> = {
  正常: 'normal',
  关注: 'special_mention',
  次级: 'substandard',
  可疑: 'doubtful',
  损失: 'loss',
};

export const LOAN_TAPE_COLUMNS: CsvColumn[] = [
  { field: 'agreement_id', names: ['协议编号'] },
  { field: 'reference', names: ['贷款编号'] },
  { field: 'borrower_credit_code', names: ['统一社会信用代码', '借款人统一社会信用代码'] },
  { field: 'kind', names: ['贷款类型'], cell: codeCell(KIND_NAMES) },
  { field: 'principal', names: ['本金(分)'] },
  { field: 'principal', names: ['本金(元)', '贷款金额(元)', '本金', '贷款金额'], cell: yuanCell },
  { field: 'rate_bp', names: ['利率(基点)'], cell: integerCell },
  { field: 'disbursed_on', names: ['放款日期', '发放日期'], cell: dayCell },
  { field: 'matures_on', names: ['到期日期', '到期日'], cell: dayCell },
  { field: 'first_loan', names: ['首贷'], cell: booleanCell },
  { field: 'policy_number', names: ['保单号'] },
  { field: 'premium', names: ['保费(分)'] },
  { field: 'premium', names: ['保费(元)', '保费'], cell: yuanCell },
];

export const REPORT_TAPE_COLUMNS: CsvColumn[] = [
  { field: 'reference', names: ['贷款编号'] },
  { field: 'month', names: ['报告月份'], cell: monthCell },
  { field: 'outstanding', names: ['贷款余额(分)'] },
  { field: 'outstanding', names: ['贷款余额(元)', '贷款余额'], cell: yuanCell },
  { field: 'overdue_principal', names: ['逾期本金(分)'] },
  { field: 'overdue_principal', names: ['逾期本金(元)', '逾期本金'], cell: yuanCell },
  { field: 'overdue_interest', names: ['逾期利息(分)'] },
  { field: 'overdue_interest', names: ['逾期利息(元)', '逾期利息'], cell: yuanCell },
  { field: 'days_past_due', names: ['逾期天数'], cell: integerCell },
  { field: 'classification', names: ['五级分类'], cell: codeCell(CLASSIFICATION_NAMES) },
];

const TapeQuery = z.object({
  mode: z.enum(TAPE_MODES).default('all_or_nothing').openapi({
    description:
      'all_or_nothing: one bad row refuses the tape and nothing is written (422 tape-refused, listing every bad row). accept_valid: the good rows are written and the bad ones listed.',
  }),
});
const RowError = z
  .object({
    line: z.number().int(),
    reference: z.string().nullable(),
    field: z.string().optional(),
    rule: z.string().optional(),
    message: z.string(),
  })
  .openapi('TapeRowError');
const TapeOut = z
  .object({
    mode: z.enum(TAPE_MODES),
    rows: z.number().int(),
    accepted: z.number().int().openapi({ description: 'Rows written: loans enrolled, or reports appended' }),
    unchanged: z
      .number()
      .int()
      .openapi({ description: 'Rows already recorded with the same content (a tape sent again changes nothing)' }),
    refused: z.number().int(),
    principal: Money.openapi({ description: 'Principal enrolled (loan tape) or repaid (report tape)' }),
    errors: z.array(RowError),
  })
  .openapi('TapeResult');

const tapeOut = (r: TapeResult) => ({
  mode: r.mode,
  rows: r.rows,
  accepted: r.accepted,
  unchanged: r.unchanged,
  refused: r.refused,
  principal: cny(r.principal),
  errors: r.errors,
});

const tapeBody = (columns: CsvColumn[]) => ({
  content: {
    'text/csv': {
      schema: z.string().openapi({
        description: `UTF-8 with a header row. Columns (Chinese or API names): ${columns.map((c) => `${c.names[0]} = ${c.field}`).join(', ')}`,
      }),
    },
    'application/x-ndjson': {
      schema: z.string().openapi({ description: "One JSON object a line, with the API's field names" }),
    },
  },
  required: true,
});

async function refusedAsProblem(run: () => Promise<TapeResult>): Promise<TapeResult> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof TapeRefused)) throw err;
    const { errors, ...summary } = tapeOut(err.result);
    throw new ProblemError('tape-refused', { detail: err.message, extra: { ...summary, row_errors: errors } });
  }
}

const referenceOf = (raw: Record<string, unknown>) => (typeof raw.reference === 'string' ? raw.reference : null);
/** A loan tape read and every row validated, as the route does before it touches the database. */
export const readLoanTape = (body: string, format: TapeFormat) =>
  readTape(body, format, LOAN_TAPE_COLUMNS, LoanBody, loanSpec, referenceOf);

/** The rows of a tape, refused when there are none. */
function nonEmpty<T>(rows: T[]): T[] {
  if (rows.length === 0)
    throw new ProblemError('validation', {
      detail: 'the tape has no rows',
      errors: [{ path: 'body', message: 'empty' }],
    });
  return rows;
}

export function loanTapeRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loan-tapes',
      tags: ['loans'],
      summary: `Enrol a tape of loans (bank): CSV or NDJSON, up to ${MAX_TAPE_ROWS} rows, each checked like a single enrolment`,
      description:
        'Rows take the credit line in tape order. A row whose reference is already enrolled with the same content counts as unchanged; with other content it is refused. In all_or_nothing mode any bad row refuses the tape with 422 tape-refused and its `row_errors`.',
      request: { params: PoolParam, query: TapeQuery, body: tapeBody(LOAN_TAPE_COLUMNS) },
      responses: {
        200: { description: "The tape's result", content: json(TapeOut) },
        413: { description: 'More rows than a tape holds' },
        415: { description: 'Not CSV or NDJSON' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { mode } = c.req.valid('query');
      const read = async () =>
        nonEmpty(await readLoanTape(await c.req.text(), tapeFormat(c.req.header('content-type'))));
      const result = await refusedAsProblem(() => enrolLoanTape(call.db, call.principal, call.poolId, read, mode));
      return c.json(tapeOut(result), 200);
    },
  );

  const ReportRow = ReportBody.extend({ reference: text(100) });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loan-report-tapes',
      tags: ['loans'],
      summary: `Append a tape of monthly reports (bank): CSV or NDJSON, up to ${MAX_TAPE_ROWS} rows naming loans by the bank's reference, each checked like a single report`,
      description:
        'Rows on one loan are taken in tape order, month after month. A row that repeats a recorded report (same loan, month and figures) counts as unchanged.',
      request: { params: PoolParam, query: TapeQuery, body: tapeBody(REPORT_TAPE_COLUMNS) },
      responses: {
        200: { description: "The tape's result", content: json(TapeOut) },
        413: { description: 'More rows than a tape holds' },
        415: { description: 'Not CSV or NDJSON' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { mode } = c.req.valid('query');
      const read = async () =>
        nonEmpty(
          await readTape(
            await c.req.text(),
            tapeFormat(c.req.header('content-type')),
            REPORT_TAPE_COLUMNS,
            ReportRow,
            (b) => ({ ...monthlyReport(b), reference: b.reference }),
            referenceOf,
          ),
        );
      const result = await refusedAsProblem(() => reportLoanTape(call.db, call.principal, call.poolId, read, mode));
      return c.json(tapeOut(result), 200);
    },
  );
  return app;
}
