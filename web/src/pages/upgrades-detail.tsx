import type { Ref } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, post, type Role } from '../api.js';
import { utc } from '../format.js';
import { Alert, PageHeading } from '../page-parts.js';
import { BASE, onLinkClick } from '../router.js';
import {
  clusterNameOf,
  failureText,
  observedText,
  POOL_STATUS_LABEL,
  PrecheckTable,
  RUN_STATUS_HELP,
  RunStatusBadge,
  TERMINAL,
  type RunDetail,
} from './upgrades-common.js';

/** The evidence kinds the stream sends (CONTRACT.md): each one re-reads the run. */
const EVENT_KINDS = ['requested', 'prechecks', 'approved', 'submitted', 'progress', 'pool_succeeded', 'pool_failed', 'resumed', 'postchecks', 'completed', 'failed', 'aborted', 'blocked', 'expired'];

const EVENT_LABEL: Record<string, string> = {
  requested: 'Requested',
  prechecks: 'Pre-checks recorded',
  approved: 'Approved',
  submitted: 'Submitted to Azure',
  progress: 'Progress',
  pool_succeeded: 'Pool succeeded',
  pool_failed: 'Pool failed',
  resumed: 'Resumed after a restart',
  postchecks: 'Post-checks recorded',
  completed: 'Completed',
  failed: 'Failed',
  aborted: 'Aborted',
};

interface LiveLine {
  readonly id: string;
  readonly text: string;
}

/** One run: status, pools before/after, timeline; live while it runs (Server-Sent Events); approve and abort by role. */
export function UpgradeDetail({ id, role, actor, headingRef }: { id: string; role: Role; actor: string; headingRef: Ref<HTMLHeadingElement> }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [live, setLive] = useState<readonly LiveLine[]>([]);
  const [streaming, setStreaming] = useState(false);
  // Aborting takes two steps in the page: the button opens a confirmation (with an optional recorded reason).
  const [confirmingAbort, setConfirmingAbort] = useState(false);
  const [abortReason, setAbortReason] = useState('');
  const source = useRef<EventSource | null>(null);
  const confirmHeading = useRef<HTMLHeadingElement>(null);
  const abortButton = useRef<HTMLButtonElement>(null);
  const liveLog = useRef<HTMLOListElement>(null);

  const load = useCallback(async () => {
    try {
      const now = await get<RunDetail>(`/api/v1/upgrades/${encodeURIComponent(id)}`);
      setRun(now);
      setError(null);
      if (TERMINAL.has(now.status) && source.current !== null) {
        source.current.close();
        source.current = null;
        setStreaming(false);
      }
      return now;
    } catch (failure) {
      setError(failureText(failure));
      return null;
    }
  }, [id]);

  useEffect(() => {
    let cancelled = false;
    let reading: Promise<unknown> = Promise.resolve();
    // Events may come faster than reads: one read at a time, and one more after it when events came meanwhile.
    let again = false;
    const reload = () => {
      if (again) return;
      again = true;
      reading = reading.then(async () => {
        again = false;
        if (!cancelled) await load();
      });
    };
    void load().then((first) => {
      if (cancelled || first === null || TERMINAL.has(first.status)) return;
      const events = new EventSource(`/api/v1/upgrades/${encodeURIComponent(id)}/events`);
      source.current = events;
      setStreaming(true);
      for (const kind of EVENT_KINDS) {
        events.addEventListener(kind, (message) => {
          const event = message as MessageEvent<string>;
          let data: Record<string, unknown> = {};
          try {
            data = JSON.parse(event.data) as Record<string, unknown>;
          } catch {
            data = {};
          }
          const at = typeof data.at === 'string' ? utc(data.at).slice(11) : '';
          setLive((lines) => (lines.some((line) => line.id === event.lastEventId) ? lines : [...lines, { id: event.lastEventId, text: `${at} ${eventText(kind, data)}` }].slice(-50)));
          reload();
        });
      }
      events.onerror = () => {
        // The stream ends after a terminal event; the browser would reconnect. Read the run to decide.
        reload();
      };
    });
    return () => {
      cancelled = true;
      source.current?.close();
      source.current = null;
    };
  }, [id, load]);

  const act = async (action: 'approve' | 'abort') => {
    setActionError(null);
    setBusy(true);
    try {
      const reason = action === 'abort' ? abortReason.trim() : '';
      await post(`/api/v1/upgrades/${encodeURIComponent(id)}/${action}`, reason !== '' ? { reason } : {});
      if (action === 'abort') {
        setConfirmingAbort(false);
        setAbortReason('');
      }
      await load();
    } catch (failure) {
      setActionError(`The run was not ${action === 'approve' ? 'approved' : 'aborted'}: ${failureText(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  // The live log scrolls itself to the newest line (it is short; the timeline below keeps everything).
  useEffect(() => {
    const log = liveLog.current;
    if (log !== null) log.scrollTop = log.scrollHeight;
  }, [live]);

  // The confirmation takes the focus when it opens; closing it gives the focus back to the button that opened it.
  useEffect(() => {
    if (confirmingAbort) confirmHeading.current?.focus();
  }, [confirmingAbort]);
  const cancelAbort = () => {
    setConfirmingAbort(false);
    setAbortReason('');
    window.setTimeout(() => abortButton.current?.focus(), 0);
  };

  // An abort of a running run is a request: the runner cancels the running pool in Azure, then records the end.
  const abortRequest = run?.timeline.find((entry) => entry.event === 'progress' && typeof entry.data.abortRequestedBy === 'string') ?? null;
  const approvedAt = run?.timeline.find((entry) => entry.event === 'approved')?.at ?? null;
  const abortedBy =
    run === null || run.status !== 'aborted'
      ? null
      : ((abortRequest?.data.abortRequestedBy as string | undefined) ?? (run.timeline.find((entry) => entry.event === 'aborted' && typeof entry.data.abortedBy === 'string')?.data.abortedBy as string | undefined) ?? null);
  const abortPending = run !== null && run.status === 'running' && abortRequest !== null;
  const canApprove = run !== null && run.status === 'pending_approval' && role === 'admin' && !sameActor(run.requestedBy, actor);
  const canAbort = run !== null && !TERMINAL.has(run.status) && role !== 'auditor' && !abortPending;
  const finished = run !== null && TERMINAL.has(run.status);

  return (
    <>
      <p class="upg-breadcrumb">
        <a href={`${BASE}upgrades`} onClick={(event) => onLinkClick(event, 'upgrades')}>
          Upgrades
        </a>{' '}
        / run
      </p>
      <PageHeading title={`Upgrade of ${run ? clusterNameOf(run.clusterId) : 'a cluster'}`} headingRef={headingRef}>
        <p class="as-of mono upg-wrap">{id}</p>
      </PageHeading>
      <Alert>{error !== null ? `Could not load this run: ${error}` : null}</Alert>
      {run === null && error === null ? <p aria-busy="true">Loading the run…</p> : null}
      {run !== null ? (
        <>
          <section class="upg-run-summary" aria-labelledby="run-status-title">
            <h2 id="run-status-title">
              Status
            </h2>
            <p class="upg-run-status-line" data-testid="run-status">
              <RunStatusBadge status={run.status} /> <span>{RUN_STATUS_HELP[run.status]}.</span>
            </p>
            {run.error ? (
              <p class="error">
                {run.error.message} ({run.error.code})
              </p>
            ) : null}
            <dl class="upg-run-facts">
              <dt>Cluster</dt>
              <dd class="mono upg-wrap">{run.clusterId}</dd>
              <dt>Requested</dt>
              <dd>
                {utc(run.createdAt)} by <span class="mono">{run.requestedBy}</span>
              </dd>
              <dt>Reason</dt>
              <dd>{run.reason}</dd>
              <dt>Change ticket</dt>
              <dd>{run.changeTicket ?? '—'}</dd>
              <dt>Approved</dt>
              <dd>
                {run.approvedBy ? <span class="mono">{run.approvedBy}</span> : run.status === 'pending_approval' ? 'not yet' : '—'}
                {approvedAt !== null ? `, ${utc(approvedAt)}` : ''}
              </dd>
              {abortedBy !== null ? (
                <>
                  <dt>Aborted by</dt>
                  <dd>
                    <span class="mono">{abortedBy}</span>
                  </dd>
                </>
              ) : null}
              <dt>Started</dt>
              <dd>{utc(run.startedAt)}</dd>
              <dt>Finished</dt>
              <dd>{utc(run.finishedAt)}</dd>
            </dl>
            {run.status === 'pending_approval' ? (
              <p class="upg-approval-note" data-testid="approval-note">
                {canApprove
                  ? `Requested by ${run.requestedBy}. Approving records you as the second person (four eyes); the run then starts.`
                  : role === 'admin'
                    ? 'You requested this run: another admin must approve it (four eyes).'
                    : `Waiting for an admin other than ${run.requestedBy} to approve it (four eyes). Only an admin can approve.`}
              </p>
            ) : null}
            {abortPending ? (
              <p class="upg-approval-note" data-testid="abort-pending">
                Abort requested by <span class="mono">{String(abortRequest!.data.abortRequestedBy)}</span>: the running pool is being cancelled in Azure; pools not yet started will not be attempted.
              </p>
            ) : null}
            {(canApprove || canAbort) && !confirmingAbort ? (
              <div class="upg-actions">
                {canApprove ? (
                  <button type="button" disabled={busy} onClick={() => void act('approve')}>
                    {busy ? 'Approving…' : 'Approve this upgrade'}
                  </button>
                ) : null}
                {canAbort ? (
                  <button type="button" class="upg-danger" ref={abortButton} disabled={busy} onClick={() => { setActionError(null); setConfirmingAbort(true); }}>
                    Abort this upgrade
                  </button>
                ) : null}
              </div>
            ) : null}
            {canAbort && confirmingAbort ? (
              <div class="upg-abort-confirm" role="group" aria-labelledby="abort-confirm-title" data-testid="abort-confirm">
                <h3 id="abort-confirm-title" ref={confirmHeading} tabIndex={-1}>
                  Abort this upgrade?
                </h3>
                <p>
                  {run.status === 'running'
                    ? 'The pool being upgraded now is cancelled in Azure (some of its nodes may already run the new image); pools not yet started are not attempted.'
                    : 'The run ends now and no pool is upgraded.'}{' '}
                  The abort is recorded in the evidence ledger and cannot be undone: a new run has to be requested.
                </p>
                <label for="abort-reason">Reason for aborting (optional, recorded)</label>
                <input id="abort-reason" type="text" maxLength={2000} value={abortReason} onInput={(event) => setAbortReason((event.target as HTMLInputElement).value)} />
                <div class="upg-actions">
                  <button type="button" class="upg-danger" disabled={busy} onClick={() => void act('abort')}>
                    {busy ? 'Aborting…' : 'Yes, abort the upgrade'}
                  </button>
                  <button type="button" class="secondary" disabled={busy} onClick={cancelAbort}>
                    No, keep the run
                  </button>
                </div>
              </div>
            ) : null}
            <Alert>{actionError}</Alert>
          </section>

          <section aria-labelledby="progress-title">
            <h2 id="progress-title">Progress</h2>
            <div class="upg-live" aria-live="polite" data-testid="progress">
              <p>
                {finished
                  ? `The run has ended: ${run.status}.`
                  : streaming
                    ? 'Live: updates appear as the service records them.'
                    : 'Waiting for the run to start.'}{' '}
                {run.pools.filter((pool) => pool.status === 'succeeded' || pool.status === 'skipped').length} of {run.pools.length} pools done.
              </p>
              {live.length > 0 ? (
                <ol class="upg-live-log" ref={liveLog} tabIndex={0} aria-label="Events received">
                  {live.map((line) => (
                    <li key={line.id}>{line.text}</li>
                  ))}
                </ol>
              ) : null}
            </div>
          </section>

          <section aria-labelledby="pools-title">
            <h2 id="pools-title">Pools</h2>
            <div class="table-scroll" role="region" aria-labelledby="pools-title" tabIndex={0}>
              <table class="upg-run-pools" data-testid="run-pools">
                <thead>
                  <tr>
                    <th scope="col">Pool</th>
                    <th scope="col">Status</th>
                    <th scope="col">Image before</th>
                    <th scope="col">Target</th>
                    <th scope="col">Image after</th>
                    <th scope="col">Kubernetes before → after</th>
                  </tr>
                </thead>
                <tbody>
                  {run.pools.map((pool) => (
                    <tr key={pool.poolName}>
                      <th scope="row">{pool.poolName}</th>
                      <td class={`pool-run-${pool.status}`}>
                        {POOL_STATUS_LABEL[pool.status] ?? pool.status}
                        {pool.error ? <span class="upg-pool-error"> — {pool.error.message} ({pool.error.code})</span> : null}
                      </td>
                      <td class="mono">{pool.imageBefore ?? '—'}</td>
                      <td class="mono">{pool.targetImage ?? '—'}</td>
                      <td class="mono">{pool.imageAfter ?? '—'}</td>
                      <td class="mono">
                        {pool.kubernetesVersionBefore ?? '—'} → {pool.kubernetesVersionAfter ?? '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="evidence-title">
            <h2 id="evidence-title">Evidence</h2>
            <p class="upg-downloads">
              <a href={`/api/v1/upgrades/${encodeURIComponent(run.id)}/evidence?format=json`} download={`${run.id}-evidence.json`}>
                Download evidence (JSON)
              </a>
              <a href={`/api/v1/upgrades/${encodeURIComponent(run.id)}/evidence?format=pdf`} download={`${run.id}-certificate.pdf`}>
                Download certificate (PDF)
              </a>
            </p>
          </section>

          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <ol class="upg-timeline" data-testid="timeline">
              {run.timeline.map((entry) => (
                <li key={entry.sequence}>
                  <span class="upg-timeline-at">{utc(entry.at)}</span> <strong>{eventText(entry.event, entry.data)}</strong>{' '}
                  <span class="mono upg-timeline-actor">{entry.actor}</span>
                  {Object.keys(entry.data).length > 0 ? (
                    <details>
                      <summary>Recorded data (ledger entry {entry.sequence})</summary>
                      <p class="upg-observed">{observedText(entry.data)}</p>
                    </details>
                  ) : null}
                </li>
              ))}
            </ol>
          </section>

          <section aria-labelledby="prechecks-title">
            <h2 id="prechecks-title">Pre-checks</h2>
            <PrecheckTable checks={run.prechecks} caption="Pre-checks of this run" />
          </section>
        </>
      ) : null}
    </>
  );
}

/** Whether two recorded actors are the same caller (an Entra ID actor is `entra:<object id> (<name>)`: the id decides). */
function sameActor(a: string, b: string): boolean {
  const identity = (actor: string) => (actor.startsWith('entra:') ? actor.split(' ')[0]!.toLowerCase() : actor);
  return identity(a) === identity(b);
}

/** An evidence entry in a few words: its kind, its pool, and for progress what the runner recorded. */
function eventText(kind: string, data: Record<string, unknown>): string {
  const pool = typeof data.poolName === 'string' ? ` ${data.poolName}` : '';
  if (kind === 'pool_failed' && data.aborted === true) return `Pool aborted${pool}: cancelled in Azure`;
  if (kind === 'aborted' && typeof data.abortedBy === 'string') return `Aborted by ${data.abortedBy}`;
  return `${EVENT_LABEL[kind] ?? kind}${pool}${kind === 'progress' ? progressText(data) : ''}`;
}

/** A progress event in a few words: what the runner recorded (the timeline keeps all of it). */
function progressText(data: Record<string, unknown>): string {
  if (data.status === 'running') return ': run started';
  if (data.submitting === true) return `: submitting the node-image upgrade to ${String(data.targetImage ?? 'the target image')}`;
  if (typeof data.provisioningState === 'string') return `: ${data.provisioningState}${typeof data.nodeImageVersion === 'string' ? ` (${data.nodeImageVersion})` : ''}`;
  if (Array.isArray(data.nodeTransitions)) return `: ${data.nodeTransitions.length} node change${data.nodeTransitions.length === 1 ? '' : 's'}`;
  if (Array.isArray(data.nodes)) return `: ${data.nodes.length} node${data.nodes.length === 1 ? '' : 's'} before the upgrade`;
  if (typeof data.abortRequestedBy === 'string') return `: abort requested by ${data.abortRequestedBy}`;
  if (typeof data.abort === 'string') return `: abort ${data.abort}`;
  if (typeof data.note === 'string') return `: ${data.note}`;
  if (typeof data.kubernetesApi === 'object' && data.kubernetesApi !== null) return ': the cluster\'s Kubernetes API could not be read (node changes not recorded)';
  if (data.provisioningState === null) return ': pool state read';
  // Anything newer than this page: name what was recorded rather than show nothing.
  const recorded = Object.keys(data).filter((key) => key !== 'poolName');
  return recorded.length > 0 ? `: ${recorded.join(', ')} recorded` : '';
}
