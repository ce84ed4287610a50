import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices, testConfig } from '../helpers/service.js';

describe('probes', () => {
  it('/healthz and /readyz need no key; /readyz answers 503 when the database is not at this schema version', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const { services, db } = createTestServices(testConfig(emulator));
    const app = await buildApp({ services });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const version = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${version + 1}`);
    const unready = await app.inject({ url: '/readyz' });
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toMatchObject({ status: 'not_ready', reason: expect.stringMatching(/schema/) });
    db.pragma(`user_version = ${version}`);
    // A stale or missing snapshot is not a reason to leave the load balancer.
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
    db.close();
  });
});
