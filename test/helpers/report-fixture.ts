import type { ReportHeader, ReportModel, ReportPool } from '../../src/reports/report-schema.js';
import { REPORT_SCHEMA_VERSION } from '../../src/reports/report-schema.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000a1';
const statuses = ['current', 'within_policy', 'non_compliant', 'excepted', 'unknown'] as const;

export interface FixtureOptions {
  /** Pools in the population (default 40). */
  readonly pools?: number;
  /** How many of them are non_compliant (default a quarter). */
  readonly nonCompliant?: number;
  /** Overrides of the cluster name of the first pool (for injection tests). */
  readonly firstClusterName?: string;
}

/** A pool row as the report renderers receive it, with every CONTRACT.md field. */
export function fixturePool(index: number, status: ReportPool['status'], clusterName = `aks-${String(Math.floor(index / 4)).padStart(4, '0')}`): ReportPool {
  const behind = status !== 'current';
  const clusterId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/${clusterName}`;
  return {
    clusterId,
    clusterName,
    subscriptionId: SUBSCRIPTION,
    resourceGroup: 'rg-prod',
    location: 'westeurope',
    poolName: `pool${index % 4}`,
    mode: index % 4 === 0 ? 'System' : 'User',
    osType: 'Linux',
    osSku: 'Ubuntu',
    nodeCount: 3,
    nodeImageVersion: status === 'unknown' ? null : behind ? 'AKSUbuntu-2204gen2containerd-202409.10.0' : 'AKSUbuntu-2204gen2containerd-202411.12.0',
    latestNodeImageVersion: status === 'unknown' ? null : 'AKSUbuntu-2204gen2containerd-202411.12.0',
    kubernetesVersion: '1.30.5',
    nodeOSUpgradeChannel: index % 3 === 0 ? 'NodeImage' : 'None',
    imageFamily: status === 'unknown' ? null : 'AKSUbuntu-2204gen2containerd',
    imageReleaseDate: status === 'unknown' ? null : behind ? '2024-09-10T00:00:00.000Z' : '2024-11-12T00:00:00.000Z',
    imageAgeDays: status === 'unknown' ? null : behind ? 81 : 18,
    latestReleaseDate: status === 'unknown' ? null : '2024-11-12T00:00:00.000Z',
    daysBehindLatest: status === 'unknown' ? null : behind ? 63 : 0,
    releasesBehind: status === 'unknown' ? null : behind ? 9 : 0,
    supersededAt: behind && status !== 'unknown' ? '2024-09-17T00:00:00.000Z' : null,
    supersededAtSource: behind && status !== 'unknown' ? 'own_release' : null,
    exposureDays: status === 'unknown' ? null : status === 'within_policy' ? 12 : behind ? 74 : 0,
    firstSeenBehindAt: behind && status !== 'unknown' ? '2024-09-18T10:00:00.000Z' : null,
    status,
    policyRule: 'default',
    slaDays: 30,
    exceptionId: status === 'excepted' ? 'exc_7b0c8f9e-0000-4000-8000-000000000001' : null,
    findingId: status === 'non_compliant' ? `fnd_${String(index).padStart(24, '0')}` : null,
    observedAt: '2024-11-30T23:00:00.000Z',
  };
}

/** A valid, self-consistent report model for renderer tests (not built from a store). */
export function fixtureReportModel(options: FixtureOptions = {}): ReportModel {
  const total = options.pools ?? 40;
  const nonCompliant = options.nonCompliant ?? Math.floor(total / 4);
  const statusOf = (i: number): ReportPool['status'] => (i < nonCompliant ? 'non_compliant' : statuses[[0, 1, 3, 4][i % 4]!]!);
  const pools = function* (): Generator<ReportPool> {
    for (let i = 0; i < total; i++) yield fixturePool(i, statusOf(i), i === 0 ? options.firstClusterName : undefined);
  };
  const counts = { current: 0, within_policy: 0, non_compliant: 0, excepted: 0, unknown: 0 };
  for (let i = 0; i < total; i++) counts[statusOf(i)]++;
  const pct = (n: number) => (total === 0 ? null : Math.round((n / total) * 1000) / 10);
  const compliancePercent = pct(counts.current + counts.within_policy);
  const compliancePercentWithExceptions = pct(counts.current + counts.within_policy + counts.excepted);
  const trend = Array.from({ length: 30 }, (_, d) => ({
    date: `2024-11-${String(d + 1).padStart(2, '0')}`,
    total,
    counts,
    compliancePercent: Math.max(0, (compliancePercent ?? 0) - (29 - d) * 0.5),
    compliancePercentWithExceptions: compliancePercentWithExceptions,
  }));
  const finding = {
    id: 'fnd_000000000000000000000001',
    kind: 'sla_breach' as const,
    state: 'open' as const,
    clusterId: fixturePool(0, 'non_compliant').clusterId,
    poolName: 'pool0',
    subscriptionId: SUBSCRIPTION,
    openedAt: '2024-10-17T00:00:00.000Z',
    closedAt: null,
    timeToRemediateHours: null,
    exceptionId: null,
    detail: { imageAtOpen: 'AKSUbuntu-2204gen2containerd-202409.10.0', policyRule: 'default', slaDays: 30 },
  };
  const header: ReportHeader = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    reportId: 'rpt_01JDEMO0000000000000000000',
    title: 'Node image patch compliance report',
    generatedAt: '2024-12-01T08:00:00.000Z',
    generatedBy: 'auditor-key',
    software: { name: 'imagewarden', version: '0.1.0' },
    dataSource: { armEndpoint: 'https://management.azure.com', azureCloud: 'AzurePublicCloud', requiredSubscriptions: [SUBSCRIPTION], demo: false },
    period: { from: '2024-11-01T00:00:00.000Z', to: '2024-12-01T00:00:00.000Z', label: '2024-11', days: 30, evaluatedUntil: '2024-11-30T23:59:59.000Z' },
    scope: { name: null, kind: 'fleet' },
    ledgerHead: {
      size: 42,
      lastSequence: 42,
      entryHash: 'a'.repeat(64),
      rootHash: 'b'.repeat(64),
      checkpoint: 'imagewarden.example/ledger\n42\nu7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7s=\n\n— imagewarden.example/ledger AAAAAKbc\n',
      keyName: 'imagewarden.example/ledger',
      keyId: '0a1b2c3d',
      signature: 'AAAAAKbc',
    },
    summary: {
      asOf: '2024-11-30T23:59:59.000Z',
      total,
      counts,
      compliancePercent,
      compliancePercentWithExceptions,
      periodAverage: { compliancePercent: 61.3, compliancePercentWithExceptions: 70.1, days: 30 },
      nonCompliantPools: counts.non_compliant,
      slaBreachesOpened: 3,
      remediatedInPeriod: 2,
      meanTimeToRemediateHours: 130.5,
      p90TimeToRemediateHours: 200.2,
      exceptionsInForce: 1,
    },
    coverage: {
      schedule: '0 * * * *',
      scheduled: 720,
      ran: 719,
      succeeded: 718,
      partial: 1,
      failed: 0,
      gaps: [{ ...finding, id: 'fnd_gap', kind: 'coverage_gap', clusterId: null, poolName: null, state: 'remediated', openedAt: '2024-11-12T04:00:00.000Z', closedAt: '2024-11-12T05:00:00.000Z', timeToRemediateHours: 1, detail: { reason: 'missed_snapshot' } }],
    },
    trend,
    imageAge: [
      { label: '0–7 days', minDays: 0, maxDays: 7, pools: 0 },
      { label: '8–30 days', minDays: 8, maxDays: 30, pools: counts.current },
      { label: '31–90 days', minDays: 31, maxDays: 90, pools: total - counts.current - counts.unknown },
      { label: 'over 90 days', minDays: 91, maxDays: null, pools: 0 },
      { label: 'unknown', minDays: null, maxDays: null, pools: counts.unknown },
    ],
    subscriptions: [{ subscriptionId: SUBSCRIPTION, total, counts, compliancePercent, compliancePercentWithExceptions }],
    clusters: [
      {
        clusterId: fixturePool(0, 'current').clusterId,
        name: 'aks-0000',
        subscriptionId: SUBSCRIPTION,
        location: 'westeurope',
        kubernetesVersion: '1.30.5',
        nodeOSUpgradeChannel: 'NodeImage',
        total: 4,
        counts: { current: 1, within_policy: 1, non_compliant: 1, excepted: 1, unknown: 0 },
        compliancePercent: 50,
      },
    ],
    findings: {
      opened: [finding],
      closed: [{ ...finding, id: 'fnd_000000000000000000000002', state: 'remediated', closedAt: '2024-11-20T10:00:00.000Z', timeToRemediateHours: 130.5 }],
      statistics: { total: 2, slaBreaches: 2, open: 1, riskAccepted: 0, remediated: 1, retired: 0, meanTimeToRemediateHours: 130.5, p90TimeToRemediateHours: 130.5 },
    },
    exceptions: [
      {
        id: 'exc_7b0c8f9e-0000-4000-8000-000000000001',
        state: 'approved',
        scope: { kind: 'pool', clusterId: fixturePool(3, 'excepted').clusterId, poolName: 'pool3' },
        reason: 'Vendor driver not yet certified on the new image',
        compensatingControl: 'Network isolation of the pool',
        ticket: 'CHG-1234',
        expiresAt: '2024-12-20T00:00:00.000Z',
        requestedBy: 'alice',
        requestedAt: '2024-11-05T09:00:00.000Z',
        approvedBy: 'bob',
        approvedAt: '2024-11-05T10:00:00.000Z',
        revokedBy: null,
        revokedAt: null,
        rejectedBy: null,
        rejectedAt: null,
      },
    ],
    upgrades: [],
    nodeChecks: { schedule: '30 3 * * *', ran: 30, succeeded: 29, partial: 1, failed: 0, lastFinishedAt: '2024-11-30T03:31:02.000Z', poolsCompared: 3, unreachable: [{ clusterId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-private/providers/Microsoft.ContainerService/managedClusters/aks-private`, checks: 1, lastError: 'connect ECONNREFUSED' }] },
    controls: [
      { framework: 'PCI DSS v4.0.1', control: '6.3.3', title: 'Security patches installed within one month of release', requirement: 'Critical patches within one month.', sections: ['executive_summary', 'attention'] },
    ],
    methodology: {
      snapshotSchedule: '0 * * * *',
      defaultSlaDays: 30,
      policyVersions: [{ effectiveFrom: '2024-10-01T00:00:00.000Z', contentHash: 'c'.repeat(64), source: null, rules: [{ name: 'default', slaDays: 30 }] }],
      statements: [{ title: 'Data sources', text: 'Azure Resource Graph and the AKS API.' }],
    },
    evidence: {
      entries: [{ sequence: 41, kind: 'report_generated', subject: 'rpt_x', at: '2024-12-01T07:59:00.000Z', entryHash: 'd'.repeat(64), inclusionProof: ['e'.repeat(64)] }],
      limitation: 'Whoever holds both the data volume and the signing key could rewrite the ledger and re-sign it.',
    },
    population: { rows: total * 30, sha256: 'f'.repeat(64), columns: ['date', 'subscriptionId', 'clusterId', 'poolName', 'status'] },
  };
  return { header, pools };
}
