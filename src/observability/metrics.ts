import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptEvent } from '../azure/retry.js';
import type { Snapshot } from '../domain/snapshot.js';
import { callLabels, statusLabel } from './call-labels.js';
import { cachedFor, FINDING_KINDS, POOL_STATUSES, type FleetFigures } from './fleet-figures.js';
import { processRegistry } from './process-metrics.js';

/** Unfinished upgrade runs by status (the domain's "active" runs). */
export type ActiveRunCounts = Readonly<Record<'pending_approval' | 'queued' | 'running', number>>;

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** The fleet's figures now: a walk over every pool and its history, so it is cached (see `fleetCacheTtlInMs`). */
  readonly fleet: () => FleetFigures;
  /** A fingerprint of what `fleet` reads that can change without time passing; a new one recomputes at once. */
  readonly fleetInputs: () => string;
  readonly ledgerEntries: () => number;
  /** When the last fleet snapshot that succeeded finished (ISO), or null when none has. */
  readonly lastSucceededFleetSnapshotAt: () => string | null;
  readonly activeUpgradeRuns: () => ActiveRunCounts;
}

export interface ServiceMetricsOptions {
  readonly logger: Pick<Logger, 'warn'>;
  /** The service clock: ages are measured against it. */
  readonly now: () => Date;
  /** How long one fleet evaluation serves scrapes while its inputs stay the same (default 60 s). */
  readonly fleetCacheTtlInMs?: number;
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

const PREFIX = 'imagewarden_';

/**
 * imagewarden's Prometheus metrics, in a registry of their own (never prom-client's global one, so that every app
 * built in one process — the tests build many — counts only its own work). Counters are told of events as they
 * happen (the observers below); gauges are computed at scrape time from `watch()`'s sources. The README's Metrics
 * section lists them.
 */
export function createServiceMetrics(options: ServiceMetricsOptions) {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricSources | null = null;
  let fleet: (() => FleetFigures) | null = null;

  const snapshots = new Counter({
    name: `${PREFIX}snapshots_total`,
    help: 'Snapshots ended, by scope (fleet, cluster) and status (succeeded, partial, failed).',
    labelNames: ['scope', 'status'] as const,
    registers,
  });
  const snapshotDuration = new Histogram({
    name: `${PREFIX}snapshot_duration_seconds`,
    help: 'How long each snapshot this process ran took, from start to its recorded outcome, by scope.',
    labelNames: ['scope'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800],
    registers,
  });
  const armRequests = new Counter({
    name: `${PREFIX}arm_requests_total`,
    help: 'Azure Resource Manager calls (each attempt), by SDK operation and HTTP status (2xx, the code of a failure, or network).',
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const armThrottled = new Counter({
    name: `${PREFIX}arm_throttled_total`,
    help: 'ARM calls throttled (429, or 503 with a retry hint), by SDK operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const armRetries = new Counter({
    name: `${PREFIX}arm_retries_total`,
    help: 'ARM calls retried after a throttle or a transient failure, by SDK operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const kubernetesRequests = new Counter({
    name: `${PREFIX}kubernetes_requests_total`,
    help: "Requests to clusters' own Kubernetes API servers (each attempt), by operation and HTTP status.",
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const upgradeRuns = new Counter({
    name: `${PREFIX}upgrade_runs_total`,
    help: 'Upgrade runs the runner finished, by outcome (succeeded, failed, aborted, blocked).',
    labelNames: ['status'] as const,
    registers,
  });
  const nodeChecks = new Counter({
    name: `${PREFIX}node_checks_total`,
    help: 'Node-level cross-checks finished, by status (succeeded, partial, failed).',
    labelNames: ['status'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: 'Webhook delivery attempts, by event and outcome (delivered, retry: failed and tried again later, failed: given up).',
    labelNames: ['event', 'outcome'] as const,
    registers,
  });
  // Outcomes start at 0, so that `increase()` sees the first one after a restart (a series born at 1 shows none).
  for (const scope of ['fleet', 'cluster']) for (const status of ['succeeded', 'partial', 'failed']) snapshots.inc({ scope, status }, 0);
  for (const status of ['succeeded', 'failed', 'aborted', 'blocked']) upgradeRuns.inc({ status }, 0);
  for (const status of ['succeeded', 'partial', 'failed']) nodeChecks.inc({ status }, 0);
  const ledgerVerified = new Gauge({
    name: `${PREFIX}ledger_verified`,
    help: 'Outcome of the last evidence ledger verification (GET /api/v1/evidence/verify): 1 intact, 0 not; NaN before the first.',
    registers,
  });
  ledgerVerified.set(Number.NaN);
  const ledgerVerifiedAt = new Gauge({
    name: `${PREFIX}ledger_last_verification_timestamp_seconds`,
    help: 'When the evidence ledger was last verified (Unix time); NaN before the first verification.',
    registers,
  });
  ledgerVerifiedAt.set(Number.NaN);

  /** The figures of this scrape, or null (logged) when they cannot be had: the other metrics are still served. */
  const fleetNow = (): FleetFigures | null => {
    if (fleet === null) return null;
    try {
      return fleet();
    } catch (error) {
      options.logger.warn({ err: error }, 'could not evaluate the fleet for /metrics');
      return null;
    }
  };
  new Gauge({
    name: `${PREFIX}pools`,
    help: 'Node pools by compliance status, evaluated now over the whole fleet.',
    labelNames: ['status'] as const,
    registers,
    collect() {
      this.reset();
      const figures = fleetNow();
      if (figures !== null) for (const status of POOL_STATUSES) this.set({ status }, figures.poolsByStatus[status]);
    },
  });
  new Gauge({
    name: `${PREFIX}pools_breaching_within_7d`,
    help: "Node pools whose SLA breach instant (supersededAt + slaDays) falls within the next 7 days.",
    registers,
    collect() {
      this.set(fleetNow()?.poolsBreachingWithin7d ?? Number.NaN);
    },
  });
  new Gauge({
    name: `${PREFIX}findings_open`,
    help: 'Findings in state open, by kind (risk-accepted ones are covered by an exception and not counted).',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.reset();
      const figures = fleetNow();
      if (figures !== null) for (const kind of FINDING_KINDS) this.set({ kind }, figures.openFindingsByKind[kind]);
    },
  });
  new Gauge({
    name: `${PREFIX}exceptions_expiring_within_7d`,
    help: 'Approved exceptions in force that expire within the next 7 days.',
    registers,
    collect() {
      this.set(fleetNow()?.exceptionsExpiringWithin7d ?? Number.NaN);
    },
  });
  new Gauge({
    name: `${PREFIX}upgrade_runs_active`,
    help: 'Upgrade runs not finished yet, by status (pending_approval, queued, running).',
    labelNames: ['status'] as const,
    registers,
    collect() {
      this.reset();
      if (sources === null) return;
      for (const [status, count] of Object.entries(sources.activeUpgradeRuns())) this.set({ status }, count);
    },
  });
  new Gauge({
    name: `${PREFIX}ledger_entries`,
    help: 'Entries in the evidence ledger.',
    registers,
    collect() {
      this.set(sources?.ledgerEntries() ?? Number.NaN);
    },
  });
  new Gauge({
    name: `${PREFIX}last_fleet_snapshot_age_seconds`,
    help: 'Seconds since the last fleet snapshot that succeeded finished; NaN when none has.',
    registers,
    collect() {
      const at = sources?.lastSucceededFleetSnapshotAt() ?? null;
      this.set(at === null ? Number.NaN : Math.max(0, (options.now().getTime() - Date.parse(at)) / 1000));
    },
  });

  return {
    contentType: registry.contentType,

    /** Gives the gauges their sources (the services they read are built after the observers they are given). */
    watch(from: MetricSources): void {
      sources = from;
      fleet = cachedFor(options.fleetCacheTtlInMs ?? 60_000, from.fleet, from.fleetInputs);
    },

    /** For RetryContext.onAttempt: every attempt of every call made through the retry policy. */
    onAttempt(event: AttemptEvent): void {
      const { api, operation } = callLabels(event.operation);
      const status = statusLabel(event.failure);
      if (api === 'kubernetes') {
        kubernetesRequests.inc({ operation, status });
        return;
      }
      armRequests.inc({ operation, status });
      if (event.failure?.throttled) armThrottled.inc({ operation });
      if (event.willRetry) armRetries.inc({ operation });
    },

    snapshotEnded(snapshot: Snapshot, durationInSeconds: number | null): void {
      snapshots.inc({ scope: snapshot.scope, status: snapshot.status });
      if (durationInSeconds !== null) snapshotDuration.observe({ scope: snapshot.scope }, durationInSeconds);
    },

    upgradeRunFinished(status: string): void {
      upgradeRuns.inc({ status });
    },

    nodeCheckFinished(status: string): void {
      nodeChecks.inc({ status });
    },

    /** Each webhook delivery attempt's outcome; `by` 0 makes the series exist (when webhooks are on). */
    webhookAttempt(event: string, outcome: string, by = 1): void {
      webhookDeliveries.inc({ event, outcome }, by);
    },

    ledgerVerification(intact: boolean): void {
      ledgerVerified.set(intact ? 1 : 0);
      ledgerVerifiedAt.set(options.now().getTime() / 1000);
    },

    /** The Prometheus text exposition: the process's metrics, then this service's. */
    async render(): Promise<string> {
      return (await processRegistry().metrics()) + (await registry.metrics());
    },
  };
}
