import type { Account, AccountSpec, Ledger } from '../ledger/index.js';
import { authorizeIn, type Principal } from './access.js';
import { DomainError } from './errors.js';
import { isChartCode } from './posting-rules.js';

/**
 * The treasury's own bookkeeping beside the money events of the domain: accounts of its own and manual
 * journal entries. The codes of the pool's chart stay the domain's.
 */

/** Opens an account of the treasury's own; a code of the chart of accounts is refused. */
export async function openAccount(ledger: Ledger, principal: Principal, poolId: bigint, spec: AccountSpec): Promise<Account> {
  authorizeIn(principal, ['treasury'], poolId);
  if (isChartCode(spec.code)) {
    throw new DomainError('invalid', 'account-code-reserved', `${spec.code} is a code of the pool's chart of accounts: the pool opens that account itself; choose another code`, { field: 'code' });
  }
  return ledger.createAccount(poolId, spec);
}
