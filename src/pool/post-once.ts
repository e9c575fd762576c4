import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { SQLSTATE } from '../db/sqlstate.js';
import {
  LedgerError,
  type CompanionWriter,
  type Ledger,
  type PostingOutcome,
  type PostingRequest,
  type Transaction,
} from '../ledger/index.js';
import { DomainError } from './errors.js';

/**
 * Posting a business event's money exactly once, whichever request gets there, and committing the record of
 * the step it belongs to with it. Every money event goes through here: claims, awards, recoveries and the
 * treasury's cash events.
 */

/**
 * How many refused attempts one event may leave behind before a posting. A refusal stays remembered under
 * its external id; each later try of the same event posts under the next id. A thousand refusals of one
 * payment is far past any real use and keeps every search here bounded.
 */
export const MAX_REFUSED_ATTEMPTS = 1000;

const attemptId = (externalId: string, attempt: number) =>
  attempt === 0 ? externalId : `${externalId}:retry-${attempt}`;

/** A row to commit in the ledger transaction that posts the event, built from the posted transaction. */
export interface StepRecord<T> {
  writer: CompanionWriter<T | null>;
  row: (transaction: Transaction) => T;
}

/**
 * Posts a money event and answers with its transaction, or refuses as the ledger did. The ledger remembers
 * a refusal under its external id; so that a refused payment can succeed once money has come in, a refusal
 * met again as a replay moves on to the next attempt's id (`<id>`, `<id>:retry-1`, ...). The first posted
 * attempt ends the search, so the event is posted once whichever request gets there.
 *
 * With `record`, the step's record commits in the same database transaction as the posting. `recorded` says
 * whether it did: false when an earlier attempt had posted the event already (the posting is then answered
 * as it stands, and its record is either there already or, for a step taken before records travelled with
 * their postings, the caller's to write).
 */
export async function postMoney<T = never>(
  ledger: Ledger,
  request: PostingRequest,
  record?: StepRecord<T>,
): Promise<{ transaction: Transaction; recorded: boolean }> {
  const alsoWrite =
    record &&
    (([outcome]: PostingOutcome[]) => ({
      writer: record.writer,
      row: outcome?.status === 'posted' ? record.row(outcome.transaction) : null,
    }));
  for (let attempt = 0; attempt < MAX_REFUSED_ATTEMPTS; attempt++) {
    const externalId = attemptId(request.externalId, attempt);
    let outcome: PostingOutcome;
    try {
      outcome = await ledger.post({ ...request, externalId }, alsoWrite && { alsoWrite });
    } catch (err) {
      if (err instanceof LedgerError && err.type === 'idempotency_conflict') {
        // Another request under this id: a refusal (say, dated into a closed month) gives way to the next
        // attempt; a posting stands, and this request conflicts with it.
        if ((await ledger.outcomeOf(request.poolId, externalId))?.status === 'refused') continue;
        throw new DomainError(
          'conflict',
          'conflict',
          `this reference was used before for another amount or date (${request.externalId})`,
          { field: 'reference' },
        );
      }
      if ((err as { code?: string }).code === SQLSTATE.step_taken) {
        throw new DomainError(
          'conflict',
          'conflict',
          'another request took this step at the same time; read the record again',
        );
      }
      throw err;
    }
    if (outcome.status === 'posted')
      return { transaction: outcome.transaction, recorded: record !== undefined && !outcome.replayed };
    if (outcome.replayed) continue;
    if (outcome.refusal.type === 'insufficient_funds') {
      throw new DomainError(
        'refused',
        'insufficient-funds',
        `the pool's available balance cannot cover this: ${outcome.refusal.detail}`,
      );
    }
    if (outcome.refusal.type === 'period_closed')
      throw new DomainError('refused', 'period-closed', outcome.refusal.detail);
    throw new DomainError('conflict', 'conflict', outcome.refusal.detail);
  }
  throw new DomainError(
    'conflict',
    'conflict',
    `${request.externalId} was refused ${MAX_REFUSED_ATTEMPTS} times; it is not tried again`,
  );
}

/**
 * The transaction a money event was posted as, if it was (whichever attempt of postMoney posted it): for
 * undoing a step whose posting committed but whose business record did not (a crash between the two).
 */
export async function postedAs(ledger: Ledger, poolId: bigint, externalId: string): Promise<Transaction | null> {
  for (let attempt = 0; attempt < MAX_REFUSED_ATTEMPTS; attempt++) {
    const outcome = await ledger.outcomeOf(poolId, attemptId(externalId, attempt));
    if (outcome === null) return null;
    if (outcome.status === 'posted') return outcome.transaction;
  }
  return null;
}

/**
 * Posts a step of a record once: when an earlier attempt already posted it, that posting stands, whatever
 * day the step is taken again on (its record then committed with it, or, for a step taken before records
 * travelled with their postings, `recorded` is false and the caller writes it).
 */
export async function postOnce<T = never>(
  ledger: Ledger,
  request: PostingRequest,
  record?: StepRecord<T>,
): Promise<{ transaction: Transaction; recorded: boolean }> {
  const earlier = await postedAs(ledger, request.poolId, request.externalId);
  return earlier ? { transaction: earlier, recorded: false } : postMoney(ledger, request, record);
}

/** The function of sql/0019 that records a step, given as a companion writer and for the request's own transaction. */
export interface StepRecorder<T> extends CompanionWriter<T | null> {
  /** Records the step in the request's transaction: a step that moves no money, or whose posting was there already. */
  inRequest(db: Kysely<Database>, row: T): Promise<void>;
}

const asJson = (rows: unknown[]) => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

/** A step recorder that hands its rows, as one JSON array, to one SQL function (which fails on a step taken meanwhile). */
export function recordedBy<T>(fn: 'claim_record_steps' | 'award_record_steps' | 'recovery_record'): StepRecorder<T> {
  // The parameter is sent as text: typed jsonb, the driver would encode the JSON text once more.
  const text = `SELECT ${fn}($1::text::jsonb)`;
  return {
    statement: (rows) => ({ sql: text, parameters: [asJson(rows.filter((r) => r !== null))] }),
    async inRequest(db, row) {
      await sql`SELECT ${sql.raw(fn)}(${asJson([row])}::text::jsonb)`.execute(db);
    },
  };
}
