import { LedgerError } from '../errors.js';
import { externalIdKey } from '../keys.js';
import type { PostingOutcome } from '../types.js';
import type { WrittenUnit } from './statements.js';

/** One caller's submission: posted as a whole, or (refused) not at all. */
export interface Unit extends WrittenUnit {
  resolve: (outcomes: PostingOutcome[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The postings waiting for a batch, in the order they came, up to a bound on postings. Past the bound a
 * caller is told to come back (`ledger_busy`, answered 503 with Retry-After) rather than join a queue it
 * would wait on for longer than it is worth, and the memory the waiting requests hold (each with its
 * canonical text and hash) stays bounded too.
 */
export class PendingQueue {
  private readonly units: Unit[] = [];
  private postings = 0;

  constructor(readonly maxPostings: number) {}

  get length(): number {
    return this.units.length;
  }

  /** Queues the unit, or refuses it when its postings would take the queue past its bound. */
  push(unit: Unit): void {
    const n = unit.requests.length;
    if (this.postings + n > this.maxPostings) {
      throw new LedgerError(
        'ledger_busy',
        `the ledger has ${this.postings} postings waiting, as many as it queues; retry shortly`,
        { waiting: this.postings },
      );
    }
    this.units.push(unit);
    this.postings += n;
  }

  /**
   * Cuts the next batch: units in arrival order, about `maxBatch` postings (a unit larger than that goes
   * alone), none with an external id in `busy` or in another unit of the batch: the same external id in
   * two concurrent transactions would only make one of them retry. Answers the batch and its ids.
   */
  take(maxBatch: number, busy: ReadonlySet<string>): { batch: Unit[]; ids: Set<string> } {
    const batch: Unit[] = [];
    let size = 0;
    const ids = new Set<string>();
    for (let i = 0; i < this.units.length && size < maxBatch;) {
      const unit = this.units[i]!;
      const keys = unit.requests.map((r) => externalIdKey(r.poolId, r.externalId));
      const fits = size === 0 || size + unit.requests.length <= maxBatch;
      if (!fits || keys.some((k) => busy.has(k) || ids.has(k))) {
        i++;
        continue;
      }
      this.units.splice(i, 1);
      this.postings -= unit.requests.length;
      keys.forEach((k) => ids.add(k));
      batch.push(unit);
      size += unit.requests.length;
    }
    return { batch, ids };
  }
}
