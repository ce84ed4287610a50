import type { GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm-clients.js';
import { AKS_SERVER_APP_ID, openClusterApi } from '../../src/azure/cluster-api.js';
import { staticTokenCredential } from '../../src/azure/credential.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { FAST_RETRY } from '../helpers/service.js';

const CLIENT = { tenantId: TENANT, clientId: '3d9a1c7e-6b2f-4d8a-9e1c-5f4b3a2d1c0e', clientSecret: 'cluster-reader-secret' };
const retry = () => ({ policy: { ...FAST_RETRY, maxAttempts: 2 }, deadline: Date.now() + 20_000 });

function fleet(authentication: 'entra' | 'local', nodes = 3) {
  return {
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: `${UBUNTU}-202611.10.0` } },
    subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { mode: 'System', count: 1 }), pool('user', { count: nodes })], { authentication })] }],
  };
}

/** Records every scope a credential is asked for. */
function recording(credential: TokenCredential): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken: (scope: string | string[], options?: GetTokenOptions) => {
      scopes.push(...[scope].flat());
      return credential.getToken(scope, options);
    },
  };
}

const clientsFor = (emulator: RunningEmulator, credential: TokenCredential) =>
  createArmClients({ armEndpoint: emulator.url, armScope: 'https://management.azure.com/.default' }, credential);

describe("a cluster's own API server", () => {
  it('is read, for an Entra ID cluster, with a token the same credential gets for the AKS server application — no kubelogin', async () => {
    const emulator = await startTestEmulator(fleet('entra'), { clients: [CLIENT] });
    const credential = recording(new ClientSecretCredential(TENANT, CLIENT.clientId, CLIENT.clientSecret, { authorityHost: emulator.url, disableInstanceDiscovery: true }));
    const api = await openClusterApi(clientsFor(emulator, credential), emulator.fleet.listClusterIds()[0]!, retry());
    const view = await api.read();
    expect(view.nodes.filter((n) => n.pool === 'user')).toHaveLength(3);
    expect(view.nodes.every((n) => n.ready && n.imageVersion !== null)).toBe(true);
    expect(view.pods.length).toBeGreaterThan(0);
    expect(view.pdbs.map((p) => p.name)).toContain('coredns-pdb');
    expect(credential.scopes).toEqual(expect.arrayContaining(['https://management.azure.com/.default', `${AKS_SERVER_APP_ID}/.default`]));
    expect(emulator.kubernetesRequests().every((r) => r.method === 'GET' && r.status === 200)).toBe(true);
  });

  it('is read, for a cluster with local accounts, with the credentials of its kubeconfig', async () => {
    const emulator = await startTestEmulator(fleet('local'));
    const credential = recording(staticTokenCredential(emulator.token));
    const api = await openClusterApi(clientsFor(emulator, credential), emulator.fleet.listClusterIds()[0]!, retry());
    expect((await api.poolNodes('user')).map((n) => n.pool)).toEqual(['user', 'user', 'user']);
    expect(credential.scopes).not.toContain(`${AKS_SERVER_APP_ID}/.default`);
  });

  it('reads every page of a large cluster', async () => {
    const emulator = await startTestEmulator(fleet('entra', 520));
    const api = await openClusterApi(clientsFor(emulator, staticTokenCredential(emulator.token)), emulator.fleet.listClusterIds()[0]!, retry());
    expect(await api.allNodes()).toHaveLength(521);
    const pages = emulator.kubernetesRequests().filter((r) => r.path.endsWith('/api/v1/nodes'));
    expect(pages).toHaveLength(2);
    expect(pages[1]!.query).toMatch(/continue=/);
  });

  it('fails with the reason when the API server cannot be reached', async () => {
    const emulator = await startTestEmulator(fleet('entra'));
    const [clusterId] = emulator.fleet.listClusterIds();
    emulator.fleet.setApiServerReachable(clusterId!, false);
    const api = await openClusterApi(clientsFor(emulator, staticTokenCredential(emulator.token)), clusterId!, retry());
    await expect(api.allNodes()).rejects.toThrow(/kubernetes nodes\.list aks-pay failed after 2 attempt\(s\)/);
  });
});
