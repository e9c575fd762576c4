import { externalIdKey } from '../keys.js';
import type { PostingOutcome } from '../types.js';
import type { WrittenUnit } from './statements.js';

/** One caller's submission: posted as a whole, or (refused) not at all. */
export interface Unit extends WrittenUnit {
  resolve: (outcomes: PostingOutcome[]) => void;
  reject: (err: unknown) => void;
}

/** The postings waiting for a batch, in the order they came. */
export class PendingQueue {
  private readonly units: Unit[] = [];
  get length(): number {
    return this.units.length;
  }

  push(unit: Unit): void {
    this.units.push(unit);
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
    for (let i = 0; i < this.units.length && size < maxBatch; ) {
      const unit = this.units[i]!;
      const keys = unit.requests.map((r) => externalIdKey(r.poolId, r.externalId));
      const fits = size === 0 || size + unit.requests.length <= maxBatch;
      if (!fits || keys.some((k) => busy.has(k) || ids.has(k))) {
        i++;
        continue;
      }
      this.units.splice(i, 1);
      keys.forEach((k) => ids.add(k));
      batch.push(unit);
      size += unit.requests.length;
    }
    return { batch, ids };
  }
}
