import { describe, expect, it } from 'vitest';
import { createArmCredential } from '../../src/azure/credential.js';
import { loadConfig } from '../../src/config.js';
import { fleetOfClusters, SUB_1, TENANT } from '../helpers/fleets.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createTestServices } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

const CLIENT = { tenantId: TENANT, clientId: '0b7e4a3c-5d2f-4e8a-9c1b-2f3e4d5a6b7c', clientSecret: 'emulator-secret' };

describe('identity', () => {
  it('takes a snapshot with the real ClientSecretCredential against the emulator’s Entra ID token endpoint', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(2), { clients: [CLIENT] });
    const config = loadConfig({
      IMAGEWARDEN_DATA_DIR: tempDir(),
      IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
      IMAGEWARDEN_SNAPSHOT_CRON: 'off',
      AZURE_TENANT_ID: CLIENT.tenantId,
      AZURE_CLIENT_ID: CLIENT.clientId,
      AZURE_CLIENT_SECRET: CLIENT.clientSecret,
      AZURE_AUTHORITY_HOST: emulator.url,
    });
    expect(config.armToken).toBeNull();
    expect(createArmCredential(config).constructor.name).toBe('ClientSecretCredential');
    const { services, db } = createTestServices(config);
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot).toMatchObject({ status: 'succeeded', subscriptions: [{ id: SUB_1, status: 'succeeded' }], clusterCount: 2 });
    expect(emulator.callCounts()['token']).toBeGreaterThanOrEqual(1);
    db.close();
  });

  it('a wrong client secret ends the snapshot failed with the reason, not a hang or a fall-through to other credentials', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1), { clients: [CLIENT] });
    const config = loadConfig({
      IMAGEWARDEN_DATA_DIR: tempDir(),
      IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
      AZURE_TENANT_ID: CLIENT.tenantId,
      AZURE_CLIENT_ID: CLIENT.clientId,
      AZURE_CLIENT_SECRET: 'wrong',
      AZURE_AUTHORITY_HOST: emulator.url,
    });
    const { services, db } = createTestServices(config);
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot.status).toBe('failed');
    expect(snapshot.error).toMatch(/AADSTS7000215|invalid_client|secret/i);
    // A credential failure is not retried as if it were a network fault.
    expect(snapshot.error).toMatch(/after 1 attempt/);
    db.close();
  });

  it('a static token goes to ARM as the bearer token, and a wrong one is a recorded 401 failure', async () => {
    const emulator = await startTestEmulator(fleetOfClusters(1));
    const config = loadConfig({ IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: 'not-the-token' });
    const { services, db } = createTestServices(config);
    const snapshot = await services.snapshotService.run('cli', 'test');
    expect(snapshot).toMatchObject({ status: 'failed', error: expect.stringMatching(/401/) });
    db.close();
  });
});
