
/** The API's upgrade shapes (CONTRACT.md "Upgrades"); only the fields the upgrades pages read. */
export type RunStatus = 'pending_approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'aborted' | 'blocked' | 'expired';
export type Verdict = 'ok' | 'warn' | 'block';

/** Every run status, in the order a run passes through them (the list's filter offers them in this order). */
export const RUN_STATUSES: readonly RunStatus[] = ['pending_approval', 'queued', 'running', 'succeeded', 'failed', 'aborted', 'blocked', 'expired'];

export interface RunPool {
  readonly poolName: string;
  readonly status: string;
  readonly imageBefore: string | null;
  readonly targetImage: string | null;
  readonly imageAfter?: string | null;
  readonly kubernetesVersionBefore: string | null;
  readonly kubernetesVersionAfter?: string | null;
  readonly error?: { readonly code: string; readonly message: string } | null;
}

export interface Precheck {
  readonly name: string;
  readonly verdict: Verdict;
  readonly observed: Record<string, unknown>;
}

export interface Run {
  readonly id: string;
  readonly status: RunStatus;
  readonly clusterId: string;
  readonly requestedBy: string;
  readonly approvedBy: string | null;
  readonly reason: string;
  readonly changeTicket: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly pools: readonly RunPool[];
  readonly prechecks: readonly Precheck[];
}

export interface TimelineEntry {
  readonly sequence: number;
  readonly event: string;
  readonly at: string;
  readonly actor: string;
  readonly data: Record<string, unknown>;
}

export interface RunDetail extends Run {
  readonly timeline: readonly TimelineEntry[];
}

export interface Plan {
  readonly dryRun: true;
  readonly clusterId: string;
  readonly status: RunStatus;
  readonly pools: readonly RunPool[];
  readonly prechecks: readonly Precheck[];
}

export interface Cluster {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly kubernetesVersion: string | null;
  readonly provisioningState: string | null;
  readonly powerState: string | null;
  readonly poolCount: number | null;
}

export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  pending_approval: 'Needs approval',
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
  blocked: 'Blocked',
  expired: 'Expired',
};

/** What a run with this status does next, said in words (the plan and the detail use it). */
export const RUN_STATUS_HELP: Record<RunStatus, string> = {
  pending_approval: 'waits until an admin other than the requester approves it (policy rule)',
  queued: 'starts at once: no approval is needed and no pre-check blocks',
  running: 'the node images are being upgraded, one pool at a time',
  succeeded: 'every pool is on its target image; Kubernetes versions unchanged',
  failed: 'a pool or a post-check failed; later pools were not attempted',
  aborted: 'stopped on request',
  blocked: 'refused by a pre-check (or by Azure); nothing is upgraded',
  expired: 'no approval came in time',
};

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'aborted', 'blocked', 'expired']);

export const POOL_STATUS_LABEL: Record<string, string> = {
  pending: 'Pending',
  running: 'Upgrading',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped (already current)',
  not_attempted: 'Not attempted (not upgraded)',
  aborted: 'Aborted',
};

export const VERDICT_LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'Warning', block: 'Blocks' };

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return <span class={`upg-run-status upg-run-${status}`}>{RUN_STATUS_LABEL[status] ?? status}</span>;
}

export { failureText } from '../api.js';

/** The cluster's name from its ARM id (…/managedClusters/<name>). */
export function clusterNameOf(clusterId: string): string {
  return clusterId.split('/').at(-1) ?? clusterId;
}

/** A pre-check's observations, compact: `key: value` pairs, nested values as JSON. */
export function observedText(observed: Record<string, unknown>): string {
  return Object.entries(observed)
    .map(([key, value]) => `${key}: ${value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join('; ');
}

export function PrecheckTable({ checks, caption }: { checks: readonly Precheck[]; caption: string }) {
  return (
    <div class="table-scroll" role="region" aria-label={caption} tabIndex={0}>
      <table class="prechecks" data-testid="prechecks">
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Verdict</th>
            <th scope="col">Observed</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((check) => (
            <tr key={check.name} class={`upg-verdict-${check.verdict}`}>
              <th scope="row" class="mono">
                {check.name}
              </th>
              <td>
                <span class={`upg-verdict upg-verdict-${check.verdict}`}>{VERDICT_LABEL[check.verdict]}</span>
              </td>
              <td class="upg-observed">{observedText(check.observed)}</td>
            </tr>
          ))}
          {checks.length === 0 ? (
            <tr>
              <td colSpan={3}>No pre-checks recorded.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
