import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { entraSignInSettings } from './auth/entra-sign-in.js';
import type { Config } from './config.js';
import { createLogger } from './lib/logger.js';
import { startScheduler, type Scheduler } from './scheduler/scheduler.js';
import { TREND_DEFAULT_DAYS } from './services/compliance-trend.js';
import { createServices, type CreateServicesOptions, type Services } from './services/create-services.js';
import { openDatabase, type Db } from './store/database.js';
import { migrate } from './store/migrate.js';
import { acquireServeLock, type ServeLock } from './store/serve-lock.js';

export interface RunningService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly db: Db;
  close(): Promise<void>;
}

export interface StartServiceOptions extends Partial<Pick<CreateServicesOptions, 'clients' | 'now' | 'snapshotOptions'>> {
  readonly config: Config;
  readonly logger?: Logger;
}

/**
 * `imagewarden serve`: takes the data dir's serve lock, opens and migrates the database, recovers snapshots a
 * previous process left running, then serves the API and runs the schedules until closed.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  const lock: ServeLock = acquireServeLock(config.dataDir);
  let db: Db | undefined;
  let scheduler: Scheduler | undefined;
  try {
    db = openDatabase(config.databaseFile);
    const migrated = migrate(db);
    if (migrated.from !== migrated.to) logger.info(migrated, 'database migrated');
    const services = createServices({ config, db, logger, heavyReadsInWorkers: true, ...pick(options) });
    services.snapshotService.recoverInterrupted();
    services.reportService.recoverInterrupted();
    services.nodeChecks.recoverInterrupted();
    const recorded = services.recordPolicy('system');
    // Whatever happened while the service was down (breach instants, expiries) is recorded before it serves.
    services.recordFindings();
    // The newest snapshot's evaluation is kept for every later read; made before listening, the first page load
    // after a restart does not wait for it (~2 s at 40,000 pools: bench/dashboard).
    services.inventory.summary({ asOf: new Date() });
    if (recorded.changed) logger.info({ policyVersion: recorded.version.id, source: recorded.version.source }, 'patch policy in force');
    const app = await buildApp({ services, logger, rateLimitPerMinute: config.rateLimitPerMinute, trustProxy: config.trustProxy, demo: config.demo, entraSignIn: entraSignInSettings(config) });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    scheduler = startScheduler(
      [
        { name: 'fleet-snapshot', schedule: config.snapshotCron, run: () => services.snapshotService.run('schedule', 'system') },
        { name: 'node-check', schedule: config.nodeCheckCron, run: () => services.nodeChecks.run('schedule', 'system') },
        // Daily, so imagewarden_ledger_verified (and its alert) always says something recent about the whole ledger.
        { name: 'ledger-verify', schedule: '10 4 * * *', run: () => services.evidence.verifyInBackground() },
        // Daily: operational records past their use (never evidence: src/domain/retention.ts).
        { name: 'retention', schedule: '40 4 * * *', run: async () => services.retention.prune() },
        // At least hourly, even when idle: finding transitions (breach instants, exception expiries) and a signed checkpoint.
        { name: 'evidence-checkpoint', schedule: '17 * * * *', run: async () => services.recordFindings({ force: true }) },
        // Webhooks (when configured) on each alert condition's transitions; time alone moves breach instants and expiries.
        { name: 'webhooks', schedule: services.webhooks.enabled ? '* * * * *' : null, run: async () => services.webhooks.evaluate(), quiet: true },
      ],
      logger,
    );
    // Only serve executes upgrades: it resumes whatever a previous process left unfinished.
    services.upgradeRunner.start();
    // Deliveries a previous process left pending are sent now.
    services.webhooks.start();
    logger.info({ url, dataDir: config.dataDir }, 'imagewarden serving');
    warmComplianceTrend(services, logger);
    const openDb = db;
    const openScheduler = scheduler;
    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      services,
      db: openDb,
      close() {
        closing ??= (async () => {
          openScheduler.stop();
          // Runs in flight stop where they are and stay resumable; the next start picks them up.
          await services.upgradeRunner.stop();
          await services.webhooks.stop();
          await app.close();
          // A snapshot in flight finishes and commits (or records its failure) before the database closes.
          await services.snapshotService.drain({ graceInMs: 10_000 });
          await services.reportService.drain();
          await services.nodeChecks.drain();
          await services.ledger.flushWitnesses();
          openDb.close();
          lock.release();
          logger.info('imagewarden stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    scheduler?.stop();
    db?.close();
    lock.release();
    throw error;
  }
}

/**
 * The dashboard's trend (its last TREND_DEFAULT_DAYS days, whole fleet) walked once, in a worker thread, so the
 * first person to open the overview after a restart finds it ready (~6–10 s at 40,000 pools, costing requests
 * nothing: bench/dashboard). A failure here only means the first look walks it instead.
 */
function warmComplianceTrend(services: Services, logger: Logger): void {
  services.complianceTrend.trend({ days: TREND_DEFAULT_DAYS, now: new Date() }).catch((error: unknown) => logger.warn({ err: error }, 'could not prepare the compliance trend'));
}

function pick(options: StartServiceOptions): Partial<CreateServicesOptions> {
  return {
    ...(options.clients ? { clients: options.clients } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.snapshotOptions ? { snapshotOptions: options.snapshotOptions } : {}),
  };
}
