import { describe, expect, it } from 'vitest';
import { comparePositions, firstAfterPosition, parsePoolSort, sortByPosition, sortValueOf, type SortPosition } from '../../src/domain/pool-order.js';

const at = (key: string, value: string | number | null): SortPosition => ({ key, value });

describe('pool order (GET /api/v1/pools?sort=)', () => {
  it('puts pools without a value last in both directions and breaks ties by key ascending', () => {
    const items = [at('d', null), at('b', 5), at('a', 5), at('c', 1), at('e', null), at('f', 9)];
    expect(sortByPosition(parsePoolSort('imageAgeDays'), [...items]).map((p) => p.key)).toEqual(['c', 'a', 'b', 'f', 'd', 'e']);
    expect(sortByPosition(parsePoolSort('-imageAgeDays'), [...items]).map((p) => p.key)).toEqual(['f', 'a', 'b', 'c', 'd', 'e']);
  });

  it('ranks statuses from current to non_compliant and compares names without case', () => {
    expect(['non_compliant', 'current', 'unknown', 'excepted', 'within_policy'].map((s) => sortValueOf('status', s)).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(sortValueOf('status', 'non_compliant')).toBeGreaterThan(sortValueOf('status', 'unknown') as number);
    expect(sortValueOf('clusterName', 'AKS-Edge')).toBe('aks-edge');
    expect(sortValueOf('imageAgeDays', null)).toBeNull();
  });

  it('finds where the next page starts, ties and nulls included', () => {
    const sort = parsePoolSort('-imageAgeDays');
    const sorted = sortByPosition(sort, [at('a', 5), at('b', 5), at('c', 1), at('d', null), at('e', null)]);
    expect(firstAfterPosition(sort, sorted, at('a', 5))).toBe(1);
    expect(firstAfterPosition(sort, sorted, at('b', 5))).toBe(2);
    expect(firstAfterPosition(sort, sorted, at('d', null))).toBe(4);
    expect(firstAfterPosition(sort, sorted, at('e', null))).toBe(5);
    // A position no longer in the listing (the pool went): the next one after where it would be.
    expect(firstAfterPosition(sort, sorted, at('aa', 5))).toBe(1);
    expect(comparePositions(sort, at('x', 1), at('x', 1))).toBe(0);
  });
});
