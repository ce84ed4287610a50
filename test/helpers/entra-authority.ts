import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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

/** Who the authorize endpoint signs in (no login page: it answers at once), or the error it answers with. */
export type TestSignInUser =
  | { readonly oid: string; readonly name?: string; readonly roles?: readonly string[]; readonly claims?: Readonly<Record<string, unknown>> }
  | { readonly error: string; readonly errorDescription?: string };

/** The app registration the authority knows (IMAGEWARDEN_ENTRA_CLIENT_ID and friends) and the API its tokens are for. */
export interface TestAppRegistration {
  readonly clientId: string;
  /** A confidential client: the token endpoint then requires it (401 invalid_client otherwise). */
  readonly clientSecret?: string;
  /** The `aud` of the access tokens it issues (IMAGEWARDEN_ENTRA_AUDIENCE). */
  readonly audience: string;
}

export interface TestEntraAuthority {
  /** What IMAGEWARDEN_ENTRA_AUTHORITY is set to. */
  readonly url: string;
  /** Requests served so far, by kind. */
  readonly requests: { discovery: number; jwks: number; other: number };
  /** The sign-in endpoints' requests: authorize, and token (with the last form the token endpoint received). */
  readonly signIns: { authorize: number; token: number; lastTokenForm: Record<string, string> | null; lastAuthorizeQuery: Record<string, string> | null };
  /** Replaces the published key set. */
  publish(keys: readonly TestSigningKey[]): void;
  /** Who the next authorize requests sign in (default: no one, `login_required`). */
  signInAs(user: TestSignInUser): void;
  /** How the token endpoint behaves: normally, answering this HTTP status with an OAuth error, or dropping connections. */
  tokenEndpoint(mode: 'normal' | 'down' | { status: number; error: string }): void;
  close(): Promise<void>;
}

/**
 * A stand-in for login.microsoftonline.com serving one tenant's OpenID configuration and JWKS over HTTPS, with a
 * certificate from the run's CA (global-setup.ts), so the service reaches it exactly as it would reach Entra ID.
 */
export async function startEntraAuthority(tenantId: string, keys: readonly TestSigningKey[], app?: TestAppRegistration): Promise<TestEntraAuthority> {
  const caDir = process.env.IMAGEWARDEN_TEST_CA_DIR;
  if (!caDir) throw new Error('IMAGEWARDEN_TEST_CA_DIR is not set: run the tests through vitest (global setup)');
  const { certPem, keyPem } = await issueServerCertificate(await ensureCertificateAuthority(caDir), ['localhost']);
  const requests = { discovery: 0, jwks: 0, other: 0 };
  const signIns: TestEntraAuthority['signIns'] = { authorize: 0, token: 0, lastTokenForm: null, lastAuthorizeQuery: null };
  let published = keys;
  let url = '';
  let user: TestSignInUser = { error: 'login_required' };
  let tokenMode: Parameters<TestEntraAuthority['tokenEndpoint']>[0] = 'normal';
  const codes = new Map<string, IssuedCode>();
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && req.url === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      requests.discovery++;
      return send(200, {
        issuer: `${url}/${tenantId}/v2.0`,
        jwks_uri: `${url}/${tenantId}/discovery/v2.0/keys`,
        authorization_endpoint: `${url}/${tenantId}/oauth2/v2.0/authorize`,
        token_endpoint: `${url}/${tenantId}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && req.url === `/${tenantId}/discovery/v2.0/keys`) {
      requests.jwks++;
      return send(200, { keys: published.map((key) => key.publicJwk) });
    }
    if (app && req.method === 'GET' && path === `/${tenantId}/oauth2/v2.0/authorize`) {
      signIns.authorize++;
      const query = Object.fromEntries(new URL(req.url!, url).searchParams);
      signIns.lastAuthorizeQuery = query;
      // What Entra ID itself refuses without redirecting: an unknown client, or a redirect URI it was not given.
      if (query.client_id !== app.clientId || !query.redirect_uri?.startsWith('http')) return send(400, { error: 'invalid_request' });
      const back = new URL(query.redirect_uri);
      if (query.state !== undefined) back.searchParams.set('state', query.state);
      if ('error' in user) {
        back.searchParams.set('error', user.error);
        back.searchParams.set('error_description', user.errorDescription ?? `AADSTS00000: ${user.error}. Trace ID: 0000`);
      } else if (query.response_type !== 'code' || query.code_challenge_method !== 'S256' || !query.code_challenge) {
        back.searchParams.set('error', 'invalid_request');
      } else {
        const code = `0.AAAA${randomBytes(48).toString('base64url')}`;
        codes.set(code, { clientId: query.client_id, redirectUri: query.redirect_uri, challenge: query.code_challenge, nonce: query.nonce ?? null, scope: query.scope ?? '', user });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('session_state', '5a1e0000-0000-4000-8000-000000000000');
      res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
      return res.end();
    }
    if (app && req.method === 'POST' && path === `/${tenantId}/oauth2/v2.0/token`) {
      signIns.token++;
      const mode = tokenMode;
      if (mode === 'down') return req.socket.destroy();
      void readForm(req).then(async (form) => {
        signIns.lastTokenForm = form;
        if (mode !== 'normal') return send(mode.status, { error: mode.error, error_description: `AADSTS00000: ${mode.error}` });
        const issued = codes.get(form.code ?? '');
        // Single use, as Entra ID's codes are; every check fails as invalid_grant, as Entra ID answers.
        codes.delete(form.code ?? '');
        if (form.grant_type !== 'authorization_code') return send(400, { error: 'unsupported_grant_type' });
        if (form.client_id !== app.clientId) return send(400, { error: 'invalid_client' });
        if (app.clientSecret !== undefined && form.client_secret !== app.clientSecret) return send(401, { error: 'invalid_client' });
        if (issued === undefined || issued.clientId !== form.client_id || issued.redirectUri !== form.redirect_uri) return send(400, { error: 'invalid_grant' });
        if (createHash('sha256').update(form.code_verifier ?? '').digest('base64url') !== issued.challenge) return send(400, { error: 'invalid_grant', error_description: 'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.' });
        const now = Math.floor(Date.now() / 1000);
        const { oid, name, roles, claims } = issued.user as Extract<TestSignInUser, { oid: string }>;
        const key = published[0]!;
        const common = { iss: `${url}/${tenantId}/v2.0`, tid: tenantId, oid, sub: `pairwise-${oid}`, iat: now, nbf: now, exp: now + 3600, ver: '2.0', ...(name ? { name } : {}) };
        const accessToken = await signToken(key, { ...common, aud: app.audience, azp: app.clientId, scp: 'access_as_user', ...(roles ? { roles: [...roles] } : {}), ...claims });
        const idToken = await signToken(key, { ...common, aud: app.clientId, ...(issued.nonce === null ? {} : { nonce: issued.nonce }) });
        return send(200, { token_type: 'Bearer', scope: issued.scope.replace(/^openid /, ''), expires_in: 3600, ext_expires_in: 3600, access_token: accessToken, id_token: idToken });
      });
      return;
    }
    requests.other++;
    return send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    signIns,
    publish: (keys) => {
      published = keys;
    },
    signInAs: (next) => {
      user = next;
    },
    tokenEndpoint: (mode) => {
      tokenMode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An authorization code the authorize endpoint gave, and what redeeming it must repeat. */
interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string | null;
  readonly scope: string;
  readonly user: TestSignInUser;
}

function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}
