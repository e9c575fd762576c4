import { createHash } from 'node:crypto';
import { LedgerError } from './errors.js';
import type { EntryInput, PostingRequest, TransactionRef } from './types.js';

/**
 * Bound on one entry: 10^13 fen (100 billion CNY), far beyond any pool. A batch of 1,000 transactions of 100
 * such entries sums to 10^18, inside int8 (9.2 x 10^18); an account's running totals would need about a
 * million maximal postings to overflow, which the database then refuses (numeric out of range).
 */
export const MAX_ENTRY_AMOUNT = 10n ** 13n;
export const MAX_ENTRIES_PER_TRANSACTION = 100;
const MAX_METADATA_BYTES = 4096;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value && Number(m[1]) >= 1900;
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new LedgerError('invalid_posting', message, details);
}

function checkRef(ref: TransactionRef, what: string): void {
  if ('id' in ref) {
    if (typeof ref.id !== 'bigint' || ref.id <= 0n) invalid(`${what} id must be a positive bigint`);
  } else if (typeof ref.externalId !== 'string' || ref.externalId.length === 0) {
    invalid(`${what} must name a transaction by id or externalId`);
  }
}

function checkEntries(entries: EntryInput[]): void {
  if (!Array.isArray(entries) || entries.length < 2) invalid('a transaction needs at least two entries');
  if (entries.length > MAX_ENTRIES_PER_TRANSACTION) {
    invalid(`a transaction has at most ${MAX_ENTRIES_PER_TRANSACTION} entries`);
  }
  entries.forEach((e, i) => {
    if (typeof e.account !== 'string' || e.account.length === 0) invalid(`entry ${i} has no account`, { entry: i });
    if (typeof e.amount !== 'bigint') invalid(`entry ${i} amount must be a bigint of minor units`, { entry: i });
    if (e.amount === 0n) invalid(`entry ${i} amount is zero`, { entry: i });
    if (e.amount > MAX_ENTRY_AMOUNT || e.amount < -MAX_ENTRY_AMOUNT) {
      invalid(`entry ${i} amount is beyond ${MAX_ENTRY_AMOUNT} minor units`, { entry: i });
    }
  });
}

/** Checks what can be checked without the database: shape, dates, amounts. */
export function validateRequest(request: PostingRequest): void {
  if (typeof request.poolId !== 'bigint' || request.poolId <= 0n) invalid('poolId must be a positive bigint');
  if (typeof request.externalId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(request.externalId)) {
    invalid('externalId must be 1 to 200 printable ASCII characters without spaces');
  }
  if (typeof request.effectiveDate !== 'string' || !isDay(request.effectiveDate)) {
    invalid('effectiveDate must be a calendar day YYYY-MM-DD');
  }
  if (
    request.description !== undefined &&
    (typeof request.description !== 'string' || request.description.length > 500)
  ) {
    invalid('description must be a string of at most 500 characters');
  }
  if (request.metadata !== undefined) {
    if (request.metadata === null || typeof request.metadata !== 'object' || Array.isArray(request.metadata)) {
      invalid('metadata must be a JSON object');
    }
    if (Buffer.byteLength(JSON.stringify(request.metadata)) > MAX_METADATA_BYTES) {
      invalid(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
    }
  }
  switch (request.type) {
    case 'post':
      checkEntries(request.entries);
      break;
    case 'post_pending':
      checkRef(request.pending, 'pending');
      if (request.entries !== undefined) checkEntries(request.entries);
      break;
    case 'void_pending':
      checkRef(request.pending, 'pending');
      break;
    case 'reverse':
      checkRef(request.transaction, 'transaction');
      break;
    default:
      invalid(`unknown request type ${(request as { type: unknown }).type}`);
  }
}

/** The request as stored and compared: plain JSON, amounts as strings, object keys sorted. */
export function canonicalRequest(request: PostingRequest): Record<string, unknown> {
  const base = {
    type: request.type,
    effectiveDate: request.effectiveDate,
    description: request.description ?? '',
    metadata: sortKeys(request.metadata ?? {}),
  };
  const entries = (list: EntryInput[] | undefined) => list?.map((e) => [e.account, e.amount.toString()]) ?? null;
  const ref = (r: TransactionRef) => ('id' in r ? { id: r.id.toString() } : { externalId: r.externalId });
  switch (request.type) {
    case 'post':
      return { ...base, pending: request.pending ?? false, entries: entries(request.entries) };
    case 'post_pending':
      return { ...base, pending: ref(request.pending), entries: entries(request.entries) };
    case 'void_pending':
      return { ...base, pending: ref(request.pending) };
    case 'reverse':
      return { ...base, transaction: ref(request.transaction) };
  }
}

/** The SHA-256 of a canonical request's JSON text (JSON.stringify of canonicalRequest). */
export function requestHash(canonicalJson: string): Buffer {
  return createHash('sha256').update(canonicalJson).digest();
}

/** Names the top-level fields in which two canonical requests differ. */
export function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** The value with every object's keys sorted: the canonical form hashed for idempotency. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
