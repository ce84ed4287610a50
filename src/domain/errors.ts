/**
 * Errors the service layer throws on purpose, each with a stable snake_case code (the API's `error.code`).
 * The HTTP error handler maps the kinds to statuses; anything else is a 500 whose text is never shown.
 */
export type ErrorKind = 'invalid_input' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const invalidInput = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('invalid_input', code, message, details);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('conflict', code, message, details);
