import { createRemoteJWKSet, errors, type CompactJWSHeaderParameters, type CryptoKey, type FlattenedJWSInput, type RemoteJWKSet } from 'jose';
import { httpsEndpoints, messageOf, readOpenIdConfiguration } from './openid-configuration.js';

/** The Entra ID authority could not be asked (network, timeout, non-200, not JSON): nothing is known about the token. */
export class AuthorityUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthorityUnavailable';
  }
}

export interface SigningKeyOptions {
  /** Per request to the authority. */
  readonly timeoutInMs?: number;
  /** After a failed discovery, tokens are answered "unavailable" this long without asking again. */
  readonly retryAfterFailureInMs?: number;
  /** jose's cooldown: an unknown `kid` refetches the key set at most once per this many ms. */
  readonly unknownKidCooldownInMs?: number;
}

export type SigningKeyResolver = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/**
 * The tenant's signing keys as a jose key resolver. `jwks_uri` is read once from the tenant's OpenID configuration
 * (on the first token, not at start: an authority outage must not stop the service); the key set is jose's remote
 * set, cached 10 minutes, refetched on an unknown `kid` at most once per cooldown. Failing to reach the authority
 * throws AuthorityUnavailable; a `kid` the tenant does not publish throws jose's JWKSNoMatchingKey.
 */
export function createEntraSigningKeys(discoveryUrl: string, options: SigningKeyOptions = {}): SigningKeyResolver {
  const timeoutInMs = options.timeoutInMs ?? 5_000;
  const retryAfterFailureInMs = options.retryAfterFailureInMs ?? 10_000;
  let keySet: Promise<RemoteJWKSet> | null = null;
  let lastFailure: { at: number; error: unknown } | null = null;

  const discover = (): Promise<RemoteJWKSet> => {
    if (keySet !== null) return keySet;
    if (lastFailure !== null && Date.now() - lastFailure.at < retryAfterFailureInMs) {
      return Promise.reject(new AuthorityUnavailable('the OpenID configuration could not be read moments ago', { cause: lastFailure.error }));
    }
    keySet = readJwksUri(discoveryUrl, timeoutInMs).then(
      (jwksUri) =>
        createRemoteJWKSet(new URL(jwksUri), {
          timeoutDuration: timeoutInMs,
          ...(options.unknownKidCooldownInMs !== undefined ? { cooldownDuration: options.unknownKidCooldownInMs } : {}),
        }),
      (error: unknown) => {
        keySet = null;
        lastFailure = { at: Date.now(), error };
        throw new AuthorityUnavailable(`could not read the OpenID configuration at ${discoveryUrl}: ${messageOf(error)}`, { cause: error });
      },
    );
    return keySet;
  };

  return async (header, token) => {
    const jwks = await discover();
    try {
      return await jwks(header, token);
    } catch (error) {
      // Decided by the published keys: the token's problem, not the authority's.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new AuthorityUnavailable(`could not read the tenant's signing keys: ${messageOf(error)}`, { cause: error });
    }
  };
}

async function readJwksUri(discoveryUrl: string, timeoutInMs: number): Promise<string> {
  return httpsEndpoints(await readOpenIdConfiguration(discoveryUrl, timeoutInMs), 'jwks_uri').jwks_uri;
}
