import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { FleetCluster } from '../../src/emulator/types.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { pdfText } from '../helpers/report-history.js';
import { createTestServices, FAST_RETRY, testConfig } from '../helpers/service.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202611.10.0`;
const KUBERNETES_RETRY = { ...FAST_RETRY, maxAttempts: 2, perRequestTimeoutInMs: 2_000 };
type Role = 'auditor' | 'operator' | 'admin';
type Check = { name: string; verdict?: string; ok?: boolean; observed?: Record<string, any>; [key: string]: any };

/** One cluster: a system pool and a three-node user pool behind the latest image, read through its own API server. */
async function harness(overrides: Partial<FleetCluster> = {}, settleMs = 3_000) {
  const emulator = await startTestEmulator(
    {
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: NEW } },
      subscriptions: [
        {
          id: SUB_1,
          clusters: [
            cluster('aks-pay', [pool('system', { nodeImageVersion: NEW, mode: 'System', count: 2 }), pool('user', { nodeImageVersion: OLD, count: 3, upgradeSettings: { maxSurge: '1' } })], overrides),
            cluster('aks-web', [pool('system', { nodeImageVersion: NEW, mode: 'System', count: 1 })]),
          ],
        },
      ],
    },
    { upgradeDurationMs: 600 },
  );
  const { services } = createTestServices(testConfig(emulator), { upgradeIntervalInMs: 40, kubernetesRetry: KUBERNETES_RETRY, nodeSettleTimeoutInMs: settleMs });
  await services.snapshotService.run('cli', 'test');
  services.upgradeRunner.start();
  const app = await buildApp({ services });
  const keys = Object.fromEntries((['auditor', 'operator', 'admin'] as const).map((role) => [role, services.keyService.create({ name: role, role, expiresAt: null, actor: 'test' }).key])) as Record<Role, string>;
  const [payId, webId] = emulator.fleet.listClusterIds() as [string, string];
  const call = async (as: Role, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[as]}`, ...headers }, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: String(response.headers['content-type'] ?? '').includes('json') ? (response.json() as Record<string, any>) : {}, raw: response };
  };
  const start = (as: Role, body: object = {}) => call(as, 'POST', '/api/v1/upgrades', { clusterId: payId, pools: ['user'], reason: 'patch', ...body }, { 'idempotency-key': `k-${Math.random()}` });
  const finished = async (id: string) => {
    await services.upgradeRunner.idle();
    return (await call('auditor', 'GET', `/api/v1/upgrades/${id}`)).body;
  };
  const check = (checks: Check[], name: string) => checks.find((c) => c.name === name);
  const postchecks = (run: Record<string, any>) => run.timeline.find((e: { event: string }) => e.event === 'postchecks').data.checks as Check[];
  return { emulator, services, app, call, start, finished, check, postchecks, payId, webId };
}

describe('node-level evidence of an upgrade', () => {
  it('pre-checks the nodes, records every node transition, and proves each node Ready on the target image', async () => {
    const h = await harness();
    const started = await h.start('operator');
    expect(started.status).toBe(202);
    const run = await h.finished(started.body.id);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');

    expect(h.check(run.prechecks, 'kubernetes_api')).toMatchObject({ verdict: 'ok', observed: { reachable: true } });
    expect(h.check(run.prechecks, 'nodes:user')).toMatchObject({ verdict: 'ok', observed: { nodes: 3, ready: 3, images: { [OLD]: 3 } } });
    expect(h.check(run.prechecks, 'pod_disruption_budgets:user')).toMatchObject({ verdict: 'ok', observed: { blocking: [] } });
    expect(h.check(run.prechecks, 'surge_capacity:user')).toMatchObject({ observed: { surgeNodes: 1, nodesDuringUpgrade: 4 } });

    // During: the first look lists the three nodes, then the transitions as the emulator's AKS moves them.
    const progress = run.timeline.filter((e: { event: string }) => e.event === 'progress').map((e: { data: Record<string, any> }) => e.data);
    const firstLook = progress.find((d: Record<string, any>) => d.nodes);
    expect(firstLook.nodes).toHaveLength(3);
    const transitions = progress.flatMap((d: Record<string, any>) => d.nodeTransitions ?? []);
    const kinds = new Set(transitions.map((t: { type: string }) => t.type));
    for (const kind of ['node_added', 'node_cordoned', 'node_removed']) expect(kinds, JSON.stringify(transitions)).toContain(kind);
    expect(transitions.filter((t: { type: string; image: string }) => t.type === 'node_added').every((t: { image: string }) => t.image === NEW)).toBe(true);

    // After: node by node, all Ready, schedulable and on the target image; no pod left unhealthy.
    const post = h.postchecks(run);
    const nodes = h.check(post, 'nodes:user')!;
    expect(nodes.ok).toBe(true);
    expect(nodes.nodes).toHaveLength(3);
    expect(nodes.nodes.every((n: { ready: boolean; image: string; cordoned: boolean }) => n.ready && n.image === NEW && !n.cordoned)).toBe(true);
    expect(h.check(post, 'pods:user')).toMatchObject({ ok: true, newlyUnhealthy: [] });

    const certificate = (await pdfText((await h.call('auditor', 'GET', `/api/v1/upgrades/${run.id}/evidence?format=pdf`)).raw.rawPayload)).replace(/\s+/g, ' ');
    expect(certificate).toContain('Nodes after the upgrade');
    expect(certificate).toContain('1 of 1 pools with every node Ready on the target image');
    for (const node of nodes.nodes) expect(certificate).toContain(node.name);
    // The export itself is evidence: who took the certificate, when.
    const exports = [...h.services.evidenceRepo.entries()].filter((e) => e.kind === 'evidence_exported' && e.subject === `upgrade:${run.id}`);
    expect(exports.map((e) => ({ actor: e.actor, body: JSON.parse(e.body) }))).toEqual([{ actor: 'key:auditor', body: { export: 'upgrade_run', runId: run.id, format: 'pdf' } }]);
  });

  it('refuses a run whose drain a PodDisruptionBudget would block, naming it, and lets an admin override it with a reason', async () => {
    const h = await harness();
    h.emulator.fleet.addBlockingPdb(h.payId, 'user');
    const refused = await h.start('operator');
    expect(refused.status).toBe(202);
    const blocked = await h.finished(refused.body.id);
    expect(blocked.status).toBe('blocked');
    const budgets = h.check(blocked.prechecks, 'pod_disruption_budgets:user')!;
    expect(budgets.verdict).toBe('block');
    expect(budgets.observed!.blocking).toEqual([expect.objectContaining({ namespace: expect.any(String), name: expect.any(String), selector: expect.stringContaining('='), disruptionsAllowed: 0 })]);
    expect(blocked.error).toMatchObject({ code: 'precheck_blocked', message: expect.stringContaining('pod_disruption_budgets:user') });

    expect((await h.start('operator', { overrideBlocks: { reason: 'singleton may restart' } })).status).toBe(403);
    const overridden = await h.start('admin', { overrideBlocks: { reason: 'singleton may restart' } });
    expect(overridden.status).toBe(202);
    const run = await h.finished(overridden.body.id);
    expect(h.check(run.prechecks, 'override_blocks')).toMatchObject({ verdict: 'warn', observed: { reason: 'singleton may restart', overridden: ['pod_disruption_budgets:user'] } });
    // Allowed to start; AKS then cannot drain the node, and the run records how it ended.
    expect(run.timeline.map((e: { event: string }) => e.event)).toContain('submitted');
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run.pools[0].error)).toMatch(/disruption budget|PDB/i);
  });

  it('fails the post-check, after its bound, when a node never becomes Ready — though ARM reports success', async () => {
    const h = await harness({}, 800);
    h.emulator.fleet.setNodeNeverReady(h.payId, 'user');
    const run = await h.finished((await h.start('operator')).body.id);
    expect(run.pools[0]).toMatchObject({ status: 'succeeded', imageAfter: NEW });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'postcheck_failed', message: expect.stringContaining('nodes:user') });
    const nodes = h.check(h.postchecks(run), 'nodes:user')!;
    expect(nodes.ok).toBe(false);
    expect(nodes.waitedSeconds).toBeGreaterThanOrEqual(0.7);
    expect(nodes.stragglers).toEqual([expect.objectContaining({ ready: false })]);
    expect(nodes.nodes.find((n: { ready: boolean }) => !n.ready).notReadyReason).toBeTruthy();
  });

  it('records an unreachable API server and runs on ARM evidence alone', async () => {
    const h = await harness();
    h.emulator.fleet.setApiServerReachable(h.payId, false);
    const run = await h.finished((await h.start('operator')).body.id);
    expect(run.status).toBe('succeeded');
    expect(h.check(run.prechecks, 'kubernetes_api')).toMatchObject({ verdict: 'warn', observed: { reachable: false } });
    expect(h.check(run.prechecks, 'nodes:user')).toBeUndefined();
    expect(h.check(h.postchecks(run), 'kubernetes_api')).toMatchObject({ ok: true, reachable: false });
  });

  it('never sends a mutating verb to a cluster', async () => {
    const h = await harness();
    await h.finished((await h.start('operator')).body.id);
    await h.services.nodeChecks.run('cli', 'test');
    const requests = h.emulator.kubernetesRequests();
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(requests.filter((r) => /watch=|\/eviction/.test(`${r.path}?${r.query}`))).toEqual([]);
  });
});

describe('the node-level cross-check', () => {
  it('opens a node_mismatch finding where node labels disagree with ARM, and records it remediated once they agree', async () => {
    const h = await harness();
    h.emulator.fleet.setNodeImageLabel(h.webId, 'system', OLD);
    const first = await h.services.nodeChecks.run('cli', 'test');
    expect(first).toMatchObject({ status: 'succeeded', clusters: 2, mismatches: 1, unreachable: 0 });
    const results = (await h.call('auditor', 'GET', `/api/v1/node-checks/${first.id}`)).body.results as Record<string, any>[];
    expect(results.find((r) => r.clusterId === h.webId && r.poolName === 'system')).toMatchObject({ verdict: 'mismatch', poolVersion: NEW, nodeVersions: { [OLD]: 1 } });
    expect(results.filter((r) => r.verdict === 'match')).toHaveLength(2);

    const open = (await h.call('auditor', 'GET', '/api/v1/findings?kind=node_mismatch')).body.items as Record<string, any>[];
    expect(open).toEqual([expect.objectContaining({ kind: 'node_mismatch', state: 'open', clusterId: h.webId, poolName: 'system', detail: expect.objectContaining({ poolVersion: NEW }) })]);
    expect(h.services.evidenceRepo.lastEntry()).toBeTruthy();

    h.emulator.fleet.setNodeImageLabel(h.webId, 'system', NEW);
    const second = await h.services.nodeChecks.run('cli', 'test');
    expect(second.mismatches).toBe(0);
    const closed = (await h.call('auditor', 'GET', '/api/v1/findings?kind=node_mismatch')).body.items as Record<string, any>[];
    expect(closed).toEqual([expect.objectContaining({ id: open[0]!.id, state: 'remediated', closedAt: second.finishedAt })]);
  });

  it('records an unreachable cluster without failing the others, and starts from the API for operators only', async () => {
    const h = await harness();
    h.emulator.fleet.setApiServerReachable(h.payId, false);
    expect((await h.call('auditor', 'POST', '/api/v1/node-checks', {})).status).toBe(403);
    const started = await h.call('operator', 'POST', '/api/v1/node-checks', {});
    expect(started.status).toBe(202);
    await h.services.nodeChecks.drain();
    const check = (await h.call('auditor', 'GET', `/api/v1/node-checks/${started.body.id}`)).body;
    expect(check).toMatchObject({ status: 'partial', clusters: 2, unreachable: 1, mismatches: 0, trigger: 'api', requestedBy: 'key:operator' });
    expect(check.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clusterId: h.payId, poolName: null, verdict: 'unreachable', detail: { error: expect.any(String) } }),
        expect.objectContaining({ clusterId: h.webId, poolName: 'system', verdict: 'match' }),
      ]),
    );
    expect((await h.call('auditor', 'GET', '/api/v1/node-checks')).body.items).toHaveLength(1);
    expect((await h.call('auditor', 'GET', '/api/v1/node-checks/999')).status).toBe(404);
  });
});
