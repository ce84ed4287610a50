import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, post, type Role } from '../api.js';
import { utc } from '../format.js';
import type { PageProps } from '../page.js';
import { Alert, PageHeading } from '../page-parts.js';
import type { Me, Page } from '../types.js';
import { dateInDays, explain, lastSegment } from './exceptions-common.js';

/** GET /api/v1/exceptions items (CONTRACT.md, "Findings and exceptions"). */
export type ExceptionState = 'requested' | 'approved' | 'expired' | 'revoked' | 'rejected';
export const EXCEPTION_STATES: readonly ExceptionState[] = ['requested', 'approved', 'expired', 'revoked', 'rejected'];
type ScopeKind = 'pool' | 'cluster' | 'subscription' | 'tag';

export interface ExceptionScope {
  readonly kind: ScopeKind;
  readonly clusterId?: string;
  readonly poolName?: string;
  readonly subscriptionId?: string;
  readonly tag?: string;
}

export interface RiskException {
  readonly id: string;
  readonly state: ExceptionState;
  readonly scope: ExceptionScope;
  readonly reason: string;
  readonly compensatingControl: string;
  readonly ticket: string;
  readonly expiresAt: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  readonly revokedBy: string | null;
  readonly revokedAt: string | null;
  readonly rejectedBy?: string | null;
  readonly rejectedAt?: string | null;
}

type Action = 'approve' | 'reject' | 'revoke';
const ACTION_LABEL: Record<Action, string> = { approve: 'Approve', reject: 'Reject', revoke: 'Revoke' };
const ACTION_DONE: Record<Action, string> = { approve: 'approved', reject: 'rejected', revoke: 'revoked' };

const STATE_LABEL: Record<ExceptionState, string> = {
  requested: 'Requested',
  approved: 'Approved',
  expired: 'Expired',
  revoked: 'Revoked',
  rejected: 'Rejected',
};

/** The longest an exception may run until GET /api/v1/me answers with the service's own (IMAGEWARDEN_MAX_EXCEPTION_DAYS). */
const DEFAULT_MAX_DAYS = 90;

export function scopeText(scope: ExceptionScope): string {
  switch (scope.kind) {
    case 'pool':
      return `Pool ${scope.poolName ?? '?'} in ${lastSegment(scope.clusterId ?? null)}`;
    case 'cluster':
      return `Cluster ${lastSegment(scope.clusterId ?? null)}`;
    case 'subscription':
      return `Subscription ${scope.subscriptionId ?? '?'}`;
    case 'tag':
      return `Tag ${scope.tag ?? '?'}`;
  }
}

const sameActor = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function ExceptionsPage({ role, actor, headingRef }: PageProps) {
  const [state, setState] = useState<ExceptionState | ''>('');
  const [items, setItems] = useState<readonly RiskException[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  /** A failed read of the list, and a refused change: both shown in the alert region, each cleared by its own success. */
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string>('');
  const [acting, setActing] = useState<{ action: Action; exception: RiskException } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const load = useCallback(async (filter: ExceptionState | '', after: string | null) => {
    // Newest request first, a page at a time ("More" reads older ones).
    const query = new URLSearchParams({ order: 'desc' });
    if (filter !== '') query.set('state', filter);
    if (after !== null) query.set('cursor', after);
    return get<Page<RiskException>>(`/api/v1/exceptions?${query.toString()}`);
  }, []);

  const refresh = useCallback(
    async (filter: ExceptionState | '') => {
      try {
        const page = await load(filter, null);
        setItems(page.items);
        setCursor(page.nextCursor);
        setLoadError(null);
      } catch (failure) {
        setLoadError(`Could not load the exceptions: ${explain(failure)}`);
      }
    },
    [load],
  );

  useEffect(() => {
    void refresh(state);
  }, [state, refresh]);

  const more = async () => {
    if (cursor === null) return;
    setLoadingMore(true);
    try {
      const page = await load(state, cursor);
      setItems((now) => [...(now ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setLoadError(`Could not load more exceptions: ${explain(failure)}`);
    } finally {
      setLoadingMore(false);
    }
  };

  const canRequest = role === 'operator' || role === 'admin';
  const isAdmin = role === 'admin';

  return (
    <>
      <PageHeading title="Exceptions" headingRef={headingRef} />
      <p class="hint">
        Time-boxed risk acceptances for node pools beyond their patch SLA. Operators and admins request them; an admin other
        than the requester approves them (four-eyes rule); admins reject requests and revoke approved ones.
      </p>
      <Alert testId="exceptions-error">{loadError !== null || error !== null ? [loadError, error].filter((text) => text !== null).join(' ') : null}</Alert>
      <p class="status-message" role="status" data-testid="exceptions-status">
        {message}
      </p>

      {canRequest ? (
        <RequestForm
          onRequested={(created) => {
            setError(null);
            setMessage(`Exception ${created.id} requested: ${scopeText(created.scope)}. An admin other than you approves it.`);
            void refresh(state);
          }}
          onError={(text) => {
            setMessage('');
            setError(text);
          }}
        />
      ) : null}

      {acting !== null ? (
        <ActionForm
          action={acting.action}
          exception={acting.exception}
          onCancel={() => setActing(null)}
          onDone={(changed) => {
            setActing(null);
            setError(null);
            setMessage(`Exception ${changed.id} ${ACTION_DONE[acting.action]}; it is now ${STATE_LABEL[changed.state].toLowerCase()}.`);
            void refresh(state);
          }}
          onError={(text) => {
            setActing(null);
            setMessage('');
            setError(text);
            void refresh(state);
          }}
        />
      ) : null}

      <section aria-labelledby="exceptions-list-title">
        <h2 id="exceptions-list-title">All exceptions</h2>
        <div class="exc-filters">
          <label>
            <span>State</span>
            <select value={state} onChange={(event) => setState((event.currentTarget as HTMLSelectElement).value as ExceptionState | '')}>
              <option value="">Any state</option>
              {EXCEPTION_STATES.map((value) => (
                <option key={value} value={value}>
                  {STATE_LABEL[value]}
                </option>
              ))}
            </select>
          </label>
        </div>
        {items === null && loadError === null ? <p aria-busy="true">Loading the exceptions…</p> : null}
        {items !== null ? (
          items.length === 0 ? (
            <p data-testid="exceptions-empty">{state === '' ? 'No exception has been requested yet.' : `No exception is ${STATE_LABEL[state].toLowerCase()}.`}</p>
          ) : (
            <ExceptionTable
              items={items}
              role={role}
              actor={actor}
              onAction={(action, exception) => {
                setMessage('');
                setError(null);
                setActing({ action, exception });
              }}
              isAdmin={isAdmin}
            />
          )
        ) : null}
        {cursor !== null ? (
          <p>
            <button type="button" class="secondary" disabled={loadingMore} onClick={() => void more()}>
              {loadingMore ? 'Loading…' : 'More'}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function ExceptionTable({
  items,
  actor,
  isAdmin,
  onAction,
}: {
  items: readonly RiskException[];
  role: Role;
  actor: string;
  isAdmin: boolean;
  onAction: (action: Action, exception: RiskException) => void;
}) {
  return (
    <div class="table-scroll" role="region" aria-labelledby="exceptions-caption" tabIndex={0}>
      <table class="exc-table" data-testid="exceptions">
        <caption id="exceptions-caption" class="exc-caption">
          Exceptions, newest request first ({items.length} shown)
        </caption>
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
            <th scope="col">Compensating control</th>
            <th scope="col">Ticket</th>
            <th scope="col">Requested</th>
            <th scope="col">Decided</th>
            <th scope="col">Expires</th>
            {isAdmin ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((exception) => {
              const own = sameActor(exception.requestedBy, actor);
              return (
                <tr key={exception.id} data-testid="exception-row" data-id={exception.id}>
                  <th scope="row" class="exc-scope">
                    <span>{scopeText(exception.scope)}</span>
                    <span class="exc-id mono">{exception.id}</span>
                  </th>
                  <td>
                    <span class={`exc-state exc-state-${exception.state}`} data-testid="exception-state">
                      {STATE_LABEL[exception.state]}
                    </span>
                  </td>
                  <td class="exc-text">{exception.reason}</td>
                  <td class="exc-text">{exception.compensatingControl}</td>
                  <td>{exception.ticket}</td>
                  <td>
                    {exception.requestedBy}
                    <br />
                    <span class="exc-when">{utc(exception.requestedAt)}</span>
                  </td>
                  <td data-testid="exception-decision">
                    <Decision exception={exception} />
                  </td>
                  <td>{utc(exception.expiresAt)}</td>
                  {isAdmin ? (
                    <td>
                      <div class="exc-actions">
                      {exception.state === 'requested' ? (
                        <>
                          {own ? (
                            <span class="exc-own" data-testid="four-eyes-note">
                              Your request: another admin must approve it (four-eyes rule).
                            </span>
                          ) : (
                            <button type="button" onClick={() => onAction('approve', exception)} aria-label={`Approve ${scopeText(exception.scope)} (${exception.id})`}>
                              Approve
                            </button>
                          )}
                          <button type="button" class="secondary" onClick={() => onAction('reject', exception)} aria-label={`Reject ${scopeText(exception.scope)} (${exception.id})`}>
                            Reject
                          </button>
                        </>
                      ) : exception.state === 'approved' ? (
                        <button type="button" class="secondary" onClick={() => onAction('revoke', exception)} aria-label={`Revoke ${scopeText(exception.scope)} (${exception.id})`}>
                          Revoke
                        </button>
                      ) : (
                        <span class="exc-when">—</span>
                      )}
                      </div>
                    </td>
                  ) : null}
                </tr>
              );
            })}
        </tbody>
      </table>
    </div>
  );
}

function Decision({ exception }: { exception: RiskException }) {
  const decisions: [string, string, string | null][] = [];
  if (exception.approvedBy !== null) decisions.push(['Approved', exception.approvedBy, exception.approvedAt]);
  if (exception.rejectedBy) decisions.push(['Rejected', exception.rejectedBy, exception.rejectedAt ?? null]);
  if (exception.revokedBy !== null) decisions.push(['Revoked', exception.revokedBy, exception.revokedAt]);
  if (decisions.length === 0) return <span class="exc-when">{exception.state === 'requested' ? 'Awaiting an admin' : '—'}</span>;
  return (
    <>
      {decisions.map(([what, who, when]) => (
        <span key={what} class="exc-line">
          {what} by {who}
          <br />
          <span class="exc-when">{utc(when)}</span>
        </span>
      ))}
    </>
  );
}

/** Approve, reject or revoke, with the optional reason the API records with the decision. */
function ActionForm({
  action,
  exception,
  onCancel,
  onDone,
  onError,
}: {
  action: Action;
  exception: RiskException;
  onCancel: () => void;
  onDone: (changed: RiskException) => void;
  onError: (text: string) => void;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), [action, exception.id]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const text = reason.trim();
      onDone(await post<RiskException>(`/api/v1/exceptions/${encodeURIComponent(exception.id)}/${action}`, text === '' ? {} : { reason: text }));
    } catch (failure) {
      onError(`Could not ${action} exception ${exception.id}: ${explain(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="exc-panel" aria-labelledby="exc-action-title" data-testid="action-form">
      <h2 id="exc-action-title">
        {ACTION_LABEL[action]} exception: {scopeText(exception.scope)}
      </h2>
      <p class="hint">
        Requested by {exception.requestedBy} on {utc(exception.requestedAt)}; reason: {exception.reason}. Expires {utc(exception.expiresAt)}. The
        decision is recorded in the evidence ledger with your name.
      </p>
      <form class="exc-form" onSubmit={(event) => void submit(event)}>
        <label for="exc-action-reason">Reason for the decision (optional)</label>
        <textarea id="exc-action-reason" ref={field} rows={2} maxLength={2000} value={reason} onInput={(event) => setReason((event.currentTarget as HTMLTextAreaElement).value)} />
        <div class="exc-buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : `${ACTION_LABEL[action]} exception`}
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

interface Draft {
  kind: ScopeKind;
  clusterId: string;
  poolName: string;
  subscriptionId: string;
  tag: string;
  reason: string;
  compensatingControl: string;
  ticket: string;
  expires: string;
}

/** A request may be pre-filled from the address (`?clusterId=…&poolName=…`), as the pool detail page links here. */
function initialDraft(): Draft {
  const query = new URLSearchParams(window.location.search);
  const clusterId = query.get('clusterId') ?? '';
  const poolName = query.get('poolName') ?? '';
  const subscriptionId = query.get('subscriptionId') ?? '';
  const kind: ScopeKind = poolName !== '' ? 'pool' : clusterId !== '' ? 'cluster' : subscriptionId !== '' ? 'subscription' : 'pool';
  return { kind, clusterId, poolName, subscriptionId, tag: '', reason: '', compensatingControl: '', ticket: '', expires: dateInDays(30) };
}

function RequestForm({ onRequested, onError }: { onRequested: (created: RiskException) => void; onError: (text: string) => void }) {
  const [draft, setDraft] = useState<Draft>(initialDraft);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(() => new URLSearchParams(window.location.search).has('clusterId'));
  const [clusters, setClusters] = useState<readonly { id: string; name: string }[]>([]);
  const [maxDays, setMaxDays] = useState<number | null>(null);

  useEffect(() => {
    if (!open) return;
    get<Page<{ id: string; name: string }>>('/api/v1/clusters?limit=1000')
      .then((page) => setClusters(page.items))
      .catch(() => setClusters([]));
    // The service's limit (IMAGEWARDEN_MAX_EXCEPTION_DAYS); until it answers, the default.
    get<Me>('/api/v1/me')
      .then((me) => {
        const days = me.maxExceptionDays ?? null;
        setMaxDays(days);
        // The suggested expiry (30 days) must not lie beyond a shorter limit.
        if (days !== null) setDraft((now) => (now.expires > dateInDays(days - 1) ? { ...now, expires: dateInDays(days - 1) } : now));
      })
      .catch(() => setMaxDays(null));
  }, [open]);
  const limitDays = maxDays ?? DEFAULT_MAX_DAYS;

  const set = (key: keyof Draft) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setDraft((now) => ({ ...now, [key]: value }));
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const scope: ExceptionScope =
      draft.kind === 'pool'
        ? { kind: 'pool', clusterId: draft.clusterId.trim(), poolName: draft.poolName.trim() }
        : draft.kind === 'cluster'
          ? { kind: 'cluster', clusterId: draft.clusterId.trim() }
          : draft.kind === 'subscription'
            ? { kind: 'subscription', subscriptionId: draft.subscriptionId.trim() }
            : { kind: 'tag', tag: draft.tag.trim() };
    setBusy(true);
    try {
      const created = await post<RiskException>('/api/v1/exceptions', {
        scope,
        reason: draft.reason,
        compensatingControl: draft.compensatingControl,
        ticket: draft.ticket,
        // The exception runs to the end of the chosen day, UTC.
        expiresAt: `${draft.expires}T23:59:59Z`,
      });
      setDraft((now) => ({ ...now, reason: '', compensatingControl: '', ticket: '' }));
      onRequested(created);
    } catch (failure) {
      onError(`Could not request the exception: ${explain(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          Request an exception
        </button>
      </p>
    );
  }

  const needsCluster = draft.kind === 'pool' || draft.kind === 'cluster';
  return (
    <section class="exc-panel" aria-labelledby="exc-request-title">
      <h2 id="exc-request-title">Request an exception</h2>
      <form class="exc-form" onSubmit={(event) => void submit(event)} data-testid="request-form">
        <fieldset>
          <legend>What it covers</legend>
          <div class="exc-grid">
            <div class="exc-field">
              <label for="exc-kind">Scope</label>
              <select id="exc-kind" value={draft.kind} onChange={set('kind')}>
                <option value="pool">One node pool</option>
                <option value="cluster">A cluster (all its pools)</option>
                <option value="subscription">A subscription</option>
                <option value="tag">Clusters or pools with a tag</option>
              </select>
            </div>
            {needsCluster ? (
              <div class="exc-field exc-wide">
                <label for="exc-cluster">Cluster (ARM id)</label>
                <input id="exc-cluster" class="mono" required list="exc-clusters" value={draft.clusterId} onInput={set('clusterId')} placeholder="/subscriptions/…/managedClusters/…" />
                <datalist id="exc-clusters">
                  {clusters.map((cluster) => (
                    <option key={cluster.id} value={cluster.id}>
                      {cluster.name}
                    </option>
                  ))}
                </datalist>
              </div>
            ) : null}
            {draft.kind === 'pool' ? (
              <div class="exc-field">
                <label for="exc-pool">Pool name</label>
                <input id="exc-pool" required maxLength={12} pattern="[A-Za-z][A-Za-z0-9]{0,11}" value={draft.poolName} onInput={set('poolName')} />
              </div>
            ) : null}
            {draft.kind === 'subscription' ? (
              <div class="exc-field exc-wide">
                <label for="exc-subscription">Subscription id</label>
                <input id="exc-subscription" class="mono" required value={draft.subscriptionId} onInput={set('subscriptionId')} />
              </div>
            ) : null}
            {draft.kind === 'tag' ? (
              <div class="exc-field exc-wide">
                <label for="exc-tag">Tag (key=value)</label>
                <input id="exc-tag" required pattern="[^=]+=.*" value={draft.tag} onInput={set('tag')} />
              </div>
            ) : null}
          </div>
        </fieldset>
        <div class="exc-field">
          <label for="exc-reason">Reason</label>
          <textarea id="exc-reason" required rows={2} maxLength={2000} value={draft.reason} onInput={set('reason')} />
        </div>
        <div class="exc-field">
          <label for="exc-control">Compensating control</label>
          <textarea id="exc-control" required rows={2} maxLength={2000} value={draft.compensatingControl} onInput={set('compensatingControl')} />
        </div>
        <div class="exc-grid">
          <div class="exc-field">
            <label for="exc-ticket">Ticket</label>
            <input id="exc-ticket" required maxLength={256} value={draft.ticket} onInput={set('ticket')} />
          </div>
          <div class="exc-field">
            <label for="exc-expires">Expires on (end of day, UTC)</label>
            <input id="exc-expires" type="date" required min={dateInDays(0)} max={dateInDays(limitDays - 1)} value={draft.expires} onInput={set('expires')} aria-describedby="exc-expires-hint" />
            <span id="exc-expires-hint" class="hint">
              At most {limitDays} days after approval{maxDays === null ? ' by default' : ''}.
            </span>
          </div>
        </div>
        <div class="exc-buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send the request'}
          </button>
          <button type="button" class="secondary" onClick={() => setOpen(false)}>
            Close the form
          </button>
        </div>
      </form>
    </section>
  );
}
