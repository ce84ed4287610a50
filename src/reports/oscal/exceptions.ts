import type { ReportHeader } from '../report-schema.js';
import type { OscalContext } from './context.js';
import { code, nonEmpty, oscalString, plain, prop } from './text.js';

type Exception = ReportHeader['exceptions'][number];
type Json = Record<string, unknown>;

/** An approved exception is OSCAL's approved deviation; one no longer in force closes the acceptance. */
const RISK_STATUS: Readonly<Record<Exception['state'], string>> = {
  requested: 'deviation-requested',
  approved: 'deviation-approved',
  expired: 'closed',
  revoked: 'closed',
  rejected: 'closed',
};

export const EXCEPTION_ROLES: Json[] = [
  { id: 'requester', title: 'Exception requester', description: 'Asked for a time-boxed risk acceptance (an exception).' },
  { id: 'approver', title: 'Exception approver', description: 'Decided on a risk acceptance: approved, rejected or revoked it. Never the requester.' },
];

export const exceptionRiskUuid = (ctx: OscalContext, id: string): string => ctx.uuids.subject('risk', 'exception', id);
const personUuid = (ctx: OscalContext, actor: string): string => ctx.uuids.subject('party', 'person', actor);

/** Everyone who requested or decided an exception, once each, in the order they first appear. */
export function exceptionParties(ctx: OscalContext): Json[] {
  const actors = ctx.header.exceptions.flatMap((e) => [e.requestedBy, e.approvedBy, e.rejectedBy, e.revokedBy]);
  return [...new Set(actors.filter((a): a is string => a !== null))].map((actor) => ({
    uuid: personUuid(ctx, actor),
    type: 'person',
    name: oscalString(actor),
    props: nonEmpty([prop('actor', actor)]),
    remarks: 'An imagewarden actor (the API key or sign-in that took the decision); imagewarden records the actor, not a legal name.',
  }));
}

function scopeText(scope: Exception['scope']): string {
  switch (scope.kind) {
    case 'pool':
      return `node pool ${code(scope.poolName ?? '?')} of cluster ${code(scope.clusterId ?? '?')}`;
    case 'cluster':
      return `every node pool of cluster ${code(scope.clusterId ?? '?')}`;
    case 'subscription':
      return `every node pool in subscription ${code(scope.subscriptionId ?? '?')}`;
    case 'tag':
      return `every node pool of clusters tagged ${code(scope.tag ?? '?')}`;
  }
}

function logEntry(ctx: OscalContext, e: Exception, event: string, title: string, at: string, by: string | null, role: string, status: string): Json {
  return {
    uuid: ctx.uuids.subject('risk-log-entry', 'exception', e.id, event),
    title,
    start: at,
    'logged-by': by === null ? undefined : [{ 'party-uuid': personUuid(ctx, by), 'role-id': role }],
    'status-change': status,
  };
}

/** The exception's lifecycle as the risk's log: requested, then approved, rejected, revoked or expired. */
function exceptionLog(ctx: OscalContext, e: Exception): Json[] {
  return nonEmpty([
    logEntry(ctx, e, 'requested', 'Exception requested', e.requestedAt, e.requestedBy, 'requester', 'deviation-requested'),
    e.approvedAt !== null && logEntry(ctx, e, 'approved', 'Risk accepted', e.approvedAt, e.approvedBy, 'approver', 'deviation-approved'),
    e.rejectedAt !== null && logEntry(ctx, e, 'rejected', 'Exception rejected', e.rejectedAt, e.rejectedBy, 'approver', 'closed'),
    e.revokedAt !== null && logEntry(ctx, e, 'revoked', 'Exception revoked', e.revokedAt, e.revokedBy, 'approver', 'closed'),
    e.state === 'expired' && logEntry(ctx, e, 'expired', 'Exception expired', e.expiresAt, null, 'approver', 'closed'),
  ])!;
}

/** A risk acceptance in force during the period: a risk with the approver as its origin and expiry as deadline. */
export function exceptionRisk(ctx: OscalContext, e: Exception): Json {
  const decidedBy = e.approvedBy ?? e.requestedBy;
  return {
    uuid: exceptionRiskUuid(ctx, e.id),
    title: `Risk acceptance ${code(e.id)}`,
    description: plain(e.reason) || 'No reason recorded.',
    statement: `Until ${e.expiresAt}, ${scopeText(e.scope)} may run a node image past the patch window; such pools are reported as excepted, never as compliant.`,
    props: nonEmpty([
      prop('exception-id', e.id),
      prop('exception-state', e.state),
      prop('scope-kind', e.scope.kind),
      prop('scope-cluster-id', e.scope.clusterId),
      prop('scope-pool-name', e.scope.poolName),
      prop('scope-subscription-id', e.scope.subscriptionId),
      prop('scope-tag', e.scope.tag),
      prop('change-ticket', e.ticket),
    ]),
    status: RISK_STATUS[e.state],
    origins: [{ actors: [{ type: 'party', 'actor-uuid': personUuid(ctx, decidedBy), 'role-id': e.approvedBy ? 'approver' : 'requester' }] }],
    'mitigating-factors': e.compensatingControl.trim()
      ? [{ uuid: ctx.uuids.subject('mitigating-factor', 'exception', e.id), description: plain(e.compensatingControl) }]
      : undefined,
    deadline: e.expiresAt,
    remediations: [
      {
        uuid: ctx.uuids.subject('response', 'exception', e.id),
        lifecycle: 'planned',
        title: 'Upgrade before the exception expires',
        description: `Upgrade the node image of ${scopeText(e.scope)} before ${e.expiresAt}. Change ticket ${code(e.ticket)}.`,
      },
    ],
    'risk-log': { entries: exceptionLog(ctx, e) },
  };
}
