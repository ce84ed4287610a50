import { ApiError } from '../api.js';

/** What an HTTP status means, in plain words, for the error line under a failed request. */
const PLAIN: Record<number, string> = {
  0: 'no answer',
  400: 'refused as invalid',
  401: 'not signed in',
  403: 'not allowed',
  404: 'not found',
  409: 'conflicts with its current state',
  422: 'cannot be processed',
  429: 'too many requests',
  503: 'service unavailable',
};

/** An API error as a sentence a person can act on: the API's own message, then its status in words and its code. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    const words = PLAIN[error.status] ?? (error.status >= 500 ? 'service error' : 'refused');
    const message = error.message.length > 0 ? `${error.message[0]!.toUpperCase()}${error.message.slice(1)}` : 'The request failed';
    return `${message.replace(/\.?$/, '.')} (${error.status === 0 ? '' : `${error.status} `}${words}: ${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Today plus `days`, as a YYYY-MM-DD date (UTC). */
export function dateInDays(days: number, from = new Date()): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The last segment of an ARM id (a cluster's name from its id). */
export function lastSegment(id: string | null): string {
  if (id === null) return '—';
  const parts = id.split('/').filter((part) => part !== '');
  return parts.at(-1) ?? id;
}
