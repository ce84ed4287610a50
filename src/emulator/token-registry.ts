import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { uuidFrom } from './arm-ids.js';
import type { Principal } from './http-types.js';
import type { EmulatorClient } from './types.js';

/**
 * Bearer tokens the emulator accepts: the static one and those its token endpoint issued. Issued tokens are real
 * RS256 JWTs (Entra v2 claim names) signed with a key published at the JWKS URL, so the emulator can also act as
 * the Entra authority for a service that validates tokens itself.
 */

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

const TOKEN_LIFETIME_SECONDS = 3599;

export type TokenRegistry = ReturnType<typeof createTokenRegistry>;

export function createTokenRegistry(staticToken: string) {
  const issued = new Map<string, { principal: Principal; audience: string; expiresAtMs: number }>();
  const staticPrincipal: Principal = { clientId: uuidFrom('imagewarden-static-client'), objectId: uuidFrom('imagewarden-static-object') };
  let signingKey: { privateKey: KeyObject; kid: string; jwk: Record<string, unknown> } | undefined;

  /** Generated on first use: RSA key generation costs tens of milliseconds most runs never need. */
  function key(): NonNullable<typeof signingKey> {
    if (!signingKey) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, unknown>;
      const kid = createHash('sha256').update(String(jwk.n)).digest('base64url').slice(0, 27);
      signingKey = { privateKey, kid, jwk: { kty: 'RSA', use: 'sig', alg: 'RS256', kid, x5t: kid, n: jwk.n, e: jwk.e } };
    }
    return signingKey;
  }

  return {
    staticToken,
    /**
     * The caller behind a bearer token, or undefined when the emulator never issued it (or it expired). With an
     * `audience`, an issued token must have been asked for that resource; the static token carries none and passes.
     */
    verify(token: string, audience?: string): Principal | undefined {
      if (token === staticToken) return staticPrincipal;
      const entry = issued.get(token);
      if (!entry || entry.expiresAtMs < Date.now()) return undefined;
      if (audience !== undefined && entry.audience.toLowerCase() !== audience.toLowerCase()) return undefined;
      return entry.principal;
    },

    issue(client: EmulatorClient, scope: string, issuer: string): IssuedToken {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const principal: Principal = { clientId: client.clientId, objectId: uuidFrom(`object:${client.tenantId}:${client.clientId}`.toLowerCase()) };
      const audience = scope.replace(/\/?\.default$/, '');
      const claims = {
        aud: audience,
        iss: issuer,
        iat: nowSeconds,
        nbf: nowSeconds,
        exp: nowSeconds + TOKEN_LIFETIME_SECONDS,
        aio: randomUUID(),
        appid: client.clientId,
        azp: client.clientId,
        appidacr: '1',
        azpacr: '1',
        idp: issuer,
        idtyp: 'app',
        oid: principal.objectId,
        sub: principal.objectId,
        tid: client.tenantId,
        uti: randomUUID().replace(/-/g, '').slice(0, 22),
        ver: '2.0',
        ...(client.roles && client.roles.length > 0 ? { roles: client.roles } : {}),
      };
      const { privateKey, kid } = key();
      const header = { typ: 'JWT', alg: 'RS256', kid, x5t: kid };
      const unsigned = `${base64url(header)}.${base64url(claims)}`;
      const signature = sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url');
      const accessToken = `${unsigned}.${signature}`;
      issued.set(accessToken, { principal, audience, expiresAtMs: (nowSeconds + TOKEN_LIFETIME_SECONDS) * 1000 });
      return { accessToken, expiresInSeconds: TOKEN_LIFETIME_SECONDS };
    },

    /** The JSON Web Key Set served at `/{tenant}/discovery/v2.0/keys`. */
    jwks(): { keys: Record<string, unknown>[] } {
      return { keys: [key().jwk] };
    },
  };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
