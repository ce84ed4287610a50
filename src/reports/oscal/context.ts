import type { ReportHeader, ReportPool } from '../report-schema.js';
import { findingTarget, nistControlId, type FindingTarget } from './controls.js';
import { createOscalUuids, type OscalUuids } from './uuid.js';

type Exception = ReportHeader['exceptions'][number];
type Finding = ReportHeader['findings']['opened'][number];
type MappedControl = ReportHeader['controls'][number];

export const OSCAL_VERSION = '1.1.2';

/** Objective ids used only when the template maps no control at all (a finding must still name a target). */
const POOL_OBJECTIVE = 'imagewarden-pool-patch-window';
const COVERAGE_OBJECTIVE = 'imagewarden-collection-coverage';

/** Everything the OSCAL builders share about one report: the bounded header and what is derived from it once. */
export interface OscalContext {
  readonly header: ReportHeader;
  readonly uuids: OscalUuids;
  readonly toolComponentUuid: string;
  readonly toolPartyUuid: string;
  readonly resources: { readonly method: string; readonly ledgerHead: string; readonly population: string; readonly nistCatalog: string | null };
  readonly poolTarget: { readonly target: FindingTarget; readonly failed: MappedControl[] };
  readonly coverageTarget: { readonly target: FindingTarget; readonly failed: MappedControl[] };
  readonly exceptionsById: ReadonlyMap<string, Exception>;
  readonly openedFindingsById: ReadonlyMap<string, Finding>;
}

export function createOscalContext(header: ReportHeader): OscalContext {
  // The ledger's key name is the installation's origin line (C2SP checkpoint): the closest thing the model has
  // to an installation identity.
  const uuids = createOscalUuids(header.reportId, header.ledgerHead.keyName);
  const usesNist = header.controls.some((c) => nistControlId(c) !== null);
  return {
    header,
    uuids,
    toolComponentUuid: uuids.subject('component', 'imagewarden'),
    toolPartyUuid: uuids.subject('party', 'imagewarden'),
    resources: {
      method: uuids.report('resource', 'method'),
      ledgerHead: uuids.report('resource', 'ledger-head'),
      population: uuids.report('resource', 'population'),
      nistCatalog: usesNist ? uuids.report('resource', 'nist-sp-800-53-rev5-catalog') : null,
    },
    poolTarget: findingTarget(header.controls, 'attention', POOL_OBJECTIVE),
    coverageTarget: findingTarget(header.controls, 'coverage', COVERAGE_OBJECTIVE),
    exceptionsById: new Map(header.exceptions.map((e) => [e.id, e])),
    openedFindingsById: new Map(header.findings.opened.map((f) => [f.id, f])),
  };
}

/** Observations, findings and risks are all produced by imagewarden, the tool (a component in assessment-assets). */
export function toolOrigin(ctx: OscalContext): Record<string, unknown>[] {
  return [{ actors: [{ type: 'tool', 'actor-uuid': ctx.toolComponentUuid }] }];
}

/** A pool's Azure resource id: the model carries the cluster's id and the pool's name. */
export function poolArmId(pool: Pick<ReportPool, 'clusterId' | 'poolName'>): string {
  return `${pool.clusterId}/agentPools/${pool.poolName}`;
}

/** Pool statuses that are not compliant at period end: every one of them is an observation and a finding. */
export function isOutOfPolicy(pool: ReportPool): boolean {
  return pool.status !== 'current' && pool.status !== 'within_policy';
}

/**
 * The subject key of a pool that is out of policy: its finding when it has one (a finding is what a POA&M item
 * tracks from opening to closing), otherwise its status and exception. The pool's id keeps keys unique.
 */
export function poolIssueKey(pool: ReportPool): string[] {
  const id = poolArmId(pool);
  return pool.findingId ? ['finding', pool.findingId, id] : ['pool', pool.status, id, pool.exceptionId ?? ''];
}
