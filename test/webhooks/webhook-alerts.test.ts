import { describe, expect, it } from 'vitest';
import type { ExceptionRecord } from '../../src/domain/exceptions.js';
import { evaluateAlerts, LIST_CAP, type AlertCondition, type AlertState } from '../../src/domain/webhook-alerts.js';
import { alertConditions, type AlertFacts, type RunFact } from '../../src/domain/webhook-conditions.js';
import { backoffDelayInMs, judgeAttempt, retryAfterInMs, WEBHOOK_RETRY_POLICY } from '../../src/domain/webhook-retry.js';
import { signatureHeader, verifySignatureHeader } from '../../src/lib/webhook-signature.js';

const AT = new Date('2026-10-10T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (offsetInMs: number) => new Date(AT.getTime() + offsetInMs).toISOString();

const facts = (overrides: Partial<AlertFacts> = {}): AlertFacts => ({
  at: AT,
  lastSucceededFleetSnapshotAt: iso(-10 * 60_000),
  pools: [],
  exceptions: [],
  runs: [],
  ledger: { intact: true, at: iso(-HOUR) },
  ...overrides,
});

const pool = (name: string, breachAt: string | null) => ({
  key: `/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/managedclusters/aks/${name}`,
  clusterId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks',
  subscriptionId: 's',
  poolName: name,
  nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202609.02.0',
  latestNodeImageVersion: 'AKSUbuntu-2204gen2containerd-202610.01.0',
  breachAt,
  unknown: false,
});

const exception = (id: string, expiresAt: string, events: ExceptionRecord['events'] = [{ action: 'approved', actor: 'key:admin', at: iso(-10 * DAY), reason: null }]): ExceptionRecord => ({
  id,
  scope: { kind: 'cluster', clusterId: 'c' },
  reason: 'r',
  compensatingControl: 'c',
  ticket: 'RISK-1',
  expiresAt,
  requestedBy: 'key:ops',
  requestedAt: iso(-11 * DAY),
  events,
});

const run = (id: string, status: string, createdAt: string, finishedAt: string | null = null): RunFact => ({
  id,
  clusterId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-prod',
  status,
  requestedBy: 'key:ops',
  createdAt,
  finishedAt,
  approvalExpiresAt: null,
  error: status === 'failed' ? { code: 'pool_failed', message: 'Drain failed' } : null,
});

const keys = (conditions: readonly AlertCondition[]) => conditions.map((c) => c.key).sort();

describe('alertConditions (the alert rules, from the facts)', () => {
  it.each([
    ['a recent snapshot, nothing due: nothing holds', facts(), []],
    ['no fleet snapshot ever', facts({ lastSucceededFleetSnapshotAt: null }), ['no_fleet_snapshot']],
    ['the last snapshot 2 h ago exactly: not yet stale', facts({ lastSucceededFleetSnapshotAt: iso(-2 * HOUR) }), []],
    ['the last snapshot over 2 h ago', facts({ lastSucceededFleetSnapshotAt: iso(-2 * HOUR - 1) }), ['snapshot_stale']],
    ['a ledger found not intact', facts({ ledger: { intact: false, at: iso(0) } }), ['ledger_verification_failed']],
  ])('%s', (_name, input, expected) => {
    expect(keys(alertConditions(input).conditions)).toEqual(expected);
  });

  it('pools due within 7 days: after now, at most 7 days ahead (as the gauge counts them)', () => {
    const { conditions } = alertConditions(
      facts({ pools: [pool('past', iso(-1)), pool('now', iso(0)), pool('soon', iso(DAY)), pool('edge', iso(7 * DAY)), pool('later', iso(7 * DAY + 1)), pool('current', null)] }),
    );
    expect(conditions.map((c) => c.details.poolName)).toEqual(['soon', 'edge']);
    expect(conditions[0]).toMatchObject({ event: 'sla_breach_due', details: { clusterId: expect.stringContaining('aks'), breachAt: iso(DAY) } });
  });

  it('approved exceptions in force expiring within 7 days; not a requested, revoked or lapsed one', () => {
    const revoked = exception('revoked', iso(DAY), [
      { action: 'approved', actor: 'a', at: iso(-2 * DAY), reason: null },
      { action: 'revoked', actor: 'a', at: iso(-DAY), reason: null },
    ]);
    const { conditions } = alertConditions(facts({ exceptions: [exception('soon', iso(DAY)), exception('later', iso(8 * DAY)), exception('lapsed', iso(-1)), exception('requested', iso(DAY), []), revoked] }));
    expect(keys(conditions)).toEqual(['exception_expiring:soon']);
  });

  it('runs: failed in the last 24 h, and waiting for approval for an hour or more', () => {
    const { conditions } = alertConditions(
      facts({
        runs: [run('f-new', 'failed', iso(-2 * HOUR), iso(-HOUR)), run('f-old', 'failed', iso(-30 * HOUR), iso(-25 * HOUR)), run('w-long', 'pending_approval', iso(-HOUR)), run('w-short', 'pending_approval', iso(-HOUR + 1))],
      }),
    );
    expect(keys(conditions)).toEqual(['upgrade_awaiting_approval:w-long', 'upgrade_failed:f-new']);
  });

  it('sources that could not be read are unknown, not clear; so is a pool whose status is unknown', () => {
    expect(alertConditions(facts({ pools: null, exceptions: null, ledger: null })).unknown).toEqual(['sla_breach_due', 'exception_expiring', 'ledger_verification_failed']);
    const unread = { ...pool('unread', null), unknown: true };
    expect(alertConditions(facts({ pools: [unread, { ...pool('failed-sub', iso(DAY)), unknown: true }] }))).toMatchObject({
      conditions: [{ key: 'sla_breach_due:' + pool('failed-sub', null).key }],
      unknownKeys: ['sla_breach_due:' + unread.key],
    });
  });
});

describe('evaluateAlerts (transitions against the stored state)', () => {
  const stale: AlertCondition = { key: 'snapshot_stale', event: 'snapshot_stale', details: { lastSucceededAt: iso(-3 * HOUR) } };
  const apply = (previous: readonly AlertState[], result: ReturnType<typeof evaluateAlerts>): AlertState[] => {
    const byKey = new Map(previous.map((s) => [s.key, s]));
    for (const key of result.removals) byKey.delete(key);
    for (const state of result.upserts) byKey.set(state.key, state);
    return [...byKey.values()];
  };

  it('a condition that stays true fires once; resolved once when it clears; then nothing', () => {
    const first = evaluateAlerts({ at: AT, conditions: [stale], previous: [] });
    expect(first.notifications).toEqual([{ event: 'snapshot_stale', status: 'firing', summary: expect.stringContaining('No successful fleet snapshot'), details: stale.details }]);
    let state = apply([], first);
    const second = evaluateAlerts({ at: new Date(AT.getTime() + HOUR), conditions: [stale], previous: state });
    expect(second).toEqual({ upserts: [], removals: [], notifications: [] });
    const cleared = evaluateAlerts({ at: new Date(AT.getTime() + 2 * HOUR), conditions: [], previous: state });
    expect(cleared.notifications).toEqual([expect.objectContaining({ event: 'snapshot_stale', status: 'resolved', details: stale.details })]);
    state = apply(state, cleared);
    expect(state).toEqual([]);
    expect(evaluateAlerts({ at: AT, conditions: [], previous: state }).notifications).toEqual([]);
  });

  it('no_fleet_snapshot waits out its 2 h `for` (kept across evaluations as pending), and a pending one clears silently', () => {
    const condition: AlertCondition = { key: 'no_fleet_snapshot', event: 'no_fleet_snapshot', details: {} };
    const first = evaluateAlerts({ at: AT, conditions: [condition], previous: [] });
    expect(first.notifications).toEqual([]);
    expect(first.upserts).toEqual([{ key: 'no_fleet_snapshot', event: 'no_fleet_snapshot', state: 'pending', since: AT.toISOString(), details: {} }]);
    const early = evaluateAlerts({ at: new Date(AT.getTime() + 2 * HOUR - 1), conditions: [condition], previous: apply([], first) });
    expect(early.notifications).toEqual([]);
    const due = evaluateAlerts({ at: new Date(AT.getTime() + 2 * HOUR), conditions: [condition], previous: apply([], first) });
    expect(due.notifications.map((n) => n.status)).toEqual(['firing']);
    expect(evaluateAlerts({ at: AT, conditions: [], previous: apply([], first) })).toEqual({ upserts: [], removals: ['no_fleet_snapshot'], notifications: [] });
  });

  it('pools are grouped: one delivery lists those that started (capped), another those that stopped, saying which breached', () => {
    const due = Array.from({ length: LIST_CAP + 5 }, (_, i) => ({ key: `sla_breach_due:p${i}`, event: 'sla_breach_due' as const, details: { poolName: `p${i}`, breachAt: iso(DAY) } }));
    const first = evaluateAlerts({ at: AT, conditions: due, previous: [] });
    expect(first.notifications).toHaveLength(1);
    expect(first.notifications[0]).toMatchObject({ event: 'sla_breach_due', status: 'firing', details: { count: LIST_CAP + 5, truncated: true, firingCount: LIST_CAP + 5 } });
    expect((first.notifications[0]!.details.pools as unknown[]).length).toBe(LIST_CAP);
    expect(first.notifications[0]!.summary).toBe(`${LIST_CAP + 5} node pools will breach the patch SLA within 7 days (${LIST_CAP + 5} in all)`);
    const state = apply([], first);
    // One more pool joins: only it is announced. Two leave: one breached (its instant passed), one upgraded.
    const later = new Date(AT.getTime() + DAY);
    const upgradedEarly = state.find((s) => s.key === 'sla_breach_due:p1')!;
    const moved = [...due.slice(2), { key: 'sla_breach_due:new', event: 'sla_breach_due' as const, details: { poolName: 'new', breachAt: iso(3 * DAY) } }];
    const next = evaluateAlerts({ at: later, conditions: moved, previous: state.map((s) => (s === upgradedEarly ? { ...s, details: { ...s.details, breachAt: iso(2 * DAY) } } : s)) });
    expect(next.notifications.map((n) => [n.status, n.details.count])).toEqual([['firing', 1], ['resolved', 2]]);
    expect(next.notifications[0]!.details.pools).toEqual([{ poolName: 'new', breachAt: iso(3 * DAY) }]);
    expect(next.notifications[1]!.details.pools).toEqual([
      { poolName: 'p0', breachAt: iso(DAY), breached: true },
      { poolName: 'p1', breachAt: iso(2 * DAY), breached: false },
    ]);
    expect(next.notifications[1]!.summary).toBe('2 node pools no longer due within 7 days: 1 breached the SLA, 1 upgraded, deleted or given a longer SLA');
  });

  it('a moved breach instant updates the stored details without a delivery', () => {
    const condition = (breachAt: string): AlertCondition => ({ key: 'sla_breach_due:p', event: 'sla_breach_due', details: { poolName: 'p', breachAt } });
    const state = apply([], evaluateAlerts({ at: AT, conditions: [condition(iso(DAY))], previous: [] }));
    const moved = evaluateAlerts({ at: AT, conditions: [condition(iso(2 * DAY))], previous: state });
    expect(moved.notifications).toEqual([]);
    expect(moved.upserts).toEqual([expect.objectContaining({ state: 'firing', since: AT.toISOString(), details: { poolName: 'p', breachAt: iso(2 * DAY) } })]);
  });

  it('a failed run fires once per run and is forgotten without a resolved', () => {
    const failed: AlertCondition = { key: 'upgrade_failed:r1', event: 'upgrade_failed', details: { runId: 'r1', clusterId: '/x/managedClusters/aks-prod', error: { code: 'c', message: 'Drain failed' } } };
    const first = evaluateAlerts({ at: AT, conditions: [failed], previous: [] });
    expect(first.notifications).toEqual([expect.objectContaining({ event: 'upgrade_failed', status: 'firing', summary: 'Upgrade run r1 on aks-prod failed: Drain failed' })]);
    expect(evaluateAlerts({ at: AT, conditions: [], previous: apply([], first) })).toEqual({ upserts: [], removals: ['upgrade_failed:r1'], notifications: [] });
  });

  it('an unknown source keeps its alerts: no resolved for a fleet that could not be evaluated, or a pool that could not', () => {
    const state: AlertState[] = [{ key: 'sla_breach_due:p', event: 'sla_breach_due', state: 'firing', since: AT.toISOString(), details: {} }];
    expect(evaluateAlerts({ at: AT, conditions: [], unknown: ['sla_breach_due'], previous: state })).toEqual({ upserts: [], removals: [], notifications: [] });
    expect(evaluateAlerts({ at: AT, conditions: [], unknownKeys: ['sla_breach_due:p'], previous: state })).toEqual({ upserts: [], removals: [], notifications: [] });
    expect(evaluateAlerts({ at: AT, conditions: [], unknownKeys: ['sla_breach_due:q'], previous: state }).notifications).toHaveLength(1);
  });
});

describe('retries (the delivery schedule)', () => {
  const policy = WEBHOOK_RETRY_POLICY;
  it('8 attempts over about a day: 30 s × 4^n, capped at 12 h, ±20 % jitter', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelayInMs(policy, attempt, 0.5));
    expect(waits).toEqual([30_000, 120_000, 480_000, 1_920_000, 7_680_000, 30_720_000, 43_200_000]);
    const total = waits.reduce((a, b) => a + b, 0);
    expect(total / HOUR).toBeGreaterThan(20);
    expect(total / HOUR).toBeLessThan(26);
    expect(backoffDelayInMs(policy, 1, 0)).toBe(24_000);
    expect(backoffDelayInMs(policy, 1, 0.999_999)).toBeCloseTo(36_000, -1);
  });

  it.each([
    ['200', { statusCode: 200, retryAfter: null }, 1, { outcome: 'delivered' }],
    ['204', { statusCode: 204, retryAfter: null }, 1, { outcome: 'delivered' }],
    ['500', { statusCode: 500, retryAfter: null }, 1, { outcome: 'retry', delayInMs: 30_000, error: 'HTTP 500' }],
    ['503 with Retry-After', { statusCode: 503, retryAfter: '7' }, 1, { outcome: 'retry', delayInMs: 7_000, error: 'HTTP 503' }],
    ['408', { statusCode: 408, retryAfter: null }, 2, { outcome: 'retry', delayInMs: 120_000, error: 'HTTP 408' }],
    ['429 with Retry-After', { statusCode: 429, retryAfter: '120' }, 1, { outcome: 'retry', delayInMs: 120_000, error: 'HTTP 429' }],
    ['429 asking for 2 days (capped)', { statusCode: 429, retryAfter: String(2 * 86_400) }, 1, { outcome: 'retry', delayInMs: 12 * HOUR, error: 'HTTP 429' }],
    ['no answer', { error: 'network error: ECONNRESET' }, 1, { outcome: 'retry', delayInMs: 30_000, error: 'network error: ECONNRESET' }],
    ['400', { statusCode: 400, retryAfter: null }, 1, { outcome: 'failed', error: 'HTTP 400' }],
    ['401', { statusCode: 401, retryAfter: null }, 1, { outcome: 'failed', error: 'HTTP 401' }],
    ['410', { statusCode: 410, retryAfter: '5' }, 1, { outcome: 'failed', error: 'HTTP 410' }],
    ['302', { statusCode: 302, retryAfter: null }, 1, { outcome: 'failed', error: 'HTTP 302: redirects are not followed' }],
    ['500 on the last attempt', { statusCode: 500, retryAfter: null }, 8, { outcome: 'failed', error: 'HTTP 500 (gave up after 8 attempts)' }],
  ] as const)('%s', (_name, result, attempts, verdict) => {
    expect(judgeAttempt(result, attempts, policy, AT, 0.5)).toEqual(verdict);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterInMs('30', AT)).toBe(30_000);
    expect(retryAfterInMs(new Date(AT.getTime() + 90_000).toUTCString(), AT)).toBe(90_000);
    expect(retryAfterInMs('soon', AT)).toBeNull();
    expect(retryAfterInMs(null, AT)).toBeNull();
  });
});

describe('the signature', () => {
  const secret = 'a'.repeat(32);
  const body = '{"id":"d1","event":"snapshot_stale"}';
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, verified with the secret only, within the tolerance', () => {
    const header = signatureHeader(secret, body, 1_800_000_000.9);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignatureHeader(header, body, secret, 1_800_000_100)).toBe(true);
    expect(verifySignatureHeader(header, body, 'b'.repeat(32), 1_800_000_100)).toBe(false);
    expect(verifySignatureHeader(header, `${body} `, secret, 1_800_000_100)).toBe(false);
    expect(verifySignatureHeader(header, body, secret, 1_800_000_301)).toBe(false);
    expect(verifySignatureHeader(header.replace('t=1800000000', 't=1800000001'), body, secret, 1_800_000_100)).toBe(false);
    expect(verifySignatureHeader('garbage', body, secret, 1_800_000_100)).toBe(false);
  });
});
