import { join } from 'node:path';
import pino from 'pino';
import type { RetryPolicy } from '../../src/azure/retry.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createServices } from '../../src/services/create-services.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from './temp-dir.js';

/** The real policy's shape with test-sized waits: same decisions, milliseconds instead of seconds. */
export const FAST_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayInMs: 20,
  maxDelayInMs: 200,
  maxThrottleDelayInMs: 5_000,
  perRequestTimeoutInMs: 3_000,
};

export const silentLogger = pino({ level: 'silent' });

/** A config as an operator would write it, pointed at the emulator, data in a fresh temp dir. */
export function testConfig(emulator: RunningEmulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    IMAGEWARDEN_DATA_DIR: join(tempDir(), 'data'),
    IMAGEWARDEN_ARM_ENDPOINT: emulator.url,
    IMAGEWARDEN_ARM_TOKEN: emulator.token,
    IMAGEWARDEN_SNAPSHOT_CRON: 'off',
    IMAGEWARDEN_PORT: '0',
    IMAGEWARDEN_LOG_LEVEL: 'silent',
    ...env,
  });
}

/** The service's use cases over a real database file, talking to the emulator through the real SDKs. */
export function createTestServices(
  config: Config,
  options: { retry?: RetryPolicy; deadlineInMs?: number; upgradeIntervalInMs?: number; kubernetesRetry?: RetryPolicy; nodeSettleTimeoutInMs?: number } = {},
) {
  const db = openDatabase(config.databaseFile);
  migrate(db);
  const services = createServices({
    config,
    db,
    logger: silentLogger,
    snapshotOptions: { retryPolicy: options.retry ?? FAST_RETRY, ...(options.deadlineInMs ? { deadlineInMs: options.deadlineInMs } : {}) },
    upgradeOptions: { updateIntervalInMs: options.upgradeIntervalInMs ?? 50, ...(options.nodeSettleTimeoutInMs ? { nodeSettleTimeoutInMs: options.nodeSettleTimeoutInMs } : {}) },
    ...(options.kubernetesRetry ? { kubernetesRetryPolicy: options.kubernetesRetry } : {}),
  });
  return { db, services };
}
