import { fileURLToPath } from 'node:url';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestEmulator } from './emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from './fleets.js';
import { FAST_RETRY, silentLogger } from './service.js';
import { tempDir } from './temp-dir.js';

const OLD = `${UBUNTU}-202607.01.0`;
const NEW = `${UBUNTU}-202609.20.0`;

/**
 * October 2026, observed by a snapshot on the 1st, 10th and 20th: `system` is non-compliant all month (own
 * release 2026-07-01, SLA 30 days), `web` is upgraded on the 10th, and a cluster with a hostile name appears.
 */
export async function octoberOnRecord(extraClusters: ReturnType<typeof cluster>[] = [], extraEnv: Record<string, string> = {}) {
  const emulator = await startTestEmulator({
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: NEW } },
    subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: OLD, mode: 'System' }), pool('web', { nodeImageVersion: OLD })]), ...extraClusters] }],
  });
  const env = { IMAGEWARDEN_DATA_DIR: tempDir(), IMAGEWARDEN_ARM_ENDPOINT: emulator.url, IMAGEWARDEN_ARM_TOKEN: emulator.token, IMAGEWARDEN_SNAPSHOT_CRON: '0 0 * * *', ...extraEnv };
  const config = loadConfig(env);
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const clock = { now: Date.parse('2026-10-01T00:00:00Z') };
  const services = createServices({ config, db, logger: silentLogger, now: () => new Date(clock.now), snapshotOptions: { retryPolicy: FAST_RETRY } });
  const [clusterId] = emulator.fleet.listClusterIds();
  const snapshotOn = async (day: string) => {
    clock.now = Date.parse(`${day}T00:00:00Z`);
    const taken = await services.snapshotService.run("schedule", "system");
    expect(taken.status, JSON.stringify(taken)).toBe("succeeded");
  };
  await snapshotOn('2026-10-01');
  emulator.fleet.setPoolImage(clusterId!, 'web', NEW);
  await snapshotOn('2026-10-10');
  emulator.fleet.addPool(clusterId!, pool('batch', { nodeImageVersion: OLD }));
  await snapshotOn('2026-10-20');
  clock.now = Date.parse('2026-11-02T08:00:00Z');
  const auditor = services.keyService.create({ name: 'auditor', role: 'auditor', expiresAt: null, actor: 'test' }).key;
  const app = await buildApp({ services });
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${auditor}` } });
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${auditor}` } });
  return { services, db, app, get, post, clock, env, config, emulator, clusterId: clusterId! };
}

export async function pdfText(bytes: Buffer): Promise<string> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, disableFontFace: true, standardFontDataUrl: fileURLToPath(new URL('../../node_modules/pdfjs-dist/standard_fonts/', import.meta.url)) }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
  }
  return pages.join('\n');
}

