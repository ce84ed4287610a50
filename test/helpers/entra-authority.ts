import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { ensureCertificateAuthority, issueServerCertificate } from '../../src/emulator/certificate-authority.js';

/** An RSA key a test signs tokens with, and its public JWK as a tenant would publish it. */
export interface TestSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly publicKeyPem: string;
}

export async function createSigningKey(kid: string): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const { kty, n, e } = await exportJWK(publicKey);
  // As Entra ID publishes them: `use` and `kid`, no `alg`.
  return { kid, privateKey, publicJwk: { kty, n, e, use: 'sig', kid }, publicKeyPem: await exportSPKI(publicKey) };
}

/** A compact RS256 JWT, as Entra ID would issue it with these claims (the `kid` header names `key` unless told). */
export function signToken(key: TestSigningKey, claims: JWTPayload, kid: string = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key.privateKey);
}

export interface TestEntraAuthority {
  /** What IMAGEWARDEN_ENTRA_AUTHORITY is set to. */
  readonly url: string;
  /** Requests served so far, by kind. */
  readonly requests: { discovery: number; jwks: number; other: number };
  /** Replaces the published key set. */
  publish(keys: readonly TestSigningKey[]): void;
  close(): Promise<void>;
}

/**
 * A stand-in for login.microsoftonline.com serving one tenant's OpenID configuration and JWKS over HTTPS, with a
 * certificate from the run's CA (global-setup.ts), so the service reaches it exactly as it would reach Entra ID.
 */
export async function startEntraAuthority(tenantId: string, keys: readonly TestSigningKey[]): Promise<TestEntraAuthority> {
  const caDir = process.env.IMAGEWARDEN_TEST_CA_DIR;
  if (!caDir) throw new Error('IMAGEWARDEN_TEST_CA_DIR is not set: run the tests through vitest (global setup)');
  const { certPem, keyPem } = await issueServerCertificate(await ensureCertificateAuthority(caDir), ['localhost']);
  const requests = { discovery: 0, jwks: 0, other: 0 };
  let published = keys;
  let url = '';
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      requests.discovery++;
      return send(200, {
        issuer: `${url}/${tenantId}/v2.0`,
        jwks_uri: `${url}/${tenantId}/discovery/v2.0/keys`,
        token_endpoint: `${url}/${tenantId}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && req.url === `/${tenantId}/discovery/v2.0/keys`) {
      requests.jwks++;
      return send(200, { keys: published.map((key) => key.publicJwk) });
    }
    requests.other++;
    return send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    publish: (keys) => {
      published = keys;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
