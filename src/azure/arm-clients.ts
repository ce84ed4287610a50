import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config.js';
import { VERSION } from '../lib/version.js';

export interface ArmClients {
  /** The identity behind the clients; also asked for tokens to each cluster's own API server (azure/cluster-api.ts). */
  readonly credential: TokenCredential;
  readonly resourceGraph: ResourceGraphClient;
  containerService(subscriptionId: string): ContainerServiceClient;
}

/**
 * Builds the SDK clients against the configured ARM endpoint. The SDKs' own retries are switched off
 * (`maxRetries: 0`): azure/retry.ts is the single, recorded retry policy. The token scope follows the cloud,
 * not the endpoint, exactly as in production (the emulator accepts any scope).
 */
export function createArmClients(config: Pick<Config, 'armEndpoint' | 'armScope'>, credential: TokenCredential): ArmClients {
  const options = {
    endpoint: config.armEndpoint,
    credentials: { scopes: [config.armScope] },
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: `imagewarden/${VERSION}` },
  };
  const resourceGraph = new ResourceGraphClient(credential, options);
  const byId = new Map<string, ContainerServiceClient>();
  return {
    credential,
    resourceGraph,
    containerService(subscriptionId) {
      const key = subscriptionId.toLowerCase();
      let client = byId.get(key);
      if (!client) {
        client = new ContainerServiceClient(credential, subscriptionId, options);
        byId.set(key, client);
      }
      return client;
    },
  };
}
