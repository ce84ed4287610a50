import { describe, expect, it } from 'vitest';
import { compliancePercentages, computeDrift, retimer, type DriftInput } from '../../src/domain/drift.js';
import { aPool } from '../helpers/observations.js';

const F = 'AKSUbuntu-2204gen2containerd';
const V1 = `${F}-202609.02.0`; // released 2026-09-02
const V2 = `${F}-202609.16.0`; // released 2026-09-16
const V3 = `${F}-202610.01.0`; // released 2026-10-01
const policy = { policyRule: 'default', slaDays: 30, clock: 'release' as const };

/** A pool on V1; V1 seen as latest on 09-03, V2 on 09-20, V3 on 10-05, unless a case says otherwise. */
function input({ image, at, ...overrides }: Partial<Omit<DriftInput, 'at'>> & { image?: string | null; at?: string }): DriftInput {
  const history = new Map([
    [V1, '2026-09-03T10:00:00.000Z'],
    [V2, '2026-09-20T10:00:00.000Z'],
    [V3, '2026-10-05T10:00:00.000Z'],
  ]);
  return {
    at: new Date(at ?? '2026-10-10T00:00:00Z'),
    pool: aPool({ clusterName: 'aks', poolName: 'p', nodeImageVersion: image === undefined ? V1 : image }),
    latestNodeImageVersion: V3,
    imageSince: '2026-09-05T00:00:00.000Z',
    history: { inLocation: history, inSubscription: history },
    policy,
    subscriptionFailed: false,
    exceptionId: null,
    ...overrides,
  };
}

describe('computeDrift', () => {
  it('counts from the release of the next image when imagewarden saw the succession (observed)', () => {
    const drift = computeDrift(input({}));
    expect(drift).toMatchObject({
      imageFamily: F,
      imageReleaseDate: '2026-09-02T00:00:00.000Z',
      imageAgeDays: 38,
      latestReleaseDate: '2026-10-01T00:00:00.000Z',
      daysBehindLatest: 29,
      releasesBehind: 2,
      supersededAt: '2026-09-16T00:00:00.000Z',
      supersededAtSource: 'observed',
      exposureDays: 24,
      breachAt: '2026-10-16T00:00:00.000Z',
      firstSeenBehindAt: '2026-09-20T10:00:00.000Z',
      status: 'within_policy',
      policyRule: 'default',
      slaDays: 30,
    });
  });

  it('falls back to the pool’s own release when its version was never seen as latest (can only overstate)', () => {
    const history = new Map([[V3, '2026-10-05T10:00:00.000Z']]);
    const drift = computeDrift(input({ history: { inLocation: history, inSubscription: history } }));
    expect(drift).toMatchObject({ supersededAt: '2026-09-02T00:00:00.000Z', supersededAtSource: 'own_release', exposureDays: 38, releasesBehind: 1 });
    expect(drift.status).toBe('non_compliant'); // 38 days > 30
  });

  it('under the regional-availability clock counts from when the next image was first seen as latest there', () => {
    const drift = computeDrift(input({ policy: { ...policy, clock: 'regional_availability' } }));
    expect(drift).toMatchObject({ supersededAt: '2026-09-20T10:00:00.000Z', supersededAtSource: 'regional_availability', exposureDays: 19 });
  });

  it.each([
    // at, expected status: breach instant is 2026-10-16T00:00Z (V2 released 09-16 + 30 days)
    ['2026-10-15T23:59:59Z', 'within_policy'],
    ['2026-10-16T00:00:00Z', 'within_policy'], // exactly at the SLA: still within (t − supersededAt ≤ slaDays × 24 h)
    ['2026-10-16T00:00:01Z', 'non_compliant'],
  ])('at %s the pool is %s', (at, status) => {
    expect(computeDrift(input({ at })).status).toBe(status);
  });

  it('an approved exception in force turns non_compliant into excepted, and only that', () => {
    expect(computeDrift(input({ at: '2026-11-01T00:00:00Z', exceptionId: 'ex-1' }))).toMatchObject({ status: 'excepted', exceptionId: 'ex-1' });
    expect(computeDrift(input({ at: '2026-10-01T00:00:00Z', exceptionId: 'ex-1' })).status).toBe('within_policy');
    expect(computeDrift(input({ image: V3, exceptionId: 'ex-1' })).status).toBe('current');
  });

  it('a pool on the latest image (or newer) is current with no exposure', () => {
    for (const image of [V3, `${F}-202610.01.1`]) {
      expect(computeDrift(input({ image }))).toMatchObject({ status: 'current', exposureDays: 0, daysBehindLatest: 0, releasesBehind: 0, supersededAt: null });
    }
  });

  it.each([
    ['no image', { image: null }],
    ['an unparseable image', { image: 'AKSUbuntu-2204gen2containerd-latest' }],
    ['no latest image', { latestNodeImageVersion: null }],
    ['a latest image of another family', { latestNodeImageVersion: 'AKSUbuntu-2404gen2containerd-202610.01.0' }],
    ['a failed subscription', { subscriptionFailed: true }],
  ] as const)('is unknown with %s — never compliant', (_name, overrides: { image?: string | null; latestNodeImageVersion?: string | null; subscriptionFailed?: boolean }) => {
    expect(computeDrift(input({ ...overrides, at: '2026-12-31T00:00:00Z' })).status).toBe('unknown');
    // Even a pool that would otherwise be current.
    expect(computeDrift(input({ ...overrides, image: 'image' in overrides ? overrides.image : V3 })).status).toBe('unknown');
  });

  it('takes the policy’s SLA', () => {
    expect(computeDrift(input({ policy: { policyRule: 'prod', slaDays: 14, clock: 'release' } }))).toMatchObject({
      status: 'non_compliant',
      policyRule: 'prod',
      slaDays: 14,
      breachAt: '2026-09-30T00:00:00.000Z',
    });
  });

  it('never counts the Kubernetes version as image drift', () => {
    const base = computeDrift(input({}));
    const other = computeDrift({ ...input({}), pool: { ...input({}).pool, kubernetesVersion: '1.29.0' } });
    expect(other).toEqual(base);
  });
});

describe('retimer', () => {
  it.each([
    ['2026-10-06T00:00:00Z', '2026-10-15T12:00:00Z'],
    ['2026-10-06T00:00:00Z', '2026-10-16T00:00:01Z'],
    ['2026-10-20T00:00:00Z', '2027-02-01T00:00:00Z'],
  ])('moving a drift from %s to %s (no new sightings between) equals computing it there', (from, to) => {
    for (const overrides of [{}, { image: V3 }, { exceptionId: 'ex-1' }, { subscriptionFailed: true }, { image: null }, { policy: { ...policy, clock: 'regional_availability' as const } }]) {
      const computedThere = computeDrift(input({ ...overrides, at: to }));
      expect(retimer(computeDrift(input({ ...overrides, at: from })))(new Date(to), overrides.subscriptionFailed ?? false)).toEqual(computedThere);
    }
  });
});

describe('compliancePercentages', () => {
  it('counts current and within_policy over all pools, unknown included; a second figure counts excepted', () => {
    expect(compliancePercentages({ current: 5, within_policy: 1, non_compliant: 2, excepted: 1, unknown: 1 })).toEqual({
      compliancePercent: 60,
      compliancePercentWithExceptions: 70,
    });
    expect(compliancePercentages({ current: 1, within_policy: 0, non_compliant: 2, excepted: 0, unknown: 0 })).toEqual({
      compliancePercent: 33.3,
      compliancePercentWithExceptions: 33.3,
    });
    expect(compliancePercentages({ current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 })).toEqual({
      compliancePercent: null,
      compliancePercentWithExceptions: null,
    });
  });
});
