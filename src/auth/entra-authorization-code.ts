import type { EntraSignInSettings, PendingSignIn } from './entra-sign-in.js';
import { tokenRequestForm } from './entra-sign-in.js';
import { AuthorityUnavailable } from './entra-signing-keys.js';
import { openIdConfigurationUrl } from './entra-token-verifier.js';
import { httpsEndpoints, messageOf, readOpenIdConfiguration } from './openid-configuration.js';

/** The tenant's endpoints the sign-in uses, from its OpenID configuration. */
export interface EntraEndpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

/** The token endpoint refused the code (Entra ID's `error`, e.g. invalid_grant), or answered with no usable token. */
export class TokenExchangeRefused extends Error {
  constructor(
    message: string,
    /** Entra ID's OAuth error code, when it gave one: for the log. */
    readonly entraError: string | null,
  ) {
    super(message);
    this.name = 'TokenExchangeRefused';
  }
}

export interface AuthorizationCodeClientOptions {
  /** Per request to the authority. */
  readonly timeoutInMs?: number;
  /** After a failed discovery, starts are answered "unavailable" this long without asking again. */
  readonly retryAfterFailureInMs?: number;
}

export type AuthorizationCodeClient = ReturnType<typeof createAuthorizationCodeClient>;

/**
 * Talks to the tenant for the dashboard's sign-in: its endpoints (read once from the OpenID configuration — the
 * same document the token verifier reads for jwks_uri — on the first sign-in, not at start), and the redemption of
 * an authorization code. Failing to reach the authority throws AuthorityUnavailable; a refusal, TokenExchangeRefused.
 * Neither message ever carries the code, the verifier, the secret or a token.
 */
export function createAuthorizationCodeClient(settings: EntraSignInSettings, options: AuthorizationCodeClientOptions = {}) {
  const timeoutInMs = options.timeoutInMs ?? 10_000;
  const retryAfterFailureInMs = options.retryAfterFailureInMs ?? 10_000;
  const discoveryUrl = openIdConfigurationUrl(settings);
  let discovered: Promise<EntraEndpoints> | null = null;
  let failedAt: number | null = null;

  const endpoints = (): Promise<EntraEndpoints> => {
    if (discovered !== null) return discovered;
    if (failedAt !== null && Date.now() - failedAt < retryAfterFailureInMs) {
      return Promise.reject(new AuthorityUnavailable('the OpenID configuration could not be read moments ago'));
    }
    discovered = readEndpoints(discoveryUrl, timeoutInMs).catch((error: unknown) => {
      discovered = null;
      failedAt = Date.now();
      throw new AuthorityUnavailable(`could not read the OpenID configuration at ${discoveryUrl}: ${messageOf(error)}`, { cause: error });
    });
    return discovered;
  };

  return {
    endpoints,

    /** Redeems `code` for the pending sign-in it was issued to: the access token, and the ID token when one came. */
    async redeem(pending: PendingSignIn, code: string): Promise<{ accessToken: string; idToken: string | null }> {
      const { tokenEndpoint } = await endpoints();
      let response: Response;
      try {
        response = await fetch(tokenEndpoint, {
          method: 'POST',
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutInMs),
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: tokenRequestForm(settings, pending, code).toString(),
        });
      } catch (error) {
        throw new AuthorityUnavailable(`could not reach the token endpoint: ${messageOf(error)}`, { cause: error });
      }
      const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
      if (response.status >= 500 || response.status === 429) throw new AuthorityUnavailable(`the token endpoint answered HTTP ${response.status}`);
      if (response.status !== 200) {
        const entraError = typeof body?.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : null;
        throw new TokenExchangeRefused(`the token endpoint refused the code (HTTP ${response.status}${entraError ? `, ${entraError}` : ''})`, entraError);
      }
      const accessToken = body?.access_token;
      if (typeof accessToken !== 'string' || accessToken === '' || String(body?.token_type).toLowerCase() !== 'bearer') {
        throw new TokenExchangeRefused('the token endpoint answered without a bearer access token', null);
      }
      return { accessToken, idToken: typeof body?.id_token === 'string' ? body.id_token : null };
    },
  };
}

async function readEndpoints(discoveryUrl: string, timeoutInMs: number): Promise<EntraEndpoints> {
  const endpoints = httpsEndpoints(await readOpenIdConfiguration(discoveryUrl, timeoutInMs), 'authorization_endpoint', 'token_endpoint');
  return { authorizationEndpoint: endpoints.authorization_endpoint, tokenEndpoint: endpoints.token_endpoint };
}
