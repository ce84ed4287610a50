import type { Config } from '../config.js';
import { defaultPolicy, type Policy } from '../domain/policy.js';
import type { Db } from '../store/database.js';
import { createExceptionRepository } from '../store/exception-repository.js';
import { createPolicyRepository, policyInForce } from '../store/policy-repository.js';
import { createSnapshotRepository } from '../store/snapshot-repository.js';
import { createStateRepository } from '../store/state-repository.js';
import { createUpgradeRepository } from '../store/upgrade-repository.js';
import { createNodeCheckRepository } from '../store/node-check-repository.js';
import { nodePostcheckEvidence } from '../domain/node-evidence.js';
import { createFindingsService } from './findings-service.js';
import { createInventoryService } from './inventory-service.js';
import { createObservationHistory } from './observation-history.js';
import { loadPolicyFile } from './policy-file.js';
import type { ReportBuilderDeps } from './report-builder.js';
import { toRunResponse } from './upgrade-view.js';

export type ReadModel = ReturnType<typeof createReadModel>;

/**
 * What imagewarden knows, read from one database: observations, findings and drift as of any moment, under the
 * policy in force then. No writes and no Azure: `serve` builds its services on it, and so does a report worker.
 */
export function createReadModel(options: { config: Config; db: Db; now: () => Date }) {
  const { config, db, now } = options;
  const snapshots = createSnapshotRepository(db);
  const state = createStateRepository(db);
  const policies = createPolicyRepository(db);
  // The policy this process runs with; `serve` records it as in force (recordPolicy), every reader uses the recorded one.
  const policy = config.policyFile === null ? defaultPolicy(config.patchSlaDays) : loadPolicyFile(config.policyFile, config.patchSlaDays);
  const exceptions = createExceptionRepository(db);
  // Policy versions change only when a service starts with a new policy: keep them in memory, refreshed on record.
  let versions = policies.list();
  const policyAt = (at: string): Policy => policyInForce(versions, at)?.policy ?? policy;
  const history = createObservationHistory(db);
  const nodeCheckRepo = createNodeCheckRepository(db);
  const findings = createFindingsService({ db, snapshots, exceptions, policyAt, schedule: config.snapshotCron, now, history, nodeChecks: nodeCheckRepo });
  // What the fleet's evaluation reads that changes without time passing; each part only grows. (One snapshot runs at
  // a time, so the newest committed id moves with every commit.)
  const changeMarks = db.prepare(
    `SELECT (SELECT max(id) FROM snapshots WHERE status IN ('succeeded', 'partial')) AS snapshot, (SELECT max(id) FROM exception_events) AS exceptionEvent`,
  );
  const evaluationInputs = () => {
    const marks = changeMarks.get() as { snapshot: number | null; exceptionEvent: number | null };
    return { newestSnapshotId: marks.snapshot, fingerprint: `${marks.snapshot}|${marks.exceptionEvent}|${versions.at(-1)?.id ?? 0}/${versions.length}` };
  };
  /** The first recorded policy version that takes effect after `at` (policyAt answers differently from then). */
  const policyChangesAfter = (at: string): number | null => {
    const next = versions.filter((version) => version.effectiveFrom > at).map((version) => version.effectiveFrom).sort()[0];
    return next === undefined ? null : Date.parse(next);
  };
  const inventory = createInventoryService({ history, snapshots, state, policyAt, exceptions, findings, now, evaluationInputs, policyChangesAfter });
  const upgradeRepo = createUpgradeRepository(db);
  const postchecksOf = db.prepare(`SELECT body FROM evidence_entries WHERE subject = ? AND kind = 'upgrade_postchecks' ORDER BY seq DESC LIMIT 1`);
  /** What a run's post-checks recorded of its nodes (the report's upgrade table; the certificate has the full list). */
  const nodeEvidenceOf = (runId: string) => {
    const row = postchecksOf.get(runId) as { body: string } | undefined;
    if (row === undefined) return null;
    const evidence = nodePostcheckEvidence((JSON.parse(row.body) as { checks?: { name: string }[] }).checks ?? []);
    if (evidence === null) return null;
    const count = (pools: typeof evidence.pools) => pools.reduce((n, pool) => n + pool.nodes.length, 0);
    return {
      reachable: evidence.unreachable === null,
      nodes: count(evidence.pools),
      nodesReadyOnTarget: count(evidence.pools.filter((pool) => pool.settled)),
      podsLeftUnhealthy: evidence.podsLeftUnhealthy,
    };
  };
  /** Everything a report's model is built from, but its wording. */
  const reportSources: Omit<ReportBuilderDeps, 'templates'> = {
    db,
    config,
    inventory,
    findings,
    exceptions,
    policyVersions: () => policies.list(),
    upgradeRuns: (from, to) => upgradeRepo.list(null, 10_000, { from, to }).reverse().map((run) => ({ ...toRunResponse(run), nodeEvidence: nodeEvidenceOf(run.id) })),
    nodeCheckSummary: (from, to) => nodeCheckRepo.summary(from, to),
  };
  return {
    snapshots,
    state,
    policies,
    policy,
    exceptions,
    history,
    findings,
    inventory,
    upgradeRepo,
    nodeCheckRepo,
    reportSources,
    /** Re-reads the recorded policy versions (after recording one). */
    refreshPolicies: () => {
      versions = policies.list();
    },
  };
}
