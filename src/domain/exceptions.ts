import type { PoolIdentity } from './policy.js';

/** What an exception covers (CONTRACT.md): one pool, one cluster, one subscription, or every pool with a tag. */
export interface ExceptionScope {
  readonly kind: 'pool' | 'cluster' | 'subscription' | 'tag';
  readonly clusterId?: string;
  readonly poolName?: string;
  readonly subscriptionId?: string;
  /** `key=value`, matched against cluster and pool tags. */
  readonly tag?: string;
}

export type ExceptionState = 'requested' | 'approved' | 'expired' | 'revoked' | 'rejected';

export interface ExceptionEvent {
  readonly action: 'approved' | 'rejected' | 'revoked';
  readonly actor: string;
  readonly at: string;
  readonly reason: string | null;
}

export interface ExceptionRecord {
  readonly id: string;
  readonly scope: ExceptionScope;
  readonly reason: string;
  readonly compensatingControl: string;
  readonly ticket: string;
  readonly expiresAt: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** Every state change, oldest first. */
  readonly events: readonly ExceptionEvent[];
}

export interface ExceptionView {
  id: string;
  state: ExceptionState;
  scope: ExceptionScope;
  reason: string;
  compensatingControl: string;
  ticket: string;
  expiresAt: string;
  requestedBy: string;
  requestedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  rejectedBy: string | null;
  rejectedAt: string | null;
}

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The exception as it stood at `at`: only events up to then count, and an approval lapses by itself at expiresAt. */
export function exceptionAt(record: ExceptionRecord, at: string): ExceptionView {
  const events = record.events.filter((event) => event.at <= at);
  const find = (action: ExceptionEvent['action']) => events.find((event) => event.action === action) ?? null;
  const approved = find('approved');
  const revoked = find('revoked');
  const rejected = find('rejected');
  let state: ExceptionState = 'requested';
  if (rejected) state = 'rejected';
  else if (revoked) state = 'revoked';
  else if (approved) state = at >= record.expiresAt ? 'expired' : 'approved';
  return {
    id: record.id,
    state,
    scope: record.scope,
    reason: record.reason,
    compensatingControl: record.compensatingControl,
    ticket: record.ticket,
    expiresAt: record.expiresAt,
    requestedBy: record.requestedBy,
    requestedAt: record.requestedAt,
    approvedBy: approved?.actor ?? null,
    approvedAt: approved?.at ?? null,
    revokedBy: revoked?.actor ?? null,
    revokedAt: revoked?.at ?? null,
    rejectedBy: rejected?.actor ?? null,
    rejectedAt: rejected?.at ?? null,
  };
}

export function exceptionCovers(scope: ExceptionScope, pool: PoolIdentity): boolean {
  switch (scope.kind) {
    case 'pool':
      return same(scope.clusterId, pool.clusterId) && same(scope.poolName, pool.poolName);
    case 'cluster':
      return same(scope.clusterId, pool.clusterId);
    case 'subscription':
      return same(scope.subscriptionId, pool.subscriptionId);
    case 'tag': {
      const separator = scope.tag?.indexOf('=') ?? -1;
      if (separator <= 0) return false;
      const key = scope.tag!.slice(0, separator);
      const value = scope.tag!.slice(separator + 1);
      return [pool.clusterTags, pool.poolTags].some((tags) => Object.entries(tags).some(([k, v]) => same(k, key) && v === value));
    }
  }
}

/** What a listing of exceptions asks about: a subscription, a cluster (ARM id) or one pool of a cluster. */
export interface ExceptionTarget {
  readonly subscriptionId?: string;
  readonly clusterId?: string;
  readonly poolName?: string;
}

/**
 * Whether an exception's scope covers some pool of the target: a subscription exception covers its clusters and
 * pools; a cluster exception its pools and its subscription's listing; a pool exception its cluster's and its
 * subscription's. A tag exception depends on tags the target does not carry: it matches no target.
 */
export function exceptionConcerns(scope: ExceptionScope, target: ExceptionTarget): boolean {
  if (scope.kind === 'tag') return false;
  const scopeSubscription = scope.kind === 'subscription' ? scope.subscriptionId : subscriptionOfCluster(scope.clusterId);
  if (target.subscriptionId !== undefined && !same(scopeSubscription, target.subscriptionId)) return false;
  if (target.clusterId !== undefined) {
    if (scope.kind === 'subscription') return same(scope.subscriptionId, subscriptionOfCluster(target.clusterId) ?? '');
    if (!same(scope.clusterId, target.clusterId)) return false;
  }
  if (target.poolName !== undefined && scope.kind === 'pool') return same(scope.poolName, target.poolName);
  return true;
}

function subscriptionOfCluster(clusterId: string | undefined): string | undefined {
  return clusterId === undefined ? undefined : /^\/subscriptions\/([^/]+)\//i.exec(clusterId)?.[1];
}

/**
 * The approved exception in force at `at` that covers the pool; where several are, the one that expires last
 * (CONTRACT.md), ties broken by id so the answer is stable.
 */
export function exceptionInForce(records: readonly ExceptionRecord[], pool: PoolIdentity, at: string): string | null {
  let best: ExceptionRecord | null = null;
  for (const record of records) {
    if (exceptionAt(record, at).state !== 'approved' || !exceptionCovers(record.scope, pool)) continue;
    if (best === null || record.expiresAt > best.expiresAt || (record.expiresAt === best.expiresAt && record.id > best.id)) best = record;
  }
  return best?.id ?? null;
}

/**
 * The first moment after `at` (epoch ms) at which any of the exceptions stands differently (`exceptionAt`), so that
 * `exceptionInForce` could answer differently for some pool: a recorded decision taking effect, or an approval
 * lapsing at its `expiresAt`. Null when none will.
 */
export function exceptionsChangeAfter(records: readonly ExceptionRecord[], at: string): number | null {
  let next: string | null = null;
  const consider = (moment: string) => {
    if (moment > at && (next === null || moment < next)) next = moment;
  };
  for (const record of records) {
    for (const event of record.events) consider(event.at);
    if (record.events.some((event) => event.action === 'approved')) consider(record.expiresAt);
  }
  return next === null ? null : Date.parse(next);
}
