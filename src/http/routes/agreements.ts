import { createRoute, z } from '@hono/zod-openapi';
import {
  addTermsVersion,
  BONUS_KEYS,
  createAgreement,
  getAgreement,
  listAgreements,
  LOAN_KINDS,
  setSuspended,
  termsOn,
  type Agreement,
  type Terms,
  type TermsVersion,
} from '../../pool/agreements.js';
import { todayInChina } from '../../pool/days.js';
import { routeGroup } from '../route-group.js';
import { cny, Day, FenIn, Id, Money, PoolParam, text } from '../wire.js';
import { caller, errorResponses, json } from './common.js';

const Bp = z.number().int().min(0).max(10_000);
const TermsIn = z
  .object({
    pool_share_bp: Bp,
    insurer_share_bp: Bp,
    bank_share_bp: Bp,
    bonus_bp: z.partialRecord(z.enum(BONUS_KEYS), Bp).default({}),
    public_ceiling_bp: Bp,
    per_loan_cap: FenIn,
    per_enterprise_year_cap: FenIn,
    per_bank_year_cap: FenIn,
    credit_line: FenIn,
    overdue_days: z.number().int().min(1).max(3650).default(90),
    filing_window_days: z.number().int().min(1).max(3650),
    eligible_kinds: z.array(z.enum(LOAN_KINDS)).min(1),
    max_principal: FenIn,
    max_term_months: z.number().int().min(1).max(600),
    suspension_loss_bp: Bp,
    covers_interest: z
      .boolean()
      .default(false)
      .openapi({ description: "A claim's loss base includes the contract interest owed" }),
    step_deadline_days: z
      .number()
      .int()
      .min(1)
      .max(250)
      .default(5)
      .openapi({ description: 'Working days treasury has for each step of a claim' }),
  })
  .openapi('Terms', {
    description: 'Loss shares (pool + insurer + bank = 10000 bp), bonuses by loan kind, caps and limits in fen.',
  });
// Built from the shape, not by extending TermsIn: a schema extending a named one is documented as allOf
// with it, which would show the request's forms of money in the response.
const TermsOut = z
  .object({
    ...TermsIn.shape,
    version: z.number().int(),
    effective_from: Day,
    per_loan_cap: Money,
    per_enterprise_year_cap: Money,
    per_bank_year_cap: Money,
    credit_line: Money,
    max_principal: Money,
  })
  .openapi('TermsVersion');
const AgreementOut = z
  .object({
    id: Id,
    pool_id: Id,
    bank_id: Id,
    insurer_id: Id.nullable(),
    name: z.string(),
    versions: z.array(TermsOut),
    in_force: TermsOut.nullable(),
    suspended: z.boolean(),
    suspension_reason: z.string().nullable(),
    exposure: Money.openapi({ description: 'The credit line its loans take now: enrolled principal not yet repaid' }),
    credit_available: Money.nullable().openapi({ description: "What is left of the in-force terms' credit line" }),
  })
  .openapi('Agreement');
const AgreementParam = PoolParam.extend({ agreement_id: Id });

const termsIn = (t: z.infer<typeof TermsIn>): Terms => ({
  poolShareBp: t.pool_share_bp,
  insurerShareBp: t.insurer_share_bp,
  bankShareBp: t.bank_share_bp,
  bonusBp: t.bonus_bp,
  publicCeilingBp: t.public_ceiling_bp,
  perLoanCap: BigInt(t.per_loan_cap),
  perEnterpriseYearCap: BigInt(t.per_enterprise_year_cap),
  perBankYearCap: BigInt(t.per_bank_year_cap),
  creditLine: BigInt(t.credit_line),
  overdueDays: t.overdue_days,
  filingWindowDays: t.filing_window_days,
  eligibleKinds: t.eligible_kinds,
  maxPrincipal: BigInt(t.max_principal),
  maxTermMonths: t.max_term_months,
  suspensionLossBp: t.suspension_loss_bp,
  coversInterest: t.covers_interest,
  stepDeadlineDays: t.step_deadline_days,
});
const termsOut = (v: TermsVersion) => ({
  version: v.version,
  effective_from: v.effectiveFrom,
  pool_share_bp: v.poolShareBp,
  insurer_share_bp: v.insurerShareBp,
  bank_share_bp: v.bankShareBp,
  bonus_bp: v.bonusBp,
  public_ceiling_bp: v.publicCeilingBp,
  per_loan_cap: cny(v.perLoanCap),
  per_enterprise_year_cap: cny(v.perEnterpriseYearCap),
  per_bank_year_cap: cny(v.perBankYearCap),
  credit_line: cny(v.creditLine),
  overdue_days: v.overdueDays,
  filing_window_days: v.filingWindowDays,
  eligible_kinds: v.eligibleKinds,
  max_principal: cny(v.maxPrincipal),
  max_term_months: v.maxTermMonths,
  suspension_loss_bp: v.suspensionLossBp,
  covers_interest: v.coversInterest,
  step_deadline_days: v.stepDeadlineDays,
});
const agreementOut = (a: Agreement, on: string) => {
  const inForce = termsOn(a, on);
  return {
    id: a.id.toString(),
    pool_id: a.poolId.toString(),
    bank_id: a.bankId.toString(),
    insurer_id: a.insurerId?.toString() ?? null,
    name: a.name,
    versions: a.versions.map(termsOut),
    in_force: inForce ? termsOut(inForce) : null,
    suspended: a.suspension?.suspended ?? false,
    suspension_reason: a.suspension?.reason ?? null,
    exposure: cny(a.exposure),
    credit_available: inForce ? cny(inForce.creditLine > a.exposure ? inForce.creditLine - a.exposure : 0n) : null,
  };
};

export function agreementRoutes() {
  const app = routeGroup();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/agreements',
      tags: ['agreements'],
      summary: 'Sign an agreement (合作协议) pool x bank x insurer, with its first terms (treasury)',
      request: {
        params: PoolParam,
        body: {
          content: json(
            z
              .object({ bank_id: Id, insurer_id: Id.optional(), name: text(200), effective_from: Day, terms: TermsIn })
              .openapi('NewAgreement'),
          ),
          required: true,
        },
      },
      responses: { 201: { description: 'Signed', content: json(AgreementOut) }, ...errorResponses },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const b = c.req.valid('json');
      const agreement = await createAgreement(call.db, call.principal, call.poolId, {
        bankId: BigInt(b.bank_id),
        insurerId: b.insurer_id === undefined ? null : BigInt(b.insurer_id),
        name: b.name,
        effectiveFrom: b.effective_from,
        terms: termsIn(b.terms),
      });
      return c.json(agreementOut(agreement, b.effective_from), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/agreements/{agreement_id}/terms',
      tags: ['agreements'],
      summary: 'New terms from a later date (treasury); earlier terms stay as they were',
      request: {
        params: AgreementParam,
        body: {
          content: json(z.object({ effective_from: Day, terms: TermsIn }).openapi('NewTermsVersion')),
          required: true,
        },
      },
      responses: {
        201: { description: 'The agreement with the new version', content: json(AgreementOut) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { pool_id, agreement_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const b = c.req.valid('json');
      const agreement = await addTermsVersion(call.db, call.principal, call.poolId, BigInt(agreement_id), {
        effectiveFrom: b.effective_from,
        terms: termsIn(b.terms),
      });
      return c.json(agreementOut(agreement, b.effective_from), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pools/{pool_id}/agreements/{agreement_id}/suspension',
      tags: ['agreements'],
      summary:
        'Suspend (暂停) or reinstate an agreement, with a reason (treasury); while suspended, enrolments are refused',
      request: {
        params: AgreementParam,
        body: {
          content: json(
            z.object({ suspended: z.boolean(), reason: text(500, { multiline: true }) }).openapi('Suspension'),
          ),
          required: true,
        },
      },
      responses: { 200: { description: 'The agreement', content: json(AgreementOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, agreement_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const agreement = await setSuspended(
        call.db,
        call.principal,
        call.poolId,
        BigInt(agreement_id),
        c.req.valid('json'),
      );
      return c.json(agreementOut(agreement, todayInChina()), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/agreements',
      tags: ['agreements'],
      summary:
        'The agreements, each with its terms and its exposure against the credit line (a bank or an insurer its own)',
      request: { params: PoolParam, query: z.object({ on: Day.optional() }) },
      responses: {
        200: { description: 'The agreements', content: json(z.object({ data: z.array(AgreementOut) })) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const call = caller(c, c.req.valid('param').pool_id);
      const on = c.req.valid('query').on ?? todayInChina();
      const rows = await listAgreements(call.db, call.principal, call.poolId);
      return c.json({ data: rows.map((a) => agreementOut(a, on)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pools/{pool_id}/agreements/{agreement_id}',
      tags: ['agreements'],
      summary: 'An agreement, every version of its terms, and the terms in force on a day (default today)',
      request: { params: AgreementParam, query: z.object({ on: Day.optional() }) },
      responses: { 200: { description: 'The agreement', content: json(AgreementOut) }, ...errorResponses },
    }),
    async (c) => {
      const { pool_id, agreement_id } = c.req.valid('param');
      const call = caller(c, pool_id);
      const agreement = await getAgreement(call.db, call.principal, call.poolId, BigInt(agreement_id));
      return c.json(agreementOut(agreement, c.req.valid('query').on ?? todayInChina()), 200);
    },
  );
  return app;
}
