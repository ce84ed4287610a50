import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from './emulator.js';
import { cluster, pool, SUB_1, SUB_2, TENANT, UBUNTU } from './fleets.js';
import { FAST_RETRY, silentLogger } from './service.js';
import { tempDir } from './temp-dir.js';

/** The image the small fleet's pools run, and the latest image until a test publishes another. */
export const SMALL_FLEET_IMAGE = `${UBUNTU}-202609.02.0`;

/**
 * The API over a small fleet — aks-a (pools keep, gone) in SUB_1, aks-b (pool nodes) in SUB_2 — on a clock the test
 * sets, with a key per role: `call` as a role, `snapshotAt` a moment. Schedules off unless `env` says otherwise.
 */
export async function smallFleetApi(env: Record<string, string> = {}) {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: SMALL_FLEET_IMAGE } },
    subscriptions: [
      { id: SUB_1, clusters: [cluster('aks-a', [pool('keep', { nodeImageVersion: SMALL_FLEET_IMAGE }), pool('gone', { nodeImageVersion: SMALL_FLEET_IMAGE })])] },
      { id: SUB_2, clusters: [cluster('aks-b', [pool('nodes', { nodeImageVersion: SMALL_FLEET_IMAGE })])] },
    ],
  });
  const config = loadConfig({
    IMAGEWARDEN_DATA_DIR: tempDir(),
    IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
    IMAGEWARDEN_ARM_TOKEN: emulator.token,
    IMAGEWARDEN_SUBSCRIPTIONS: `${SUB_1},${SUB_2}`,
    IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    ...env,
  });
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: 0 };
  const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
  const app = await buildApp({ services });
  const keys = {
    auditor: services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key,
    operator: services.keyService.create({ name: 'operator', role: 'operator', expiresAt: null, actor: 'test' }).key,
    admin: services.keyService.create({ name: 'admin', role: 'admin', expiresAt: null, actor: 'test' }).key,
  };
  const call = async (as: keyof typeof keys, url: string, payload?: object) => {
    const response = await app.inject({ method: payload ? 'POST' : 'GET', url, headers: { authorization: `Bearer ${keys[as]}` }, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: response.json() as Record<string, any> };
  };
  const snapshotAt = async (iso: string) => {
    clock.now = Date.parse(iso);
    return services.snapshotService.run('schedule', 'system');
  };
  const [a, b] = emulator.fleet.listClusterIds();
  return {
    emulator,
    services,
    clock,
    call,
    snapshotAt,
    a: a!,
    b: b!,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}
