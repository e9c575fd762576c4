/**
 * A request the domain refuses. `type` is stable and becomes the problem type URI's last segment; the HTTP
 * layer maps kinds to statuses in one place.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    readonly type: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type DomainErrorKind = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'refused';

export const notFound = (what: string) => new DomainError('not_found', 'not-found', `${what} was not found`);

/** Input the domain refuses, naming the field (422 with `details.field`). */
export const invalidField = (field: string, message: string) => new DomainError('invalid', 'validation', message, { field });
