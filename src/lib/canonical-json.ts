import { createHash } from 'node:crypto';

/**
 * Canonical JSON (RFC 8785 for the values imagewarden stores: objects with keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number and string serialisation). The same value always gives the same bytes,
 * so a hash of it identifies content regardless of how it was built.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    return JSON.stringify(value) ?? 'null';
  }
  // Arrays of scalars (and of arrays of scalars: the change sets of big snapshots) have no keys to order, so
  // JSON.stringify is already canonical for them — and much faster than recursing element by element.
  if (Array.isArray(value) && value.every(isScalarOrScalarArray)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function isScalarOrScalarArray(value: unknown): boolean {
  return isScalar(value) || (Array.isArray(value) && value.every(isScalar));
}
