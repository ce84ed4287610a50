import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/lib/canonical-json.js';

/** RFC 8785 for JSON values without exotic numbers: keys sorted by UTF-16 code units, no whitespace. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('matches the RFC 8785 ordering for any JSON value, and its bytes do not depend on key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(reference(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 1000, seed: 8785 },
    );
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: [3, 'x'] }], é: null })).toBe('{"a":[{"c":[3,"x"],"d":2}],"b":1,"é":null}');
    expect(canonicalJson([['pool_states', 7, 'k', 'ab'], ['cluster_states', 1, 'c', 'cd']])).toBe('[["pool_states",7,"k","ab"],["cluster_states",1,"c","cd"]]');
    expect(canonicalJson(-0)).toBe('0');
    expect(() => canonicalJson([Number.NaN])).toThrow(TypeError);
  });
});
