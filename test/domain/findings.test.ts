import { describe, expect, it } from 'vitest';
import type { Drift } from '../../src/domain/drift.js';
import { nodeMismatchEpisodes, remediationStatistics, slaBreachEpisodes, type ImageRun, type NodeCheckObservation } from '../../src/domain/findings.js';

const drift = (status: Drift['status'], breachAt: string | null): Drift => ({
  imageFamily: 'F',
  imageReleaseDate: null,
  imageAgeDays: null,
  latestReleaseDate: null,
  daysBehindLatest: null,
  releasesBehind: null,
  supersededAt: breachAt === null ? null : '2026-09-01T00:00:00.000Z',
  supersededAtSource: breachAt === null ? null : 'observed',
  exposureDays: null,
  firstSeenBehindAt: null,
  breachAt,
  status,
  policyRule: 'default',
  slaDays: 30,
  exceptionId: null,
});

/** A run from `startedAt` to `endedAt`, with its drift at start and end given as [status, breachAt]. */
function run(runId: number, startedAt: string, endedAt: string | null, atStart: [Drift['status'], string | null], atEnd: [Drift['status'], string | null], endedBy: ImageRun['endedBy'] = endedAt ? 'image_change' : null): ImageRun {
  return { runId, image: `img-${runId}`, startedAt, endedAt, endedBy, atStart: () => drift(...atStart), atEnd: () => drift(...atEnd) };
}

const NOW = '2026-12-01T00:00:00.000Z';

describe('slaBreachEpisodes', () => {
  it.each<[string, ImageRun[], object[]]>([
    ['a pool that never breaches has none', [run(1, '2026-09-01T00:00:00Z', null, ['within_policy', '2026-12-05T00:00:00Z'], ['within_policy', '2026-12-05T00:00:00Z'])], []],
    [
      'an open breach opens at the breach instant',
      [run(1, '2026-09-01T00:00:00Z', null, ['within_policy', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z'])],
      [{ firstRunId: 1, openedAt: '2026-10-01T00:00:00Z', closedAt: null, resolution: null }],
    ],
    [
      'an upgrade back within policy remediates it at the snapshot that saw it',
      [
        run(1, '2026-09-01T00:00:00Z', '2026-10-10T00:00:00Z', ['within_policy', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z']),
        run(2, '2026-10-10T00:00:00Z', null, ['current', null], ['current', null]),
      ],
      [{ openedAt: '2026-10-01T00:00:00Z', closedAt: '2026-10-10T00:00:00Z', resolution: 'remediated', imageAtClose: 'img-2' }],
    ],
    [
      'an upgrade to an image already beyond its SLA continues the episode',
      [
        run(1, '2026-09-01T00:00:00Z', '2026-10-10T00:00:00Z', ['within_policy', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z']),
        run(2, '2026-10-10T00:00:00Z', '2026-11-01T00:00:00Z', ['non_compliant', '2026-10-05T00:00:00Z'], ['non_compliant', '2026-10-05T00:00:00Z']),
        run(3, '2026-11-01T00:00:00Z', null, ['current', null], ['current', null]),
      ],
      [{ firstRunId: 1, openedAt: '2026-10-01T00:00:00Z', closedAt: '2026-11-01T00:00:00Z', resolution: 'remediated' }],
    ],
    [
      'a pool deleted while in breach retires it',
      [run(1, '2026-09-01T00:00:00Z', '2026-10-20T00:00:00Z', ['within_policy', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z'], 'deleted')],
      [{ closedAt: '2026-10-20T00:00:00Z', resolution: 'retired' }],
    ],
    [
      'an exception does not end an episode (state is derived at t), and an unknown status with a passed breach counts',
      [run(1, '2026-09-01T00:00:00Z', null, ['excepted', '2026-10-01T00:00:00Z'], ['unknown', '2026-10-01T00:00:00Z'])],
      [{ openedAt: '2026-10-01T00:00:00Z', closedAt: null }],
    ],
    [
      'two separate episodes when the pool came back within policy in between',
      [
        run(1, '2026-09-01T00:00:00Z', '2026-10-10T00:00:00Z', ['within_policy', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z']),
        run(2, '2026-10-10T00:00:00Z', null, ['within_policy', '2026-11-10T00:00:00Z'], ['non_compliant', '2026-11-10T00:00:00Z']),
      ],
      [
        { firstRunId: 1, closedAt: '2026-10-10T00:00:00Z' },
        { firstRunId: 2, openedAt: '2026-11-10T00:00:00Z', closedAt: null },
      ],
    ],
  ])('%s', (_name, runs, expected) => {
    const episodes = slaBreachEpisodes(runs, NOW);
    expect(episodes).toHaveLength(expected.length);
    expected.forEach((episode, i) => expect(episodes[i]).toMatchObject(episode));
  });

  it('asked from a date, derives exactly the episodes that reach it, evaluating no earlier runs than needed', () => {
    const evaluated: number[] = [];
    const tracked = (r: ImageRun): ImageRun => ({
      ...r,
      atStart: () => (evaluated.push(r.runId), r.atStart()),
      atEnd: () => (evaluated.push(r.runId), r.atEnd()),
    });
    const runs = [
      run(1, '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z', ['within_policy', '2026-06-20T00:00:00Z'], ['non_compliant', '2026-06-20T00:00:00Z']),
      run(2, '2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z', ['current', null], ['current', null]),
      run(3, '2026-08-01T00:00:00Z', '2026-10-15T00:00:00Z', ['within_policy', '2026-09-01T00:00:00Z'], ['non_compliant', '2026-09-01T00:00:00Z']),
      run(4, '2026-10-15T00:00:00Z', null, ['non_compliant', '2026-10-01T00:00:00Z'], ['non_compliant', '2026-10-01T00:00:00Z']),
    ].map(tracked);
    const all = slaBreachEpisodes(runs, NOW);
    evaluated.length = 0;
    const recent = slaBreachEpisodes(runs, NOW, '2026-11-01T00:00:00.000Z');
    expect(recent).toEqual(all.filter((e) => e.closedAt === null || e.closedAt >= '2026-11-01T00:00:00.000Z'));
    expect(recent).toEqual([expect.objectContaining({ firstRunId: 3, openedAt: '2026-09-01T00:00:00Z', closedAt: null })]);
    expect(Math.min(...evaluated)).toBe(3);
  });
});

describe('remediationStatistics', () => {
  it('gives the mean and nearest-rank p90 in hours, or null without data', () => {
    expect(remediationStatistics([])).toEqual({ mean: null, p90: null });
    expect(remediationStatistics([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).toEqual({ mean: 55, p90: 90 });
    expect(remediationStatistics([1.25])).toEqual({ mean: 1.3, p90: 1.3 });
  });
});

describe('node_mismatch episodes', () => {
  const at = (day: number) => `2026-10-${String(day).padStart(2, '0')}T03:30:00.000Z`;
  const seen = (checkId: number, verdict: NodeCheckObservation['verdict'], nodeVersions: Record<string, number> = {}): NodeCheckObservation => ({ checkId, at: at(checkId), verdict, poolVersion: 'v2', nodeVersions });

  it('opens at the first disagreeing check, survives checks that cannot judge, and is remediated by agreement', () => {
    expect(nodeMismatchEpisodes([seen(1, 'match'), seen(2, 'mismatch', { v1: 3 }), seen(3, 'unreachable'), seen(4, 'skipped'), seen(5, 'no_nodes'), seen(6, 'mismatch', { v1: 1, v2: 2 }), seen(7, 'match', { v2: 3 })])).toEqual([
      { firstCheckId: 2, openedAt: at(2), closedAt: at(7), resolution: 'remediated', poolVersion: 'v2', nodeVersionsAtOpen: { v1: 3 }, nodeVersionsAtClose: { v2: 3 } },
    ]);
  });

  it('retires an episode when the pool is gone, stays open while it lasts, and starts a new episode on a new disagreement', () => {
    expect(nodeMismatchEpisodes([seen(1, 'mismatch'), seen(2, 'absent'), seen(3, 'mismatch')]).map((e) => [e.firstCheckId, e.resolution, e.closedAt])).toEqual([
      [1, 'retired', at(2)],
      [3, null, null],
    ]);
    expect(nodeMismatchEpisodes([seen(1, 'match'), seen(2, 'absent')])).toEqual([]);
  });
});
