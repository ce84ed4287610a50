import { afterEach } from 'vitest';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, FleetAgentPool, FleetCluster, FleetFile, RunningEmulator } from '../../src/emulator/index.js';

/**
 * Shared setup for the emulator tests: emulators on the run's CA (trusted through NODE_EXTRA_CA_CERTS by the
 * global setup), closed after each test, and REAL SDK clients pointed at them with retries off.
 */

export const TENANT = '0e0d2a51-1b7e-4c3d-9f1a-7a5c3e2b1d00';
export const SUB_A = '0a000000-0000-4000-8000-00000000000a';
export const SUB_B = '0b000000-0000-4000-8000-00000000000b';
export const SUB_SILENT = '0c000000-0000-4000-8000-00000000000c';
export const SUB_FORBIDDEN = '0d000000-0000-4000-8000-00000000000d';
export const UBUNTU = 'AKSUbuntu-2204gen2containerd';

const running: RunningEmulator[] = [];

afterEach(async () => {
  while (running.length > 0) await running.pop()!.close();
});

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const caDir = process.env.IMAGEWARDEN_TEST_CA_DIR;
  if (!caDir) throw new Error('IMAGEWARDEN_TEST_CA_DIR is not set: run through vitest (test/helpers/global-setup.ts)');
  const emulator = await startEmulator({ caDir, upgradeDurationMs: 150, ...options });
  running.push(emulator);
  return emulator;
}

export function staticCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

export function clientsFor(emulator: RunningEmulator, credential: TokenCredential = staticCredential(emulator.token)) {
  const options = { endpoint: emulator.url, retryOptions: { maxRetries: 0 } };
  return {
    graph: new ResourceGraphClient(credential, options),
    aks: (subscriptionId: string, extra: Record<string, unknown> = {}) =>
      new ContainerServiceClient(credential, subscriptionId, { ...options, ...extra }),
  };
}

export function pool(name: string, overrides: Partial<FleetAgentPool> = {}): FleetAgentPool {
  return { name, mode: 'User', count: 2, osType: 'Linux', osSKU: 'Ubuntu', nodeImageVersion: `${UBUNTU}-{{YYYYMM.DD-30}}.0`, ...overrides };
}

export function cluster(name: string, pools: FleetAgentPool[], overrides: Partial<FleetCluster> = {}): FleetCluster {
  return { name, resourceGroup: 'rg-test', location: 'westeurope', kubernetesVersion: '1.32', currentKubernetesVersion: '1.32.6', agentPools: pools, ...overrides };
}

/** One cluster per subscription kind: readable A and B, a silent one and a forbidden one. */
export function smallFleet(): FleetFile {
  return {
    tenantId: TENANT,
    images: {
      '*': { [UBUNTU]: `${UBUNTU}-{{YYYYMM.DD-3}}.0`, 'AKSWindows-2022-containerd': 'AKSWindows-2022-containerd-20348.5386.{{YYMMDD-12}}' },
      westus3: { [UBUNTU]: `${UBUNTU}-{{YYYYMM.DD-10}}.0` },
    },
    subscriptions: [
      {
        id: SUB_A,
        displayName: 'Subscription A',
        clusters: [
          cluster('aks-a1', [pool('system', { mode: 'System' }), pool('win1', { osType: 'Windows', osSKU: 'Windows2022', nodeImageVersion: 'AKSWindows-2022-containerd-20348.5256.{{YYMMDD-42}}' })], {
            tags: { env: 'prod' },
            maintenanceConfigurations: [
              {
                name: 'aksManagedNodeOSUpgradeSchedule',
                properties: { maintenanceWindow: { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } }, durationHours: 4, startTime: '02:00', utcOffset: '+00:00', startDate: '{{YYYY-MM-DD-30}}' } },
              },
            ],
          }),
          cluster('aks-a2', [pool('system', { mode: 'System' }), pool('empty', { nodeImageVersion: null })], { location: 'westus3', resourceGroup: 'rg-west' }),
        ],
      },
      { id: SUB_B, displayName: 'Subscription B', clusters: [cluster('aks-b1', [pool('system', { mode: 'System' })], { powerState: 'Stopped' })] },
      { id: SUB_SILENT, displayName: 'Silent', access: 'silent', clusters: [cluster('aks-s1', [pool('system')])] },
      { id: SUB_FORBIDDEN, displayName: 'Forbidden', access: 'forbidden', clusters: [cluster('aks-f1', [pool('system')])] },
    ],
  };
}

/** Raw HTTPS call (Node fetch trusts NODE_EXTRA_CA_CERTS too), for wire details the SDK hides. */
export async function rawFetch(emulator: RunningEmulator, path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? emulator.token}`);
  return fetch(`${emulator.url}${path}`, { ...init, headers });
}

export function clusterPath(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}
