import { createHmac, createPrivateKey, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { exportPKCS8, SignJWT } from 'jose';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../src/auth/entra-token-verifier.js';
import { createSigningKey, signToken, startEntraAuthority, type TestSigningKey } from '../helpers/entra-authority.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { TENANT as FLEET_TENANT, fleetOfClusters } from '../helpers/fleets.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const TENANT = '3f6c1a2b-9d4e-4c5f-8a7b-6e5d4c3b2a19';
const OTHER_TENANT = '0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b';
const AUDIENCE = 'api://imagewarden';
const CLIENT_ID = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
const ALICE = { oid: 'a11ce000-0000-4000-8000-000000000001', name: 'Alice Example', preferred_username: 'alice@contoso.example' };

let key: TestSigningKey;
let unpublished: TestSigningKey;
let rotated: TestSigningKey;

beforeAll(async () => {
  [key, unpublished, rotated] = await Promise.all([createSigningKey('key-1'), createSigningKey('key-unpublished'), createSigningKey('key-2')]);
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

const seconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The service as `serve` builds it, with Entra ID pointed at a local authority (or not configured), every log line
 * captured, and a `call` that checks no answer ever carries the token it was sent.
 */
async function setup(options: { entra?: boolean } = {}) {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const authority = await startEntraAuthority(TENANT, [key]);
  const entra: Record<string, string> = options.entra === false ? {} : { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE };
  const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_ENTRA_AUTHORITY: authority.url, ...entra }));
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) });
  const app = await buildApp({ services, logger: pino({ level: 'trace' }, sink) });
  const presented: string[] = [];
  cleanups.push(async () => {
    await app.close();
    db.close();
    await authority.close();
    // Nothing the service logged quotes a token it was sent, not even its signature.
    for (const token of presented) {
      for (const part of [token, token.split('.')[2]].filter((p) => p && p.length > 8)) expect(logs.join('\n')).not.toContain(part);
    }
  });

  const v2Issuer = `${authority.url}/${TENANT}/v2.0`;
  const claims = (overrides: Record<string, unknown> = {}) => ({
    aud: AUDIENCE,
    iss: v2Issuer,
    iat: seconds(),
    nbf: seconds(),
    exp: seconds() + 3600,
    tid: TENANT,
    oid: ALICE.oid,
    sub: 'pairwise-subject-of-alice',
    name: ALICE.name,
    preferred_username: ALICE.preferred_username,
    azp: CLIENT_ID,
    roles: ['ImageWarden.Operator'],
    ver: '2.0',
    ...overrides,
  });
  const call = async (token: string, request: { method?: 'GET' | 'POST'; url?: string; payload?: unknown } = {}): Promise<LightMyRequestResponse> => {
    presented.push(token);
    const response = await app.inject({
      method: request.method ?? 'GET',
      url: request.url ?? '/api/v1/snapshots',
      headers: { authorization: `Bearer ${token}` },
      ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
    });
    expect(response.statusCode, response.body).not.toBe(500);
    expect(response.body).not.toContain(token);
    const signature = token.split('.')[2];
    if (signature && signature.length > 8) expect(response.body).not.toContain(signature);
    return response;
  };
  const sign = (overrides: Record<string, unknown> = {}, signingKey = key) => signToken(signingKey, claims(overrides));
  return { app, services, authority, logs, claims, sign, call, v2Issuer };
}

function expectRefused(response: LightMyRequestResponse, why: RegExp, label: string): void {
  expect(response.statusCode, `${label}: ${response.body}`).toBe(401);
  expect(response.headers['www-authenticate'], label).toMatch(/^Bearer/);
  expect(response.json(), label).toEqual({ error: { code: 'invalid_credentials', message: expect.stringMatching(why) } });
}

async function finishedSnapshot(call: (token: string, request: { url: string }) => Promise<LightMyRequestResponse>, token: string, id: number) {
  for (let attempt = 0; attempt < 250; attempt++) {
    const snapshot = (await call(token, { url: `/api/v1/snapshots/${id}` })).json() as { status: string; requestedBy: string };
    if (snapshot.status !== 'running') return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`snapshot ${id} did not finish`);
}

describe('Entra ID access tokens', () => {
  it('grant the app role they carry: each role reaches its own routes and is refused above them (403 forbidden)', async () => {
    const { call, sign } = await setup();
    const auditor = await sign({ roles: ['ImageWarden.Auditor'] });
    const operator = await sign({ roles: ['ImageWarden.Operator'] });
    const admin = await sign({ roles: ['ImageWarden.Admin'] });
    const several = await sign({ roles: ['Reader', 'ImageWarden.Auditor', 'ImageWarden.Admin', 'ImageWarden.Operator'] });

    expect((await call(auditor, { url: '/api/v1/pools' })).statusCode).toBe(200);
    const auditorSnapshot = await call(auditor, { method: 'POST', url: '/api/v1/snapshots' });
    expect(auditorSnapshot.statusCode).toBe(403);
    expect(auditorSnapshot.json()).toMatchObject({ error: { code: 'forbidden', details: { requiredRole: 'operator', role: 'auditor' } } });

    expect((await call(operator, { url: '/api/v1/snapshots' })).statusCode).toBe(200);
    const operatorKeys = await call(operator, { url: '/api/v1/keys' });
    expect(operatorKeys.statusCode).toBe(403);
    expect(operatorKeys.json()).toMatchObject({ error: { code: 'forbidden', details: { requiredRole: 'admin', role: 'operator' } } });

    expect((await call(admin, { url: '/api/v1/keys' })).statusCode).toBe(200);
    // Several app roles: the highest counts; roles of other apps are ignored.
    expect((await call(several, { url: '/api/v1/keys' })).statusCode).toBe(200);
  });

  it('record the token subject and name as the actor in the evidence ledger; an app token without a name by its object id', async () => {
    const { call, sign, services } = await setup();
    const operator = await sign({ roles: ['ImageWarden.Operator'] });
    const started = await call(operator, { method: 'POST', url: '/api/v1/snapshots' });
    expect(started.statusCode).toBe(202);
    const { id } = started.json() as { id: number };
    const snapshot = await finishedSnapshot(call, operator, id);
    expect(snapshot.requestedBy).toBe(`entra:${ALICE.oid} (Alice Example)`);

    // A v1 token names the user in `upn` / `unique_name`; an application's token carries no name at all.
    const bobOid = 'b0b00000-0000-4000-8000-000000000002';
    const bob = await sign({ oid: bobOid, name: undefined, preferred_username: undefined, upn: 'bob@contoso.example', roles: ['ImageWarden.Admin'] });
    expect((await call(bob, { method: 'POST', url: '/api/v1/keys', payload: { name: 'from-bob', role: 'auditor' } })).statusCode).toBe(201);
    const appOid = 'a9900000-0000-4000-8000-000000000003';
    const app = await sign({ oid: appOid, sub: appOid, name: undefined, preferred_username: undefined, roles: ['ImageWarden.Admin'], idtyp: 'app' });
    expect((await call(app, { method: 'POST', url: '/api/v1/keys', payload: { name: 'from-app', role: 'auditor' } })).statusCode).toBe(201);

    const entries = [...services.evidenceRepo.entries()];
    expect(entries.find((e) => e.kind === 'snapshot_committed' && e.subject === `snapshot:${id}`)?.actor).toBe(`entra:${ALICE.oid} (Alice Example)`);
    expect(entries.find((e) => e.kind === 'api_key_created' && e.subject === 'key:from-bob')?.actor).toBe(`entra:${bobOid} (bob@contoso.example)`);
    expect(entries.find((e) => e.kind === 'api_key_created' && e.subject === 'key:from-app')?.actor).toBe(`entra:${appOid}`);
  });

  it('are accepted with the tenant v2 issuer and with its v1 issuer (https://sts.windows.net/{tenant}/)', async () => {
    const { call, sign, v2Issuer } = await setup();
    expect(v2Issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/v2\.0$/);
    expect((await call(await sign({ iss: v2Issuer, ver: '2.0' }))).statusCode).toBe(200);
    const v1 = await sign({ iss: `https://sts.windows.net/${TENANT}/`, ver: '1.0', preferred_username: undefined, unique_name: 'alice@contoso.example' });
    expect((await call(v1)).statusCode).toBe(200);
  });

  it(`tolerate ${CLOCK_TOLERANCE_SECONDS} s of clock skew on exp and nbf, no more`, async () => {
    const { call, sign } = await setup();
    expect((await call(await sign({ exp: seconds() - 30 }))).statusCode).toBe(200);
    expect((await call(await sign({ nbf: seconds() + 30 }))).statusCode).toBe(200);
    expectRefused(await call(await sign({ exp: seconds() - 120 })), /expired/, 'expired');
    expectRefused(await call(await sign({ nbf: seconds() + 120, exp: seconds() + 3600 })), /not valid yet/, 'not yet valid');
  });

  it('are refused with 401 invalid_credentials when forged, for someone else, or out of date', async () => {
    const { call, sign, claims, authority } = await setup();
    const valid = await sign();
    expect((await call(valid)).statusCode).toBe(200);
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const hmac = (alg: string, secret: string, body: Record<string, unknown>) => {
      const unsigned = `${base64url({ alg, typ: 'JWT', kid: key.kid })}.${base64url(body)}`;
      return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
    };
    const cases: [label: string, token: string, why: RegExp][] = [
      ['expired', await sign({ iat: seconds() - 7200, nbf: seconds() - 7200, exp: seconds() - 3600 }), /expired/],
      ['not yet valid', await sign({ nbf: seconds() + 600, exp: seconds() + 4200 }), /not valid yet/],
      ['no exp', await sign({ exp: undefined }), /no exp claim/],
      ['wrong audience', await sign({ aud: 'api://someone-else' }), /audience/],
      ['the bare client id while the App ID URI is configured', await sign({ aud: CLIENT_ID }), /audience/],
      ['audience differing in case', await sign({ aud: AUDIENCE.toUpperCase() }), /audience/],
      ['issuer of the public cloud', await sign({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` }), /not issued by the configured/],
      ['issuer of another tenant', await sign({ iss: `${authority.url}/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT }), /not issued by the configured/],
      ['v1 issuer of another tenant', await sign({ iss: `https://sts.windows.net/${OTHER_TENANT}/` }), /not issued by the configured/],
      ["another tenant's tid", await sign({ tid: OTHER_TENANT }), /another tenant/],
      ['no tid', await sign({ tid: undefined }), /no tid claim/],
      ['alg none', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims({ roles: ['ImageWarden.Admin'] }))}.`, /RS256/],
      ['alg none with a signature', `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`, /RS256/],
      ['HS256 keyed with the public key', hmac('HS256', key.publicKeyPem, claims({ roles: ['ImageWarden.Admin'] })), /RS256/],
      ['RS512 with the published key', await new SignJWT(claims()).setProtectedHeader({ alg: 'RS512', kid: key.kid }).sign(createPrivateKey(await exportPKCS8(key.privateKey))), /RS256/],
      ['a key not in the JWKS (unknown kid)', await sign({}, unpublished), /key the tenant does not publish/],
      ['a key not in the JWKS, claiming a published kid', await signToken(unpublished, claims(), key.kid), /signature/],
      ['tampered payload', `${header}.${base64url(claims({ roles: ['ImageWarden.Admin'] }))}.${signature}`, /signature/],
      ['signature removed', `${header}.${payload}.`, /signature|well-formed/],
      ['signature of another token', `${header}.${payload}.${(await sign({ roles: ['ImageWarden.Admin'] })).split('.')[2]}`, /signature/],
    ];
    for (const [label, token, why] of cases) expectRefused(await call(token), why, label);
  });

  it('answer 403 no_role when genuine but carrying none of the ImageWarden app roles', async () => {
    const { call, sign } = await setup();
    const cases: [string, Record<string, unknown>][] = [
      ['no roles claim', { roles: undefined }],
      ['an empty roles claim', { roles: [] }],
      ['only other roles', { roles: ['Reader', 'Contoso.Admin'] }],
      ['a role spelled in another case', { roles: ['imagewarden.admin'] }],
      ['roles as a string, not an array', { roles: 'ImageWarden.Admin' }],
      ['a prototype name', { roles: ['constructor', '__proto__'] }],
    ];
    for (const [label, overrides] of cases) {
      const response = await call(await sign(overrides), { url: '/api/v1/pools' });
      expect(response.statusCode, label).toBe(403);
      expect(response.json(), label).toEqual({
        error: { code: 'no_role', message: expect.stringMatching(/holds no imagewarden role.*ImageWarden\.Auditor/), details: { actor: `entra:${ALICE.oid} (Alice Example)` } },
      });
    }
  });

  it('refuse garbage bearer values with 401 and a machine-readable body', async () => {
    const { call, app } = await setup();
    const garbage = [
      'a.b.c',
      'x.y.',
      'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl',
      `${base64url({ alg: 'RS256', kid: 7 })}.${base64url([1, 2, 3])}.c2lnbmF0dXJl`,
      `${base64url('just a string')}.${base64url({ iss: 1 })}.c2lnbmF0dXJl`,
      'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d',
      `${'A'.repeat(6000)}.${'B'.repeat(6000)}.${'C'.repeat(300)}`,
      'iw_not-a-real-key',
      '..',
      '%00%ff',
    ];
    for (const value of garbage) expectRefused(await call(value), /./, value.slice(0, 40));
    for (const authorization of ['Basic YWxpY2U6c2VjcmV0', 'Bearer', 'Bearer a b']) {
      const response = await app.inject({ url: '/api/v1/snapshots', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.json(), authorization).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });

  it('read the OpenID configuration and key set once, never for an API key or a token that cannot be the tenant’s', async () => {
    const { call, sign, claims, services, authority } = await setup();
    const apiKey = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
    expect((await call(apiKey)).statusCode).toBe(200);
    expectRefused(await call(await sign({ iss: 'https://sts.windows.net/someone-else/' })), /issued/, 'wrong issuer');
    expectRefused(await call(`${base64url({ alg: 'none' })}.${base64url(claims())}.`), /RS256/, 'alg none');
    expect(authority.requests).toEqual({ discovery: 0, jwks: 0, other: 0 });

    for (let i = 0; i < 3; i++) expect((await call(await sign())).statusCode).toBe(200);
    expect(authority.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
    // An unknown kid may refetch the key set, but not again within the cooldown of the last fetch.
    for (let i = 0; i < 3; i++) expectRefused(await call(await sign({}, unpublished)), /does not publish/, 'unknown kid');
    expect(authority.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
    expect((await call(apiKey)).statusCode).toBe(200);
    expect(authority.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
  });

  it('pick up a newly published signing key on its first use once the 30 s cooldown has passed', async () => {
    const { call, sign, authority } = await setup();
    expect((await call(await sign())).statusCode).toBe(200);
    authority.publish([key, rotated]);
    const withRotatedKey = await sign({}, rotated);
    expectRefused(await call(withRotatedKey), /does not publish/, 'within the cooldown');
    expect(authority.requests.jwks).toBe(1);
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
    expect((await call(withRotatedKey)).statusCode).toBe(200);
    expect(authority.requests.jwks).toBe(2);
    expectRefused(await call(await sign({}, unpublished)), /does not publish/, 'unknown kid right after the refetch');
    expect(authority.requests).toEqual({ discovery: 1, jwks: 2, other: 0 });
  });

  it('answer 503 identity_provider_unavailable (never 500) when the authority cannot be reached, and log why without the token', async () => {
    const { call, sign, authority, logs } = await setup();
    await authority.close();
    const token = await sign();
    const response = await call(token);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'identity_provider_unavailable', message: expect.stringMatching(/could not be reached/) } });
    expect(logs.join('\n')).toMatch(/could not read the OpenID configuration/);
    // Within the retry pause the authority is not asked again.
    expect((await call(token)).statusCode).toBe(503);
  });

  it('are not looked at when Entra ID is not configured: a JWT is an unknown API key (401) and nothing is fetched', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const { call, sign, authority } = await setup({ entra: false });
    const response = await call(await sign({ roles: ['ImageWarden.Admin'] }));
    expectRefused(response, /API key is unknown/, 'JWT without Entra ID');
    expect(authority.requests).toEqual({ discovery: 0, jwks: 0, other: 0 });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('accept a token from the ARM emulator’s own Entra ID endpoints (client credentials, app role assigned)', async () => {
    const client = { tenantId: FLEET_TENANT, clientId: randomUUID(), clientSecret: 'client-secret', roles: ['ImageWarden.Operator'] };
    const emulator = await startTestEmulator(fleetOfClusters(1), { clients: [client] });
    const { services, db } = createTestServices(
      testConfig(emulator, { IMAGEWARDEN_ENTRA_TENANT_ID: FLEET_TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE, IMAGEWARDEN_ENTRA_AUTHORITY: emulator.url }),
    );
    const app = await buildApp({ services });
    cleanups.push(async () => {
      await app.close();
      db.close();
    });
    const issued = await fetch(`${emulator.url}/${FLEET_TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: `${AUDIENCE}/.default` }),
    });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const call = (request: { method?: 'GET' | 'POST'; url: string }) => app.inject({ ...request, headers: { authorization: `Bearer ${token}` } });
    const started = await call({ method: 'POST', url: '/api/v1/snapshots' });
    expect(started.statusCode, started.body).toBe(202);
    const snapshot = await finishedSnapshot((_token, request) => call(request), token, started.json().id);
    expect(snapshot).toMatchObject({ status: 'succeeded', requestedBy: expect.stringMatching(/^entra:[0-9a-f-]{36}$/) });
    expect(emulator.callCounts()).toMatchObject({ openidConfiguration: 1, jwks: 1 });
  });
});
