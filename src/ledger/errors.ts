/**
 * A request the ledger cannot take as asked. `type` is stable: callers and the HTTP layer switch on it.
 */
export class LedgerError extends Error {
  override name = 'LedgerError';
  constructor(
    readonly type: LedgerErrorType,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type LedgerErrorType =
  /** The request itself is malformed: fewer than two entries, unbalanced, a bad date or amount. */
  | 'invalid_posting'
  /** The external id was used before with different content. */
  | 'idempotency_conflict'
  | 'account_not_found'
  | 'account_conflict'
  | 'transaction_not_found'
  | 'book_not_found'
  /** Transactions in flight somewhere in the database kept the chain from sealing up to now. */
  | 'chain_busy'
  /** The writer holds as many postings waiting as it queues: retry shortly. */
  | 'ledger_busy';
