import type { TransactionRef } from './types.js';

/**
 * The map keys the engine files accounts, balances and transactions under, in one place so that every map
 * filled in one module is read with the same key in another. Codes and external ids take `:`, numeric ids
 * `#`: a code or an external id that looks like a number never meets an id.
 */
export const accountKey = (poolId: bigint, code: string) => `${poolId}:${code}`;
export const accountIdKey = (poolId: bigint, id: bigint) => `${poolId}#${id}`;
export const balanceKey = (poolId: bigint, accountId: bigint) => `${poolId}:${accountId}`;
export const transactionKey = (poolId: bigint, id: bigint) => `${poolId}#${id}`;
export const externalIdKey = (poolId: bigint, externalId: string) => `${poolId}:${externalId}`;
export const refKey = (poolId: bigint, ref: TransactionRef) =>
  'id' in ref ? transactionKey(poolId, ref.id) : externalIdKey(poolId, ref.externalId);
