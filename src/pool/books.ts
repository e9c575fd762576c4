import type {
  Account,
  Balance,
  Day,
  Digest,
  Ledger,
  StatementCursor,
  StatementPage,
  Transaction,
  TrialBalance,
  VerifyResult,
} from '../ledger/index.js';
import { postedAs } from './post-once.js';
import { admit, type Principal } from './access.js';

/**
 * The pool's books as the ledger keeps them, read by those who may see the whole pool: the chart of
 * accounts, balances and statements, transactions, the trial balance and the hash chain.
 */

export async function listAccounts(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  options: { after?: string; limit: number },
): Promise<Account[]> {
  admit(principal, 'accounts.list', poolId);
  return ledger.listAccounts(poolId, options);
}

export async function accountBalance(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  code: string,
  asOf?: Day,
): Promise<Balance> {
  admit(principal, 'accounts.balance', poolId);
  return ledger.balance(poolId, code, asOf);
}

/** A page of an account's statement; the cursor is read once the principal is admitted. */
export async function accountStatement(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  code: string,
  options: { from?: Day; to?: Day; limit: number; cursor: () => StatementCursor | undefined },
): Promise<StatementPage> {
  admit(principal, 'accounts.statement', poolId);
  return ledger.statement(poolId, code, {
    from: options.from,
    to: options.to,
    limit: options.limit,
    cursor: options.cursor(),
  });
}

export async function getTransaction(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  id: bigint,
): Promise<Transaction> {
  admit(principal, 'transactions.read', poolId);
  return ledger.getTransaction(poolId, id);
}

/**
 * The transaction posted under an external id (a domain posting's `claim:12:pay`, a journal entry's id),
 * or none. A money event refused and taken again later posts under a numbered attempt of its id; the one
 * that posted is found under the event's own id.
 */
export async function findTransaction(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  externalId: string,
): Promise<Transaction | null> {
  admit(principal, 'transactions.read', poolId);
  return postedAs(ledger, poolId, externalId);
}

/** The journal: the pool's transactions in the order they were posted, a page at a time. */
export async function listTransactions(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  options: { after?: bigint; limit: number },
): Promise<Transaction[]> {
  admit(principal, 'transactions.read', poolId);
  return ledger.listTransactions(poolId, options);
}

export async function trialBalance(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  asOf?: Day,
): Promise<TrialBalance> {
  admit(principal, 'ledger.trial-balance', poolId);
  return ledger.trialBalance(poolId, asOf);
}

export async function verifyChain(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  upTo?: bigint,
): Promise<VerifyResult> {
  admit(principal, 'chain.verify', poolId);
  return ledger.verify(poolId, upTo);
}

/** The head as sealed so far (what is committed but not yet sealed appears in a later digest), or a link's hash. */
export async function chainDigest(
  ledger: Ledger,
  principal: Principal,
  poolId: bigint,
  seq?: bigint,
): Promise<Digest | null> {
  admit(principal, 'chain.digest', poolId);
  if (seq === undefined) await ledger.sealAvailable(poolId);
  return ledger.digest(poolId, seq);
}
