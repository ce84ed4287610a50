import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import type { Config } from '../config.js';
import { compliancePercentages, type PoolStatus } from '../domain/drift.js';
import { exceptionAt, exceptionCovers, type ExceptionRecord } from '../domain/exceptions.js';
import { invalidInput } from '../domain/errors.js';
import type { PoolIdentity } from '../domain/policy.js';
import { dayEnd, type ReportPeriod } from '../domain/report-period.js';
import { csvLine, write } from '../reports/render-csv.js';
import { REPORT_SCHEMA_VERSION, type ReportHeader, type ReportModel, type ReportPool } from '../reports/report-schema.js';
import type { ReportTemplates } from '../reports/report-templates.js';
import { fillPlaceholders } from '../reports/report-templates.js';
import { VERSION } from '../lib/version.js';
import type { PolicyVersion } from '../store/policy-repository.js';
import type { FindingsService } from './findings-service.js';
import { summariseRemediation } from './findings-service.js';
import type { Evaluation, InventoryService } from './inventory-service.js';
import { identityOf } from './observation-history.js';
import { NdjsonSpool } from './ndjson-spool.js';
import { snapshotCoverage } from './coverage-gaps.js';
import type { Db } from '../store/database.js';

export const POPULATION_COLUMNS = ['date', 'evaluatedAt', 'subscriptionId', 'clusterId', 'poolName', 'status', 'nodeImageVersion', 'latestNodeImageVersion', 'exposureDays', 'policyRule', 'slaDays', 'exceptionId'] as const;

export interface ReportBuilderDeps {
  readonly db: Db;
  readonly config: Pick<Config, 'armEndpoint' | 'azureCloud' | 'subscriptions' | 'snapshotCron' | 'nodeCheckCron' | 'patchSlaDays' | 'demo'>;
  readonly inventory: Pick<InventoryService, 'evaluateAcross' | 'scopeSelector'>;
  readonly findings: Pick<FindingsService, 'all' | 'openFindingIds'>;
  readonly exceptions: { all(): ExceptionRecord[] };
  readonly policyVersions: () => PolicyVersion[];
  /** Recorded upgrade runs active in a window (created before `to`, not finished before `from`). */
  readonly upgradeRuns?: (from: string, to: string) => Record<string, unknown>[];
  /** The node-level cross-check in a window (store/node-check-repository.ts `summary`). */
  readonly nodeCheckSummary?: (from: string, to: string) => Omit<ReportHeader['nodeChecks'], 'schedule'>;
  readonly templates: ReportTemplates;
}

export interface ReportBuild {
  readonly reportId: string;
  readonly period: ReportPeriod;
  readonly scope: string | null;
  readonly generatedAt: Date;
  readonly generatedBy: string;
  /** Where the population and the pool spool are written. */
  readonly workDir: string;
}

/** What the report rests on, for the caller to cite from the ledger. */
export interface CitedFacts {
  readonly asOf: string;
  readonly exceptionIds: readonly string[];
}

/** The ledger facts a report prints; supplied by the caller, who holds the ledger. */
export type LedgerFacts = Pick<ReportHeader, 'ledgerHead' | 'evidence'>;

const emptyCounts = (): Record<PoolStatus, number> => ({ current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 });
const totalOf = (counts: Record<PoolStatus, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const AGE_BUCKETS = [
  { label: '0–7 days', minDays: 0, maxDays: 7 },
  { label: '8–30 days', minDays: 8, maxDays: 30 },
  { label: '31–60 days', minDays: 31, maxDays: 60 },
  { label: '61–90 days', minDays: 61, maxDays: 90 },
  { label: 'over 90 days', minDays: 91, maxDays: null },
];

/**
 * Builds one report's model from the store: every evaluable day of the period is walked once (each day's status at
 * 23:59:59Z, written to the gzip'd population as it goes), the last day also yields the pool table (spooled to
 * disk, re-read by each renderer) and the fleet summaries. Only bounded summaries stay in memory.
 */
export async function buildReportModel(deps: ReportBuilderDeps, build: ReportBuild, ledger: (cited: CitedFacts) => LedgerFacts): Promise<{ model: ReportModel; population: { file: string; rows: number; sha256: string } }> {
  const at = build.generatedAt.toISOString();
  // Each day's status is taken at 23:59:59Z; a day still running when the report is made, at the report's time.
  const days = build.period.days.filter((day) => `${day}T00:00:00.000Z` <= at).map((day) => ({ day, at: dayEnd(day) < at ? dayEnd(day) : at }));
  if (days.length === 0) throw invalidInput('period_not_started', 'the period has not started yet', { from: build.period.from });
  const asOf = days.at(-1)!.at;
  const selector = build.scope === null ? null : deps.inventory.scopeSelector(build.scope, new Date(asOf));

  const population = await writePopulation(deps, days, build.scope ?? undefined, join(build.workDir, 'population.csv.gz'));
  const end = summariseLastDay(deps, population.lastDay, new Date(asOf), join(build.workDir, 'pools.ndjson'));

  const findings = deps.findings.all(new Date(asOf), selector, build.period.from);
  const inPeriod = (time: string | null) => time !== null && time >= build.period.from && time < build.period.to;
  const opened = findings.filter((f) => f.kind !== 'coverage_gap' && inPeriod(f.openedAt));
  const closed = findings.filter((f) => f.kind !== 'coverage_gap' && inPeriod(f.closedAt));
  const gaps = findings.filter((f) => f.kind === 'coverage_gap' && f.openedAt < build.period.to && (f.closedAt === null || f.closedAt >= build.period.from));
  const statistics = summariseRemediation([...new Map([...opened, ...closed].map((f) => [f.id, f])).values()]);
  const exceptions = exceptionsInForce(deps.exceptions.all(), build.period, asOf, end.covered);
  const { trend } = population;
  const average = (pick: (day: (typeof trend)[number]) => number | null) => {
    const values = trend.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
  };
  const coverage = snapshotCoverage(deps.db, { from: build.period.from, to: asOf, schedule: deps.config.snapshotCron });
  const versions = policyVersionsIn(deps.policyVersions(), build.period);
  const facts = ledger({ asOf, exceptionIds: exceptions.map((e) => e.id) });
  const inScopeClusters = new Set(end.clusters.map((c) => c.clusterId.toLowerCase()));

  const header: ReportHeader = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    reportId: build.reportId,
    title: deps.templates.title,
    generatedAt: at,
    generatedBy: build.generatedBy,
    software: { name: 'imagewarden', version: VERSION },
    dataSource: { armEndpoint: deps.config.armEndpoint, azureCloud: deps.config.azureCloud, requiredSubscriptions: deps.config.subscriptions === null ? null : [...deps.config.subscriptions], demo: deps.config.demo },
    period: { from: build.period.from, to: build.period.to, label: build.period.label, days: build.period.days.length, evaluatedUntil: asOf },
    scope: { name: build.scope, kind: build.scope === null ? 'fleet' : selector?.subscriptions?.length === 1 && /^[0-9a-f-]{36}$/i.test(build.scope) ? 'subscription' : 'named' },
    ledgerHead: facts.ledgerHead,
    summary: {
      asOf,
      total: totalOf(end.counts),
      counts: end.counts,
      ...compliancePercentages(end.counts),
      periodAverage: { compliancePercent: average((d) => d.compliancePercent), compliancePercentWithExceptions: average((d) => d.compliancePercentWithExceptions), days: trend.length },
      nonCompliantPools: end.counts.non_compliant,
      slaBreachesOpened: opened.filter((f) => f.kind === 'sla_breach').length,
      remediatedInPeriod: closed.filter((f) => f.state === 'remediated').length,
      meanTimeToRemediateHours: statistics.meanTimeToRemediateHours,
      p90TimeToRemediateHours: statistics.p90TimeToRemediateHours,
      exceptionsInForce: exceptions.filter((e) => e.state === 'approved').length,
    },
    coverage: { schedule: deps.config.snapshotCron, ...coverage, gaps },
    trend,
    imageAge: end.imageAge,
    subscriptions: end.subscriptions,
    clusters: end.clusters,
    findings: { opened, closed, statistics },
    exceptions,
    upgrades: (deps.upgradeRuns?.(build.period.from, build.period.to) ?? []).filter((run) => inScopeClusters.has(String(run.clusterId).toLowerCase())),
    nodeChecks: nodeChecksIn(deps, build.period, inScopeClusters),
    controls: deps.templates.controls.map((control) => ({ ...control, sections: [...control.sections] })),
    methodology: {
      snapshotSchedule: deps.config.snapshotCron,
      defaultSlaDays: deps.config.patchSlaDays,
      policyVersions: versions,
      statements: deps.templates.methodology.map((statement) => ({ title: statement.title, text: fillPlaceholders(statement.text, methodologyValues(deps, build, asOf)) })),
    },
    evidence: facts.evidence,
    population: { rows: population.rows, sha256: population.sha256, columns: [...POPULATION_COLUMNS] },
  };
  return { model: { header, pools: () => end.spool.read() as Iterable<ReportPool> }, population: { file: population.file, rows: population.rows, sha256: population.sha256 } };
}

/**
 * Every evaluable day: counts for the trend, and one population row per pool, gzip'd to `file` as it goes. The last
 * day's evaluations are returned for the period-end summaries.
 */
async function writePopulation(deps: ReportBuilderDeps, days: readonly { day: string; at: string }[], scope: string | undefined, file: string) {
  const hash = createHash('sha256');
  const gzip = createGzip({ level: 6 });
  const sink: WriteStream = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve).on('error', reject);
    gzip.on('error', reject);
  });
  gzip.pipe(sink);
  // Lines go to gzip in ~64 KB batches: one write per line costs a zlib thread-pool job each (bench/report).
  let batch = '';
  const emit = async (line: string) => {
    hash.update(line);
    batch += line;
    if (batch.length >= 65_536) {
      const full = batch;
      batch = '';
      await write(gzip, full);
    }
  };
  await emit(csvLine(POPULATION_COLUMNS));
  let rows = 0;
  const trend: ReportHeader['trend'] = [];
  let lastDay: readonly Evaluation[] = [];
  const evaluated = deps.inventory.evaluateAcross(days.map(({ at }) => new Date(at)), scope);
  for (const { day, at } of days) {
    const counts = emptyCounts();
    const { pools } = evaluated.next().value as { pools: Iterable<Evaluation> };
    const isLastDay = day === days.at(-1)!.day;
    const kept: Evaluation[] = [];
    for (const evaluation of pools) {
      const { state, drift } = evaluation;
      if (isLastDay) kept.push(evaluation);
      counts[drift.status]++;
      await emit(csvLine([day, at, state.pool.subscriptionId, state.pool.clusterId, state.pool.poolName, drift.status, state.pool.nodeImageVersion, state.latestNodeImageVersion, drift.exposureDays, drift.policyRule, drift.slaDays, drift.exceptionId]));
      rows++;
    }
    trend.push({ date: day, total: totalOf(counts), counts, ...compliancePercentages(counts) });
    if (isLastDay) lastDay = kept;
  }
  if (batch !== '') await write(gzip, batch);
  gzip.end();
  await done;
  return { file, rows, sha256: hash.digest('hex'), trend, lastDay };
}

/** Period end: the pool table (spooled), counts, image ages, per-subscription and per-cluster summaries. */
function summariseLastDay(deps: ReportBuilderDeps, pools: readonly Evaluation[], asOf: Date, spoolFile: string) {
  const counts = emptyCounts();
  const imageAge = AGE_BUCKETS.map((bucket) => ({ ...bucket, pools: 0 }));
  const unknownAge = { label: 'unknown', minDays: null, maxDays: null, pools: 0 };
  const bySubscription = new Map<string, Record<PoolStatus, number>>();
  const byCluster = new Map<string, ReportHeader['clusters'][number]>();
  const identities: PoolIdentity[] = [];
  const breached: string[] = [];
  for (const { key, state, drift } of pools) {
    counts[drift.status]++;
    const age = drift.imageAgeDays;
    (age === null ? unknownAge : imageAge.find((b) => age >= b.minDays && (b.maxDays === null || age <= b.maxDays))!).pools++;
    const sub = state.pool.subscriptionId.toLowerCase();
    const subCounts = bySubscription.get(sub) ?? emptyCounts();
    subCounts[drift.status]++;
    bySubscription.set(sub, subCounts);
    const cluster = byCluster.get(state.pool.clusterId.toLowerCase()) ?? {
      clusterId: state.cluster.id,
      name: state.cluster.name,
      subscriptionId: state.cluster.subscriptionId,
      location: state.cluster.location,
      kubernetesVersion: state.cluster.kubernetesVersion,
      nodeOSUpgradeChannel: state.cluster.nodeOSUpgradeChannel,
      total: 0,
      counts: emptyCounts(),
      compliancePercent: null,
    };
    cluster.total++;
    cluster.counts[drift.status]++;
    byCluster.set(state.pool.clusterId.toLowerCase(), cluster);
    if (identities.length < 100_000) identities.push(identityOf(state.pool, state.cluster.tags));
    if (drift.breachAt !== null && drift.breachAt < asOf.toISOString() && drift.status !== 'current' && drift.status !== 'within_policy') breached.push(key);
  }
  const findingIds = deps.findings.openFindingIds(breached, asOf);
  const spool = new NdjsonSpool(spoolFile);
  for (const { key, view } of pools) spool.append({ ...view(), findingId: findingIds.get(key) ?? null });
  spool.close();
  return {
    counts,
    spool,
    imageAge: [...imageAge, unknownAge],
    subscriptions: [...bySubscription].sort(([a], [b]) => a.localeCompare(b)).map(([subscriptionId, c]) => ({ subscriptionId, total: totalOf(c), counts: c, ...compliancePercentages(c) })),
    clusters: [...byCluster.values()].sort((a, b) => a.clusterId.localeCompare(b.clusterId)).map((c) => ({ ...c, compliancePercent: compliancePercentages(c.counts).compliancePercent })),
    covered: (record: ExceptionRecord) => identities.some((identity) => exceptionCovers(record.scope, identity)),
  };
}

/** The cross-check's runs in the period; the unreachable clusters limited to those in scope. */
function nodeChecksIn(deps: ReportBuilderDeps, period: ReportPeriod, inScope: ReadonlySet<string>): ReportHeader['nodeChecks'] {
  const summary = deps.nodeCheckSummary?.(period.from, period.to) ?? { ran: 0, succeeded: 0, partial: 0, failed: 0, lastFinishedAt: null, poolsCompared: 0, unreachable: [] };
  return { schedule: deps.config.nodeCheckCron, ...summary, unreachable: summary.unreachable.filter((c) => inScope.has(c.clusterId.toLowerCase())).slice(0, 200) };
}

/** Exceptions approved and in force at some moment of the period, for pools in scope; each as it stood at period end. */
function exceptionsInForce(records: readonly ExceptionRecord[], period: ReportPeriod, asOf: string, covers: (record: ExceptionRecord) => boolean) {
  return records
    .filter((record) => {
      const approved = record.events.find((e) => e.action === 'approved');
      if (!approved || approved.at >= period.to) return false;
      const revoked = record.events.find((e) => e.action === 'revoked');
      const ended = revoked && revoked.at < record.expiresAt ? revoked.at : record.expiresAt;
      return ended > period.from && covers(record);
    })
    .map((record) => exceptionAt(record, asOf));
}

function policyVersionsIn(versions: readonly PolicyVersion[], period: ReportPeriod): ReportHeader['methodology']['policyVersions'] {
  const inForceAtStart = versions.filter((v) => v.effectiveFrom <= period.from).at(-1);
  return versions
    .filter((v) => v === inForceAtStart || (v.effectiveFrom > period.from && v.effectiveFrom < period.to))
    .map((v) => ({ effectiveFrom: v.effectiveFrom, contentHash: v.contentHash, source: v.source, rules: v.policy.rules.map((rule) => ({ ...rule })) as Record<string, unknown>[] }));
}

function methodologyValues(deps: ReportBuilderDeps, build: ReportBuild, asOf: string): Record<string, string> {
  return {
    armEndpoint: deps.config.armEndpoint,
    azureCloud: deps.config.azureCloud,
    snapshotSchedule: deps.config.snapshotCron ?? 'off',
    defaultSlaDays: String(deps.config.patchSlaDays),
    statusDefinitions: Object.entries(deps.templates.statusDefinitions).map(([status, text]) => `${status}: ${text}`).join(' '),
    periodLabel: build.period.label,
    asOf,
    reportId: build.reportId,
  };
}
