import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createSigningKey, signToken, startEntraAuthority } from '../helpers/entra-authority.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const TENANT = '5f2b8c1d-3e4a-4b6c-9d7e-1a2b3c4d5e6f';
const AUDIENCE = 'api://imagewarden-route-walk';
const APP_ROLE: Record<Role, string> = { auditor: 'ImageWarden.Auditor', operator: 'ImageWarden.Operator', admin: 'ImageWarden.Admin' };

/** Every registered route, as Fastify saw it. A new route without a declared role fails this suite. */
async function buildWithRoutes(env: Record<string, string> = {}) {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const { services, db } = createTestServices(testConfig(emulator, env));
  const routes: { method: string; url: string; access: string | undefined; schema: Record<string, unknown> | undefined }[] = [];
  const app = await buildApp({
    services,
    onRoute: (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.access, schema: route.schema });
    },
  });
  const keys = Object.fromEntries(
    ROLES.map((role) => [role, services.keyService.create({ name: role, role, expiresAt: null, actor: 'test' }).key]),
  ) as Record<Role, string>;
  return { app, routes, keys, services, db };
}

// Placeholders name nothing that exists: a request that gets past auth must not change what later requests see.
const concrete = (url: string) => url.replace(':id', '1').replace(':name', 'nobody');

type App = Awaited<ReturnType<typeof buildWithRoutes>>['app'];

/** A fresh browser session for a bearer credential: the cookie and CSRF headers a dashboard would send. */
async function sessionHeaders(app: App, credential: string): Promise<Record<string, string>> {
  const signIn = await app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${credential}` } });
  expect(signIn.statusCode).toBe(201);
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  return { cookie, 'x-csrf-token': signIn.json().csrfToken };
}

/**
 * The session routes are explicit exceptions to the role matrix: sign-in (POST) is public at the route and checks
 * the bearer credential itself (any role's → 201); reading and ending a session (GET, DELETE) take the session
 * cookie only, whatever its role — a bearer credential there is no session (401).
 */
const isSignIn = (route: { method: string; url: string }) => route.method === 'POST' && route.url === '/api/v1/session';
/**
 * Sign-in with Entra ID is public too (a browser arrives there with no credential): which methods the page may offer,
 * the start that redirects to Entra ID, and the callback Entra ID redirects back to. Not configured here, the last
 * two answer 404 entra_not_configured (test/http/session-entra.test.ts covers them configured).
 */
const ENTRA_SIGN_IN_ROUTES = ['/api/v1/session/methods', '/api/v1/session/entra', '/api/v1/session/entra/callback'];
const isEntraSignIn = (route: { method: string; url: string }) => route.method === 'GET' && ENTRA_SIGN_IN_ROUTES.includes(route.url);

describe('route roles', () => {
  it('every route declares its access, and only the probes, /metrics, the API description and the dashboard pages are public', async () => {
    const { app, routes, db } = await buildWithRoutes();
    expect(routes.length).toBeGreaterThan(5);
    // /metrics checks IMAGEWARDEN_METRICS_TOKEN itself when it is set (test/http/metrics.test.ts). The dashboard's
    // pages (/ redirects to /ui/) hold no data: what they show comes from the /api/ routes, which authenticate.
    const isPublic = (url: string) =>
      ['/healthz', '/readyz', '/metrics', '/openapi.json', '/', '/ui', '/ui/*'].includes(url) || url === '/docs' || url.startsWith('/docs/');
    for (const route of routes) {
      expect(route.access, `${route.method} ${route.url}`).toBeDefined();
      if (route.url === '/api/v1/session') expect(route.access, `${route.method} ${route.url}`).toBe(isSignIn(route) ? 'public' : 'session');
      else if (ENTRA_SIGN_IN_ROUTES.includes(route.url)) expect(route.access, `${route.method} ${route.url}`).toBe(isEntraSignIn(route) ? 'public' : 'unexpected');
      else if (route.url.startsWith('/api/')) expect(ROLES, `${route.method} ${route.url}`).toContain(route.access);
      else {
        expect(isPublic(route.url), `${route.method} ${route.url}`).toBe(true);
        expect(route.access, `${route.method} ${route.url}`).toBe('public');
      }
    }
    expect(routes.filter((route) => route.access === 'public').map((route) => route.url)).toEqual(expect.arrayContaining(['/metrics', '/openapi.json', '/docs', '/', '/ui/*']));
    // Who was alerted, and when, is for admins (the deliveries name the receiver's outcomes, never the secret).
    expect(routes.find((route) => route.url === '/api/v1/webhooks/deliveries')?.access).toBe('admin');
    // Every signed-in caller may ask who it is (the dashboard shows it): the lowest role.
    expect(routes.find((route) => route.url === '/api/v1/me')?.access).toBe('auditor');
    // The compliance trend is a read of the figures, like the summary: auditor.
    expect(routes.find((route) => route.url === '/api/v1/compliance/trend')?.access).toBe('auditor');
    await app.close();
    db.close();
  });

  it('every route has a schema for its query, its body (when it takes one), its params (when it has any) and its answers', async () => {
    const { app, routes, db } = await buildWithRoutes();
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      expect(route.schema?.querystring, name).toBeDefined();
      expect(route.schema?.response, name).toBeDefined();
      if (route.method === 'POST') expect(route.schema?.body, name).toBeDefined();
      if (route.url.includes(':')) expect(route.schema?.params, name).toBeDefined();
      if (route.url.startsWith('/api/')) expect(Object.keys(route.schema!.response as object), name).toEqual(expect.arrayContaining(['400', '401', '403', '500']));
    }
    await app.close();
    db.close();
  });

  it('every /api/ route answers 401 without a key or with a bad one, and 403 for each role below its own', async () => {
    const { app, routes, keys, db } = await buildWithRoutes();
    expect(routes.filter(isEntraSignIn).map((route) => route.url).sort()).toEqual([...ENTRA_SIGN_IN_ROUTES].sort());
    for (const route of routes.filter(isEntraSignIn)) {
      // No credential needed, and none changes the answer.
      for (const headers of [{}, { authorization: 'Bearer iw_not-a-real-key' }, { authorization: `Bearer ${keys.admin}` }]) {
        const answer = await app.inject({ url: route.url, headers });
        if (route.url === '/api/v1/session/methods') expect(answer.json(), route.url).toEqual({ apiKey: true, entra: null });
        else expect(answer.json(), route.url).toMatchObject({ error: { code: 'entra_not_configured' } });
      }
    }
    for (const route of routes.filter((r) => r.url.startsWith('/api/') && !isEntraSignIn(r))) {
      const url = concrete(route.url);
      const method = route.method as 'GET' | 'POST' | 'DELETE';
      const none = await app.inject({ method, url });
      expect(none.statusCode, `${method} ${url} without a key`).toBe(401);
      expect(none.json()).toMatchObject({ error: { code: 'unauthenticated' } });
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const bad = await app.inject({ method, url, headers: { authorization: 'Bearer iw_not-a-real-key' } });
      expect(bad.statusCode, `${method} ${url} with a bad key`).toBe(401);
      if (isSignIn(route)) {
        for (const role of ROLES) expect((await app.inject({ method, url, headers: { authorization: `Bearer ${keys[role]}` } })).statusCode, `sign-in as ${role}`).toBe(201);
        continue;
      }
      if (route.access === 'session') {
        for (const role of ROLES) {
          const bearer = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[role]}` } });
          expect(bearer.statusCode, `${method} ${url} with ${role}'s bearer key`).toBe(401);
          const cookie = await app.inject({ method, url, headers: await sessionHeaders(app, keys[role]) });
          expect(cookie.statusCode, `${method} ${url} with ${role}'s session`).toBeLessThan(300);
        }
        continue;
      }
      const required = ROLES.indexOf(route.access as Role);
      for (const role of ROLES.slice(0, required)) {
        const denied = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[role]}` } });
        expect(denied.statusCode, `${method} ${url} as ${role}`).toBe(403);
        expect(denied.json()).toMatchObject({ error: { code: 'forbidden', details: { requiredRole: route.access, role } } });
      }
      for (const role of ROLES.slice(required)) {
        const allowed = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[role]}` } });
        expect([401, 403], `${method} ${url} as ${role}`).not.toContain(allowed.statusCode);
      }
    }
    await app.close();
    db.close();
  });

  it('a session cookie gets exactly the role of the credential it was made from on every /api/ route (changes with its CSRF token)', async () => {
    const { app, routes, keys, db } = await buildWithRoutes();
    for (const route of routes.filter((r) => r.url.startsWith('/api/') && r.access !== 'session' && !isEntraSignIn(r))) {
      const url = concrete(route.url);
      const method = route.method as 'GET' | 'POST' | 'DELETE';
      const required = isSignIn(route) ? -1 : ROLES.indexOf(route.access as Role);
      for (const [index, role] of ROLES.entries()) {
        const answer = await app.inject({ method, url, headers: await sessionHeaders(app, keys[role]) });
        // Sign-in takes a bearer credential, never a cookie: a session does not make another.
        if (required === -1) expect(answer.statusCode, `${method} ${url} with ${role}'s session`).toBe(401);
        else if (index < required) expect(answer.json(), `${method} ${url} with ${role}'s session`).toMatchObject({ error: { code: 'forbidden', details: { requiredRole: route.access, role } } });
        else expect([401, 403], `${method} ${url} with ${role}'s session`).not.toContain(answer.statusCode);
      }
    }
    await app.close();
    db.close();
  });

  it('every /api/ route refuses unknown query parameters and (where it takes one) a body of the wrong shape, storing nothing', async () => {
    const { app, routes, keys, db } = await buildWithRoutes();
    const bearer = { authorization: `Bearer ${keys.admin}` };
    const stored = () =>
      db.prepare('SELECT (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM api_keys) + (SELECT count(*) FROM exceptions) + (SELECT count(*) FROM exception_events) AS n').get();
    const before = stored();
    // Entra ID's callback alone takes parameters it does not name: Entra ID adds its own (session_state and the like).
    for (const route of routes.filter((r) => r.url.startsWith('/api/') && r.url !== '/api/v1/session/entra/callback')) {
      const url = concrete(route.url);
      const method = route.method as 'GET' | 'POST' | 'DELETE';
      const headers = route.access === 'session' ? await sessionHeaders(app, keys.admin) : bearer;
      const unknown = await app.inject({ method, url: `${url}?unexpected=1`, headers });
      expect(unknown.statusCode, `${method} ${url}?unexpected=1`).toBe(400);
      expect(unknown.json().error.code, `${method} ${url}`).toMatch(/^[a-z_]+$/);
      if (method === 'POST') {
        for (const payload of [{ unexpected: true }, [1, 2, 3], 'x'.repeat(70 * 1024)]) {
          const bad = await app.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
          expect([400, 413], `${method} ${url} with ${JSON.stringify(payload).slice(0, 20)}`).toContain(bad.statusCode);
          expect(bad.json().error.code).toMatch(/^[a-z_]+$/);
        }
      }
    }
    expect(stored()).toEqual(before);
    await app.close();
    db.close();
  });

  it('a revoked or expired key is refused', async () => {
    const { app, keys, services, db } = await buildWithRoutes();
    services.keyService.revoke('auditor', 'test');
    const revoked = await app.inject({ url: '/api/v1/snapshots', headers: { authorization: `Bearer ${keys.auditor}` } });
    expect(revoked.statusCode).toBe(401);
    await app.close();
    db.close();
  });

  it('refuses unknown query parameters and body fields with 400 and a machine-readable body', async () => {
    const { app, keys, db } = await buildWithRoutes();
    const headers = { authorization: `Bearer ${keys.admin}` };
    const query = await app.inject({ url: '/api/v1/pools?colour=blue', headers });
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const body = await app.inject({ method: 'POST', url: '/api/v1/keys', headers, payload: { name: 'x', role: 'auditor', admin: true } });
    expect(body.statusCode).toBe(400);
    const limit = await app.inject({ url: '/api/v1/pools?limit=1001', headers });
    expect(limit.statusCode).toBe(400);
    const cursor = await app.inject({ url: '/api/v1/pools?cursor=garbage', headers });
    expect(cursor.json()).toMatchObject({ error: { code: 'invalid_cursor' } });
    const asOf = await app.inject({ url: '/api/v1/pools?asOf=yesterday', headers });
    expect(asOf.statusCode).toBe(400);
    const missing = await app.inject({ url: '/api/v1/snapshots/999', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'snapshot_not_found' } });
    const json = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toMatch(/^[a-z_]+$/);
    await app.close();
    db.close();
  });

  it('the same matrix with Entra ID tokens: an expired token is 401 on every /api/ route, each app role gets exactly its role', async () => {
    const key = await createSigningKey('route-walk');
    const authority = await startEntraAuthority(TENANT, [key]);
    const { app, routes, db } = await buildWithRoutes({ IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE, IMAGEWARDEN_ENTRA_AUTHORITY: authority.url });
    const now = Math.floor(Date.now() / 1000);
    const token = (roles: string[], lifetime: { iat: number; exp: number }) =>
      signToken(key, { iss: `${authority.url}/${TENANT}/v2.0`, aud: AUDIENCE, tid: TENANT, oid: '0a1b2c3d-0000-4000-8000-00000000aaaa', sub: 'route-walk', name: 'Route Walk', roles, nbf: lifetime.iat, ...lifetime });
    const current = { iat: now - 60, exp: now + 3600 };
    const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await token([APP_ROLE[role]], current)]))) as Record<Role, string>;
    const expired = await token([APP_ROLE.admin], { iat: now - 7200, exp: now - 3600 });
    for (const route of routes.filter((r) => r.url.startsWith('/api/') && !isEntraSignIn(r))) {
      const url = concrete(route.url);
      const method = route.method as 'GET' | 'POST' | 'DELETE';
      const stale = await app.inject({ method, url, headers: { authorization: `Bearer ${expired}` } });
      expect(stale.statusCode, `${method} ${url} with an expired token`).toBe(401);
      // The session routes do not read a bearer token: no cookie, no session.
      expect(stale.json()).toMatchObject({ error: { code: route.access === 'session' ? 'unauthenticated' : 'invalid_credentials' } });
      if (isSignIn(route) || route.access === 'session') {
        for (const role of ROLES) {
          const answer = await app.inject({ method, url, headers: route.access === 'session' ? await sessionHeaders(app, tokens[role]) : { authorization: `Bearer ${tokens[role]}` } });
          expect(answer.statusCode, `${method} ${url} as ${role} (token)`).toBe(isSignIn(route) ? 201 : method === 'DELETE' ? 204 : 200);
        }
        continue;
      }
      const required = ROLES.indexOf(route.access as Role);
      for (const role of ROLES.slice(0, required)) {
        const denied = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` } });
        expect(denied.statusCode, `${method} ${url} as ${role} (token)`).toBe(403);
      }
      for (const role of ROLES.slice(required)) {
        const allowed = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` } });
        expect([401, 403], `${method} ${url} as ${role} (token)`).not.toContain(allowed.statusCode);
      }
    }
    await app.close();
    db.close();
    await authority.close();
  });
});
