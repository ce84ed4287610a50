import { describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm-clients.js';
import { ForeignPollingHostError, resumeNodeImageUpgrade } from '../../src/azure/node-image-upgrade.js';

const CLUSTER = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks';

/** A serialized core-lro state as the SDK stores it, pointing its polling URLs at `host`. */
const stateFor = (host: string) =>
  JSON.stringify({
    state: {
      status: 'running',
      config: {
        metadata: { mode: 'OperationLocation' },
        operationLocation: `https://${host}/subscriptions/1/providers/Microsoft.ContainerService/locations/westeurope/operations/abc?api-version=2017-08-31`,
        resourceLocation: `https://${host}/subscriptions/1/providers/Microsoft.ContainerService/locations/westeurope/operationresults/abc?api-version=2017-08-31`,
        initialRequestUrl: `https://${host}${CLUSTER}/agentPools/web/upgradeNodeImageVersion?api-version=2025-10-01`,
        requestMethod: 'POST',
      },
    },
  });

describe('resuming a stored poller', () => {
  // The bearer token goes wherever the poller polls: only the configured ARM endpoint may receive it.
  const calls: string[] = [];
  const clients = createArmClients(
    { armEndpoint: 'https://management.azure.com', armScope: 'https://management.azure.com/.default' },
    { getToken: async (scopes) => (calls.push(String(scopes)), { token: 'secret', expiresOnTimestamp: Date.now() + 3_600_000 }) },
  );

  it.each(['169.254.169.254', 'evil.example', 'management.azure.com.evil.example', 'management.azure.com:8443'])('refuses a state that polls %s, before any request', (host) => {
    expect(() => resumeNodeImageUpgrade(clients, CLUSTER, stateFor(host), 'https://management.azure.com', { updateIntervalInMs: 10 })).toThrow(ForeignPollingHostError);
    expect(calls).toEqual([]);
  });

  it('accepts a state on the configured endpoint', () => {
    expect(() => resumeNodeImageUpgrade(clients, CLUSTER, stateFor('management.azure.com'), 'https://management.azure.com', { updateIntervalInMs: 10 })).not.toThrow();
    expect(() => resumeNodeImageUpgrade(clients, CLUSTER, stateFor('MANAGEMENT.azure.com'), 'https://management.azure.com', { updateIntervalInMs: 10 })).not.toThrow();
  });
});
