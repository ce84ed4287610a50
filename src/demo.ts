import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.js';
import { startEmulator } from './emulator/index.js';
import { createLogger } from './lib/logger.js';
import { createServices } from './services/create-services.js';
import { openDatabase } from './store/database.js';
import { migrate } from './store/migrate.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

/**
 * `npm run demo`: the ARM emulator with the built-in demo fleet, the real service against it (its own process,
 * trusting the emulator's CA through NODE_EXTRA_CA_CERTS exactly as in production), one API key per role, and a
 * first snapshot. Prints the URL and the keys and writes them to <data dir>/demo.json. Ctrl-C stops both.
 */
export async function runDemo(): Promise<void> {
  const config = loadConfig();
  const emulator = await startEmulator({ caDir: join(config.dataDir, 'demo-ca') });
  const service = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
      IMAGEWARDEN_ARM_TOKEN: emulator.token,
      NODE_EXTRA_CA_CERTS: emulator.caFile,
      IMAGEWARDEN_DEMO: '1',
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const stop = async (code: number) => {
    service.kill('SIGTERM');
    await emulator.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  try {
    const url = await waitForListening(service);
    const keys = createDemoKeys(config);
    const snapshot = await takeFirstSnapshot(url, keys.operator);
    // The node-level cross-check too, so node evidence is there from the start (it runs in the background).
    const nodeCheck = (await (await fetch(`${url}/api/v1/node-checks`, { method: 'POST', headers: { authorization: `Bearer ${keys.operator}` } })).json()) as { id: number };
    writeFileSync(join(config.dataDir, 'demo.json'), `${JSON.stringify({ url, keys }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(join(config.dataDir, 'demo.json'), 0o600);
    process.stdout.write(
      [
        '',
        'imagewarden demo — DEMO DATA from the built-in ARM emulator fleet, not a real Azure tenant',
        `  service:   ${url}`,
        `  emulator:  ${emulator.url}`,
        `  snapshot:  #${snapshot.id} ${snapshot.status} (${snapshot.poolCount ?? 0} pools in ${snapshot.clusterCount ?? 0} clusters)`,
        `  node check: #${nodeCheck.id} started (GET /api/v1/node-checks/${nodeCheck.id})`,
        `  auditor key:  ${keys.auditor}`,
        `  operator key: ${keys.operator}`,
        `  admin key:    ${keys.admin}`,
        `  saved to ${join(config.dataDir, 'demo.json')}`,
        '',
        `  try: curl -H "Authorization: Bearer ${keys.auditor}" ${url}/api/v1/pools`,
        '  Ctrl-C stops the demo.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    await stop(1);
  }
}

/** The service prints `imagewarden listening on URL` on stderr once it serves. */
function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      buffer += chunk.toString();
      const match = /imagewarden listening on (\S+)/.exec(buffer);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the service exited (code ${code}) before it was listening`)));
  });
}

/** Demo keys sit beside the running service through SQLite's locking, like `imagewarden keys create`. */
function createDemoKeys(config: ReturnType<typeof loadConfig>): { auditor: string; operator: string; admin: string } {
  const db = openDatabase(config.databaseFile);
  try {
    migrate(db);
    const { keyService } = createServices({ config, db, logger: createLogger('warn') });
    const suffix = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const create = (role: 'auditor' | 'operator' | 'admin') =>
      keyService.create({ name: `demo-${role}-${suffix}`, role, expiresAt: null, actor: 'cli:demo' }).key;
    return { auditor: create('auditor'), operator: create('operator'), admin: create('admin') };
  } finally {
    db.close();
  }
}

async function takeFirstSnapshot(url: string, operatorKey: string) {
  const headers = { authorization: `Bearer ${operatorKey}` };
  const started = (await (await fetch(`${url}/api/v1/snapshots`, { method: 'POST', headers })).json()) as { id: number };
  for (;;) {
    const snapshot = (await (await fetch(`${url}/api/v1/snapshots/${started.id}`, { headers })).json()) as {
      id: number;
      status: string;
      poolCount: number | null;
      clusterCount: number | null;
    };
    if (snapshot.status !== 'running') return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
