import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createSigningKey, signToken, startEntraAuthority } from '../helpers/entra-authority.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { FAST_RETRY, testConfig } from '../helpers/service.js';

const TENANT = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const AUDIENCE = 'api://imagewarden-sessions';
const MINUTE = 60_000;
/** app.inject's own Host header: the origin a page of this service would send. */
const OWN_ORIGIN = 'http://localhost:80';
const SESSION_COOKIE = /^imagewarden_session=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Strict; Path=\/; Max-Age=(\d+)$/;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * The service over a real database file with a clock the test moves, every log line captured, and keys per role.
 * Everything secret the test sees (keys, session ids, CSRF tokens) is checked to be absent from the logs at the end.
 */
async function setup(options: { env?: Record<string, string>; rateLimitPerMinute?: number; trustProxy?: string } = {}) {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const config = testConfig(emulator, options.env ?? {});
  const db = openDatabase(config.databaseFile);
  migrate(db);
  let at = Date.now();
  const now = () => new Date(at);
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) }));
  const services = createServices({ config, db, logger, now, snapshotOptions: { retryPolicy: FAST_RETRY } });
  const app = await buildApp({
    services,
    logger,
    ...(options.rateLimitPerMinute ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  });
  const secrets: string[] = [];
  cleanups.push(async () => {
    await services.snapshotService.drain({ graceInMs: 2_000 });
    await app.close();
    db.close();
    const logged = logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
  const keys = Object.fromEntries(ROLES.map((role) => [role, services.keyService.create({ name: role, role, expiresAt: null, actor: 'test' }).key])) as Record<Role, string>;
  secrets.push(...Object.values(keys));

  /** Signs in with a bearer credential: the cookie and CSRF headers a page would send next, and the answer. */
  const signIn = async (credential: string, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${credential}`, ...headers } });
    expect(response.statusCode, response.body).toBe(201);
    const [, sessionId, maxAge] = SESSION_COOKIE.exec(String(response.headers['set-cookie']).replace(/; Secure$/, '')) ?? [];
    expect(sessionId).toBeDefined();
    const body = response.json() as { actor: string; role: Role; expiresAt: string; csrfToken: string; via: string };
    secrets.push(sessionId!, body.csrfToken);
    return { response, body, sessionId: sessionId!, maxAge: Number(maxAge), cookie: { cookie: `imagewarden_session=${sessionId}` }, csrf: { 'x-csrf-token': body.csrfToken } };
  };
  const advance = (ms: number) => {
    at += ms;
  };
  const ledger = (kind: string) => db.prepare('SELECT subject, actor, body FROM evidence_entries WHERE kind = ? ORDER BY seq').all(kind) as { subject: string; actor: string; body: string }[];
  return { app, services, db, config, keys, signIn, advance, now, ledger, secrets };
}

const codeOf = (response: LightMyRequestResponse) => (response.json() as { error?: { code?: string } }).error?.code;

describe('browser sessions', () => {
  it('signs in with each role\'s key: 201 with the session, an HttpOnly SameSite=Strict cookie, and session_started in the ledger', async () => {
    const h = await setup();
    for (const role of ROLES) {
      const { response, body, sessionId, maxAge } = await h.signIn(h.keys[role]);
      expect(body).toEqual({ actor: `key:${role}`, role, expiresAt: new Date(h.now().getTime() + 30 * MINUTE).toISOString(), csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), via: 'api_key' });
      // Exactly these attributes: no Secure over plain http, the cookie lives as long as the session may (8 hours).
      expect(response.headers['set-cookie']).toBe(`imagewarden_session=${sessionId}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800`);
      expect(maxAge).toBe(8 * 3600);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(body.csrfToken).not.toBe(sessionId);
    }
    const started = h.ledger('session_started');
    expect(started.map((entry) => entry.actor)).toEqual(['key:auditor', 'key:operator', 'key:admin']);
    const body = JSON.parse(started[2]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ role: 'admin', via: 'api_key', keyName: 'admin', session: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(started[2]!.subject).toBe(`session:${body.session as string}`);
    // The ledger names a session by a prefix of its hash: never the id, the CSRF token or the key.
    const everything = JSON.stringify(h.db.prepare('SELECT * FROM evidence_entries').all());
    for (const secret of h.secrets) expect(everything).not.toContain(secret);
    expect(h.services.evidence.verify().intact).toBe(true);
  });

  it('refuses a missing or bad credential as the bearer path does, a body or a query, and another origin', async () => {
    const h = await setup();
    const none = await h.app.inject({ method: 'POST', url: '/api/v1/session' });
    expect([none.statusCode, codeOf(none)]).toEqual([401, 'unauthenticated']);
    expect(none.headers['set-cookie']).toBeUndefined();
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: 'Bearer iw_garbage' } });
    expect([bad.statusCode, codeOf(bad)]).toEqual([401, 'invalid_credentials']);
    const auth = { authorization: `Bearer ${h.keys.admin}` };
    const field = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: auth, payload: { role: 'admin' } });
    expect([field.statusCode, codeOf(field)]).toEqual([400, 'invalid_request']);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/session?remember=1', headers: auth })).statusCode).toBe(400);
    const elsewhere = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { ...auth, origin: 'https://evil.example' } });
    expect([elsewhere.statusCode, codeOf(elsewhere)]).toEqual([403, 'csrf_failed']);
    expect(h.ledger('session_started')).toEqual([]);
    // An empty JSON object is no body at all; the page's own origin is fine.
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { ...auth, origin: OWN_ORIGIN }, payload: {} })).statusCode).toBe(201);
  });

  it('GET /api/v1/session gives a page load its session and CSRF token again; no, garbage or doubled cookies are 401', async () => {
    const h = await setup();
    const session = await h.signIn(h.keys.operator);
    const again = await h.app.inject({ url: '/api/v1/session', headers: session.cookie });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(session.body);
    expect(again.headers['cache-control']).toBe('no-store');
    for (const headers of [{}, { cookie: 'imagewarden_session=garbage' }, { cookie: `imagewarden_session=${'A'.repeat(43)}` }, { cookie: `imagewarden_session=${session.sessionId}; imagewarden_session=${session.sessionId}` }]) {
      const refused = await h.app.inject({ url: '/api/v1/session', headers });
      expect([refused.statusCode, codeOf(refused)], JSON.stringify(headers)).toEqual([401, 'unauthenticated']);
    }
    // A bearer key is not a session.
    expect((await h.app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${h.keys.operator}` } })).statusCode).toBe(401);
  });

  it('the cookie authenticates every route with its role; changes need X-CSRF-Token and, when sent, this origin', async () => {
    const h = await setup();
    const auditor = await h.signIn(h.keys.auditor);
    const operator = await h.signIn(h.keys.operator);
    const me = await h.app.inject({ url: '/api/v1/me', headers: operator.cookie });
    expect(me.json()).toMatchObject({ actor: 'key:operator', role: 'operator', via: 'api_key' });
    for (const url of ['/api/v1/pools', '/api/v1/snapshots', '/api/v1/compliance/summary', '/api/v1/evidence/verify']) {
      expect((await h.app.inject({ url, headers: auditor.cookie })).statusCode, url).toBe(200);
    }
    const snapshot = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/api/v1/snapshots', headers });
    // The role holds whatever the CSRF header says.
    const denied = await snapshot({ ...auditor.cookie, ...auditor.csrf });
    expect([denied.statusCode, codeOf(denied)]).toEqual([403, 'forbidden']);
    for (const [what, headers] of [
      ['no CSRF token', operator.cookie],
      ['another session\'s token', { ...operator.cookie, ...auditor.csrf }],
      ['a wrong token', { ...operator.cookie, 'x-csrf-token': 'x'.repeat(43) }],
      ['another origin', { ...operator.cookie, ...operator.csrf, origin: 'https://evil.example' }],
      ['the same host over https', { ...operator.cookie, ...operator.csrf, origin: 'https://localhost' }],
      ['an opaque origin', { ...operator.cookie, ...operator.csrf, origin: 'null' }],
    ] as const) {
      const refused = await snapshot(headers);
      expect([refused.statusCode, codeOf(refused)], what).toEqual([403, 'csrf_failed']);
    }
    expect(h.db.prepare('SELECT count(*) AS n FROM snapshots').get()).toEqual({ n: 0 });
    const started = await snapshot({ ...operator.cookie, ...operator.csrf, origin: OWN_ORIGIN });
    expect(started.statusCode).toBe(202);
    expect((await snapshot({ ...operator.cookie, ...operator.csrf })).statusCode).toBe(202);
    // Recorded as the key's actor, exactly as with the bearer header.
    expect(h.db.prepare('SELECT DISTINCT requested_by AS by FROM snapshots').all()).toEqual([{ by: 'key:operator' }]);
    // The bearer wins when both are sent: a bearer request needs no CSRF token, and a bad bearer is not rescued by a cookie.
    expect((await snapshot({ ...auditor.cookie, authorization: `Bearer ${h.keys.operator}` })).statusCode).toBe(202);
    expect((await h.app.inject({ url: '/api/v1/me', headers: { ...operator.cookie, authorization: 'Bearer iw_garbage' } })).statusCode).toBe(401);
  });

  it('revoking the key ends its sessions at once; an expiring key ends them when it expires', async () => {
    const h = await setup();
    const operator = await h.signIn(h.keys.operator);
    const other = await h.signIn(h.keys.operator);
    const admin = await h.signIn(h.keys.admin);
    expect((await h.app.inject({ url: '/api/v1/me', headers: operator.cookie })).statusCode).toBe(200);
    const revoked = await h.app.inject({ method: 'POST', url: '/api/v1/keys/operator/revoke', headers: { ...admin.cookie, ...admin.csrf } });
    expect(revoked.statusCode).toBe(200);
    for (const session of [operator, other]) {
      const refused = await h.app.inject({ url: '/api/v1/me', headers: session.cookie });
      expect([refused.statusCode, codeOf(refused)]).toEqual([401, 'unauthenticated']);
    }
    expect(h.db.prepare("SELECT end_reason AS reason FROM browser_sessions WHERE key_name = 'operator'").all()).toEqual([{ reason: 'key_revoked' }, { reason: 'key_revoked' }]);
    expect((await h.app.inject({ url: '/api/v1/me', headers: admin.cookie })).statusCode).toBe(200);

    const { key } = h.services.keyService.create({ name: 'short', role: 'auditor', expiresAt: new Date(h.now().getTime() + 10 * MINUTE).toISOString(), actor: 'test' });
    h.secrets.push(key);
    const short = await h.signIn(key);
    expect(short.maxAge).toBe(600);
    expect(short.body.expiresAt).toBe(new Date(h.now().getTime() + 10 * MINUTE).toISOString());
    h.advance(9 * MINUTE);
    expect((await h.app.inject({ url: '/api/v1/me', headers: short.cookie })).statusCode).toBe(200);
    h.advance(MINUTE + 1000);
    expect((await h.app.inject({ url: '/api/v1/me', headers: short.cookie })).statusCode).toBe(401);
  });

  it('idle expiry slides with use (at most one write a minute); absolute expiry ends even a busy session', async () => {
    const h = await setup();
    const session = await h.signIn(h.keys.auditor);
    const signedInAt = h.now().getTime();
    const lastSeen = () => (h.db.prepare('SELECT last_seen_at AS at FROM browser_sessions').get() as { at: string }).at;
    const get = () => h.app.inject({ url: '/api/v1/session', headers: session.cookie });

    // Under a minute after the last recorded use: nothing is written.
    h.advance(30_000);
    expect((await get()).json().expiresAt).toBe(new Date(signedInAt + 30 * MINUTE).toISOString());
    expect(lastSeen()).toBe(new Date(signedInAt).toISOString());
    // 29 minutes on, still alive; the use slides the idle expiry to 30 minutes from now.
    h.advance(29 * MINUTE);
    const slid = await get();
    expect(slid.statusCode).toBe(200);
    expect(slid.json().expiresAt).toBe(new Date(h.now().getTime() + 30 * MINUTE).toISOString());
    expect(lastSeen()).toBe(h.now().toISOString());
    // 30 idle minutes: ended.
    h.advance(30 * MINUTE);
    expect((await get()).statusCode).toBe(401);

    const busy = await h.signIn(h.keys.auditor);
    const busyAt = h.now().getTime();
    for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
      h.advance(20 * MINUTE);
      const answer = await h.app.inject({ url: '/api/v1/session', headers: busy.cookie });
      expect(answer.statusCode, `${minutes} minutes in`).toBe(200);
      // Never beyond the absolute expiry.
      expect(Date.parse(answer.json().expiresAt)).toBeLessThanOrEqual(busyAt + 8 * 60 * MINUTE);
    }
    h.advance(20 * MINUTE);
    expect((await h.app.inject({ url: '/api/v1/session', headers: busy.cookie })).statusCode).toBe(401);
    // Expiry writes no ledger entry.
    expect(h.ledger('session_ended')).toEqual([]);
  });

  it('sign-out needs the CSRF token, ends the session, clears the cookie and is recorded', async () => {
    const h = await setup();
    const session = await h.signIn(h.keys.admin);
    const unsafe = await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: session.cookie });
    expect([unsafe.statusCode, codeOf(unsafe)]).toEqual([403, 'csrf_failed']);
    const out = await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { ...session.cookie, ...session.csrf, origin: OWN_ORIGIN } });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expect(out.headers['set-cookie']).toBe('imagewarden_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
    expect((await h.app.inject({ url: '/api/v1/session', headers: session.cookie })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { ...session.cookie, ...session.csrf } })).statusCode).toBe(401);
    const ended = h.ledger('session_ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.actor).toBe('key:admin');
    expect(JSON.parse(ended[0]!.body)).toMatchObject({ reason: 'signed_out', role: 'admin', via: 'api_key' });
    expect(ended[0]!.subject).toBe(h.ledger('session_started')[0]!.subject);
    expect(h.db.prepare('SELECT end_reason AS reason FROM browser_sessions').get()).toEqual({ reason: 'signed_out' });
  });

  it('stores only SHA-256 of the session id and of the CSRF token: neither is anywhere in the database files', async () => {
    const h = await setup();
    const session = await h.signIn(h.keys.operator);
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(h.db.prepare('SELECT session_hash, csrf_hash FROM browser_sessions').get()).toEqual({ session_hash: sha256(session.sessionId), csrf_hash: sha256(session.body.csrfToken) });
    // The database, its WAL and anything else in the data dir.
    const files = readdirSync(h.config.dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.map((file) => file.name)).toContain('imagewarden.db');
    for (const file of files) {
      const bytes = readFileSync(join(file.parentPath, file.name));
      expect(bytes.includes(session.sessionId), file.name).toBe(false);
      expect(bytes.includes(session.body.csrfToken), file.name).toBe(false);
    }
  });

  it('sets Secure when the request came over https, which X-Forwarded-Proto says only from a trusted proxy', async () => {
    const direct = await setup();
    const spoofed = await direct.signIn(direct.keys.auditor, { 'x-forwarded-proto': 'https' });
    expect(spoofed.response.headers['set-cookie']).not.toMatch(/Secure/);

    const proxied = await setup({ trustProxy: 'loopback' });
    const session = await proxied.signIn(proxied.keys.operator, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'imagewarden.example' });
    expect(session.response.headers['set-cookie']).toBe(`imagewarden_session=${session.sessionId}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800; Secure`);
    const headers = { ...session.cookie, ...session.csrf, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'imagewarden.example' };
    expect((await proxied.app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: { ...headers, origin: 'https://imagewarden.example' } })).statusCode).toBe(202);
    expect((await proxied.app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: { ...headers, origin: 'http://imagewarden.example' } })).statusCode).toBe(403);
    const out = await proxied.app.inject({ method: 'DELETE', url: '/api/v1/session', headers });
    expect(out.headers['set-cookie']).toBe('imagewarden_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure');
  });

  it('signs in with an Entra ID token: the session never outlives the token; a token without a role is 403 no_role', async () => {
    const key = await createSigningKey('session-key');
    const authority = await startEntraAuthority(TENANT, [key]);
    cleanups.push(() => authority.close());
    const h = await setup({ env: { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE, IMAGEWARDEN_ENTRA_AUTHORITY: authority.url } });
    const seconds = Math.floor(h.now().getTime() / 1000);
    const token = (claims: Record<string, unknown>) =>
      signToken(key, { iss: `${authority.url}/${TENANT}/v2.0`, aud: AUDIENCE, tid: TENANT, oid: '0a1b2c3d-0000-4000-8000-00000000cafe', name: 'Sam Session', iat: seconds - 60, nbf: seconds - 60, exp: seconds + 20 * 60, roles: ['ImageWarden.Admin'], ...claims });
    const admin = await token({});
    h.secrets.push(admin);
    const session = await h.signIn(admin);
    expect(session.body).toMatchObject({ actor: 'entra:0a1b2c3d-0000-4000-8000-00000000cafe (Sam Session)', role: 'admin', via: 'entra', expiresAt: new Date((seconds + 20 * 60) * 1000).toISOString() });
    expect(session.maxAge).toBeLessThanOrEqual(20 * 60);
    expect(JSON.parse(h.ledger('session_started')[0]!.body)).toMatchObject({ via: 'entra', absoluteExpiresAt: new Date((seconds + 20 * 60) * 1000).toISOString() });
    expect(JSON.parse(h.ledger('session_started')[0]!.body)).not.toHaveProperty('keyName');
    expect((await h.app.inject({ url: '/api/v1/keys', headers: session.cookie })).statusCode).toBe(200);
    // Used within the idle timeout, but the token's exp has passed.
    h.advance(15 * MINUTE);
    expect((await h.app.inject({ url: '/api/v1/me', headers: session.cookie })).statusCode).toBe(200);
    h.advance(5 * MINUTE + 1000);
    expect((await h.app.inject({ url: '/api/v1/me', headers: session.cookie })).statusCode).toBe(401);

    const noRole = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${await token({ roles: ['Other.App'] })}` } });
    expect([noRole.statusCode, codeOf(noRole)]).toEqual([403, 'no_role']);
    const expired = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${await token({ exp: seconds - 3600 })}` } });
    expect([expired.statusCode, codeOf(expired)]).toEqual([401, 'invalid_credentials']);
  });

  it('limits failed sign-ins per address (garbage keys each count), and sign-in falls under the per-credential limit', async () => {
    const h = await setup({ rateLimitPerMinute: 600 });
    for (let i = 0; i < 10; i++) {
      const failed = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer iw_garbage-${i}` } });
      expect(failed.statusCode).toBe(401);
    }
    const limited = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${h.keys.auditor}` } });
    expect([limited.statusCode, codeOf(limited)]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    const elsewhere = await h.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress: '10.1.2.3', headers: { authorization: `Bearer ${h.keys.auditor}` } });
    expect(elsewhere.statusCode).toBe(201);
    h.secrets.push(SESSION_COOKIE.exec(String(elsewhere.headers['set-cookie']))![1]!);

    const strict = await setup({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) await strict.signIn(strict.keys.admin);
    const perCredential = await strict.app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${strict.keys.admin}` } });
    expect([perCredential.statusCode, codeOf(perCredential)]).toEqual([429, 'rate_limited']);
  });
});
