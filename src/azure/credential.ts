import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { AZURE_CLOUDS, type Config } from '../config.js';

const MICROSOFT_AUTHORITIES: ReadonlySet<string> = new Set(Object.values(AZURE_CLOUDS).map((cloud) => cloud.authorityHost));

/**
 * The identity imagewarden uses for ARM:
 * - `IMAGEWARDEN_ARM_TOKEN`: a static bearer token (tests, the demo, short-lived automation);
 * - `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`: a client secret credential, as
 *   DefaultAzureCredential's environment step would build it, but with instance discovery switched off for
 *   authority hosts that are not Microsoft's (so a private or emulated authority is never looked up elsewhere);
 * - otherwise `DefaultAzureCredential` (workload identity in AKS, managed identity, Azure CLI, ...).
 */
export function createArmCredential(config: Config): TokenCredential {
  if (config.armToken !== null) return staticTokenCredential(config.armToken);
  if (config.clientSecret !== null) {
    const { tenantId, clientId, clientSecret } = config.clientSecret;
    return new ClientSecretCredential(tenantId, clientId, clientSecret, {
      authorityHost: config.authorityHost,
      disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.has(config.authorityHost),
    });
  }
  return new DefaultAzureCredential({ authorityHost: config.authorityHost });
}

export function staticTokenCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      // Re-issued on every refresh; the hour only tells the SDK's token cycler when to ask again.
      return { token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}
