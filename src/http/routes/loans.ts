import { createRoute, z } from '@hono/zod-openapi';
import { REPORT_MONTH_RULE } from '../../pool/business-dates.js';
import {
  CLASSIFICATIONS,
  enrolLoan,
  getLoan,
  listLoanReports,
  listLoans,
  LOAN_KINDS,
  reportLoan,
  type Loan,
  type LoanSpec,
  type MonthlyReport,
} from '../../pool/loans.js';
import { routeGroup } from '../route-group.js';
import { cny, Day, EventDay, FenIn, Id, Limit, Money, PoolParam, PositiveFenIn, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

export const LoanBody = z
  .object({
    agreement_id: Id,
    reference: text(100),
    borrower_credit_code: text(50).openapi({
      description: "The enterprise's 统一社会信用代码; it must be registered in the pool",
    }),
    kind: z.enum(LOAN_KINDS),
    principal: PositiveFenIn,
    rate_bp: z.number().int().min(0).max(10_000),
    disbursed_on: EventDay,
    matures_on: Day,
    first_loan: z.boolean().default(false),
    policy_number: text(100).optional(),
    premium: FenIn.optional(),
  })
  .openapi('NewLoan');
const LoanOut = z
  .object({
    id: Id,
    pool_id: Id,
    bank_id: Id,
    agreement_id: Id,
    reference: z.string(),
    borrower_id: Id,
    kind: z.enum(LOAN_KINDS),
    principal: Money,
    rate_bp: z.number().int(),
    disbursed_on: Day,
    matures_on: Day,
    first_loan: z.boolean(),
    policy_number: z.string().nullable(),
    premium: Money.nullable(),
    terms_version: z.number().int(),
    state: z.enum(['active', 'overdue', 'defaulted', 'repaid']),
    outstanding: Money,
  })
  .openapi('Loan');
export const ReportBody = z
  .object({
    month: Day.openapi({
      description: `The first day of the month reported on. ${REPORT_MONTH_RULE}`,
      example: '2026-04-01',
    }),
    outstanding: FenIn,
    overdue_principal: FenIn,
    overdue_interest: FenIn,
    days_past_due: z.number().int().min(0).max(100_000).openapi({
      description:
        'At most the days from disbursement to the end of the month reported (or today, in the current month); else 422 validation (rule days_since_disbursement, with max)',
    }),
    classification: z.enum(CLASSIFICATIONS),
  })
  .openapi('MonthlyReport', { description: '五级分类: normal, special_mention, substandard, doubtful, loss' });

/** The enrolment body as the domain's spec. */
export const loanSpec = (b: z.output<typeof LoanBody>): LoanSpec => ({
  agreementId: BigInt(b.agreement_id),
  reference: b.reference,
  borrowerCreditCode: b.borrower_credit_code,
  kind: b.kind,
  principal: BigInt(b.principal),
  rateBp: b.rate_bp,
  disbursedOn: b.disbursed_on,
  maturesOn: b.matures_on,
  firstLoan: b.first_loan,
  policyNumber: b.policy_number,
  premium: b.premium === undefined ? undefined : BigInt(b.premium),
});

/** The report body as the domain's report. */
export const monthlyReport = (b: z.output<typeof ReportBody>): MonthlyReport => ({
  month: b.month,
  outstanding: BigInt(b.outstanding),
  overduePrincipal: BigInt(b.overdue_principal),
  overdueInterest: BigInt(b.overdue_interest),
  daysPastDue: b.days_past_due,
  classification: b.classification,
});

const loanOut = (l: Loan) => ({
  id: l.id.toString(),
  pool_id: l.poolId.toString(),
  bank_id: l.bankId.toString(),
  agreement_id: l.agreementId.toString(),
  reference: l.reference,
  borrower_id: l.borrowerId.toString(),
  kind: l.kind,
  principal: cny(l.principal),
  rate_bp: l.rateBp,
  disbursed_on: l.disbursedOn,
  matures_on: l.maturesOn,
  first_loan: l.firstLoan,
  policy_number: l.policyNumber,
  premium: l.premium === null ? null : cny(l.premium),
  terms_version: l.termsVersion,
  state: l.state,
  outstanding: cny(l.outstanding),
});

export function loanRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loans',
      tags: ['loans'],
      summary:
        "Enrol a loan under the bank's agreement (bank): checked against the terms in force on its disbursement date, then taken from the credit line",
      request: { params: PoolParam, body: { content: json(LoanBody), required: true } },
      responses: { 201: { description: 'Enrolled', content: json(LoanOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const loan = await enrolLoan(call.db, call.principal, call.poolId, loanSpec(c.req.valid('json')));
      return c.json(loanOut(loan), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/loans/{loan_id}/reports',
      tags: ['loans'],
      summary:
        "Append the monthly report on a loan (its bank); the loan's state follows and repayments return to the credit line",
      request: { params: PoolParam.extend({ loan_id: Id }), body: { content: json(ReportBody), required: true } },
      responses: { 201: { description: 'The loan after the report', content: json(LoanOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, loan_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const loan = await reportLoan(
        call.db,
        call.principal,
        call.poolId,
        BigInt(loan_id),
        monthlyReport(c.req.valid('json')),
      );
      return c.json(loanOut(loan), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/loans',
      tags: ['loans'],
      summary:
        "Loans in id order (a bank its own; an insurer the performance-bond loans of the agreements it insures); found by the bank's reference or the borrower's credit code",
      request: {
        params: PoolParam,
        query: z.object({
          limit: Limit,
          after: Id.optional(),
          reference: text(100).optional().openapi({ description: "The bank's reference of the loan" }),
          borrower_credit_code: text(50)
            .optional()
            .openapi({ description: "The borrower's 统一社会信用代码: its loans under every agreement" }),
          state: z.enum(['active', 'overdue', 'defaulted', 'repaid']).optional(),
        }),
      },
      responses: {
        200: {
          description: 'A page',
          content: json(z.object({ data: z.array(LoanOut), next_cursor: z.string().nullable() })),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const { limit, after, reference, borrower_credit_code, state } = c.req.valid('query');
      const loans = await listLoans(call.db, call.principal, call.poolId, {
        after: after === undefined ? undefined : BigInt(after),
        limit,
        reference,
        state,
        borrowerCreditCode: borrower_credit_code,
      });
      return c.json(
        { data: loans.map(loanOut), next_cursor: loans.length === limit ? loans.at(-1)!.id.toString() : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/loans/{loan_id}/reports',
      tags: ['loans'],
      summary: "A loan's monthly reports, oldest first (whoever may read the loan)",
      request: { params: PoolParam.extend({ loan_id: Id }) },
      responses: {
        200: {
          description: 'The reports',
          content: json(
            z.object({
              data: z.array(
                z.object({
                  month: Day,
                  outstanding: Money,
                  overdue_principal: Money,
                  overdue_interest: Money,
                  days_past_due: z.number().int(),
                  classification: z.string(),
                  reported_at: z.string(),
                }),
              ),
            }),
          ),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, loan_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const rows = await listLoanReports(call.db, call.principal, call.poolId, BigInt(loan_id));
      return c.json(
        {
          data: rows.map((r) => ({
            month: r.month,
            outstanding: cny(r.outstanding),
            overdue_principal: cny(r.overdue_principal),
            overdue_interest: cny(r.overdue_interest),
            days_past_due: r.days_past_due,
            classification: r.classification,
            reported_at: r.created_at.toISOString(),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/loans/{loan_id}',
      tags: ['loans'],
      summary:
        'A loan (its bank; the insurer of its agreement if it is a performance-bond loan; treasury and auditors). Any other answers 404, as a missing loan does',
      request: { params: PoolParam.extend({ loan_id: Id }) },
      responses: { 200: { description: 'The loan', content: json(LoanOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, loan_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      return c.json(loanOut(await getLoan(call.db, call.principal, call.poolId, BigInt(loan_id))), 200);
    },
  );
  return app;
}
