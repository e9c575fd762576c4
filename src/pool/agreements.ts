import { sql, type Kysely, type Selectable } from 'kysely';
import type { AgreementTermsTable, Database } from '../db/schema.js';
import { admit, seesWholePool, type Principal } from './access.js';
import { DomainError, invalidField, notFound } from './errors.js';
import { appendEvent } from './events.js';

export const LOAN_KINDS = [
  'credit',
  'ip_pledge',
  'equity_pledge',
  'receivables_pledge',
  'warehouse_receipt_pledge',
  'performance_bond_insured',
] as const;
export type LoanKind = (typeof LOAN_KINDS)[number];
/** Bonus shares may also reward a bank's first loan to an enterprise. */
export const BONUS_KEYS = [...LOAN_KINDS, 'first_loan'] as const;

/** The terms of an agreement from a date on. Money in fen, shares in basis points. */
export interface Terms {
  poolShareBp: number;
  insurerShareBp: number;
  bankShareBp: number;
  bonusBp: Partial<Record<(typeof BONUS_KEYS)[number], number>>;
  publicCeilingBp: number;
  perLoanCap: bigint;
  perEnterpriseYearCap: bigint;
  perBankYearCap: bigint;
  creditLine: bigint;
  overdueDays: number;
  filingWindowDays: number;
  eligibleKinds: LoanKind[];
  maxPrincipal: bigint;
  maxTermMonths: number;
  suspensionLossBp: number;
  /** Whether a claim's loss base includes the contract interest owed, not the principal only. */
  coversInterest: boolean;
  /** Working days treasury has for each step of a claim (review, payment). */
  stepDeadlineDays: number;
}

export interface TermsVersion extends Terms {
  version: number;
  effectiveFrom: string;
}

export interface Agreement {
  poolId: bigint;
  id: bigint;
  bankId: bigint;
  insurerId: bigint | null;
  name: string;
  versions: TermsVersion[];
  /** The latest suspension or reinstatement, if any. */
  suspension: { suspended: boolean; reason: string; at: Date } | null;
  /** Fen of the credit line its loans take now (enrolled principal not yet repaid). */
  exposure: bigint;
}

/** What the schema cannot say: shares add up, an insurer's share needs an insurer, the ceiling holds the pool's share. */
function checkTerms(terms: Terms, hasInsurer: boolean): void {
  if (terms.poolShareBp + terms.insurerShareBp + terms.bankShareBp !== 10_000) {
    throw invalidField(
      'terms.pool_share_bp',
      `loss shares must add up to 10000 bp; they add up to ${terms.poolShareBp + terms.insurerShareBp + terms.bankShareBp}`,
    );
  }
  if (!hasInsurer && terms.insurerShareBp !== 0)
    throw invalidField('terms.insurer_share_bp', 'an agreement without an insurer gives the insurer no share');
  if (terms.publicCeilingBp < terms.poolShareBp) {
    throw invalidField('terms.public_ceiling_bp', "the ceiling on public money cannot be below the pool's own share");
  }
  if (terms.eligibleKinds.length === 0)
    throw invalidField('terms.eligible_kinds', 'at least one loan kind must be eligible');
}

async function participantKind(db: Kysely<Database>, poolId: bigint, id: bigint): Promise<string | undefined> {
  const row = await db
    .selectFrom('participants')
    .select('kind')
    .where('pool_id', '=', poolId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.kind;
}

export async function createAgreement(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  spec: { bankId: bigint; insurerId: bigint | null; name: string; effectiveFrom: string; terms: Terms },
): Promise<Agreement> {
  admit(principal, 'agreements.create', poolId);
  if ((await participantKind(db, poolId, spec.bankId)) !== 'bank')
    throw invalidField('bank_id', `participant ${spec.bankId} is not a bank of this pool`);
  if (spec.insurerId !== null && (await participantKind(db, poolId, spec.insurerId)) !== 'insurer') {
    throw invalidField('insurer_id', `participant ${spec.insurerId} is not an insurer of this pool`);
  }
  checkTerms(spec.terms, spec.insurerId !== null);
  const row = await db
    .insertInto('agreements')
    .values({ pool_id: poolId, bank_id: spec.bankId, insurer_id: spec.insurerId, name: spec.name })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row)
    throw new DomainError('conflict', 'conflict', 'this bank and insurer already have an agreement in this pool');
  await insertTerms(db, poolId, row.id, 1, spec.effectiveFrom, spec.terms);
  await db.insertInto('agreement_exposure').values({ pool_id: poolId, agreement_id: row.id }).execute();
  await appendEvent(db, {
    poolId,
    type: 'agreement.created',
    subject: `agreement/${row.id}`,
    participantId: spec.bankId,
    data: { name: spec.name },
  });
  return agreementSeenBy(db, principal, poolId, row.id);
}

/** New terms from a date after every earlier version's: what the old terms governed stays as it was. */
export async function addTermsVersion(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  agreementId: bigint,
  spec: { effectiveFrom: string; terms: Terms },
): Promise<Agreement> {
  admit(principal, 'agreements.add-terms', poolId);
  const agreement = await agreementSeenBy(db, principal, poolId, agreementId);
  checkTerms(spec.terms, agreement.insurerId !== null);
  const last = agreement.versions.at(-1)!;
  if (spec.effectiveFrom <= last.effectiveFrom) {
    throw invalidField(
      'effective_from',
      `new terms must take effect after ${last.effectiveFrom}, when version ${last.version} did`,
    );
  }
  await insertTerms(db, poolId, agreementId, last.version + 1, spec.effectiveFrom, spec.terms);
  await appendEvent(db, {
    poolId,
    type: 'agreement.terms',
    subject: `agreement/${agreementId}`,
    participantId: agreement.bankId,
    data: { version: last.version + 1, effective_from: spec.effectiveFrom },
  });
  return agreementSeenBy(db, principal, poolId, agreementId);
}

async function insertTerms(
  db: Kysely<Database>,
  poolId: bigint,
  agreementId: bigint,
  version: number,
  effectiveFrom: string,
  t: Terms,
): Promise<void> {
  await db
    .insertInto('agreement_terms')
    .values({
      pool_id: poolId,
      agreement_id: agreementId,
      version,
      effective_from: effectiveFrom,
      pool_share_bp: t.poolShareBp,
      insurer_share_bp: t.insurerShareBp,
      bank_share_bp: t.bankShareBp,
      bonus_bp: t.bonusBp,
      public_ceiling_bp: t.publicCeilingBp,
      per_loan_cap: t.perLoanCap,
      per_enterprise_year_cap: t.perEnterpriseYearCap,
      per_bank_year_cap: t.perBankYearCap,
      credit_line: t.creditLine,
      overdue_days: t.overdueDays,
      filing_window_days: t.filingWindowDays,
      eligible_kinds: sql<string[]>`${t.eligibleKinds}::text[]`,
      max_principal: t.maxPrincipal,
      max_term_months: t.maxTermMonths,
      suspension_loss_bp: t.suspensionLossBp,
      covers_interest: t.coversInterest,
      step_deadline_days: t.stepDeadlineDays,
    })
    .execute();
}

function toVersion(r: Selectable<AgreementTermsTable>): TermsVersion {
  return {
    version: r.version,
    effectiveFrom: r.effective_from,
    poolShareBp: r.pool_share_bp,
    insurerShareBp: r.insurer_share_bp,
    bankShareBp: r.bank_share_bp,
    bonusBp: r.bonus_bp,
    publicCeilingBp: r.public_ceiling_bp,
    perLoanCap: r.per_loan_cap,
    perEnterpriseYearCap: r.per_enterprise_year_cap,
    perBankYearCap: r.per_bank_year_cap,
    creditLine: r.credit_line,
    overdueDays: r.overdue_days,
    filingWindowDays: r.filing_window_days,
    eligibleKinds: r.eligible_kinds as LoanKind[],
    maxPrincipal: r.max_principal,
    maxTermMonths: r.max_term_months,
    suspensionLossBp: r.suspension_loss_bp,
    coversInterest: r.covers_interest,
    stepDeadlineDays: r.step_deadline_days,
  };
}

/** An agreement with every version of its terms. Its bank and its insurer see it; other banks do not. */
export async function getAgreement(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  agreementId: bigint,
): Promise<Agreement> {
  admit(principal, 'agreements.read', poolId);
  return agreementSeenBy(db, principal, poolId, agreementId);
}

/** An agreement as getAgreement answers it, for an operation already admitted in the pool. */
export async function agreementSeenBy(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  agreementId: bigint,
): Promise<Agreement> {
  const row = await db
    .selectFrom('agreements')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', agreementId)
    .executeTakeFirst();
  const mine =
    row &&
    (seesWholePool(principal) || principal.participantId === row.bank_id || principal.participantId === row.insurer_id);
  if (!row || !mine) throw notFound(`agreement ${agreementId}`);
  const versions = await db
    .selectFrom('agreement_terms')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', agreementId)
    .orderBy('version')
    .execute();
  const exposure = await db
    .selectFrom('agreement_exposure')
    .select('used')
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', agreementId)
    .executeTakeFirst();
  const latest = await db
    .selectFrom('agreement_suspensions')
    .select(['suspended', 'reason', 'created_at'])
    .where('pool_id', '=', poolId)
    .where('agreement_id', '=', agreementId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    poolId,
    id: row.id,
    bankId: row.bank_id,
    insurerId: row.insurer_id,
    name: row.name,
    versions: versions.map(toVersion),
    suspension: latest ? { suspended: latest.suspended, reason: latest.reason, at: latest.created_at } : null,
    exposure: exposure?.used ?? 0n,
  };
}

/** The agreements the principal may see, in id order: all for treasury and auditors, a bank's or insurer's own. */
export async function listAgreements(db: Kysely<Database>, principal: Principal, poolId: bigint): Promise<Agreement[]> {
  admit(principal, 'agreements.read', poolId);
  let q = db.selectFrom('agreements').select('id').where('pool_id', '=', poolId).orderBy('id').limit(500);
  if (!seesWholePool(principal)) {
    const me = principal.participantId ?? -1n;
    q = q.where((eb) => eb.or([eb('bank_id', '=', me), eb('insurer_id', '=', me)]));
  }
  const ids = await q.execute();
  return Promise.all(ids.map((r) => agreementSeenBy(db, principal, poolId, r.id)));
}

/** Suspends or reinstates an agreement (treasury), with a reason; said in the event feed to its bank. */
export async function setSuspended(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  agreementId: bigint,
  spec: { suspended: boolean; reason: string },
): Promise<Agreement> {
  admit(principal, 'agreements.suspend', poolId);
  const agreement = await agreementSeenBy(db, principal, poolId, agreementId);
  if ((agreement.suspension?.suspended ?? false) === spec.suspended) {
    throw new DomainError(
      'conflict',
      'conflict',
      `agreement ${agreementId} is already ${spec.suspended ? 'suspended' : 'in force'}`,
    );
  }
  await db
    .insertInto('agreement_suspensions')
    .values({
      pool_id: poolId,
      agreement_id: agreementId,
      suspended: spec.suspended,
      reason: spec.reason,
      by_key: principal.keyId,
    })
    .execute();
  await appendEvent(db, {
    poolId,
    type: spec.suspended ? 'agreement.suspended' : 'agreement.reinstated',
    subject: `agreement/${agreementId}`,
    participantId: agreement.bankId,
    data: { reason: spec.reason },
  });
  return agreementSeenBy(db, principal, poolId, agreementId);
}

/** The terms in force on a day: the latest version that took effect on or before it. */
export function termsOn(agreement: Agreement, day: string): TermsVersion | null {
  let found: TermsVersion | null = null;
  for (const v of agreement.versions) if (v.effectiveFrom <= day) found = v;
  return found;
}
