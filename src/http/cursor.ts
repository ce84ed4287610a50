import { invalidInput } from '../domain/errors.js';

/**
 * Opaque list cursors: base64url JSON of the last key served plus whatever pins the listing (e.g. the snapshot
 * it reads), so every page of one listing comes from the same observation even while new snapshots land.
 */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Cursor numbers are ids, offsets and epoch-ms moments: integers from 0 to the latest moment a Date holds. */
const MAX_TIME_IN_MS = 8.64e15;
const isCursorNumber = (value: number) => Number.isInteger(value) && value >= 0 && value <= MAX_TIME_IN_MS;

export function decodeCursor<T extends Record<string, string | number>>(cursor: string | undefined, shape: Record<keyof T, 'string' | 'number'>): T | null {
  if (cursor === undefined) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const [key, type] of Object.entries(shape)) if (typeof value[key] !== type || (type === 'number' && !isCursorNumber(value[key] as number))) throw new Error(key);
    return value as T;
  } catch {
    throw invalidInput('invalid_cursor', 'cursor is not one this API issued');
  }
}
