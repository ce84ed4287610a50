import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ROLES } from '../../src/domain/roles.js';
import { createSigningKey, signToken, startEntraAuthority } from '../helpers/entra-authority.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { fleetOfClusters } from '../helpers/fleets.js';
import { createTestServices, testConfig } from '../helpers/service.js';

const TENANT = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const AUDIENCE = 'api://imagewarden-me';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('GET /api/v1/me', () => {
  it('answers the caller as evidence records it, with its role and how it signed in', async () => {
    const key = await createSigningKey('me');
    const authority = await startEntraAuthority(TENANT, [key]);
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const { services, db } = createTestServices(
      testConfig(emulator, { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: AUDIENCE, IMAGEWARDEN_ENTRA_AUTHORITY: authority.url }),
    );
    const app = await buildApp({ services });
    cleanups.push(async () => (await app.close(), db.close(), await authority.close()));
    const me = (bearer: string) => app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${bearer}` } });

    for (const role of ROLES) {
      const { key: apiKey } = services.keyService.create({ name: `dash-${role}`, role, expiresAt: null, actor: 'test' });
      const response = await me(apiKey);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ actor: `key:dash-${role}`, role, via: 'api_key', demo: false, maxExceptionDays: 90 });
    }

    const now = Math.floor(Date.now() / 1000);
    const token = await signToken(key, {
      iss: `${authority.url}/${TENANT}/v2.0`,
      aud: AUDIENCE,
      tid: TENANT,
      oid: '0a1b2c3d-0000-4000-8000-00000000beef',
      sub: 'me',
      name: 'Dana Dashboard',
      roles: ['ImageWarden.Operator'],
      iat: now - 60,
      nbf: now - 60,
      exp: now + 3600,
    });
    expect((await me(token)).json()).toEqual({ actor: 'entra:0a1b2c3d-0000-4000-8000-00000000beef (Dana Dashboard)', role: 'operator', via: 'entra', demo: false, maxExceptionDays: 90 });
    expect((await app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('says when the service runs the demo (the dashboard marks its data as demo data)', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const { services, db } = createTestServices(testConfig(emulator));
    const app = await buildApp({ services, demo: true });
    cleanups.push(async () => {
      await app.close();
      db.close();
    });
    const { key } = services.keyService.create({ name: 'demo-auditor', role: 'auditor', expiresAt: null, actor: 'test' });
    const response = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect(response.json()).toEqual({ actor: 'key:demo-auditor', role: 'auditor', via: 'api_key', demo: true, maxExceptionDays: 90 });
  });

  it('answers the longest exception the service allows (IMAGEWARDEN_MAX_EXCEPTION_DAYS), which the exception form offers', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const { services, db } = createTestServices(testConfig(emulator, { IMAGEWARDEN_MAX_EXCEPTION_DAYS: '30' }));
    const app = await buildApp({ services });
    cleanups.push(async () => {
      await app.close();
      db.close();
    });
    const { key } = services.keyService.create({ name: 'short-auditor', role: 'auditor', expiresAt: null, actor: 'test' });
    const response = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect(response.json()).toMatchObject({ actor: 'key:short-auditor', maxExceptionDays: 30 });
  });
});
