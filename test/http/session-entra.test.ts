import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { entraSignInSettings } from '../../src/auth/entra-sign-in.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createSigningKey, startEntraAuthority, type TestSigningKey } from '../helpers/entra-authority.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { FAST_RETRY, testConfig } from '../helpers/service.js';

const TENANT = '2b3c4d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d';
const AUDIENCE = 'api://imagewarden-entra-sign-in';
const CLIENT_ID = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const ALICE = { oid: 'a11ce000-0000-4000-8000-0000000000a1', name: 'Alice Admin', roles: ['ImageWarden.Admin'] };
const BOB = { oid: 'b0b00000-0000-4000-8000-0000000000b2', name: 'Bob Nobody', roles: ['SomeOtherApp.Reader'] };
const START = '/api/v1/session/entra';
const SIGNIN_COOKIE = /^imagewarden_signin=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Lax; Path=\/api\/v1\/session\/entra; Max-Age=1200$/;

let key: TestSigningKey;
beforeAll(async () => {
  key = await createSigningKey('sign-in-key');
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * The service with Entra ID sign-in pointed at a local authority (or not configured), every log line captured. At
 * the end, no log line may carry an authorization code, a PKCE verifier or a token the authority issued.
 */
async function setup(options: { entra?: boolean; env?: Record<string, string>; clientSecret?: string; rateLimitPerMinute?: number; trustProxy?: string } = {}) {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const authority = await startEntraAuthority(TENANT, [key], { clientId: CLIENT_ID, audience: AUDIENCE, ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}) });
  const entra: Record<string, string> =
    options.entra === false
      ? { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE }
      : { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT_ID };
  const config = testConfig(emulator, { IMAGEWARDEN_ENTRA_AUTHORITY: authority.url, ...entra, ...options.env });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) }));
  const services = createServices({ config, db, logger, snapshotOptions: { retryPolicy: FAST_RETRY } });
  const app = await buildApp({
    services,
    logger,
    entraSignIn: entraSignInSettings(config),
    ...(options.rateLimitPerMinute ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  });
  const secrets: string[] = [];
  cleanups.push(async () => {
    await app.close();
    db.close();
    await authority.close();
    const logged = logs.join('\n');
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });

  /** A browser: its cookies for this service, by name (as the Set-Cookie headers it got left them). */
  const browser = () => {
    const jar = new Map<string, string>();
    const keep = (response: LightMyRequestResponse) => {
      for (const line of [response.headers['set-cookie'] ?? []].flat()) {
        const [pair, ...attributes] = String(line).split('; ');
        const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
        if (attributes.includes('Max-Age=0') || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    };
    const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return {
      jar,
      async get(url: string, headers: Record<string, string> = {}) {
        const response = await app.inject({ url, headers: { ...(jar.size > 0 ? { cookie: cookie() } : {}), ...headers } });
        keep(response);
        return response;
      },
    };
  };

  /** GET /api/v1/session/entra: the authorize URL it redirects to, and the browser's sign-in cookie. */
  const start = async (client = browser(), headers: Record<string, string> = {}) => {
    const response = await client.get(START, headers);
    expect(response.statusCode, response.body).toBe(302);
    return { client, response, authorize: new URL(String(response.headers.location)) };
  };

  /** The authority's answer to the authorize request: the callback URL (path and query) the browser is sent back to. */
  const authorize = async (authorizeUrl: URL) => {
    const answer = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location')!);
    const code = back.searchParams.get('code');
    if (code !== null) secrets.push(code);
    return { back, path: `${back.pathname}${back.search}`, code };
  };

  /** The whole round trip in one browser: start, authorize, callback. */
  const signIn = async (client = browser()) => {
    const started = await start(client);
    const { path, code } = await authorize(started.authorize);
    const callback = await client.get(path);
    expect(callback.statusCode, callback.body).toBe(302);
    return { client, started, callback, code, location: String(callback.headers.location) };
  };

  const ledger = (kind: string) => db.prepare('SELECT subject, actor, body FROM evidence_entries WHERE kind = ? ORDER BY seq').all(kind) as { subject: string; actor: string; body: string }[];
  const sessions = () => (db.prepare('SELECT count(*) AS n FROM browser_sessions').get() as { n: number }).n;
  return { app, authority, services, browser, start, authorize, signIn, ledger, sessions, logs, secrets };
}

const signinError = (location: string) => new URL(location, 'http://localhost').searchParams.get('signin_error');

/** Signs in through the whole flow and fails unless it ended in a session. */
async function expectSignedIn(h: Awaited<ReturnType<typeof setup>>) {
  const result = await h.signIn();
  expect(result.location).toBe('/ui/');
  expect(result.client.jar.has('imagewarden_session')).toBe(true);
  return result;
}

describe('sign-in with Entra ID (authorization code flow with PKCE)', () => {
  it('starts at the tenant\'s authorize endpoint with state, nonce, an S256 challenge and a Lax cookie bound to the state', async () => {
    const h = await setup();
    const { response, authorize } = await h.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${h.authority.url}/${TENANT}/oauth2/v2.0/authorize`);
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toEqual({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'http://localhost:80/api/v1/session/entra/callback',
      response_mode: 'query',
      scope: `openid ${AUDIENCE}/.default`,
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      prompt: 'select_account',
    });
    expect(params.nonce).not.toBe(params.state);
    const [, bound] = SIGNIN_COOKIE.exec(String(response.headers['set-cookie'])) ?? [];
    expect(bound).toBe(params.state);
    expect(response.headers['cache-control']).toBe('no-store');
    // Each start is a new state and verifier.
    const again = await h.start();
    expect(again.authorize.searchParams.get('state')).not.toBe(params.state);
    expect(again.authorize.searchParams.get('code_challenge')).not.toBe(params.code_challenge);
  });

  it('an Entra ID user with an app role lands on /ui/ signed in: the session cookie works, with the role the app role grants, recorded like a key sign-in', async () => {
    const h = await setup();
    h.authority.signInAs(ALICE);
    const { client, callback, started } = await expectSignedIn(h);
    // The session cookie, exactly as POST /api/v1/session sets it, and the sign-in cookie cleared.
    const cookies = [callback.headers['set-cookie']].flat().map(String);
    expect(cookies).toContainEqual(expect.stringMatching(/^imagewarden_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/));
    expect(cookies).toContain('imagewarden_signin=; HttpOnly; SameSite=Lax; Path=/api/v1/session/entra; Max-Age=0');
    expect(client.jar.has('imagewarden_signin')).toBe(false);
    expect(callback.headers['cache-control']).toBe('no-store');
    h.secrets.push(client.jar.get('imagewarden_session')!);

    const session = await client.get('/api/v1/session');
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ actor: `entra:${ALICE.oid} (${ALICE.name})`, role: 'admin', via: 'entra' });
    h.secrets.push(session.json().csrfToken);
    const me = await client.get('/api/v1/me');
    expect(me.json()).toMatchObject({ actor: `entra:${ALICE.oid} (${ALICE.name})`, role: 'admin', via: 'entra' });
    // Admin's own routes answer to it.
    expect((await client.get('/api/v1/keys')).statusCode).toBe(200);

    const recorded = h.ledger('session_started');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.actor).toBe(`entra:${ALICE.oid} (${ALICE.name})`);
    expect(JSON.parse(recorded[0]!.body)).toMatchObject({ role: 'admin', via: 'entra' });

    // The token endpoint got the verifier whose S256 is the challenge the authorize request carried, as a public client.
    const form = h.authority.signIns.lastTokenForm!;
    expect(form).toMatchObject({ grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: 'http://localhost:80/api/v1/session/entra/callback', scope: `openid ${AUDIENCE}/.default` });
    expect(createHash('sha256').update(form.code_verifier!).digest('base64url')).toBe(started.authorize.searchParams.get('code_challenge'));
    expect(form).not.toHaveProperty('client_secret');
    h.secrets.push(form.code_verifier!);
  });

  it('a confidential client sends its secret; a wrong secret ends in token_exchange_failed', async () => {
    const right = await setup({ clientSecret: 'Q8x~right-secret_value', env: { IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'Q8x~right-secret_value' } });
    right.authority.signInAs(ALICE);
    await expectSignedIn(right);
    expect(right.authority.signIns.lastTokenForm!.client_secret).toBe('Q8x~right-secret_value');
    right.secrets.push('Q8x~right-secret_value');

    const wrong = await setup({ clientSecret: 'Q8x~right-secret_value', env: { IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'Q8x~stale-secret_value' } });
    wrong.authority.signInAs(ALICE);
    const { location, client } = await wrong.signIn();
    expect(signinError(location)).toBe('token_exchange_failed');
    expect(client.jar.has('imagewarden_session')).toBe(false);
    wrong.secrets.push('Q8x~stale-secret_value');
  });

  it('a user without an ImageWarden app role is sent back with no_role, and no session is made', async () => {
    const h = await setup();
    h.authority.signInAs(BOB);
    const { location, client } = await h.signIn();
    expect(location).toBe('/ui/?signin_error=no_role');
    expect(client.jar.has('imagewarden_session')).toBe(false);
    expect(h.sessions()).toBe(0);
    expect(h.ledger('session_started')).toEqual([]);
    // The log says who it was and why, for the operator.
    expect(h.logs.join('\n')).toContain(`entra:${BOB.oid} (${BOB.name})`);
  });

  it('Entra ID\'s own refusal (the user cancelled: access_denied; anything else: entra_error) is passed on, and the token endpoint is not asked', async () => {
    const h = await setup();
    h.authority.signInAs({ error: 'access_denied', errorDescription: 'AADSTS65004: User declined to consent to access the app.' });
    expect(signinError((await h.signIn()).location)).toBe('access_denied');
    h.authority.signInAs({ error: 'interaction_required' });
    expect(signinError((await h.signIn()).location)).toBe('entra_error');
    expect(h.authority.signIns.token).toBe(0);
    expect(h.sessions()).toBe(0);
  });

  it('the callback must come to the browser that started, with its state: another state, no cookie, or a replay is refused', async () => {
    const h = await setup();
    h.authority.signInAs(ALICE);
    // Login CSRF: an attacker's own callback URL (their code, their state) opened in the victim's browser.
    const attacker = await h.start();
    const attackerCallback = await h.authorize(attacker.authorize);
    const victim = await h.start();
    const planted = await victim.client.get(attackerCallback.path);
    expect(planted.headers.location).toBe('/ui/?signin_error=signin_state_mismatch');
    expect(victim.client.jar.has('imagewarden_session')).toBe(false);
    // A browser with no sign-in cookie at all.
    const fresh = await h.browser().get(attackerCallback.path);
    expect(fresh.headers.location).toBe('/ui/?signin_error=signin_state_mismatch');
    // Neither consumed the attacker's pending sign-in: with the right cookie it still completes (and only once).
    const own = await attacker.client.get(attackerCallback.path);
    expect(own.headers.location).toBe('/ui/');
    // Replayed with the same cookie (a copied request): the state was single use.
    const replay = await h.app.inject({ url: attackerCallback.path, headers: { cookie: `imagewarden_signin=${attacker.authorize.searchParams.get('state')}` } });
    expect(replay.headers.location).toBe('/ui/?signin_error=signin_expired');
    expect(String(replay.headers['set-cookie'])).not.toContain('imagewarden_session=');
    expect(h.sessions()).toBe(1);
    // The callback with no state, or no code and no error.
    const bare = await victim.client.get('/api/v1/session/entra/callback');
    expect(bare.headers.location).toBe('/ui/?signin_error=signin_state_mismatch');
  });

  it('a sign-in not finished within 10 minutes has expired', async () => {
    const h = await setup();
    h.authority.signInAs(ALICE);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    const started = await h.start();
    const { path } = await h.authorize(started.authorize);
    vi.setSystemTime(Date.now() + 10 * 60_000 + 1_000);
    const late = await started.client.get(path);
    expect(late.headers.location).toBe('/ui/?signin_error=signin_expired');
    expect(h.authority.signIns.token).toBe(0);
    expect(h.sessions()).toBe(0);
  });

  it('a token endpoint that is down, or refuses the code, ends in identity_provider_unavailable or token_exchange_failed', async () => {
    const h = await setup();
    h.authority.signInAs(ALICE);
    h.authority.tokenEndpoint('down');
    expect(signinError((await h.signIn()).location)).toBe('identity_provider_unavailable');
    h.authority.tokenEndpoint({ status: 400, error: 'invalid_grant' });
    expect(signinError((await h.signIn()).location)).toBe('token_exchange_failed');
    h.authority.tokenEndpoint({ status: 503, error: 'temporarily_unavailable' });
    expect(signinError((await h.signIn()).location)).toBe('identity_provider_unavailable');
    expect(h.sessions()).toBe(0);
    // Back to normal, the same service signs in.
    h.authority.tokenEndpoint('normal');
    await expectSignedIn(h);
  });

  it('a code is worth nothing without the verifier: the authority refuses a wrong one (invalid_grant), and the code is then spent', async () => {
    const h = await setup();
    h.authority.signInAs(ALICE);
    const started = await h.start();
    const { code, path } = await h.authorize(started.authorize);
    const stolen = await fetch(`${h.authority.url}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: code!, redirect_uri: 'http://localhost:80/api/v1/session/entra/callback', code_verifier: 'x'.repeat(43) }),
    });
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    expect(signinError(String((await started.client.get(path)).headers.location))).toBe('token_exchange_failed');
  });

  it('an unreachable authority at the start sends the browser back with identity_provider_unavailable', async () => {
    const h = await setup();
    await h.authority.close();
    const response = await h.browser().get(START);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/ui/?signin_error=identity_provider_unavailable');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('failed sign-ins count in the same per-address window as POST /api/v1/session', async () => {
    const h = await setup({ rateLimitPerMinute: 1000 });
    h.authority.signInAs(ALICE);
    const started = await h.start();
    const { path } = await h.authorize(started.authorize);
    for (let i = 0; i < 10; i++) expect((await h.browser().get(path)).headers.location).toBe('/ui/?signin_error=signin_state_mismatch');
    // Now the address is over the limit: a start, a callback and a key sign-in are all refused.
    expect((await h.browser().get(START)).headers.location).toBe('/ui/?signin_error=rate_limited');
    expect((await started.client.get(path)).headers.location).toBe('/ui/?signin_error=rate_limited');
    const key = h.services.keyService.create({ name: 'k', role: 'auditor', expiresAt: null, actor: 'test' }).key;
    h.secrets.push(key);
    const byKey = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${key}` } });
    expect(byKey.statusCode).toBe(429);
    expect(byKey.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('behind a trusted TLS proxy: the redirect URI is the public https origin, and the sign-in cookie is Secure', async () => {
    const h = await setup({ trustProxy: '127.0.0.1' });
    const { response, authorize } = await h.start(h.browser(), { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'imagewarden.contoso.example' });
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://imagewarden.contoso.example/api/v1/session/entra/callback');
    expect(String(response.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('GET /api/v1/session/methods says whether Entra ID sign-in is offered', async () => {
    const on = await setup();
    const offered = await on.browser().get('/api/v1/session/methods');
    expect(offered.statusCode).toBe(200);
    expect(offered.json()).toEqual({ apiKey: true, entra: { signInPath: '/api/v1/session/entra' } });
    const off = await setup({ entra: false });
    expect((await off.browser().get('/api/v1/session/methods')).json()).toEqual({ apiKey: true, entra: null });
  });

  it('not configured (no client id): the sign-in routes answer 404 entra_not_configured', async () => {
    const h = await setup({ entra: false });
    for (const url of [START, '/api/v1/session/entra/callback?code=x&state=y']) {
      const response = await h.browser().get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'entra_not_configured' } });
    }
  });

  it('the start takes no query; the callback takes Entra ID\'s extra parameters but bounds what it reads', async () => {
    const h = await setup();
    expect((await h.browser().get(`${START}?prompt=none`)).statusCode).toBe(400);
    const extra = await h.browser().get('/api/v1/session/entra/callback?state=s&code=c&session_state=x&client_info=y&iss=z');
    expect(extra.statusCode).toBe(302);
    expect((await h.browser().get(`/api/v1/session/entra/callback?state=${'s'.repeat(300)}`)).statusCode).toBe(400);
  });
});
