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
    ]) {
      const response = await h.app.inject({ method: 'GET', ...request });
      expect(response.headers['content-security-policy'], request.url).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(response.headers['x-powered-by']).toBeUndefined();
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
    expect(response.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    await h.close();
  });
});
