import { sql, type Kysely, type Selectable } from 'kysely';
import type { AwardsTable, AwardStatus, Database } from '../../db/schema.js';
import type { Ledger } from '../../ledger/index.js';
import { admit, seesWholePool, type Principal } from '../access.js';
import { checkEventDay } from '../business-dates.js';
import { DomainError, invalidField, notFound } from '../errors.js';
import { appendEvent } from '../events.js';
import { ensureAccounts, postingFor, refKey } from '../posting-rules.js';
import { postedAs, postMoney, postOnce, recordedBy } from '../post-once.js';
import { todayInChina } from '../days.js';
import {
  computeAward,
  programme as findProgramme,
  PROGRAMMES,
  type AwardAsk,
  type AwardHistory,
  type AwardStep,
  type Programme,
  type Rule,
} from './engine.js';

/**
 * Incentive awards: applied for by a beneficiary or entered by treasury (or computed by an award round),
 * approved, then paid, each step posted through the posting-rule table: approval books the article's
 * expense and the amount payable to the beneficiary; payment draws on the award budget's cash, which is
 * apart from the risk pool's. Approvals of a pool are taken one at a time: the caps, the year limits and
 * 从高不重复 read what was granted before.
 */
export interface Award {
  id: bigint;
  reference: string;
  programme: string;
  article: number;
  beneficiaryId: bigint;
  item: string;
  year: number;
  basisAmount: bigint;
  rateBp: number | null;
  amount: bigint;
  breakdown: AwardBreakdown;
  status: AwardStatus;
  reason: string | null;
}

const toAward = (r: Selectable<AwardsTable>): Award => ({
  id: r.id,
  reference: r.reference,
  programme: r.programme,
  article: r.article,
  beneficiaryId: r.beneficiary_id,
  item: r.item,
  year: r.year,
  basisAmount: r.basis_amount,
  rateBp: r.rate_bp,
  amount: r.amount,
  breakdown: r.breakdown as AwardBreakdown,
  status: r.status,
  reason: r.reason,
});

const FINANCIAL = ['bank', 'insurer', 'guarantor', 'vc'];
const refuse = (rule: string, message: string) => new DomainError('refused', 'award-refused', message, { rule });

function programmeOr404(code: string): Programme {
  const p = findProgramme(code);
  if (!p)
    throw invalidField(
      'programme',
      `no incentive programme ${code}; GET /v1/pools/{id}/incentive-programmes lists them`,
    );
  return p;
}

/** What was granted (approved or paid) before, for the engine's limits. */
async function history(
  db: Kysely<Database>,
  poolId: bigint,
  p: Programme,
  beneficiaryId: bigint,
  item: string,
  year: number,
  except?: bigint,
): Promise<AwardHistory> {
  const rows = await db
    .selectFrom('awards')
    .select(['programme', 'item', 'year', 'amount'])
    .where('pool_id', '=', poolId)
    .where('beneficiary_id', '=', beneficiaryId)
    .where('status', 'in', ['approved', 'paid'])
    .where('id', '<>', except ?? 0n)
    .execute();
  const group = p.exclusivity_group === null ? [p.code] : groupCodes(p.exclusivity_group);
  const mine = rows.filter((r) => r.programme === p.code);
  return {
    periodGranted: mine.filter((r) => r.year === year).reduce((s, r) => s + r.amount, 0n),
    beneficiaryYears: [...new Set(mine.filter((r) => r.amount > 0n).map((r) => r.year))],
    itemYears: [...new Set(mine.filter((r) => r.item === item && r.amount > 0n).map((r) => r.year))],
    groupGranted: rows
      .filter((r) => group.includes(r.programme) && (p.exclusive_per === 'beneficiary' || r.item === item))
      .reduce((s, r) => s + r.amount, 0n),
  };
}

/** The codes of every programme of an exclusivity group. */
const groupCodes = (group: string) => PROGRAMMES.filter((x) => x.exclusivity_group === group).map((x) => x.code);

async function factsOf(
  db: Kysely<Database>,
  poolId: bigint,
  beneficiaryId: bigint,
  guideFundStakeBp?: number,
): Promise<NonNullable<AwardAsk['facts']>> {
  const participant = await db
    .selectFrom('participants')
    .select(['credit_rating'])
    .where('pool_id', '=', poolId)
    .where('id', '=', beneficiaryId)
    .executeTakeFirst();
  const loan = await db
    .selectFrom('loans')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('borrower_id', '=', beneficiaryId)
    .limit(1)
    .executeTakeFirst();
  return {
    rating: participant?.credit_rating ?? null,
    hasPoolLoan: loan !== undefined,
    ...(guideFundStakeBp === undefined ? {} : { guideFundStakeBp }),
  };
}

/** How an award's amount was reached, as the award keeps it (amounts in fen, as strings of digits). */
export type AwardBreakdown = {
  programme: string;
  article: number;
  rule: Rule;
  gross: string;
  rate_bp: number | null;
  steps: AwardStep[];
  capped_by: string[];
};

const breakdownOf = (p: Programme, out: Extract<ReturnType<typeof computeAward>, { ok: true }>): AwardBreakdown => ({
  programme: p.code,
  article: p.article,
  rule: p.rule,
  gross: out.gross.toString(),
  rate_bp: out.rateBp,
  steps: out.steps,
  capped_by: out.steps.filter((s) => s.bit).map((s) => s.step),
});

export interface AwardApplication {
  programme: string;
  reference: string;
  /** Treasury names the beneficiary; a beneficiary applies for itself. */
  beneficiaryId?: bigint;
  item: string;
  year: number;
  basisAmount: bigint;
  rateBp?: number;
  subkind?: string;
  guideFundStakeBp?: number;
}

/** Applies for an award (a beneficiary for itself, or treasury for one): computed with its breakdown. */
export async function applyForAward(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  a: AwardApplication,
): Promise<Award> {
  admit(principal, 'awards.apply', poolId);
  const p = programmeOr404(a.programme);
  const beneficiaryId = principal.role === 'treasury' ? a.beneficiaryId : principal.participantId;
  if (beneficiaryId === undefined || beneficiaryId === null)
    throw invalidField('beneficiary_id', 'treasury names the beneficiary of an award it enters');
  if (principal.role !== 'treasury' && a.beneficiaryId !== undefined && a.beneficiaryId !== principal.participantId)
    throw notFound(`participant ${a.beneficiaryId}`);
  const participant = await db
    .selectFrom('participants')
    .select(['kind'])
    .where('pool_id', '=', poolId)
    .where('id', '=', beneficiaryId)
    .executeTakeFirst();
  if (!participant) throw notFound(`participant ${beneficiaryId}`);
  if (p.beneficiary === 'financial_firm' ? !FINANCIAL.includes(participant.kind) : participant.kind !== p.beneficiary) {
    throw refuse(
      'beneficiary',
      `${p.name} is for ${p.beneficiary === 'financial_firm' ? 'financial firms' : `${p.beneficiary}s`}, not a ${participant.kind}`,
    );
  }
  if (p.basis === 'new_credit_loans')
    throw refuse('award_round', `${p.name} is computed by an award round over the bank's loans (POST /award-rounds)`);
  if (a.reference.startsWith('round:'))
    throw invalidField('reference', "references beginning with round: are the award rounds'");
  return insertAward(db, poolId, p, beneficiaryId, {
    ...a,
    facts: await factsOf(db, poolId, beneficiaryId, a.guideFundStakeBp),
  });
}

async function insertAward(
  db: Kysely<Database>,
  poolId: bigint,
  p: Programme,
  beneficiaryId: bigint,
  a: Omit<AwardApplication, 'beneficiaryId' | 'guideFundStakeBp'> & { facts: NonNullable<AwardAsk['facts']> },
): Promise<Award> {
  const ask: AwardAsk = {
    basisAmount: a.basisAmount,
    year: a.year,
    item: a.item,
    rateBp: a.rateBp,
    subkind: a.subkind,
    facts: a.facts,
  };
  const out = computeAward(p, ask, await history(db, poolId, p, beneficiaryId, a.item, a.year));
  if (!out.ok) throw refuse(out.rule, out.message);
  const inserted = await db
    .insertInto('awards')
    .values({
      pool_id: poolId,
      reference: a.reference,
      programme: p.code,
      article: p.article,
      beneficiary_id: beneficiaryId,
      item: a.item,
      year: a.year,
      basis_amount: a.basisAmount,
      rate_bp: out.rateBp,
      subkind: a.subkind ?? null,
      facts: a.facts as Record<string, unknown>,
      amount: out.amount,
      breakdown: breakdownOf(p, out),
    })
    .onConflict((oc) => oc.columns(['pool_id', 'beneficiary_id', 'reference']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    const existing = await db
      .selectFrom('awards')
      .selectAll()
      .where('pool_id', '=', poolId)
      .where('beneficiary_id', '=', beneficiaryId)
      .where('reference', '=', a.reference)
      .executeTakeFirstOrThrow();
    const same =
      existing.programme === p.code &&
      existing.beneficiary_id === beneficiaryId &&
      existing.item === a.item &&
      existing.year === a.year &&
      existing.basis_amount === a.basisAmount;
    if (!same)
      throw new DomainError('conflict', 'conflict', `award reference ${a.reference} was used for another award`, {
        field: 'reference',
      });
    return toAward(existing);
  }
  await appendEvent(db, {
    poolId,
    type: 'award.submitted',
    subject: `award/${inserted.id}`,
    participantId: beneficiaryId,
    data: { programme: p.code, amount: out.amount.toString() },
  });
  return toAward(inserted);
}

/**
 * An award round of a programme measured over the banks' loans (Art. 3): per bank, the year's newly
 * enrolled eligible loans at the programme's rate, up to its yearly cap. Running it again changes nothing.
 * Loans enrolled into a year after its round ran are counted by the next year's round as an adjustment to
 * that earlier year (under that year's cap), so nothing is paid twice and nothing is lost.
 */
export async function runAwardRound(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  spec: { programme: string; year: number },
): Promise<Award[]> {
  admit(principal, 'awards.round', poolId);
  const p = programmeOr404(spec.programme);
  if (p.basis !== 'new_credit_loans') throw refuse('award_round', `${p.name} is applied for, not computed by a round`);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`awards:${poolId}`}, 0))`.execute(db);
  const banks = await db
    .selectFrom('participants')
    .select('id')
    .where('pool_id', '=', poolId)
    .where('kind', '=', 'bank')
    .orderBy('id')
    .execute();
  const out: Award[] = [];
  for (const { id: bankId } of banks) {
    const basis = (year: number) => newLoanBasis(db, poolId, p, bankId, year);
    const reference = `round:${p.code}:${spec.year}`;
    const mine = (ref: string) =>
      db
        .selectFrom('awards')
        .selectAll()
        .where('pool_id', '=', poolId)
        .where('beneficiary_id', '=', bankId)
        .where('reference', '=', ref)
        .executeTakeFirst();
    const ran = await mine(reference);
    if (ran) {
      // The round ran before: its awards stand as they are (late loans wait for the next round).
      out.push(toAward(ran));
      const adjusted = await mine(`round:${p.code}:${spec.year - 1}:adjusted-in-${spec.year}`);
      if (adjusted) out.push(toAward(adjusted));
      continue;
    }
    out.push(
      await insertAward(db, poolId, p, bankId, {
        programme: p.code,
        reference,
        item: `year:${spec.year}`,
        year: spec.year,
        basisAmount: await basis(spec.year),
        facts: {},
      }),
    );
    // The adjustment for the year before, if its round ran.
    const before = await db
      .selectFrom('awards')
      .select(['basis_amount', 'status'])
      .where('pool_id', '=', poolId)
      .where('programme', '=', p.code)
      .where('beneficiary_id', '=', bankId)
      .where('year', '=', spec.year - 1)
      .execute();
    if (before.length === 0) continue;
    const counted = before.filter((b) => b.status !== 'rejected').reduce((s, b) => s + b.basis_amount, 0n);
    const extra = (await basis(spec.year - 1)) - counted;
    if (extra <= 0n) continue;
    const adjustment = `round:${p.code}:${spec.year - 1}:adjusted-in-${spec.year}`;
    out.push(
      await insertAward(db, poolId, p, bankId, {
        programme: p.code,
        reference: adjustment,
        item: `year:${spec.year - 1}`,
        year: spec.year - 1,
        basisAmount: extra,
        facts: {},
      }),
    );
  }
  return out;
}

/** Principal of a bank's loans disbursed in a year that the programme counts. */
async function newLoanBasis(
  db: Kysely<Database>,
  poolId: bigint,
  p: Programme,
  bankId: bigint,
  year: number,
): Promise<bigint> {
  const e = p.eligibility;
  const row = await sql<{ total: string }>`
    SELECT coalesce(sum(l.principal), 0)::text AS total
      FROM loans l JOIN participants b ON b.pool_id = l.pool_id AND b.id = l.borrower_id
     WHERE l.pool_id = ${poolId.toString()}::int8 AND l.bank_id = ${bankId.toString()}::int8
       AND l.disbursed_on >= ${`${year}-01-01`}::date AND l.disbursed_on < ${`${year + 1}-01-01`}::date
       AND l.kind = any(${e.loan_kinds ?? []}::text[])
       AND (${!e.borrower_in_zone} OR b.in_zone)
       AND (${!e.borrower_tech_sme} OR b.tech_sme_expires >= l.disbursed_on)`.execute(db);
  return BigInt(row.rows[0]!.total);
}

/** Funds the award budget's cash (an appropriation for incentives), under its reference. */
export async function fundAwardBudget(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  spec: { reference: string; amount: bigint; on: string },
) {
  admit(principal, 'awards.fund', poolId);
  checkEventDay('on', spec.on);
  await ensureAccounts(ledger, poolId);
  const externalId = `award-budget:${refKey(spec.reference)}`;
  const before = await postedAs(ledger, poolId, externalId);
  const { transaction: tx } = await postMoney(
    ledger,
    postingFor('award_budget_funded', {
      poolId,
      externalId,
      effectiveDate: spec.on,
      amount: spec.amount,
      metadata: { reference: spec.reference },
    }),
  );
  if (!before)
    await appendEvent(db, {
      poolId,
      type: 'money.award_budget',
      subject: `transaction/${tx.id}`,
      data: { reference: spec.reference, amount: spec.amount.toString() },
    });
  return tx;
}

export type AwardAction = 'approve' | 'reject' | 'pay';
const AWARD_DONE: Record<AwardAction, AwardStatus> = { approve: 'approved', reject: 'rejected', pay: 'paid' };
const AWARD_FROM: Record<AwardAction, AwardStatus[]> = {
  approve: ['submitted'],
  reject: ['submitted'],
  pay: ['approved'],
};

/** An award's step as recorded in the ledger transaction that posts its money (see sql/0019). */
interface AwardStepRecord {
  pool_id: bigint;
  award_id: bigint;
  from: AwardStatus[];
  status: AwardStatus;
  reason: string;
  by_key: bigint;
  request_key: string | null;
  participant_id: bigint;
  amount?: bigint;
  breakdown?: Record<string, unknown>;
}
const awardSteps = recordedBy<AwardStepRecord>('award_record_steps');

/**
 * Whether a step can be taken on the award now, before it is proposed under four-eyes: refuses as the step
 * would; answers the award when this very request took the step already.
 */
export async function awardStepPossible(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  awardId: bigint,
  action: AwardAction,
): Promise<Award | undefined> {
  admit(principal, 'awards.decide', poolId);
  return (await awardForStep(db, principal, poolId, awardId, action)).answered;
}

async function awardForStep(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  awardId: bigint,
  action: AwardAction,
): Promise<{ row: Selectable<AwardsTable>; answered?: Award }> {
  const row = await db
    .selectFrom('awards')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', awardId)
    .executeTakeFirst();
  if (!row) throw notFound(`award ${awardId}`);
  const retried =
    principal.requestKey !== undefined &&
    row.decided_by_key === principal.keyId &&
    row.request_key === principal.requestKey;
  if (row.status === AWARD_DONE[action] && retried) return { row, answered: toAward(row) };
  if (!AWARD_FROM[action].includes(row.status))
    throw new DomainError('conflict', 'conflict', `the award is ${row.status}; it cannot be ${AWARD_DONE[action]}`);
  return { row };
}

/**
 * Treasury's step on an award, with a reason. Approval recomputes it against what was granted since. A step
 * that moves money is recorded in the ledger transaction that posts it, so an award booked by an approval
 * always reads approved (and counts against 从高不重复 and the caps of the next award).
 */
export async function decideAward(
  db: Kysely<Database>,
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  awardId: bigint,
  action: AwardAction,
  reason: string,
): Promise<Award> {
  admit(principal, 'awards.decide', poolId);
  // One decision at a time per pool; the award's row is updated by the step, from the ledger's connection
  // when the step moves money, so it is not locked here.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`awards:${poolId}`}, 0))`.execute(db);
  const { row, answered } = await awardForStep(db, principal, poolId, awardId, action);
  if (answered) return answered;
  const p = programmeOr404(row.programme);
  const today = todayInChina();
  const parties = { beneficiaryId: row.beneficiary_id, article: row.article };
  const step = (status: AwardStatus, more: Partial<AwardStepRecord> = {}): AwardStepRecord => ({
    pool_id: poolId,
    award_id: row.id,
    from: AWARD_FROM[action],
    status,
    reason,
    by_key: principal.keyId,
    request_key: principal.requestKey ?? null,
    participant_id: row.beneficiary_id,
    ...more,
  });
  const recorded = async (posting: Promise<{ recorded: boolean }>, record: AwardStepRecord) =>
    (await posting).recorded ? rereadAward(db, row) : recordAwardStep(db, record);

  if (action === 'approve') {
    const ask: AwardAsk = {
      basisAmount: row.basis_amount,
      year: row.year,
      item: row.item,
      rateBp: row.rate_bp ?? undefined,
      subkind: row.subkind ?? undefined,
      facts: row.facts,
    };
    const out = computeAward(p, ask, await history(db, poolId, p, row.beneficiary_id, row.item, row.year, row.id));
    if (!out.ok) throw refuse(out.rule, out.message);
    const approved = step('approved', { amount: out.amount, breakdown: breakdownOf(p, out) });
    // What an approval taken before a step's record travelled with its posting booked, and whose record a
    // crash then lost, is what stands, whatever the award computes to now.
    const earlier = await postedAs(ledger, poolId, `award:${row.id}:approved`);
    if (earlier)
      return recordAwardStep(db, {
        ...approved,
        amount: earlier.entries.filter((e) => e.amount > 0n).reduce((s, e) => s + e.amount, 0n),
      });
    if (out.amount === 0n) return recordAwardStep(db, approved);
    await ensureAccounts(ledger, poolId, parties);
    return recorded(
      postMoney(
        ledger,
        postingFor('award_approved', {
          poolId,
          externalId: `award:${row.id}:approved`,
          effectiveDate: today,
          amount: out.amount,
          ...parties,
          metadata: { award_id: row.id.toString() },
        }),
        { writer: awardSteps, row: () => approved },
      ),
      approved,
    );
  }
  if (action === 'pay') {
    if (row.amount === 0n) return recordAwardStep(db, step('paid'));
    await ensureAccounts(ledger, poolId, parties);
    return recorded(
      postOnce(
        ledger,
        postingFor('award_paid', {
          poolId,
          externalId: `award:${row.id}:paid`,
          effectiveDate: today,
          amount: row.amount,
          ...parties,
          metadata: { award_id: row.id.toString() },
        }),
        { writer: awardSteps, row: () => step('paid') },
      ),
      step('paid'),
    );
  }
  // An approval that booked the award and crashed before the award recorded it (before records travelled
  // with postings) is reversed.
  const booked = await postedAs(ledger, poolId, `award:${row.id}:approved`);
  if (!booked) return recordAwardStep(db, step('rejected'));
  return recorded(
    postOnce(
      ledger,
      {
        type: 'reverse',
        poolId,
        externalId: `award:${row.id}:rejected`,
        effectiveDate: today,
        transaction: { id: booked.id },
      },
      { writer: awardSteps, row: () => step('rejected') },
    ),
    step('rejected'),
  );
}

async function recordAwardStep(db: Kysely<Database>, step: AwardStepRecord): Promise<Award> {
  await awardSteps.inRequest(db, step);
  return rereadAward(db, { pool_id: step.pool_id, id: step.award_id });
}

const rereadAward = async (db: Kysely<Database>, row: { pool_id: bigint; id: bigint }) =>
  toAward(
    await db
      .selectFrom('awards')
      .selectAll()
      .where('pool_id', '=', row.pool_id)
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow(),
  );

/** Awards in id order: a beneficiary its own, treasury and auditors all. */
export async function listAwards(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  options: { programme?: string; year?: number; after?: bigint; limit: number },
): Promise<Award[]> {
  admit(principal, 'awards.list', poolId);
  let q = db.selectFrom('awards').selectAll().where('pool_id', '=', poolId).orderBy('id').limit(options.limit);
  if (!seesWholePool(principal)) q = q.where('beneficiary_id', '=', principal.participantId ?? -1n);
  if (options.programme) q = q.where('programme', '=', options.programme);
  if (options.year !== undefined) q = q.where('year', '=', options.year);
  if (options.after !== undefined) q = q.where('id', '>', options.after);
  return (await q.execute()).map(toAward);
}

export async function getAward(
  db: Kysely<Database>,
  principal: Principal,
  poolId: bigint,
  awardId: bigint,
): Promise<Award> {
  admit(principal, 'awards.read', poolId);
  const row = await db
    .selectFrom('awards')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('id', '=', awardId)
    .executeTakeFirst();
  if (!row || (!seesWholePool(principal) && principal.participantId !== row.beneficiary_id))
    throw notFound(`award ${awardId}`);
  return toAward(row);
}

/** The incentive programmes of the seed policy, one per article and award. */
export function incentiveProgrammes(principal: Principal, poolId: bigint): readonly Programme[] {
  admit(principal, 'incentives.programmes', poolId);
  return PROGRAMMES;
}
