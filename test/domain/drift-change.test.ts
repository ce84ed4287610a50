import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeDrift, driftChangesAfter, type DriftInput } from '../../src/domain/drift.js';
import { exceptionInForce, exceptionsChangeAfter, type ExceptionRecord } from '../../src/domain/exceptions.js';
import type { PoolIdentity } from '../../src/domain/policy.js';
import { aPool } from '../helpers/observations.js';

const F = 'AKSUbuntu-2204gen2containerd';
const V1 = `${F}-202609.02.0`;
const V2 = `${F}-202609.16.0`;
const V3 = `${F}-202610.01.0`;
// Every sighting before the moments asked (from 2026-10-05T10:00Z on): only the drift itself moves with time.
const seen = new Map([
  [V1, '2026-09-03T10:00:00.000Z'],
  [V2, '2026-09-20T10:00:00.000Z'],
  [V3, '2026-10-05T10:00:00.000Z'],
]);

function driftAt(at: number, overrides: Partial<DriftInput> & { image?: string } = {}) {
  const { image = V1, ...rest } = overrides;
  return computeDrift({
    at: new Date(at),
    pool: aPool({ clusterName: 'aks', poolName: 'p', nodeImageVersion: image }),
    latestNodeImageVersion: V3,
    imageSince: '2026-09-05T00:00:00.000Z',
    history: { inLocation: seen, inSubscription: seen },
    policy: { policyRule: 'default', slaDays: 30, clock: 'release' },
    subscriptionFailed: false,
    exceptionId: null,
    ...rest,
  });
}

const t = (iso: string) => Date.parse(iso);

describe('driftChangesAfter', () => {
  it.each([
    ['behind, within policy: the image age gains a day at midnight', '2026-10-10T08:00:00.000Z', {}, '2026-10-11T00:00:00.000Z'],
    ['at the breach instant itself (still within policy): one millisecond later it is non-compliant', '2026-10-16T00:00:00.000Z', {}, '2026-10-16T00:00:00.001Z'],
    ['past the breach: only the day counts move', '2026-10-20T15:00:00.000Z', {}, '2026-10-21T00:00:00.000Z'],
    ['current: its age moves', '2026-10-10T08:00:00.000Z', { image: V3 }, '2026-10-11T00:00:00.000Z'],
    ['regional clock: the exposure counts from the sighting (10:00Z)', '2026-10-20T08:00:00.000Z', { image: V2, policy: { policyRule: 'r', slaDays: 30, clock: 'regional_availability' as const } }, '2026-10-20T10:00:00.000Z'],
  ])('%s', (_name, at, overrides, expected) => {
    const drift = driftAt(t(at), overrides);
    const next = driftChangesAfter(drift, t(at));
    expect(new Date(next!).toISOString()).toBe(expected);
    expect(driftAt(next! - 1, overrides)).toEqual(drift);
    expect(driftAt(next!, overrides)).not.toEqual(drift);
  });

  it('is null when nothing in the drift moves with time (versions unknown)', () => {
    const drift = driftAt(t('2026-10-10T00:00:00Z'), { image: 'not-a-version' });
    expect(drift.status).toBe('unknown');
    expect(driftChangesAfter(drift, t('2026-10-10T00:00:00Z'))).toBeNull();
  });

  it('a fresh computation anywhere before the moment it names equals the drift, and differs at it', () => {
    const inputs = fc.record({
      at: fc.integer({ min: t('2026-10-05T10:00:00Z'), max: t('2027-01-31T00:00:00Z') }),
      image: fc.constantFrom(V1, V2, V3),
      clock: fc.constantFrom('release' as const, 'regional_availability' as const),
      slaDays: fc.integer({ min: 1, max: 60 }),
      subscriptionFailed: fc.boolean(),
      exceptionId: fc.constantFrom(null, 'exc_1'),
      fraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    });
    fc.assert(
      fc.property(inputs, ({ at, image, clock, slaDays, subscriptionFailed, exceptionId, fraction }) => {
        const overrides = { image, policy: { policyRule: 'r', slaDays, clock }, subscriptionFailed, exceptionId };
        const drift = driftAt(at, overrides);
        const next = driftChangesAfter(drift, at);
        expect(next).not.toBeNull();
        expect(next!).toBeGreaterThan(at);
        expect(driftAt(at + Math.floor((next! - at) * fraction), overrides)).toEqual(drift);
        expect(driftAt(next! - 1, overrides)).toEqual(drift);
        expect(driftAt(next!, overrides)).not.toEqual(drift);
      }),
      { numRuns: 300 },
    );
  });
});

describe('exceptionsChangeAfter', () => {
  const pool: PoolIdentity = { subscriptionId: 's', resourceGroup: 'rg', clusterId: '/c/aks', clusterName: 'aks', poolName: 'p', mode: 'User', clusterTags: {}, poolTags: {} };
  const record = (id: string, expiresAt: string, events: ExceptionRecord['events']): ExceptionRecord => ({
    id,
    scope: { kind: 'cluster', clusterId: '/c/aks' },
    reason: 'r',
    compensatingControl: 'c',
    ticket: 't',
    expiresAt,
    requestedBy: 'key:op',
    requestedAt: '2026-10-01T00:00:00.000Z',
    events,
  });
  const approved = (at: string) => ({ action: 'approved' as const, actor: 'key:admin', at, reason: null });
  const revoked = (at: string) => ({ action: 'revoked' as const, actor: 'key:admin', at, reason: null });

  it.each([
    ['only requested: nothing will change', [record('a', '2026-11-01T00:00:00.000Z', [])], null],
    ['approved: it lapses at its expiry', [record('a', '2026-11-01T00:00:00.000Z', [approved('2026-10-02T00:00:00.000Z')])], '2026-11-01T00:00:00.000Z'],
    ['a decision recorded after the moment asked takes effect then', [record('a', '2026-11-01T00:00:00.000Z', [approved('2026-10-12T00:00:00.000Z')])], '2026-10-12T00:00:00.000Z'],
    [
      'the earliest of several: a revocation before another expiry',
      [record('a', '2026-11-01T00:00:00.000Z', [approved('2026-10-02T00:00:00.000Z'), revoked('2026-10-20T00:00:00.000Z')]), record('b', '2026-10-25T00:00:00.000Z', [approved('2026-10-03T00:00:00.000Z')])],
      '2026-10-20T00:00:00.000Z',
    ],
    ['expired before the moment asked: nothing will change', [record('a', '2026-10-05T00:00:00.000Z', [approved('2026-10-02T00:00:00.000Z')])], null],
  ])('%s', (_name, records, expected) => {
    const at = '2026-10-10T00:00:00.000Z';
    const next = exceptionsChangeAfter(records, at);
    expect(next === null ? null : new Date(next).toISOString()).toBe(expected);
    // Until then, the exception in force is the same; at it, it differs (here each change concerns the pool).
    const before = exceptionInForce(records, pool, at);
    const last = next === null ? Date.parse(at) + 90 * 86_400_000 : next - 1;
    expect(exceptionInForce(records, pool, new Date(last).toISOString())).toBe(before);
    if (next !== null) expect(exceptionInForce(records, pool, new Date(next).toISOString())).not.toBe(before);
  });
});
