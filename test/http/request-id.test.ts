import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The app with a real pino logger writing JSON lines into memory. */
async function loggedApp() {
  const emulator = await startTestEmulator(fleetOfClusters(1));
  const { services, db } = createTestServices(testConfig(emulator));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await buildApp({ services, logger: pino({ level: 'info' }, sink) });
  const key = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
  return { app, lines, key, close: async () => (await app.close(), db.close()) };
}

describe('request ids', () => {
  it("a caller's x-request-id is echoed and is in every log line of its request", async () => {
    const h = await loggedApp();
    const ok = await h.app.inject({ url: '/api/v1/pools', headers: { authorization: `Bearer ${h.key}`, 'x-request-id': 'trace-4bf92f35.0001' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe('trace-4bf92f35.0001');
    const refused = await h.app.inject({ url: '/api/v1/pools', headers: { 'x-request-id': 'caller:42' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['x-request-id']).toBe('caller:42');
    const missing = await h.app.inject({ url: '/nowhere', headers: { 'x-request-id': 'lost-1' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-request-id']).toBe('lost-1');

    // Fastify's request lines (incoming, completed) and anything logged on the request's logger carry its id.
    const requestLines = h.lines.filter((line) => 'req' in line || 'res' in line || 'reqId' in line);
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    for (const line of requestLines) expect(['trace-4bf92f35.0001', 'caller:42', 'lost-1'], JSON.stringify(line)).toContain(line.reqId);
    for (const id of ['trace-4bf92f35.0001', 'caller:42', 'lost-1']) {
      const messages = h.lines.filter((line) => line.reqId === id).map((line) => line.msg);
      expect(messages, id).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    }
    // The credential never reaches the log.
    expect(JSON.stringify(h.lines)).not.toContain(h.key);
    await h.close();
  });

  it('without one, or with one that is not a plain token, the request gets a fresh UUID', async () => {
    const h = await loggedApp();
    const ids = new Set<string>();
    for (const presented of [undefined, 'has spaces in it', 'x'.repeat(129), 'new\nline', 'a,b']) {
      const response = await h.app.inject({ url: '/healthz', headers: presented === undefined ? {} : { 'x-request-id': presented } });
      const id = String(response.headers['x-request-id']);
      expect(id, String(presented)).toMatch(UUID);
      expect(h.lines.filter((line) => line.reqId === id).map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
      ids.add(id);
    }
    expect(ids.size).toBe(5);
    await h.close();
  });
});
