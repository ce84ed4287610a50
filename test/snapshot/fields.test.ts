import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { FleetFile } from '../../src/emulator/types.js';
import { cluster, pool, SUB_1, SUB_2, TENANT } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const WIN = 'AKSWindows-2022-containerd';
const AZL = 'AKSAzureLinux-V3gen2';
const ARM = 'AKSUbuntu-2204gen2arm64containerd';
const FIPS = 'AKSUbuntu-2204gen2fipscontainerd';

const fleet: FleetFile = {
  tenantId: TENANT,
  images: {
    '*': {
      'AKSUbuntu-2204gen2containerd': 'AKSUbuntu-2204gen2containerd-202611.10.0',
      [AZL]: `${AZL}-202611.10.0`,
      [ARM]: `${ARM}-202611.10.0`,
      [FIPS]: `${FIPS}-202611.10.0`,
      [WIN]: `${WIN}-20348.5386.261110`,
    },
    // The newest Ubuntu image has not reached this region yet.
    eastus: { 'AKSUbuntu-2204gen2containerd': 'AKSUbuntu-2204gen2containerd-202610.27.0' },
  },
  subscriptions: [
    {
      id: SUB_1,
      clusters: [
        cluster(
          'aks-mixed',
          [
            pool('system', { mode: 'System', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.10.0' }),
            pool('azl', { osSKU: 'AzureLinux', nodeImageVersion: `${AZL}-202609.02.0` }),
            pool('win22', { osType: 'Windows', osSKU: 'Windows2022', nodeImageVersion: `${WIN}-20348.5256.261010` }),
            pool('arm', { vmSize: 'Standard_D4pds_v5', nodeImageVersion: `${ARM}-202610.27.0` }),
            pool('fips', { enableFIPS: true, nodeImageVersion: `${FIPS}-202609.02.0` }),
            pool('creating', { nodeImageVersion: null, provisioningState: 'Creating' }),
          ],
          { tags: { env: 'prod' }, nodeOSUpgradeChannel: 'NodeImage' },
        ),
      ],
    },
    {
      id: SUB_2,
      clusters: [
        cluster('aks-stopped', [pool('nodes', { nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202609.02.0' })], {
          location: 'eastus',
          powerState: 'Stopped',
        }),
      ],
    },
  ],
};

describe('observed fields', () => {
  it('records Linux, Azure Linux, Windows, arm64, FIPS pools, a stopped cluster and a pool with no image, across subscriptions and locations', async () => {
    const emulator = await startTestEmulator(fleet);
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}` }));
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot).toMatchObject({ status: 'succeeded', clusterCount: 2, poolCount: 7 });

    const { key } = services.keyService.create({ name: 'reader', role: 'auditor', expiresAt: null, actor: 'test' });
    const app = await buildApp({ services });
    const get = async (url: string) => {
      const response = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
    };

    const pools = (await get('/api/v1/pools')).items;
    const byName = Object.fromEntries(pools.map((p) => [p.poolName, p]));
    expect(Object.keys(byName).sort()).toEqual(['arm', 'azl', 'creating', 'fips', 'nodes', 'system', 'win22']);
    expect(byName.system).toMatchObject({
      mode: 'System',
      osType: 'Linux',
      imageFamily: 'AKSUbuntu-2204gen2containerd',
      latestNodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.10.0',
      daysBehindLatest: 0,
      imageReleaseDate: '2026-11-10T00:00:00.000Z',
      kubernetesVersion: '1.32.6',
      nodeOSUpgradeChannel: 'NodeImage',
      observedAt: snapshot.finishedAt,
    });
    expect(byName.azl).toMatchObject({ osSku: 'AzureLinux', imageFamily: AZL, latestNodeImageVersion: `${AZL}-202611.10.0`, daysBehindLatest: 69 });
    expect(byName.win22).toMatchObject({ osType: 'Windows', imageFamily: WIN, imageReleaseDate: '2026-10-10T00:00:00.000Z', daysBehindLatest: 31 });
    expect(byName.arm).toMatchObject({ imageFamily: ARM, latestNodeImageVersion: `${ARM}-202611.10.0` });
    expect(byName.fips).toMatchObject({ imageFamily: FIPS, latestNodeImageVersion: `${FIPS}-202611.10.0` });
    expect(byName.creating).toMatchObject({ nodeImageVersion: null, imageFamily: null, latestNodeImageVersion: null, daysBehindLatest: null });
    // Regional rollout: eastus has not got the newest Ubuntu image, so its pools are measured against its own latest.
    expect(byName.nodes).toMatchObject({ location: 'eastus', subscriptionId: SUB_2, latestNodeImageVersion: 'AKSUbuntu-2204gen2containerd-202610.27.0' });

    const clusters = (await get('/api/v1/clusters')).items;
    expect(clusters.find((c) => c.name === 'aks-stopped')).toMatchObject({ powerState: 'Stopped', location: 'eastus', poolCount: 1 });
    expect(clusters.find((c) => c.name === 'aks-mixed')).toMatchObject({ tags: { env: 'prod' }, provisioningState: 'Succeeded', kubernetesVersion: '1.32.6' });

    const filtered = (await get(`/api/v1/pools?subscriptionId=${SUB_2.toUpperCase()}`)).items;
    expect(filtered.map((p) => p.poolName)).toEqual(['nodes']);
    const page1 = await get('/api/v1/pools?limit=4');
    const page2 = await get(`/api/v1/pools?limit=4&cursor=${page1.nextCursor}`);
    expect(page1.items).toHaveLength(4);
    expect(page2).toMatchObject({ nextCursor: null });
    expect([...page1.items, ...page2.items]).toEqual(pools);
    await app.close();
    db.close();
  });
});
