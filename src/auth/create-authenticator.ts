import type { Config } from '../config.js';
import type { Principal } from '../domain/roles.js';
import { authenticated, rejected, type Authentication, type Authenticator } from './authentication.js';
import { ENTRA_APP_ROLES, entraActor, roleFromAppRoles } from './entra-claims.js';
import { createEntraTokenVerifier, type EntraTokenVerifier, type TokenVerification } from './entra-token-verifier.js';

export interface AuthenticatorDeps {
  readonly keys: { authenticate(presented: string): Principal | null };
  readonly config: Pick<Config, 'entraTenantId' | 'entraAudience' | 'entraAuthority'>;
  readonly now?: () => Date;
}

/** Three base64url parts (the last empty for `alg: none`): the shape of a JWT. API keys (`iw_…`) never have a dot. */
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * API keys, and Entra ID access tokens when IMAGEWARDEN_ENTRA_TENANT_ID and IMAGEWARDEN_ENTRA_AUDIENCE are set.
 * A JWT-shaped credential goes to the token verifier only then; an API key never leads to a network call.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const { entraTenantId, entraAudience, entraAuthority } = deps.config;
  const verifyToken =
    entraTenantId !== null && entraAudience !== null
      ? createEntraTokenVerifier({ tenantId: entraTenantId, audience: entraAudience, authority: entraAuthority }, deps.now ? { now: deps.now } : {})
      : null;
  return {
    async authenticate(presented) {
      if (verifyToken !== null && JWT_SHAPE.test(presented)) return fromToken(verifyToken, presented);
      const principal = deps.keys.authenticate(presented);
      return principal ? authenticated(principal) : rejected('the API key is unknown, revoked or expired');
    },
  };
}

async function fromToken(verifyToken: EntraTokenVerifier, token: string): Promise<Authentication> {
  const verification: TokenVerification = await verifyToken(token);
  if (verification.outcome !== 'verified') return verification;
  const actor = entraActor(verification.claims);
  if (actor === null) return rejected('the token names no subject (oid or sub)');
  const role = roleFromAppRoles(verification.claims.roles);
  if (role === null) {
    return { outcome: 'no_role', actor, reason: `the token carries none of the app roles ${[...ENTRA_APP_ROLES.keys()].join(', ')}` };
  }
  // `exp` is required and checked by the verifier: a browser session made from this token never outlives it.
  return authenticated({ actor, role }, new Date((verification.claims.exp as number) * 1000));
}
