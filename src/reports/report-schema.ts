import Type, { type Static } from 'typebox';
import { DateTime, Nullable } from '../http/schemas/common.js';
import { ExceptionSchema } from '../http/schemas/exceptions.js';
import { FindingSchema, Statistics } from '../http/schemas/findings.js';
import { PoolSchema, PoolStatus } from '../http/schemas/inventory.js';

/**
 * The audit report model (JSON report format, published at GET /api/v1/schemas/report.json). Every format — PDF,
 * CSV, OSCAL — is rendered from one instance of it. Bump REPORT_SCHEMA_VERSION on any change a reader would notice:
 * major for removals or changed meanings, minor for additions.
 */
export const REPORT_SCHEMA_VERSION = '1.0.0';

const Counts = Type.Object({
  current: Type.Integer({ minimum: 0 }),
  within_policy: Type.Integer({ minimum: 0 }),
  non_compliant: Type.Integer({ minimum: 0 }),
  excepted: Type.Integer({ minimum: 0 }),
  unknown: Type.Integer({ minimum: 0 }),
});
const Percent = Nullable(Type.Number({ minimum: 0, maximum: 100 }));
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const LedgerHeadSchema = Type.Object({
  size: Type.Integer({ minimum: 0, description: 'entries in the ledger when the report was generated (tree size)' }),
  lastSequence: Nullable(Type.Integer({ minimum: 1 })),
  entryHash: Nullable(Sha256),
  rootHash: Sha256,
  checkpoint: Type.String({ description: 'the signed C2SP checkpoint note covering the head' }),
  keyName: Type.String(),
  keyId: Type.String({ pattern: '^[0-9a-f]{8}$' }),
  signature: Type.String({ description: 'base64 of key id and Ed25519 signature, as in the note' }),
});

export const CitedEntrySchema = Type.Object({
  sequence: Type.Integer({ minimum: 1 }),
  kind: Type.String(),
  subject: Nullable(Type.String()),
  at: DateTime,
  entryHash: Sha256,
  inclusionProof: Type.Array(Sha256, { description: 'RFC 9162 audit path to rootHash of the ledger head' }),
});

export const ReportDocumentSchema = Type.Object(
  {
    schemaVersion: Type.Literal(REPORT_SCHEMA_VERSION),
    reportId: Type.String(),
    title: Type.String(),
    generatedAt: DateTime,
    generatedBy: Type.String(),
    software: Type.Object({ name: Type.Literal('imagewarden'), version: Type.String() }),
    dataSource: Type.Object({
      armEndpoint: Type.String(),
      azureCloud: Type.String(),
      requiredSubscriptions: Nullable(Type.Array(Type.String())),
      demo: Type.Boolean({ description: 'true when the data comes from the built-in demo fleet, not Azure' }),
    }),
    period: Type.Object({
      from: DateTime,
      to: DateTime,
      label: Type.String(),
      days: Type.Integer({ minimum: 1 }),
      evaluatedUntil: DateTime,
    }),
    scope: Type.Object({
      name: Nullable(Type.String()),
      kind: Type.Union([Type.Literal('fleet'), Type.Literal('named'), Type.Literal('subscription')]),
    }),
    ledgerHead: LedgerHeadSchema,
    summary: Type.Object({
      asOf: DateTime,
      total: Type.Integer({ minimum: 0 }),
      counts: Counts,
      compliancePercent: Percent,
      compliancePercentWithExceptions: Percent,
      periodAverage: Type.Object({ compliancePercent: Percent, compliancePercentWithExceptions: Percent, days: Type.Integer() }),
      nonCompliantPools: Type.Integer({ minimum: 0 }),
      slaBreachesOpened: Type.Integer({ minimum: 0 }),
      remediatedInPeriod: Type.Integer({ minimum: 0 }),
      meanTimeToRemediateHours: Nullable(Type.Number()),
      p90TimeToRemediateHours: Nullable(Type.Number()),
      exceptionsInForce: Type.Integer({ minimum: 0 }),
    }),
    coverage: Type.Object({
      schedule: Nullable(Type.String()),
      scheduled: Type.Integer({ minimum: 0 }),
      ran: Type.Integer({ minimum: 0 }),
      succeeded: Type.Integer({ minimum: 0 }),
      partial: Type.Integer({ minimum: 0 }),
      failed: Type.Integer({ minimum: 0 }),
      gaps: Type.Array(FindingSchema),
    }),
    trend: Type.Array(
      Type.Object({ date: Day, total: Type.Integer(), counts: Counts, compliancePercent: Percent, compliancePercentWithExceptions: Percent }),
    ),
    imageAge: Type.Array(Type.Object({ label: Type.String(), minDays: Nullable(Type.Integer()), maxDays: Nullable(Type.Integer()), pools: Type.Integer() })),
    subscriptions: Type.Array(
      Type.Object({ subscriptionId: Type.String(), total: Type.Integer(), counts: Counts, compliancePercent: Percent, compliancePercentWithExceptions: Percent }),
    ),
    clusters: Type.Array(
      Type.Object({
        clusterId: Type.String(),
        name: Type.String(),
        subscriptionId: Type.String(),
        location: Type.String(),
        kubernetesVersion: Nullable(Type.String()),
        nodeOSUpgradeChannel: Nullable(Type.String()),
        total: Type.Integer(),
        counts: Counts,
        compliancePercent: Percent,
      }),
    ),
    findings: Type.Object({ opened: Type.Array(FindingSchema), closed: Type.Array(FindingSchema), statistics: Statistics }),
    exceptions: Type.Array(ExceptionSchema, { description: 'exceptions in force at any moment of the period' }),
    upgrades: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'recorded upgrade runs in the period' }),
    nodeChecks: Type.Object(
      {
        schedule: Nullable(Type.String()),
        ran: Type.Integer({ minimum: 0 }),
        succeeded: Type.Integer({ minimum: 0 }),
        partial: Type.Integer({ minimum: 0 }),
        failed: Type.Integer({ minimum: 0 }),
        lastFinishedAt: Nullable(DateTime),
        poolsCompared: Type.Integer({ minimum: 0, description: 'pool results of the last completed check in the period' }),
        unreachable: Type.Array(Type.Object({ clusterId: Type.String(), checks: Type.Integer({ minimum: 1 }), lastError: Nullable(Type.String()) }), {
          description: 'clusters whose API server a check in the period could not read (at most 200)',
        }),
      },
      { description: 'the node-level cross-check (pool image per ARM vs node labels) in the period; its node_mismatch findings are among the findings' },
    ),
    controls: Type.Array(
      Type.Object({ framework: Type.String(), control: Type.String(), title: Type.String(), requirement: Type.String(), sections: Type.Array(Type.String()) }),
    ),
    methodology: Type.Object({
      snapshotSchedule: Nullable(Type.String()),
      defaultSlaDays: Type.Integer(),
      policyVersions: Type.Array(Type.Object({ effectiveFrom: DateTime, contentHash: Sha256, source: Nullable(Type.String()), rules: Type.Array(Type.Record(Type.String(), Type.Unknown())) })),
      statements: Type.Array(Type.Object({ title: Type.String(), text: Type.String() })),
    }),
    evidence: Type.Object({
      entries: Type.Array(CitedEntrySchema),
      limitation: Type.String(),
    }),
    population: Type.Object({
      rows: Type.Integer({ minimum: 0, description: 'pool × day rows in the period population' }),
      sha256: Sha256,
      columns: Type.Array(Type.String()),
    }),
    pools: Type.Array(PoolSchema, { description: 'every pool in scope at the end of the period' }),
  },
  { $id: 'https://imagewarden.dev/schemas/report.json', title: 'imagewarden audit report' },
);

export type ReportDocument = Static<typeof ReportDocumentSchema>;
export type ReportHeader = Omit<ReportDocument, 'pools'>;
export type ReportPool = Static<typeof PoolSchema>;
export type PoolStatusName = Static<typeof PoolStatus>;
export type LedgerHead = Static<typeof LedgerHeadSchema>;

/**
 * A report as the renderers receive it: the bounded header in memory, the pools as a re-iterable stream (each call
 * starts a new pass), so 40,000 pools are never held as one document.
 */
export interface ReportModel {
  readonly header: ReportHeader;
  readonly pools: () => Iterable<ReportPool>;
}

/** What the PDF prints about the formats rendered before it. */
export interface ArtifactDigest {
  readonly format: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly bytes: number;
}
