import type { ApiRole } from '../db/schema.js';
import { DomainError, notFound } from './errors.js';

/** Who is asking: everything comes from the API key, nothing from the request. */
export interface Principal {
  keyId: bigint;
  keyPrefix: string;
  role: ApiRole;
  /** null for admin keys only. */
  poolId: bigint | null;
  /** The bank, insurer, guarantor or enterprise the key belongs to. */
  participantId: bigint | null;
  /**
   * The Idempotency-Key of the write being made. A step recorded under it is recognised when the same request
   * is retried after its answer was lost, and told apart from another request asking for the same step.
   */
  requestKey?: string;
}

/**
 * The pool a principal may address. Another pool answers exactly like a pool that does not exist, so a
 * tenant learns nothing of others (invariant 7).
 */
export function scopePool(principal: Principal, poolId: bigint): bigint {
  if (principal.role === 'admin' || principal.poolId === poolId) return poolId;
  throw notFound(`pool ${poolId}`);
}

export function requireRole(principal: Principal, roles: readonly ApiRole[]): void {
  if (!roles.includes(principal.role)) {
    throw new DomainError('forbidden', 'forbidden', `a ${principal.role} key may not do this`, { role: principal.role });
  }
}

/** The role check, then the pool the principal may address (another pool answers 404). */
export function authorizeIn(principal: Principal, roles: readonly ApiRole[], poolId: bigint): bigint {
  requireRole(principal, roles);
  return scopePool(principal, poolId);
}

/** Treasury and auditor see the whole pool; banks, insurers and the rest only what concerns them. */
export const seesWholePool = (p: Principal) => p.role === 'admin' || p.role === 'treasury' || p.role === 'auditor';
