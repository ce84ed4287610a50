import type { ReportPool } from '../report-schema.js';
import { type OscalContext, poolArmId, poolIssueKey, toolOrigin } from './context.js';
import { failedControlProps } from './controls.js';
import { addDays, code, nonEmpty, plain, prop, type Prop } from './text.js';

type Json = Record<string, unknown>;

const STATUS_PHRASE: Readonly<Record<ReportPool['status'], string>> = {
  current: 'is on the newest node image',
  within_policy: 'is within its patch window',
  non_compliant: 'is not patched within its patch window',
  excepted: 'is out of policy under an approved exception',
  unknown: 'has a patch status that could not be determined',
};

/**
 * OSCAL risk status per pool status: an exception is an approved deviation; an unknown pool needs looking into.
 * Current and within-policy pools are never risks; they are listed only to keep the mapping total.
 */
const RISK_STATUS: Readonly<Record<ReportPool['status'], string>> = {
  current: 'closed',
  within_policy: 'open',
  non_compliant: 'open',
  excepted: 'deviation-approved',
  unknown: 'investigating',
};

export const poolInventoryUuid = (ctx: OscalContext, pool: ReportPool): string => ctx.uuids.subject('pool', poolArmId(pool));
export const poolObservationUuid = (ctx: OscalContext, pool: ReportPool): string => ctx.uuids.report('observation', 'pool', poolArmId(pool));
export const poolRiskUuid = (ctx: OscalContext, pool: ReportPool): string => ctx.uuids.subject('risk', ...poolIssueKey(pool));

/** "node pool `p` of cluster `c`": names as code spans, so they read as themselves in Markdown. */
export function poolLabel(pool: ReportPool, sentenceStart = false): string {
  return `${sentenceStart ? 'Node' : 'node'} pool ${code(pool.poolName)} of cluster ${code(pool.clusterName)}`;
}

export function poolTitle(pool: ReportPool): string {
  return `${poolLabel(pool, true)} ${STATUS_PHRASE[pool.status]}`;
}

/** The pool as an inventory item: the subject its observations point at. `asset-id` is OSCAL's own property. */
export function poolInventoryItem(ctx: OscalContext, pool: ReportPool): Json {
  return {
    uuid: poolInventoryUuid(ctx, pool),
    description: `AKS ${poolLabel(pool)} (resource group ${code(pool.resourceGroup)}, subscription ${code(pool.subscriptionId)}, ${code(pool.location)}).`,
    props: nonEmpty([
      { ...prop('asset-id', poolArmId(pool))!, ns: undefined },
      prop('cluster-id', pool.clusterId),
      prop('cluster-name', pool.clusterName),
      prop('pool-name', pool.poolName),
      prop('subscription-id', pool.subscriptionId),
      prop('resource-group', pool.resourceGroup),
      prop('location', pool.location),
      prop('pool-mode', pool.mode),
      prop('os-type', pool.osType),
      prop('os-sku', pool.osSku),
      prop('node-count', pool.nodeCount),
      prop('kubernetes-version', pool.kubernetesVersion),
      prop('node-os-upgrade-channel', pool.nodeOSUpgradeChannel),
    ]),
  };
}

/** Everything the report knows about the pool's patch state, each fact a property an auditor can filter on. */
function poolFactProps(ctx: OscalContext, pool: ReportPool): Prop[] {
  return (
    nonEmpty([
      prop('report-id', ctx.header.reportId),
      prop('arm-id', poolArmId(pool)),
      prop('pool-status', pool.status),
      prop('node-image-version', pool.nodeImageVersion),
      prop('image-release-date', pool.imageReleaseDate),
      prop('image-age-days', pool.imageAgeDays),
      prop('latest-node-image-version', pool.latestNodeImageVersion),
      prop('latest-release-date', pool.latestReleaseDate),
      prop('releases-behind', pool.releasesBehind),
      prop('days-behind-latest', pool.daysBehindLatest),
      prop('superseded-at', pool.supersededAt, { class: pool.supersededAtSource ?? undefined }),
      prop('first-seen-behind-at', pool.firstSeenBehindAt),
      prop('exposure-days', pool.exposureDays),
      prop('sla-days', pool.slaDays),
      prop('policy-rule', pool.policyRule),
      prop('finding-id', pool.findingId),
      prop('exception-id', pool.exceptionId),
    ]) ?? []
  );
}

function exceptionSentence(ctx: OscalContext, pool: ReportPool): string {
  if (!pool.exceptionId) return '';
  const exception = ctx.exceptionsById.get(pool.exceptionId);
  if (!exception) return ` Covered by exception ${code(pool.exceptionId)}.`;
  const approver = exception.approvedBy ? `, approved by ${code(exception.approvedBy)}` : '';
  return ` Covered by exception ${code(exception.id)}${approver}, until ${exception.expiresAt}.`;
}

export function poolDescription(ctx: OscalContext, pool: ReportPool): string {
  const label = poolLabel(pool, true);
  if (pool.status === 'unknown') {
    return `${label}: its node image or the newest image available to it could not be determined, or its subscription could not be read. A pool with unknown status is never counted as compliant.`;
  }
  const released = (date: string | null) => (date ? `, released ${date}` : '');
  let text = `${label} runs node image ${code(pool.nodeImageVersion ?? 'unknown')}${released(pool.imageReleaseDate)}.`;
  if (pool.latestNodeImageVersion) {
    const behind = pool.releasesBehind === null ? '' : ` (${pool.releasesBehind} releases later)`;
    text += ` The newest image for it is ${code(pool.latestNodeImageVersion)}${released(pool.latestReleaseDate)}${behind}.`;
  }
  if (pool.exposureDays !== null) {
    const since = pool.supersededAt ? ` since ${pool.supersededAt}` : '';
    text += ` Exposed for ${pool.exposureDays} days${since}, against the ${pool.slaDays}-day patch window of policy rule ${code(pool.policyRule)}.`;
  }
  return text + exceptionSentence(ctx, pool);
}

/** One observation per pool out of policy: what imagewarden saw, tied to the pool, the report and the population. */
export function poolObservation(ctx: OscalContext, pool: ReportPool): Json {
  return {
    uuid: poolObservationUuid(ctx, pool),
    title: poolTitle(pool),
    description: poolDescription(ctx, pool),
    props: poolFactProps(ctx, pool),
    methods: ['TEST'],
    types: ['finding'],
    origins: toolOrigin(ctx),
    subjects: [{ 'subject-uuid': poolInventoryUuid(ctx, pool), type: 'inventory-item', title: `AKS ${poolLabel(pool)}` }],
    'relevant-evidence': [{ href: `#${ctx.resources.population}`, description: 'The pool\'s status on every day of the period is in the report population.' }],
    collected: pool.observedAt ?? ctx.header.summary.asOf,
  };
}

/** When the risk must be gone: the exception's expiry, or the end of the patch window counted from exposure start. */
function poolDeadline(ctx: OscalContext, pool: ReportPool): string | undefined {
  const exception = pool.exceptionId ? ctx.exceptionsById.get(pool.exceptionId) : undefined;
  if (pool.status === 'excepted' && exception) return exception.expiresAt;
  if (pool.status === 'non_compliant' && pool.supersededAt) return addDays(pool.supersededAt, pool.slaDays);
  return undefined;
}

function poolRemediation(ctx: OscalContext, pool: ReportPool): Json {
  const unknown = pool.status === 'unknown';
  const target = pool.latestNodeImageVersion ? ` to ${code(pool.latestNodeImageVersion)}` : '';
  return {
    uuid: ctx.uuids.subject('response', ...poolIssueKey(pool)),
    lifecycle: 'recommendation',
    title: unknown ? 'Restore visibility of the pool' : 'Upgrade the node image',
    description: unknown
      ? 'Make sure imagewarden can read the pool\'s subscription and its AKS upgrade profile; the next snapshot then determines its status.'
      : `Upgrade the node image of ${poolLabel(pool)}${target} (an imagewarden upgrade run, or \`az aks nodepool upgrade --node-image-only\`).`,
  };
}

function riskDescription(pool: ReportPool): string {
  const image = pool.nodeImageVersion ? `node image ${code(pool.nodeImageVersion)}` : 'a node image';
  const since = pool.supersededAt ? `, superseded since ${pool.supersededAt}` : '';
  const window = pool.status === 'excepted' ? 'past its patch window under an exception' : `beyond its ${pool.slaDays}-day patch window`;
  return `${poolLabel(pool, true)} runs ${image}${since}, ${window}.`;
}

/** Short: the observation it relates to holds the facts. */
function findingDescription(pool: ReportPool, failed: ReadonlyArray<{ framework: string; control: string }>): string {
  const controls = failed.map((c) => `${c.framework} ${c.control}`).join('; ');
  const reason = pool.status === 'unknown' ? 'Not shown to be patched: its status could not be determined.' : `Exposed ${pool.exposureDays ?? '?'} days against a ${pool.slaDays}-day patch window.`;
  return `${reason}${controls ? ` Not satisfied: ${plain(controls)}.` : ''}`;
}

/** The risk of a pool out of policy: flaws fixed in newer images stay on its nodes until it is upgraded. */
export function poolRisk(ctx: OscalContext, pool: ReportPool): Json {
  const unknown = pool.status === 'unknown';
  // Only a pool the exception still covers has its compensating control; an expired one mitigates nothing.
  const exception = pool.status === 'excepted' && pool.exceptionId ? ctx.exceptionsById.get(pool.exceptionId) : undefined;
  const nodes = pool.nodeCount === null ? 'its nodes' : `its ${pool.nodeCount} node(s)`;
  return {
    uuid: poolRiskUuid(ctx, pool),
    title: `${unknown ? 'Undetermined' : 'Superseded'} node image on ${poolLabel(pool)}`,
    description: unknown ? `The patch status of ${poolLabel(pool)} is unknown.` : riskDescription(pool),
    statement: unknown
      ? `Whether ${nodes} carry flaws fixed in newer node images cannot be shown.`
      : `Flaws fixed in node images released since ${pool.supersededAt ?? 'the pool\'s image was superseded'} stay on ${nodes} until the pool is upgraded.`,
    props: nonEmpty([prop('arm-id', poolArmId(pool)), prop('pool-status', pool.status), prop('finding-id', pool.findingId), prop('exception-id', pool.exceptionId)]),
    status: RISK_STATUS[pool.status],
    origins: toolOrigin(ctx),
    'mitigating-factors': exception
      ? [{ uuid: ctx.uuids.subject('mitigating-factor', exception.id, poolArmId(pool)), description: plain(exception.compensatingControl) }]
      : undefined,
    deadline: poolDeadline(ctx, pool),
    remediations: [poolRemediation(ctx, pool)],
    'related-observations': [{ 'observation-uuid': poolObservationUuid(ctx, pool) }],
  };
}

/** The assessment-results finding for a pool out of policy: the controls citing "attention" are not satisfied. */
export function poolFinding(ctx: OscalContext, pool: ReportPool): Json {
  const { target, failed } = ctx.poolTarget;
  return {
    uuid: ctx.uuids.report('finding', 'pool', poolArmId(pool)),
    title: poolTitle(pool),
    description: findingDescription(pool, failed),
    props: nonEmpty([prop('report-id', ctx.header.reportId), prop('arm-id', poolArmId(pool)), prop('pool-status', pool.status), ...failedControlProps(failed)]),
    origins: toolOrigin(ctx),
    target: { ...target, status: { state: 'not-satisfied', reason: pool.status === 'unknown' ? 'other' : 'fail' } },
    'related-observations': [{ 'observation-uuid': poolObservationUuid(ctx, pool) }],
    'related-risks': [{ 'risk-uuid': poolRiskUuid(ctx, pool) }],
  };
}
