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
  /** The request id of the write being made, for the records that say who did what from which request. */
  requestId?: string;
  /** The person the key acts for (four-eyes): the treasury key it was issued by; absent, the key itself. */
  actsFor?: bigint | null;
  /** The person signed in, where a person (not a system's key) is asking. */
  person?: { id: bigint; login: string; name: string };
}

/**
 * The pool a principal may address. Another pool answers exactly like a pool that does not exist, so a
 * tenant learns nothing of others (invariant 7).
 */
export function scopePool(principal: Principal, poolId: bigint): bigint {
  if (principal.role === 'admin' || principal.poolId === poolId) return poolId;
  throw notFound(`pool ${poolId}`);
}

function requireRole(principal: Principal, roles: readonly ApiRole[]): void {
  if (!roles.includes(principal.role)) {
    throw new DomainError('forbidden', 'forbidden', `a ${principal.role} key may not do this`, {
      role: principal.role,
    });
  }
}

/** Treasury and auditor see the whole pool; banks, insurers and the rest only what concerns them. */
export const seesWholePool = (p: Principal) => p.role === 'admin' || p.role === 'treasury' || p.role === 'auditor';

const READERS = ['admin', 'treasury', 'auditor'] as const satisfies readonly ApiRole[];
const TREASURY = ['treasury'] as const satisfies readonly ApiRole[];
const BANK = ['bank'] as const satisfies readonly ApiRole[];
const EVERYONE = [
  'admin',
  'treasury',
  'auditor',
  'bank',
  'insurer',
  'guarantor',
  'enterprise',
] as const satisfies readonly ApiRole[];
const LENDING = [...READERS, 'bank', 'insurer'] as const satisfies readonly ApiRole[];
const INCENTIVES = [...READERS, 'bank', 'insurer', 'guarantor', 'enterprise'] as const satisfies readonly ApiRole[];

/**
 * Who may do what: every operation of the API and the roles that may ask for it. Checked once, by the
 * domain function that carries the operation out, before it reads anything (see `admit`). What a role then
 * sees of the pool (its own loans, its own claims) is the operation's business, not this table's.
 */
export const ACCESS = {
  'pools.create': ['admin'],
  'pools.read': EVERYONE,
  'participants.create': TREASURY,
  'participants.list': EVERYONE,
  'participants.read': EVERYONE,
  'keys.issue': ['admin', 'treasury'],
  'keys.revoke': ['admin', 'treasury'],
  'keys.list': ['admin', 'treasury'],
  'events.read': EVERYONE,

  'agreements.create': TREASURY,
  'agreements.add-terms': TREASURY,
  'agreements.suspend': TREASURY,
  'agreements.read': LENDING,

  'loans.enrol': BANK,
  'loans.report': BANK,
  'loans.enrol-tape': BANK,
  'loans.report-tape': BANK,
  'loans.list': LENDING,
  'loans.read': LENDING,

  'claims.file': ['bank', 'insurer'],
  'claims.decide': TREASURY,
  'claims.list': LENDING,
  'claims.read': LENDING,
  'recoveries.report': BANK,
  'recoveries.receive': TREASURY,

  'appropriations.notify': TREASURY,
  'appropriations.receive': TREASURY,
  'cash.record': TREASURY,
  'position.read': READERS,

  'incentives.programmes': INCENTIVES,
  'awards.fund': TREASURY,
  'awards.apply': ['treasury', 'bank', 'guarantor', 'enterprise'],
  'awards.round': TREASURY,
  'awards.decide': TREASURY,
  'awards.list': INCENTIVES,
  'awards.read': INCENTIVES,

  'accounts.open': TREASURY,
  'accounts.list': READERS,
  'accounts.balance': READERS,
  'accounts.statement': READERS,
  'transactions.post': TREASURY,
  'transactions.reverse': TREASURY,
  'transactions.read': READERS,
  'ledger.trial-balance': READERS,
  'chain.verify': READERS,
  'chain.digest': READERS,

  'periods.close': TREASURY,
  'periods.check': READERS,
  'reports.read': READERS,
  'statements.import': TREASURY,
  'statements.lines': READERS,
  'statements.match': TREASURY,
  'statements.book': TREASURY,
  'statements.unmatch': TREASURY,
  'statements.reconcile': READERS,
  'proposals.read': READERS,
  'people.create': ['admin', 'treasury'],
  'people.list': ['admin', 'treasury'],
  'people.disable': ['admin', 'treasury'],
  'people.reset': ['admin', 'treasury'],
  'audit.read': READERS,
  'pools.settings': ['admin'],
} as const satisfies Record<string, readonly ApiRole[]>;

export type Operation = keyof typeof ACCESS;

/**
 * May this principal do this operation, in this pool? The role first (403, saying nothing of what exists),
 * then the pool (another tenant's answers 404). Returns the pool. An operation on no pool (issuing a key,
 * creating a pool) checks the role alone.
 */
export function admit(principal: Principal, operation: Operation, poolId: bigint): bigint;
export function admit(principal: Principal, operation: Operation): void;
export function admit(principal: Principal, operation: Operation, poolId?: bigint): bigint | void {
  requireRole(principal, ACCESS[operation]);
  if (poolId !== undefined) return scopePool(principal, poolId);
}
