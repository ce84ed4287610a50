import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startEmulator } from '../../src/emulator/index.js';
import { fleetOfClusters, SUB_1 } from '../helpers/fleets.js';
import { requestFor, type FuzzHints, type FuzzRequest, type FuzzRoute } from '../helpers/fuzz-requests.js';
import { createTestServices } from '../helpers/service.js';

/*
 * Hostile input on every route: property-based requests through app.inject, and not one 5xx.
 *
 * One app serves the whole file: the routes are only known once it is built (onRoute), and each route gets its own
 * `it`. That is why the emulator and the data dir are not the per-test helpers' (their afterEach would close and
 * delete them after the first route). The state the fuzz leaves (keys, exceptions, runs) carries from route to route,
 * so a failure reproduces by running the whole file with the seed fast-check prints (IMAGEWARDEN_FUZZ_SEED).
 */
const SEED = Number(process.env.IMAGEWARDEN_FUZZ_SEED ?? 20_261_125);
/** Each route its own sequence (one seed for all would give every route the same shapes of input). */
const seedOf = (route: FuzzRoute) => [...`${route.method} ${route.url}`].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, SEED);
/** Per route, sized so the file stays well under a minute on a busy 2-core machine; IMAGEWARDEN_FUZZ_RUNS scales them. */
const SCALE = Number(process.env.IMAGEWARDEN_FUZZ_RUNS ?? 1);
const RUNS = { api: Math.round(50 * SCALE), other: Math.round(15 * SCALE), head: Math.round(8 * SCALE) };

const emulator = await startEmulator({ fleet: fleetOfClusters(2), caDir: process.env.IMAGEWARDEN_TEST_CA_DIR!, upgradeDurationMs: 200 });
const dataDir = mkdtempSync(join(tmpdir(), 'imagewarden-fuzz-'));
// Reports render in this process: the file needs no dist/ build, and a report costs no process start.
const config = loadConfig({ IMAGEWARDEN_DATA_DIR: dataDir, IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SNAPSHOT_CRON: 'off', IMAGEWARDEN_LOG_LEVEL: 'silent', IMAGEWARDEN_REPORT_HEAP_MB: '0' });
const { services, db } = createTestServices(config);
const routes: FuzzRoute[] = [];
const app = await buildApp({ services, onRoute: (route) => [route.method].flat().forEach((method) => routes.push({ method, url: route.url, schema: route.schema })) });
// An unguessable name: the fuzz revokes keys by name, never this one.
const adminKey = services.keyService.create({ name: `fuzz-admin-${Date.now().toString(36)}`, role: 'admin', expiresAt: null, actor: 'test' }).key;
services.keyService.create({ name: 'fuzz-auditor', role: 'auditor', expiresAt: null, actor: 'test' });
// A browser session the cookie header may carry (the session routes take nothing else).
const signIn = await app.inject({ method: 'POST', url: '/api/v1/session', headers: { authorization: `Bearer ${adminKey}` } });
const session = /^imagewarden_session=([^;]+)/.exec(String(signIn.headers['set-cookie']))![1]!;

// Something of each kind exists, so requests that name it get past the lookup into the handler's real work.
await services.snapshotService.run('cli', 'fuzz');
await services.nodeChecks.run('cli', 'fuzz');
const clusterIds = emulator.fleet.listClusterIds();
const exception = services.exceptionService.request(
  { scope: { kind: 'pool', clusterId: clusterIds[0]!, poolName: 'nodes' }, reason: 'fuzz', compensatingControl: 'fuzz', ticket: 'FUZZ-1', expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
  'key:someone-else',
);
const today = new Date().toISOString().slice(0, 10);
const report = services.reportService.create({ from: today, to: today }, 'test');
await services.reportService.completion(report.id);
// The upgrade runner is never started here (only `serve` executes runs): a requested run stays queued, no Azure work.
const run = (await services.upgradeService.request({ clusterId: clusterIds[1]!, reason: 'fuzz' }, { actor: 'key:operator', role: 'operator' }, 'fuzz-run')).body as { id: string };

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const lastMonth = inDays(-31).slice(0, 7);
const hints: FuzzHints = {
  clusterId: [...clusterIds, clusterIds[0]!.toUpperCase()],
  poolName: ['nodes'],
  pools: ['nodes'],
  subscriptionId: [SUB_1, SUB_1.toUpperCase()],
  tag: ['env=prod'],
  scope: ['fleet', SUB_1, { kind: 'pool', clusterId: clusterIds[0], poolName: 'nodes' }, { kind: 'cluster', clusterId: clusterIds[1] }, { kind: 'subscription', subscriptionId: SUB_1 }, { kind: 'tag', tag: 'env=prod' }],
  expiresAt: [inDays(1), inDays(89), inDays(91), inDays(-1)],
  period: [lastMonth],
  from: [inDays(-3).slice(0, 10), `${lastMonth}-01`],
  to: [inDays(-1).slice(0, 10), today],
  id: [exception.id, report.id, run.id, 1],
  name: ['fuzz-auditor'],
  seed: ['s', 'x'.repeat(128)],
  size: [1, 1000],
};
/**
 * The event stream of an existing run stays open until the run ends, and inject would wait for it: this route only
 * gets ids that name no run (random `upg_` ids never do), so every answer is immediate. A stream that opened anyway
 * would be a bug; the request's abort signal ends it so the property fails instead of hanging.
 */
const isEventStream = (route: FuzzRoute) => route.url.endsWith('/events');
const eventHints: FuzzHints = { ...hints, id: [1, 'upg_00000000-0000-4000-8000-000000000000'] };

// Traces and source paths: `at fn (file:1:2)` frames, our source tree, TypeScript positions, node_modules.
const TRACE = /\bat \S+ \([^)]*:\d+:\d+\)|\n\s+at \S|\/src\/|\.ts:\d|node_modules|file:\/\//;
const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

async function send(request: FuzzRequest, route: FuzzRoute) {
  return app.inject({ ...request, method: request.method as 'GET', ...(isEventStream(route) ? { signal: AbortSignal.timeout(5_000) } : {}) });
}

/** What each route answered, by status and error code: IMAGEWARDEN_FUZZ_STATS=1 prints it (to tune the generators). */
const tallies = new Map<string, Record<string, number>>();
function tally(route: FuzzRoute, request: FuzzRequest, response: Awaited<ReturnType<typeof send>>): void {
  const counts = tallies.get(`${route.method} ${route.url}`) ?? {};
  const label = response.statusCode >= 400 && request.method !== 'HEAD' ? `${response.statusCode} ${(response.json() as { error?: { code?: string } }).error?.code}` : String(response.statusCode);
  counts[label] = (counts[label] ?? 0) + 1;
  tallies.set(`${route.method} ${route.url}`, counts);
}

function check(route: FuzzRoute, request: FuzzRequest, response: Awaited<ReturnType<typeof send>>): void {
  const what = `${request.method} ${request.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, what).toBeLessThan(500);
  if (request.method === 'HEAD') return;
  const type = String(response.headers['content-type'] ?? '');
  if (response.statusCode >= 400) {
    expect(type, what).toMatch(/^application\/json/);
    const body = response.json() as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code === 'string' && SNAKE_CASE.test(body.error.code), `error code: ${what}`).toBe(true);
    expect(typeof body.error?.message, what).toBe('string');
    expect(response.body, what).not.toMatch(TRACE);
  } else if (/\/(x-nd)?json\b|\+json\b/.test(type)) {
    const texts = type.includes('ndjson') ? response.body.split('\n').filter(Boolean) : [response.body];
    for (const text of texts) expect(() => JSON.parse(text), what).not.toThrow();
    if (!route.url.startsWith('/docs')) expect(response.body, what).not.toMatch(TRACE);
  }
}

describe('fuzz: every route, hostile input, no 5xx', () => {
  afterAll(async () => {
    if (process.env.IMAGEWARDEN_FUZZ_STATS) for (const [route, counts] of tallies) console.log(route, JSON.stringify(counts));
    // Background work the fuzz started (snapshots, node checks, reports) ends before the store closes.
    await services.snapshotService.drain({ graceInMs: 2_000 });
    await services.nodeChecks.drain();
    await services.reportService.drain();
    await app.close();
    db.close();
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // What the fuzz found, each with the concrete input that answered 5xx or Fastify's own error body before the fix.
  describe('findings', () => {
    const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${adminKey}` } });
    const cursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it('a path parameter over 1024 characters or badly percent-encoded gets the standard error body (was Fastify\'s own)', async () => {
      // The router's limit fits a pool's ARM id as one encoded segment (GET /api/v1/pools/{id}/history).
      const long = await get(`/api/v1/snapshots/${'a'.repeat(1025)}`);
      expect(long.statusCode).toBe(414);
      expect(long.json()).toEqual({ error: { code: 'max_param_length', message: expect.any(String) } });
      const escape = await get('/api/v1/exceptions/%zz');
      expect(escape.statusCode).toBe(400);
      expect(escape.json()).toEqual({ error: { code: 'bad_url', message: expect.any(String) } });
    });

    it('a leap-second date-time (valid RFC 3339, no JavaScript Date) is a 400, not a 500', async () => {
      const listed = await get('/api/v1/exceptions?asOf=2026-06-30T23%3A59%3A60Z');
      expect(listed.statusCode).toBe(400);
      expect(listed.json()).toMatchObject({ error: { code: 'invalid_request', details: { in: 'querystring' } } });
      const findings = await get('/api/v1/findings?from=2026-06-30T23%3A59%3A60Z');
      expect(findings.statusCode).toBe(400);
      const key = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${adminKey}` }, payload: { name: 'leap', role: 'auditor', expiresAt: '2026-12-31T23:59:60Z' } });
      expect(key.statusCode).toBe(400);
      expect(key.json()).toMatchObject({ error: { code: 'invalid_request', details: { in: 'body' } } });
    });

    it('a cursor whose numbers no Date holds is invalid_cursor, not a 500', async () => {
      for (const url of [`/api/v1/findings?cursor=${cursor({ i: 1e308, t: 1e308 })}`, `/api/v1/pools?cursor=${cursor({ k: '', s: 1, t: 8.64e15 + 1 })}`, `/api/v1/snapshots?cursor=${cursor({ id: 0.5 })}`]) {
        const answer = await get(url);
        expect(answer.statusCode, url).toBe(400);
        expect(answer.json(), url).toMatchObject({ error: { code: 'invalid_cursor' } });
      }
    });
  });

  it('found the routes through onRoute', () => {
    expect(routes.filter((r) => r.url.startsWith('/api/')).length).toBeGreaterThan(30);
  });

  // Every registered route, the OpenAPI viewer's static files included (fewer runs: a file server, not our code).
  for (const route of routes) {
    const numRuns = route.method === 'HEAD' ? RUNS.head : route.url.startsWith('/api/') ? RUNS.api : RUNS.other;
    it(`${route.method} ${route.url}`, async () => {
      const arbitrary = requestFor(route, hints, adminKey, isEventStream(route) ? eventHints : hints, session);
      await fc.assert(
        fc.asyncProperty(arbitrary, async (request) => {
          const response = await send(request, route);
          check(route, request, response);
          tally(route, request, response);
        }),
        { seed: seedOf(route), numRuns },
      );
    });
  }
});
