import type { Logger } from 'pino';
import { createArmClients, type ArmClients } from '../azure/arm-clients.js';
import { createArmCredential } from '../azure/credential.js';
import type { Config } from '../config.js';
import { currentOwner, isOwnerAlive } from '../lib/process-owner.js';
import { createApiKeyRepository } from '../store/api-key-repository.js';
import { writeTransaction, type Db } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { createLedger } from '../evidence/ledger.js';
import { loadOrCreateSigningKey } from '../evidence/signing-key.js';
import { completeInterruptedRotation } from '../evidence/rotate-key.js';
import { createWitness } from '../evidence/witness.js';
import { recordLedgerStart, recordSnapshot } from '../evidence/snapshot-evidence.js';
import { syncFindingEvidence } from '../evidence/finding-evidence.js';
import { createEvidenceService } from './evidence-service.js';
import { createReportService } from './report-service.js';
import { createNodeCheckService } from './node-check-service.js';
import { createAccessRecorder } from './access-record.js';
import { workerProducer } from './report-production.js';
import { createUpgradeService } from './upgrade-service.js';
import { createUpgradeRunner } from './upgrade-runner.js';
import { createUpgradeEvidence } from './upgrade-evidence.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../azure/retry.js';
import { KUBERNETES_RETRY_POLICY, openClusterApi } from '../azure/cluster-api.js';
import { createQuestionnaireService, loadQuestionnaire } from './questionnaire-service.js';
import { createReportRepository } from '../store/report-repository.js';
import { loadReportTemplates } from '../reports/report-templates.js';
import { readMigrations, schemaVersion } from '../store/migrate.js';
import { createExceptionService } from './exception-service.js';
import { createReadModel } from './read-model.js';
import { createKeyService } from './key-service.js';
import { createSessionService } from './session-service.js';
import { createSessionRepository } from '../store/session-repository.js';
import { createAuthenticator } from '../auth/create-authenticator.js';
import { createSnapshotService, type SnapshotServiceOptions } from './snapshot-service.js';
import { createServiceMetrics } from '../observability/metrics.js';
import { metricSources } from '../observability/metric-sources.js';
import { reportingVerification } from '../observability/ledger-verification.js';
import { createWebhookService, type WebhookServiceOptions } from './webhook-service.js';
import { createRetentionService } from './retention-service.js';
import { createComplianceTrend, inProcessWalker, trendWorkerWalker } from './compliance-trend.js';

export interface CreateServicesOptions {
  readonly config: Config;
  readonly db: Db;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Defaults to clients for the configured endpoint and credential. */
  readonly clients?: ArmClients;
  readonly snapshotOptions?: SnapshotServiceOptions;
  readonly onProgress?: (message: string) => void;
  /**
   * Whether finding transitions are recorded right after each snapshot (serve, tests). The `snapshot` command leaves
   * them to serve's next look (hourly, at start, after its own snapshots): deriving them is not part of observing.
   */
  readonly recordFindingsAfterSnapshot?: boolean;
  /**
   * Whole-history reads (the compliance trend's past days, ledger verification) in worker threads with their own
   * read-only connections (serve), so that they never hold up this process's requests.
   */
  readonly heavyReadsInWorkers?: boolean;
  /** Upgrade runner pacing (tests run the emulator's upgrades in milliseconds). */
  readonly upgradeOptions?: { readonly updateIntervalInMs?: number; readonly poolDeadlineInMs?: number; readonly nodeSettleTimeoutInMs?: number };
  /** Retries of reads from each cluster's own API server (default: azure/cluster-api.ts KUBERNETES_RETRY_POLICY). */
  readonly kubernetesRetryPolicy?: RetryPolicy;
  /** Webhook retry pacing and timeouts (tests use milliseconds). */
  readonly webhookOptions?: WebhookServiceOptions;
}

export type Services = ReturnType<typeof createServices>;

/** The composition root of the use cases: repositories over one database, Azure clients, services. */
export function createServices(options: CreateServicesOptions) {
  const { config, db, logger } = options;
  const now = options.now ?? (() => new Date());
  // Observers first: the services below report to them as they work.
  const metrics = createServiceMetrics({ logger, now });
  const read = createReadModel({ config, db, now });
  const { snapshots, state, policies, policy, exceptions, findings, inventory, upgradeRepo, nodeCheckRepo } = read;
  const evidenceRepo = createEvidenceRepository(db);
  const interrupted = completeInterruptedRotation(config.dataDir, config.evidenceOrigin, evidenceRepo);
  if (interrupted !== null) logger.warn({ rotation: interrupted }, 'an interrupted signing-key rotation was found at start');
  const signingKey = loadOrCreateSigningKey(config.dataDir, config.evidenceOrigin);
  const ledger = createLedger({
    db,
    repo: evidenceRepo,
    key: signingKey,
    witnesses: config.evidenceWitnesses.map(createWitness),
    now,
    logger,
  });
  // A ledger started on a store that already holds observations adopts them first.
  writeTransaction(db, () => {
    if (evidenceRepo.lastEntry() === null && snapshots.latestCommittedAt('9999') !== null) recordLedgerStart(db, ledger);
  });
  const keys = createApiKeyRepository(db);
  const clients = options.clients ?? createArmClients(config, createArmCredential(config));
  const kubernetesRetry = options.kubernetesRetryPolicy ?? KUBERNETES_RETRY_POLICY;
  const clusterApi = (clusterId: string) => openClusterApi(clients, clusterId, { policy: kubernetesRetry, deadline: Date.now() + 2 * 60_000, onAttempt: metrics.onAttempt }, now);
  const sessionRepo = createSessionRepository(db);
  const keyService = createKeyService({ db, keys, sessions: sessionRepo, evidence: ledger, now });
  // Loaded (and validated) at start: a broken wording file fails start-up, not a report an auditor waits for.
  const templates = loadReportTemplates();
  const questionnaire = loadQuestionnaire();
  const reportRepository = createReportRepository(db);
  // Told when a snapshot, an upgrade run or a verification ends, so that a webhook need not wait for the next minute.
  const webhooks = createWebhookService({ db, target: config.webhook, inventory, exceptions, now, logger, onAttempt: metrics.webhookAttempt, ...(options.webhookOptions ? { options: options.webhookOptions } : {}) });
  /** Records finding transitions since the last look, then signs a checkpoint over everything appended. */
  const recordFindings = (options: { force?: boolean } = {}) => {
    try {
      syncFindingEvidence({ db, repo: evidenceRepo, evidence: ledger, findingsAt: (at, from) => findings.all(at, null, from), now });
    } catch (error) {
      logger.error({ err: error }, 'could not record finding transitions in the evidence ledger');
    }
    return ledger.checkpoint(options);
  };
  const snapshotService = createSnapshotService({
    snapshots,
    state,
    clients,
    requiredSubscriptions: config.subscriptions,
    logger,
    now,
    owner: currentOwner(),
    isOwnerAlive,
    ...(options.snapshotOptions ? { options: options.snapshotOptions } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onArmAttempt: metrics.onAttempt,
    onEnded: (snapshot, durationInSeconds) => {
      metrics.snapshotEnded(snapshot, durationInSeconds);
      webhooks.poke();
    },
    evidence: {
      record: (snapshot, changes) => recordSnapshot(db, ledger, snapshot, changes),
      committed: () => {
        // One checkpoint over the snapshot itself, another over the finding transitions it caused.
        ledger.checkpoint();
        if (options.recordFindingsAfterSnapshot !== false) recordFindings();
      },
    },
  });
  const retryPolicy = options.snapshotOptions?.retryPolicy ?? DEFAULT_RETRY_POLICY;
  let runnerStarted = false;
  const upgradeService = createUpgradeService({
    db,
    repo: upgradeRepo,
    evidence: ledger,
    clients,
    config,
    policy: () => policy,
    retryPolicy,
    now,
    approvalTtlHours: 72,
    clusterApi,
    // Only `serve` executes upgrades: elsewhere a run is stored and waits for it.
    wake: () => runnerStarted && upgradeRunner.wake(),
    onArmAttempt: metrics.onAttempt,
  });
  const nodeChecks = createNodeCheckService({
    db,
    repo: nodeCheckRepo,
    state,
    clusterApi,
    clients,
    retryPolicy,
    evidence: ledger,
    now,
    owner: currentOwner(),
    isOwnerAlive,
    logger,
    onCompleted: (status) => {
      metrics.nodeCheckFinished(status);
      void recordFindings();
    },
    onArmAttempt: metrics.onAttempt,
  });
  const upgradeRunner = createUpgradeRunner({
    db,
    repo: upgradeRepo,
    evidence: ledger,
    clients,
    armEndpoint: config.armEndpoint,
    retryPolicy,
    now,
    owner: currentOwner(),
    logger,
    snapshotAfter: (run) => snapshotService.runCluster(run.clusterId, 'upgrade', 'system'),
    expirePending: () => upgradeService.expirePending(),
    clusterApi,
    onArmAttempt: metrics.onAttempt,
    onRunFinished: (status) => {
      metrics.upgradeRunFinished(status);
      webhooks.poke();
    },
    ...options.upgradeOptions,
  });
  metrics.watch(metricSources({ db, inventory, findings, exceptions, evidence: evidenceRepo, now }));
  return {
    recordAccess: createAccessRecorder(ledger),
    nodeChecks,
    upgradeService,
    upgradeRepo,
    upgradeEvidence: createUpgradeEvidence({ db, ledger }),
    upgradeRunner: {
      ...upgradeRunner,
      start: () => {
        runnerStarted = true;
        upgradeRunner.start();
      },
    },
    snapshots,
    state,
    keyService,
    sessionService: createSessionService({ db, sessions: sessionRepo, keys, evidence: ledger, now, lifetime: { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours } }),
    ledger,
    evidenceRepo,
    evidence: reportingVerification(createEvidenceService({ db, repo: evidenceRepo, config, key: signingKey, now, verifyInWorker: options.heavyReadsInWorkers === true }), (intact) => {
      metrics.ledgerVerification(intact);
      webhooks.ledgerVerified(intact);
    }),
    recordFindings,
    webhooks,
    retention: createRetentionService({ db, evidence: ledger, retentionDays: config.retentionDays, now }),
    snapshotService,
    policies,
    policy,
    /** Records the loaded policy as in force from now, if it differs from the one in force. */
    recordPolicy: (recordedBy: string) => {
      const recorded = policies.record(policy, config.policyFile, recordedBy, now().toISOString(), (version) =>
        ledger.append({ kind: 'policy_changed', subject: `policy:${version.id}`, actor: recordedBy, body: version }),
      );
      ledger.checkpoint();
      read.refreshPolicies();
      return recorded;
    },
    exceptionService: createExceptionService({ db, exceptions, maxExceptionDays: config.maxExceptionDays, now, evidence: ledger, onChange: () => void recordFindings() }),
    findings,
    inventory,
    complianceTrend: createComplianceTrend(inventory, options.heavyReadsInWorkers === true ? trendWorkerWalker(config) : inProcessWalker(inventory)),
    questionnaire: createQuestionnaireService({
      db,
      config,
      inventory,
      findings,
      exceptions,
      evidence: evidenceRepo,
      reports: reportRepository,
      template: questionnaire,
      now,
    }),
    reportService: createReportService({
      db,
      reports: reportRepository,
      builder: read.reportSources,
      templates: () => templates,
      ledger,
      ...(config.reportHeapMB > 0
        ? { produce: workerProducer(config, config.reportHeapMB, (figures) => logger.info({ workerPeakRssMB: Math.round(figures.peakRssMB) }, 'report worker finished')) }
        : {}),
      dataDir: config.dataDir,
      owner: currentOwner(),
      isOwnerAlive,
      now,
      logger,
    }),
    authenticator: createAuthenticator({ keys: keyService, config, now }),
    metrics,
    metricsToken: config.metricsToken,
    isReady: readiness(db),
  };
}

/** Ready means: the database answers, accepts a write lock, and has exactly this code's schema. Nothing else. */
function readiness(db: Db): () => { ready: boolean; reason?: string } {
  const expectedVersion = readMigrations().length;
  return () => {
    try {
      if (schemaVersion(db) !== expectedVersion) {
        return { ready: false, reason: `database schema is not at version ${expectedVersion}` };
      }
      db.prepare('BEGIN IMMEDIATE').run();
      db.prepare('ROLLBACK').run();
      return { ready: true };
    } catch (error) {
      return { ready: false, reason: `database not writable: ${(error as Error).message}` };
    }
  };
}
