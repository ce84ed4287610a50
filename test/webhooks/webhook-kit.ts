import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { afterEach } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/lib/logger.js';
import { createServices } from '../../src/services/create-services.js';
import type { WebhookServiceOptions } from '../../src/services/webhook-service.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { FAST_RETRY } from '../helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';

export const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';

/** One request the receiver got, as sent. */
export interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What the receiver does with the n-th request (0-based): answer a status (with headers), or drop the connection. */
export type Behaviour = { status: number; headers?: Record<string, string> } | 'drop' | 'hang';

/** A real HTTP receiver on loopback; `script` decides each answer (default 204). Closed after the test. */
export async function startReceiver(script: (n: number, request: Received) => Behaviour = () => ({ status: 204 })) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      const behaviour = script(received.length, entry);
      received.push(entry);
      if (behaviour === 'drop') request.socket.destroy();
      else if (behaviour === 'hang') hanging.push(response);
      else response.writeHead(behaviour.status, behaviour.headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/imagewarden`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  closers.push(close);
  return { url, received, close, payloads: () => received.map((r) => JSON.parse(r.body) as Record<string, unknown>) };
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date()) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Everything logged, as text (to look for what must not be there). */
export function capturedLogger(): { logger: Logger; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { logger: createLogger('trace', sink), text: () => text };
}

/** Test-sized retries with the real shape; jitter fixed at its middle (each wait is exactly its nominal value). */
export const FAST_WEBHOOKS: WebhookServiceOptions = {
  retryPolicy: { maxAttempts: 4, baseDelayInMs: 1_000, maxDelayInMs: 60_000, maxRetryAfterInMs: 30_000 },
  // Generous: a loaded test machine must not turn a slow answer into a retry (the timeout test sets its own).
  timeoutInMs: 5_000,
  random: () => 0.5,
};

export function webhookConfig(dataDir: string, url: string, emulator?: RunningEmulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    IMAGEWARDEN_DATA_DIR: dataDir,
    // Nothing here calls ARM unless a test takes a snapshot (then against its emulator).
    IMAGEWARDEN_ARM_ENDPOINT: emulator?.url ?? 'https://127.0.0.1:9',
    IMAGEWARDEN_ARM_TOKEN: emulator?.token ?? 'unused',
    IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    IMAGEWARDEN_PORT: '0',
    IMAGEWARDEN_LOG_LEVEL: 'silent',
    IMAGEWARDEN_WEBHOOK_URL: url,
    IMAGEWARDEN_WEBHOOK_SECRET: SECRET,
    ...env,
  });
}

/** The service's use cases over a real database file; a second call with the same config is a restart. */
export function webhookServices(config: Config, options: { now: () => Date; logger?: Logger; webhooks?: WebhookServiceOptions }) {
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const services = createServices({
    config,
    db,
    logger: options.logger ?? capturedLogger().logger,
    now: options.now,
    snapshotOptions: { retryPolicy: FAST_RETRY },
    webhookOptions: options.webhooks ?? FAST_WEBHOOKS,
  });
  const close = async () => {
    await services.webhooks.stop();
    db.close();
  };
  closers.push(close);
  return { db, services, close };
}

export const newDataDir = () => join(tempDir(), 'data');

/** Deliveries as the store holds them, oldest first. */
export function deliveryRows(db: ReturnType<typeof openDatabase>) {
  return db.prepare('SELECT id, event, alert_status AS alertStatus, status, attempts, next_attempt_at AS nextAttemptAt, last_status_code AS lastStatusCode, last_error AS lastError, delivered_at AS deliveredAt FROM webhook_deliveries ORDER BY seq').all() as {
    id: string;
    event: string;
    alertStatus: string;
    status: string;
    attempts: number;
    nextAttemptAt: string | null;
    lastStatusCode: number | null;
    lastError: string | null;
    deliveredAt: string | null;
  }[];
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});
