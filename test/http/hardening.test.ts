import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { createTestServices, testConfig } from '../helpers/service.js';

async function harness(rateLimitPerMinute?: number) {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const { services, db } = createTestServices(testConfig(emulator));
  const app = await buildApp({ services, ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }) });
  const key = (name: string, role: 'auditor' | 'operator' = 'auditor') => services.keyService.create({ name, role, expiresAt: null, actor: 'test' }).key;
  return { app, key, close: async () => (await app.close(), db.close()) };
}

describe('hardening', () => {
  it('sends security headers on every answer, errors included, and nothing that names the server', async () => {
    const h = await harness();
    const auditor = h.key('auditor');
    for (const request of [
      { url: '/api/v1/pools', headers: { authorization: `Bearer ${auditor}` } },
      { url: '/api/v1/pools', headers: {} },
      { url: '/no/such/route', headers: {} },
      { url: '/healthz', headers: {} },
      // Answered by the router before any hook runs (a path parameter over 100 characters).
      { url: `/api/v1/snapshots/${'a'.repeat(101)}`, headers: {} },
    ]) {
      const response = await h.app.inject({ method: 'GET', ...request });
      expect(response.headers['content-security-policy'], request.url).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
    }
    await h.close();
  });

  it('limits requests per credential with 429, Retry-After and the error shape; another key and the probes are unaffected', async () => {
    const h = await harness(5);
    const first = h.key('first');
    const second = h.key('second');
    const get = (key: string | null, url = '/api/v1/snapshots') => h.app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
    for (let i = 0; i < 5; i++) expect((await get(first)).statusCode).toBe(200);
    const limited = await get(first);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited', details: { limitPerMinute: 5 } } });
    expect(JSON.stringify(limited.json())).not.toContain(first);
    expect((await get(second)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await get(null, '/healthz')).statusCode).toBe(200);
    await h.close();
  });

  it('takes its limit from IMAGEWARDEN_RATE_LIMIT_PER_MINUTE (600 by default, 0 switches it off)', () => {
    expect(loadConfig({}).rateLimitPerMinute).toBe(600);
    expect(loadConfig({ IMAGEWARDEN_RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(() => loadConfig({ IMAGEWARDEN_RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/IMAGEWARDEN_RATE_LIMIT_PER_MINUTE/);
  });

  it('refuses a body over 64 KB with 413 and the error shape, never a 500', async () => {
    const h = await harness();
    const operator = h.key('big', 'operator');
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/exceptions', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, payload: JSON.stringify({ reason: 'x'.repeat(70_000) }) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'body_too_large', message: expect.any(String) } });
    await h.close();
  });

  it('names the framework\'s own client errors in the API\'s words', async () => {
    const h = await harness();
    const headers = { authorization: `Bearer ${h.key('ops', 'operator')}` };
    const post = (contentType: string, payload: string) => h.app.inject({ method: 'POST', url: '/api/v1/exceptions', headers: { ...headers, 'content-type': contentType }, payload });
    expect((await post('application/xml', '<reason/>')).json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect((await post('application/json', '{"reason":')).json()).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/) } });
    expect(JSON.stringify((await post('application/json', '{"reason":')).json())).not.toMatch(/FST_|fastify/i);
    await h.close();
  });

  it('refuses control characters and lone surrogates in free text kept as evidence; tabs and line breaks are text', async () => {
    const h = await harness();
    const headers = { authorization: `Bearer ${h.key('ops', 'operator')}`, 'content-type': 'application/json' };
    const request = (reason: string) => ({ scope: { kind: 'subscription', subscriptionId: '00000000-0000-0000-0000-000000000001' }, reason, compensatingControl: 'WAF', ticket: 'CHG-1', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    for (const reason of ['nul \u0000 inside', 'bell \u0007', 'escape \u001b[31m', 'lone \ud800 surrogate', ' \n\t ']) {
      // JSON.stringify escapes a lone surrogate as \\udXXX; the server's JSON.parse turns it back into one.
      const response = await h.app.inject({ method: 'POST', url: '/api/v1/exceptions', headers, payload: JSON.stringify(request(reason)) });
      expect(response.statusCode, reason).toBe(400);
      expect(response.json().error.details.problems.some((p: { path: string }) => p.path === '/reason'), reason).toBe(true);
    }
    const accepted = await h.app.inject({ method: 'POST', url: '/api/v1/exceptions', headers, payload: JSON.stringify(request('line one\nline two\ttabbed — naïve ✓ 𝄞')) });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json().reason).toBe('line one\nline two\ttabbed — naïve ✓ 𝄞');
    await h.close();
  });
});
