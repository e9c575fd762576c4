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

/**
 * A file that cannot be read as the format it is sent in (a CSV that is not one, a header naming a column
 * twice, a cell that is not a date): refused before anything in it is looked at, with the places it names
 * (`body`, `body.line.3.amount`). The HTTP layer answers it as a `validation` problem (400).
 */
export class UnreadableInput extends Error {
  override name = 'UnreadableInput';
  constructor(
    message: string,
    readonly errors: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export type DomainErrorKind = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'refused';

export const notFound = (what: string) => new DomainError('not_found', 'not-found', `${what} was not found`);

/** Input the domain refuses, naming the field (422 with `details.field`). */
export const invalidField = (field: string, message: string) =>
  new DomainError('invalid', 'validation', message, { field });
