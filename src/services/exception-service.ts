import { randomUUID } from 'node:crypto';
import { conflict, DomainError, invalidInput, notFound } from '../domain/errors.js';
import { sameCaller } from '../domain/roles.js';
import { exceptionAt, exceptionConcerns, type ExceptionScope, type ExceptionState, type ExceptionTarget, type ExceptionView } from '../domain/exceptions.js';
import { writeTransaction, type Db } from '../store/database.js';
import type { ExceptionRepository } from '../store/exception-repository.js';
import type { EvidenceSink } from '../evidence/ledger.js';

export interface ExceptionServiceDeps {
  readonly db: Db;
  readonly exceptions: ExceptionRepository;
  readonly maxExceptionDays: number;
  readonly now: () => Date;
  readonly evidence: EvidenceSink;
  /** After each change: findings it turns risk-accepted (or back) are recorded in the ledger. */
  readonly onChange?: () => void;
}

export interface ExceptionRequest {
  readonly scope: ExceptionScope;
  readonly reason: string;
  readonly compensatingControl: string;
  readonly ticket: string;
  readonly expiresAt: string;
}

const DAY_IN_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLUSTER_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/i;

export type ExceptionService = ReturnType<typeof createExceptionService>;

/**
 * Time-boxed risk acceptances: requested by an operator or admin, approved by an admin who is not the requester
 * (four eyes), revocable, and expiring by themselves. Every change is an appended event; nothing is updated in place.
 */
export function createExceptionService(deps: ExceptionServiceDeps) {
  const { exceptions } = deps;

  /** An expiry must lie in the future and at most IMAGEWARDEN_MAX_EXCEPTION_DAYS ahead of `from`. */
  const checkExpiry = (expiresAt: string, from: Date, when: 'request' | 'approval') => {
    const expires = Date.parse(expiresAt);
    if (!(expires > from.getTime())) {
      throw invalidInput('invalid_expiry', `expiresAt ${expiresAt} is not in the future at ${when}`, { expiresAt });
    }
    const latest = from.getTime() + deps.maxExceptionDays * DAY_IN_MS;
    if (expires > latest) {
      throw invalidInput('expiry_too_far', `expiresAt may be at most ${deps.maxExceptionDays} days after ${when} (${new Date(latest).toISOString()})`, {
        expiresAt,
        maxExceptionDays: deps.maxExceptionDays,
      });
    }
  };

  const view = (id: string) => {
    const record = exceptions.get(id);
    if (!record) throw notFound('exception_not_found', `no exception ${id}`);
    return { record, current: exceptionAt(record, deps.now().toISOString()) };
  };

  const requireState = (current: ExceptionView, allowed: ExceptionState, action: string) => {
    if (current.state !== allowed) {
      throw conflict('invalid_state', `cannot ${action} an exception that is ${current.state}`, { state: current.state });
    }
  };

  /** Runs one change and records the exception as it stands after it, in the same transaction; then checkpoints. */
  function recorded(kind: string, actor: string, change: () => ExceptionView): ExceptionView {
    const after = writeTransaction(deps.db, () => {
      const current = change();
      deps.evidence.append({ kind, subject: current.id, actor, body: current });
      return current;
    });
    // Its own checkpoint first: a forged rewrite of this decision is then named exactly by verification.
    deps.evidence.checkpoint();
    deps.onChange?.();
    return after;
  }

  return {
    request(input: ExceptionRequest, actor: string): ExceptionView {
      const scope = normaliseScope(input.scope);
      const now = deps.now();
      checkExpiry(input.expiresAt, now, 'request');
      const id = `exc_${randomUUID()}`;
      return recorded('exception_requested', actor, () => {
        exceptions.insert({
          id,
          scope,
          reason: input.reason,
          compensatingControl: input.compensatingControl,
          ticket: input.ticket,
          expiresAt: new Date(input.expiresAt).toISOString(),
          requestedBy: actor,
          requestedAt: now.toISOString(),
        });
        return view(id).current;
      });
    },

    approve(id: string, actor: string, reason: string | null): ExceptionView {
      return recorded('exception_approved', actor, () => {
        const { record, current } = view(id);
        requireState(current, 'requested', 'approve');
        if (sameCaller(record.requestedBy, actor)) {
          throw new DomainError('forbidden', 'four_eyes_required', 'an exception must be approved by an admin other than its requester', {
            requestedBy: record.requestedBy,
          });
        }
        const now = deps.now();
        checkExpiry(record.expiresAt, now, 'approval');
        exceptions.appendEvent(id, { action: 'approved', actor, at: now.toISOString(), reason });
        return view(id).current;
      });
    },

    reject(id: string, actor: string, reason: string | null): ExceptionView {
      return recorded('exception_rejected', actor, () => {
        requireState(view(id).current, 'requested', 'reject');
        exceptions.appendEvent(id, { action: 'rejected', actor, at: deps.now().toISOString(), reason });
        return view(id).current;
      });
    },

    revoke(id: string, actor: string, reason: string | null): ExceptionView {
      return recorded('exception_revoked', actor, () => {
        requireState(view(id).current, 'approved', 'revoke');
        exceptions.appendEvent(id, { action: 'revoked', actor, at: deps.now().toISOString(), reason });
        return view(id).current;
      });
    },

    get(id: string, at?: Date): ExceptionView {
      const { record } = view(id);
      return exceptionAt(record, (at ?? deps.now()).toISOString());
    },

    /** The longest an exception may run from its approval, in days (IMAGEWARDEN_MAX_EXCEPTION_DAYS). */
    maxExceptionDays: deps.maxExceptionDays,
    /** The service's clock (what "now" means for a listing without `asOf`). */
    now: (): Date => deps.now(),

    /**
     * Exceptions as they stood at `at`, oldest first by request time, then id (`newestFirst`: the reverse); `target`:
     * only those covering some pool of it (exceptionConcerns); `after`: only those after that one in this order (paging).
     */
    list(filter: { state?: ExceptionState; at?: Date; target?: ExceptionTarget; after?: { requestedAt: string; id: string }; newestFirst?: boolean }): ExceptionView[] {
      const at = (filter.at ?? deps.now()).toISOString();
      const { after, target } = filter;
      const direction = filter.newestFirst === true ? -1 : 1;
      const records = exceptions.all();
      if (direction === -1) records.reverse();
      const order = (record: { requestedAt: string; id: string }) =>
        after === undefined ? 1 : direction * (record.requestedAt === after.requestedAt ? compare(record.id, after.id) : compare(record.requestedAt, after.requestedAt));
      return records
        .filter((record) => record.requestedAt <= at && order(record) > 0)
        .filter((record) => target === undefined || exceptionConcerns(record.scope, target))
        .map((record) => exceptionAt(record, at))
        .filter((exception) => filter.state === undefined || exception.state === filter.state);
    },
  };
}

/** The order of SQLite's BINARY collation (ExceptionRepository.all sorts by it) for these ASCII strings. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Checks the scope has exactly the fields its kind needs, and nothing else. */
function normaliseScope(scope: ExceptionScope): ExceptionScope {
  const fields: Record<ExceptionScope['kind'], (keyof ExceptionScope)[]> = {
    pool: ['clusterId', 'poolName'],
    cluster: ['clusterId'],
    subscription: ['subscriptionId'],
    tag: ['tag'],
  };
  const needed = fields[scope.kind];
  const given = (Object.keys(scope) as (keyof ExceptionScope)[]).filter((key) => key !== 'kind');
  const missing = needed.filter((key) => !scope[key]);
  const extra = given.filter((key) => !needed.includes(key));
  if (missing.length > 0 || extra.length > 0) {
    throw invalidInput('invalid_scope', `a ${scope.kind} exception takes ${needed.join(' and ')}`, { missing, extra });
  }
  if (scope.clusterId !== undefined && !CLUSTER_ID.test(scope.clusterId)) {
    throw invalidInput('invalid_scope', 'clusterId must be a managed cluster ARM id', { clusterId: scope.clusterId });
  }
  if (scope.subscriptionId !== undefined && !UUID.test(scope.subscriptionId)) {
    throw invalidInput('invalid_scope', 'subscriptionId must be a subscription id', { subscriptionId: scope.subscriptionId });
  }
  if (scope.tag !== undefined && !/^[^=]+=.*$/.test(scope.tag)) {
    throw invalidInput('invalid_scope', 'tag must be key=value', { tag: scope.tag });
  }
  if (scope.poolName !== undefined && !/^[a-z][a-z0-9]{0,11}$/i.test(scope.poolName)) {
    throw invalidInput('invalid_scope', 'poolName is not an AKS agent pool name', { poolName: scope.poolName });
  }
  return scope;
}
