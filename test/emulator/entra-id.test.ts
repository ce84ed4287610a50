import { createPublicKey, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClientSecretCredential } from '@azure/identity';
import { SUB_A, TENANT, clientsFor, rawFetch, smallFleet, startTestEmulator } from './emulator-test-kit.js';

const CLIENT = { tenantId: TENANT, clientId: '7c0f4b1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b', clientSecret: 's3cr3t-value', roles: ['ImageWarden.Operator'] };
const credentialOptions = (url: string) => ({ authorityHost: url, disableInstanceDiscovery: true });

function tokenForm(fields: Record<string, string>): RequestInit & { token: null } {
  return { method: 'POST', token: null, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

describe('Entra ID token endpoint', () => {
  it('lets the real ClientSecretCredential get a token that the ARM endpoints accept', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), clients: [CLIENT] });
    const credential = new ClientSecretCredential(TENANT, CLIENT.clientId, CLIENT.clientSecret, credentialOptions(emulator.url));
    const token = await credential.getToken('https://management.azure.com/.default');
    expect(token.token.split('.')).toHaveLength(3);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_000_000);
    const { graph, aks } = clientsFor(emulator, credential);
    expect((await graph.resources({ query: 'resources | project id' })).totalRecords).toBe(3);
    expect((await aks(SUB_A).managedClusters.get('rg-test', 'aks-a1')).name).toBe('aks-a1');
    // The SDK asks with enableCae: true, for which @azure/identity keeps a second MSAL app: two token requests.
    expect(emulator.callCounts()).toMatchObject({ openidConfiguration: 2, token: 2, resources: 1, 'managedClusters.get': 1 });
  });

  it('refuses a wrong secret (401 invalid_client, AADSTS7000215) and an unknown client or tenant', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), clients: [CLIENT] });
    const wrong = new ClientSecretCredential(TENANT, CLIENT.clientId, 'wrong', credentialOptions(emulator.url));
    await expect(wrong.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS7000215: Invalid client secret provided/);

    const path = `/${TENANT}/oauth2/v2.0/token`;
    const base = { grant_type: 'client_credentials', client_id: CLIENT.clientId, scope: 'https://management.azure.com/.default' };
    const bad = await rawFetch(emulator, path, tokenForm({ ...base, client_secret: 'wrong' }));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215], error_description: expect.stringMatching(/^AADSTS7000215: .+Trace ID: .+Correlation ID: .+Timestamp: /) });
    const unknown = await rawFetch(emulator, path, tokenForm({ ...base, client_id: 'someone-else', client_secret: 'x' }));
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error).toBe('unauthorized_client');
    const scope = await rawFetch(emulator, path, tokenForm({ ...base, client_secret: CLIENT.clientSecret, scope: 'https://management.azure.com/user_impersonation' }));
    expect(((await scope.json()) as any).error).toBe('invalid_scope');
    const tenant = await rawFetch(emulator, '/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration', { token: null });
    expect(tenant.status).toBe(400);
  });

  it('issues RS256 JWTs verifiable with the published JWKS, carrying issuer, audience, tenant and app roles', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), clients: [CLIENT] });
    const config = (await (await rawFetch(emulator, `/${TENANT}/v2.0/.well-known/openid-configuration`, { token: null })).json()) as Record<string, string>;
    expect(config).toMatchObject({ issuer: `${emulator.url}/${TENANT}/v2.0`, token_endpoint: `${emulator.url}/${TENANT}/oauth2/v2.0/token`, jwks_uri: `${emulator.url}/${TENANT}/discovery/v2.0/keys` });
    const issued = (await (await rawFetch(emulator, `/${TENANT}/oauth2/v2.0/token`, tokenForm({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: 'api://imagewarden/.default' }))).json()) as Record<string, unknown>;
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const [header, payload, signature] = String(issued.access_token).split('.') as [string, string, string];
    const jwks = (await (await fetch(config.jwks_uri!)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid;
    const key = createPublicKey({ key: jwks.keys.find((k) => k.kid === kid)!, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      iss: config.issuer, aud: 'api://imagewarden', tid: TENANT, appid: CLIENT.clientId, azp: CLIENT.clientId, roles: ['ImageWarden.Operator'], ver: '2.0',
    });
  });

  it('applies the fault plan to the token operation too', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), clients: [CLIENT], faults: { rules: [{ operation: 'token', action: 'error', status: 400, code: 'invalid_request', message: 'AADSTS90014: boom' }] } });
    const credential = new ClientSecretCredential(TENANT, CLIENT.clientId, CLIENT.clientSecret, credentialOptions(emulator.url));
    await expect(credential.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS90014: boom/);
    await expect(credential.getToken('https://management.azure.com/.default')).resolves.toMatchObject({ token: expect.any(String) });
  });
});
