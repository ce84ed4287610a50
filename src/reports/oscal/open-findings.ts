import type { ReportHeader } from '../report-schema.js';
import { type OscalContext, toolOrigin } from './context.js';
import { failedControlProps } from './controls.js';
import { exceptionRiskUuid } from './exceptions.js';
import { code, nonEmpty, prop, token, type Prop } from './text.js';

/*
 * POA&M entries for findings opened in the period and still open (or risk-accepted) that no pool out of policy
 * already stands for: a collection gap, a node image mismatch, or a breach on a pool no longer in scope.
 */

type Finding = ReportHeader['findings']['opened'][number];
type Json = Record<string, unknown>;

const KIND: Readonly<Record<Finding['kind'], { title: string; statement: string; remediation: string }>> = {
  sla_breach: {
    title: 'Patch window exceeded',
    statement: 'Flaws fixed in newer node images stay on the pool\'s nodes until it is upgraded.',
    remediation: 'Upgrade the pool\'s node image to the newest one available to it.',
  },
  coverage_gap: {
    title: 'Collection gap',
    statement: 'While imagewarden could not collect, a pool could fall out of policy unseen: the evidence for the period is incomplete.',
    remediation: 'Restore scheduled collection: check the service, its schedule, and its access to every required subscription.',
  },
  node_mismatch: {
    title: 'Node image differs from the pool\'s',
    statement: 'Some nodes run another image than the one the pool reports, so the pool\'s status may not describe every node.',
    remediation: 'Run a node image upgrade of the pool so that every node runs the pool\'s image.',
  },
};

export const findingObservationUuid = (ctx: OscalContext, f: Finding): string => ctx.uuids.report('observation', 'finding', f.id);
export const findingRiskUuid = (ctx: OscalContext, f: Finding): string => ctx.uuids.subject('risk', 'finding', f.id);

function findingTitle(f: Finding): string {
  const where = f.poolName ? ` on node pool ${code(f.poolName)}` : '';
  return `${KIND[f.kind].title}${where} (finding ${code(f.id)})`;
}

function findingDescription(f: Finding): string {
  const pool = f.poolName ? ` on node pool ${code(f.poolName)}` : '';
  const cluster = f.clusterId ? ` of cluster ${code(f.clusterId)}` : '';
  return `Finding ${code(f.id)} (${code(f.kind)})${pool}${cluster}, opened ${f.openedAt}, is ${code(f.state)} at the end of the period.`;
}

/** The finding's scalar details (image at opening, policy rule, reason…) as `detail.<key>` properties. */
function detailProps(f: Finding): Array<Prop | undefined> {
  return Object.entries(f.detail)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => prop(`detail.${/^[A-Za-z_][\w.-]*$/.test(key) ? key : token(key)}`, value as string | number | boolean));
}

function findingProps(ctx: OscalContext, f: Finding): Prop[] {
  return (
    nonEmpty([
      prop('report-id', ctx.header.reportId),
      prop('finding-id', f.id),
      prop('finding-kind', f.kind),
      prop('finding-state', f.state),
      prop('opened-at', f.openedAt),
      prop('cluster-id', f.clusterId),
      prop('pool-name', f.poolName),
      prop('subscription-id', f.subscriptionId),
      prop('exception-id', f.exceptionId),
      ...detailProps(f),
    ]) ?? []
  );
}

export function findingObservation(ctx: OscalContext, f: Finding): Json {
  return {
    uuid: findingObservationUuid(ctx, f),
    title: findingTitle(f),
    description: findingDescription(f),
    props: findingProps(ctx, f),
    methods: ['TEST'],
    types: ['finding'],
    origins: toolOrigin(ctx),
    collected: f.openedAt,
  };
}

export function findingRisk(ctx: OscalContext, f: Finding): Json {
  return {
    uuid: findingRiskUuid(ctx, f),
    title: findingTitle(f),
    description: findingDescription(f),
    statement: KIND[f.kind].statement,
    props: nonEmpty([prop('finding-id', f.id), prop('finding-kind', f.kind), prop('exception-id', f.exceptionId)]),
    status: f.state === 'risk_accepted' ? 'deviation-approved' : 'open',
    origins: toolOrigin(ctx),
    remediations: [
      { uuid: ctx.uuids.subject('response', 'finding', f.id), lifecycle: 'recommendation', title: 'Remediate the finding', description: KIND[f.kind].remediation, origins: toolOrigin(ctx) },
    ],
    'related-observations': [{ 'observation-uuid': findingObservationUuid(ctx, f) }],
  };
}

export function findingPoamItem(ctx: OscalContext, f: Finding): Json {
  const failed = f.kind === 'coverage_gap' ? ctx.coverageTarget.failed : ctx.poolTarget.failed;
  const exceptionRisk = f.exceptionId && ctx.exceptionsById.has(f.exceptionId) ? exceptionRiskUuid(ctx, f.exceptionId) : undefined;
  return {
    uuid: ctx.uuids.subject('poam-item', 'finding', f.id),
    title: findingTitle(f),
    description: findingDescription(f),
    props: nonEmpty([prop('item-kind', 'finding'), ...findingProps(ctx, f), ...failedControlProps(failed)]),
    origins: toolOrigin(ctx),
    'related-observations': [{ 'observation-uuid': findingObservationUuid(ctx, f) }],
    'related-risks': nonEmpty([{ 'risk-uuid': findingRiskUuid(ctx, f) }, exceptionRisk && { 'risk-uuid': exceptionRisk }]),
  };
}
