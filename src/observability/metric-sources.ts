import type { ExceptionRecord } from '../domain/exceptions.js';
import type { FindingsService } from '../services/findings-service.js';
import type { InventoryService } from '../services/inventory-service.js';
import type { Db } from '../store/database.js';
import type { EvidenceRepository } from '../store/evidence-repository.js';
import { fleetFigures } from './fleet-figures.js';
import type { ActiveRunCounts, MetricSources } from './metrics.js';

export interface MetricSourceDeps {
  readonly db: Db;
  readonly inventory: Pick<InventoryService, 'evaluateAt'>;
  readonly findings: Pick<FindingsService, 'all'>;
  readonly exceptions: { all(): ExceptionRecord[] };
  readonly evidence: Pick<EvidenceRepository, 'lastEntry'>;
  readonly now: () => Date;
}

/** The gauges' sources over the service's own read model: the same derivations the API answers from. */
export function metricSources(deps: MetricSourceDeps): MetricSources {
  // The newest fleet snapshot that succeeded: scanned from the newest row, it stops at the first match.
  const lastSucceededFleet = deps.db.prepare(`SELECT finished_at AS finishedAt FROM snapshots WHERE scope = 'fleet' AND status = 'succeeded' ORDER BY id DESC LIMIT 1`);
  // Each only grows: a finished snapshot, an exception decision, a finished node check each change the fingerprint.
  const inputs = deps.db.prepare(
    `SELECT (SELECT max(id) FROM snapshots WHERE status != 'running') AS snapshot,
            (SELECT max(id) FROM exception_events) AS exceptionEvent,
            (SELECT max(id) FROM node_checks WHERE status != 'running') AS nodeCheck`,
  );
  const activeRuns = deps.db.prepare(`SELECT status, count(*) AS n FROM upgrade_runs WHERE status IN ('pending_approval', 'queued', 'running') GROUP BY status`);
  return {
    fleet: () => {
      const at = deps.now();
      return fleetFigures({
        at,
        // One walk over the pools gives both the status counts (as `summary()` counts them) and the breach instants.
        pools: deps.inventory.evaluateAt({ asOf: at }),
        // Open findings reach `at`: deriving from `at` on leaves out only episodes that closed before it.
        findings: deps.findings.all(at, null, at.toISOString()),
        exceptions: deps.exceptions.all(),
      });
    },
    fleetInputs: () => JSON.stringify(inputs.get()),
    ledgerEntries: () => deps.evidence.lastEntry()?.seq ?? 0,
    lastSucceededFleetSnapshotAt: () => (lastSucceededFleet.get() as { finishedAt: string | null } | undefined)?.finishedAt ?? null,
    activeUpgradeRuns: () => {
      const counts = { pending_approval: 0, queued: 0, running: 0 };
      for (const row of activeRuns.all() as { status: keyof ActiveRunCounts; n: number }[]) counts[row.status] = row.n;
      return counts;
    },
  };
}
