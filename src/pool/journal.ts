import type {
  Account,
  AccountSpec,
  Ledger,
  PostingOutcome,
  PostOptions,
  PostRequest,
  ReverseRequest,
} from '../ledger/index.js';
import { admit, type Principal } from './access.js';
import { checkEventDay, checkReversalDay } from './business-dates.js';
import { DomainError } from './errors.js';
import { isChartCode } from './posting-rules.js';

/**
 * The treasury's own bookkeeping beside the money events of the domain: accounts of its own, manual journal
 * entries and reversals. The codes of the pool's chart stay the domain's, and the entries are dated like
 * every business event (business-dates.ts).
 */

/** Opens an account of the treasury's own; a code of the chart of accounts is refused. */
export async function openAccount(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  spec: AccountSpec,
): Promise<Account> {
  admit(principal, 'accounts.open', poolId);
  if (isChartCode(spec.code)) {
    throw new DomainError(
      'invalid',
      'account-code-reserved',
      `${spec.code} is a code of the pool's chart of accounts: the pool opens that account itself; choose another code`,
      { field: 'code' },
    );
  }
  return ledger.createAccount(poolId, spec);
}

/** Posts a manual journal entry dated inside the event window. The ledger's refusal is the outcome's. */
export async function postJournalEntry(
  ledger: Ledger,
  principal: Principal,
  request: PostRequest,
  options?: PostOptions,
): Promise<PostingOutcome> {
  admit(principal, 'transactions.post', request.poolId);
  checkEventDay('effective_date', request.effectiveDate);
  return ledger.post(request, options);
}

/**
 * Reverses a transaction of the pool, dated on or after it and no later than today. The original must
 * exist in this pool: a missing one is 404, not a refusal the ledger would remember under the request's id.
 */
export async function reverseTransaction(
  ledger: Ledger,
  principal: Principal,
  request: ReverseRequest & { transaction: { id: bigint } },
  options?: PostOptions,
): Promise<PostingOutcome> {
  await reversible(ledger, principal, request);
  return ledger.post(request, options);
}

/** Whether the transaction can be reversed on that day (before it is, or is proposed under four-eyes). */
export async function reversible(
  ledger: Ledger,
  principal: Principal,
  request: { poolId: bigint; effectiveDate: string; transaction: { id: bigint } },
): Promise<void> {
  admit(principal, 'transactions.reverse', request.poolId);
  const original = await ledger.getTransaction(request.poolId, request.transaction.id);
  checkReversalDay('effective_date', request.effectiveDate, original.effectiveDate);
}
