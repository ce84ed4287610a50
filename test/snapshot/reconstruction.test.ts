import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { staticTokenCredential } from '../../src/azure/credential.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU, UBUNTU_LATEST, UBUNTU_OLD } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

/** What ARM says right now, read independently of imagewarden: pool key → image. */
async function armTruth(emulator: RunningEmulator): Promise<Record<string, string | null>> {
  const client = new ResourceGraphClient(staticTokenCredential(emulator.token), { endpoint: emulator.url, retryOptions: { maxRetries: 0 } });
  const page = await client.resources({
    query: "resources | where type =~ 'microsoft.containerservice/managedclusters' | project id, agentPoolProfiles = properties.agentPoolProfiles | order by id asc",
  });
  const truth: Record<string, string | null> = {};
  for (const row of page.data as { id: string; agentPoolProfiles: { name: string; nodeImageVersion?: string }[] }[]) {
    for (const p of row.agentPoolProfiles) truth[`${row.id}/${p.name}`.toLowerCase()] = p.nodeImageVersion ?? null;
  }
  return truth;
}

describe('reconstructing what was observed', () => {
  it('answers asOf any past moment with exactly what the snapshot then observed', async () => {
    const emulator = await startTestEmulator({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: UBUNTU_LATEST } },
      subscriptions: [{ id: SUB_1, clusters: [cluster('aks-a', [pool('system'), pool('user')]), cluster('aks-b', [pool('nodes')])] }],
    });
    let clock = Date.parse('2026-10-03T12:00:00Z');
    const config = testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: SUB_1 });
    const { services, db } = createTestServices(config);
    // A service clock we control, so each snapshot lands at a known moment.
    const { createServices } = await import('../../src/services/create-services.js');
    const { silentLogger, FAST_RETRY } = await import('../helpers/service.js');
    const timed = createServices({ config, db, logger: silentLogger, now: () => new Date(clock), snapshotOptions: { retryPolicy: FAST_RETRY } });
    const [aksA, aksB] = emulator.fleet.listClusterIds();

    const observed: { at: string; truth: Record<string, string | null> }[] = [];
    const take = async () => {
      const truth = await armTruth(emulator);
      const snapshot = await timed.snapshotService.run('schedule', 'system');
      expect(snapshot.status).toBe('succeeded');
      observed.push({ at: new Date(clock).toISOString(), truth });
      clock += 3_600_000;
    };
    await take(); // 12:00 — everything old
    await take(); // 13:00 — no change
    emulator.fleet.setPoolImage(aksA!, 'user', UBUNTU_LATEST);
    await take(); // 14:00 — one pool upgraded
    emulator.fleet.removePool(aksB!, 'nodes');
    emulator.fleet.addPool(aksA!, pool('batch', { nodeImageVersion: UBUNTU_OLD }));
    await take(); // 15:00 — one pool gone, one new

    const { key } = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' });
    const app = await buildApp({ services: timed });
    for (const { at, truth } of observed) {
      for (const asOf of [at, new Date(Date.parse(at) + 30 * 60_000).toISOString()]) {
        const response = await app.inject({ url: `/api/v1/pools?asOf=${asOf}`, headers: { authorization: `Bearer ${key}` } });
        const items = response.json().items as { clusterId: string; poolName: string; nodeImageVersion: string | null }[];
        const answered = Object.fromEntries(items.map((p) => [`${p.clusterId}/${p.poolName}`.toLowerCase(), p.nodeImageVersion]));
        expect(answered, `asOf ${asOf}`).toEqual(truth);
      }
    }
    const before = await app.inject({ url: '/api/v1/pools?asOf=2026-10-03T11:59:59Z', headers: { authorization: `Bearer ${key}` } });
    expect(before.json()).toEqual({ items: [], nextCursor: null });
    // Four snapshots, three of them with changes: storage grew with change only.
    expect(db.prepare('SELECT count(*) AS n FROM pool_states').get()).toEqual({ n: 3 + 1 + 1 });
    await app.close();
    db.close();
  });
});
