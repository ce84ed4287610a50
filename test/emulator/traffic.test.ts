import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { writeTrafficFiles } from '../../src/emulator/index.js';
import type { TrafficEntry } from '../../src/emulator/index.js';
import { SUB_A, TENANT, clientsFor, rawFetch, smallFleet, startTestEmulator } from './emulator-test-kit.js';

import { AKS_SPEC, ARG_SPEC, NOT_IN_AKS_SPEC, validateTraffic as validate } from '../helpers/oav.js';
const POLL = { updateIntervalInMs: 20 };

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}


describe('traffic recording', () => {
  it('records oav-shaped request/response pairs with secrets redacted, and counts calls per operation', async () => {
    const client = { tenantId: TENANT, clientId: 'app-1', clientSecret: 'do-not-record' };
    const emulator = await startTestEmulator({ fleet: smallFleet(), recordTraffic: true, clients: [client] });
    const { graph, aks } = clientsFor(emulator);
    await graph.resources({ query: 'resources | project id | order by id asc', subscriptions: [SUB_A], options: { top: 1 } });
    await aks(SUB_A).agentPools.getUpgradeProfile('rg-test', 'aks-a1', 'system');
    await rawFetch(emulator, `/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST', token: null, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'app-1', client_secret: 'do-not-record', scope: 'https://management.azure.com/.default' }).toString(),
    });

    const [query, profile, token] = emulator.traffic() as [TrafficEntry, TrafficEntry, TrafficEntry];
    expect(query.operation).toBe('resources');
    expect(query.liveRequest).toMatchObject({
      method: 'POST',
      url: `${emulator.url}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01`,
      headers: { authorization: 'Bearer <redacted>', 'content-type': 'application/json' },
      body: { subscriptions: [SUB_A], query: 'resources | project id | order by id asc', options: { $top: 1 } },
    });
    expect(query.liveResponse).toMatchObject({ statusCode: '200', headers: { 'x-ms-user-quota-remaining': '14' }, body: { count: 1, totalRecords: 2, resultTruncated: 'false' } });
    expect(profile.liveRequest.body).toBeUndefined();
    expect(profile.liveResponse.body).toMatchObject({ name: 'default', properties: { osType: 'Linux' } });
    expect(token.liveRequest.body).toMatchObject({ client_id: 'app-1', client_secret: '<redacted>' });
    expect(token.liveResponse.body).toMatchObject({ access_token: '<redacted>' });
    expect(JSON.stringify(emulator.traffic())).not.toContain(emulator.token);
    expect(emulator.callCounts()).toEqual({ resources: 1, 'agentPools.getUpgradeProfile': 1, token: 1 });
    emulator.clearTraffic();
    expect(emulator.traffic()).toEqual([]);
  });

  it('produces traffic that oav validate-traffic accepts against the AKS 2026-06-01 and Resource Graph 2024-04-01 specs', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), recordTraffic: true, listPageSize: 1 });
    const { graph, aks } = clientsFor(emulator);
    const a = aks(SUB_A);
    const first = await graph.resources({ query: 'resources | project id, name | order by id asc', options: { top: 2 } });
    await graph.resources({ query: 'resources | project id, name | order by id asc', options: { skipToken: first.skipToken } });
    await graph.resources({ query: 'resources | project id | take 1', options: { resultFormat: 'table' } });
    await graph.resources({ query: 'resources | mv-expand x = properties' }).catch(() => undefined);
    await a.managedClusters.get('rg-test', 'aks-a1');
    await collect(a.managedClusters.list());
    await collect(a.managedClusters.listByResourceGroup('rg-test'));
    await a.managedClusters.getUpgradeProfile('rg-test', 'aks-a1');
    await collect(a.agentPools.list('rg-test', 'aks-a1'));
    await a.agentPools.get('rg-test', 'aks-a1', 'win1');
    await a.agentPools.getUpgradeProfile('rg-west', 'aks-a2', 'empty');
    await collect(a.maintenanceConfigurations.listByManagedCluster('rg-test', 'aks-a1'));
    await a.maintenanceConfigurations.get('rg-test', 'aks-a1', 'aksManagedNodeOSUpgradeSchedule');
    await a.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'system', POLL);
    const running = a.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'win1', POLL);
    await running.submitted();
    await a.agentPools.upgradeNodeImageVersion('rg-test', 'aks-a1', 'win1', POLL).catch(() => undefined); // 409
    await a.agentPools.abortLatestOperation('rg-test', 'aks-a1', 'win1', POLL);
    await running.catch(() => undefined);
    await a.managedClusters.listClusterUserCredentials('rg-test', 'aks-a1');
    await a.managedClusters.listClusterUserCredentials('rg-test', 'aks-a1', { format: 'azure', serverFqdn: 'public' });
    await a.managedClusters.get('rg-test', 'missing').catch(() => undefined); // 404

    const traffic = emulator.traffic();
    expect(traffic.every((e) => /^\d{3}$/.test(e.liveResponse.statusCode) && e.liveRequest.url.startsWith(emulator.url))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'traffic-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const aksFiles = await writeTrafficFiles(join(dir, 'aks'), traffic, (e) => !NOT_IN_AKS_SPEC.test(e.operation));
    const argFiles = await writeTrafficFiles(join(dir, 'arg'), traffic, (e) => e.operation === 'resources');
    expect(aksFiles.length).toBeGreaterThanOrEqual(17);
    const recorded = traffic.filter((e) => e.operation === 'managedClusters.listClusterUserCredentials');
    expect(recorded.map((e) => e.liveResponse.body)).toEqual(Array(2).fill({ kubeconfigs: [{ name: 'clusterUser', value: Buffer.from('<redacted>').toString('base64') }] }));
    expect(argFiles).toHaveLength(4);
    expect(JSON.parse(readFileSync(aksFiles[0]!, 'utf8'))).toEqual({ liveRequest: traffic[4]!.liveRequest, liveResponse: traffic[4]!.liveResponse });

    expect(await validate(AKS_SPEC, join(dir, 'aks'))).toEqual([]);
    expect(await validate(ARG_SPEC, join(dir, 'arg'))).toEqual([]);

    // Negative control: the same validator catches a response that breaks the spec.
    const broken = JSON.parse(readFileSync(aksFiles.find((f) => f.includes('getUpgradeProfile'))!, 'utf8'));
    broken.liveResponse.body.properties.upgrades = 'none';
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    expect((await validate(AKS_SPEC, join(dir, 'broken.json'))).length).toBeGreaterThan(0);
    const credentials = JSON.parse(readFileSync(aksFiles.find((f) => f.includes('listClusterUserCredentials'))!, 'utf8'));
    credentials.liveResponse.body.kubeconfigs[0].value = 'not base64!';
    writeFileSync(join(dir, 'broken-credentials.json'), JSON.stringify(credentials));
    expect((await validate(AKS_SPEC, join(dir, 'broken-credentials.json'))).length).toBeGreaterThan(0);
  }, 30_000);
});
