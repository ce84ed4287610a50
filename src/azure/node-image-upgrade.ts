import { restorePoller } from '@azure/arm-containerservice';
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import { parseClusterId } from '../domain/inventory.js';
import type { ArmClients } from './arm-clients.js';
import { classifyArmError, type RetryPolicy } from './retry.js';

/** The SDK poller of one node-image upgrade (typed loosely: its result is void). */
export type UpgradePoller = ReturnType<ContainerServiceClient['agentPools']['upgradeNodeImageVersion']>;

export type Submission =
  | { readonly kind: 'submitted'; readonly poller: UpgradePoller; readonly pollerState: string; readonly operationUrl: string | null; readonly operationId: string | null; readonly requestId: string | null }
  | { readonly kind: 'already_current' }
  | { readonly kind: 'blocked_by_azure'; readonly code: string; readonly message: string };

export class ForeignPollingHostError extends Error {
  override name = 'ForeignPollingHostError';
}

/**
 * POSTs upgradeNodeImageVersion through the SDK and waits only until ARM accepted it (`submitted()`), so the caller
 * stores the poller state before waiting on it. AKS's 409 (another operation in progress) is Azure blocking the
 * run, not our failure; 304 (reported for an already-current pool) means there is nothing to do.
 */
export async function submitNodeImageUpgrade(clients: ArmClients, clusterId: string, poolName: string, options: { updateIntervalInMs: number }): Promise<Submission> {
  const id = parseClusterId(clusterId)!;
  const aks = clients.containerService(id.subscriptionId);
  let headers: { get(name: string): string | undefined } | undefined;
  const poller = aks.agentPools.upgradeNodeImageVersion(id.resourceGroup, id.name, poolName, {
    updateIntervalInMs: options.updateIntervalInMs,
    // Fires for the initial POST only: the operation URL and request id are evidence.
    onResponse: (response) => {
      headers = response.headers;
    },
  });
  try {
    await poller.submitted();
  } catch (error) {
    const failure = classifyArmError(error);
    if (failure.statusCode === 409) return { kind: 'blocked_by_azure', code: failure.code ?? 'OperationNotAllowed', message: failure.message };
    if (failure.statusCode === 304) return { kind: 'already_current' };
    throw error;
  }
  const operationUrl = headers?.get('azure-asyncoperation') ?? headers?.get('operation-location') ?? headers?.get('location') ?? null;
  return {
    kind: 'submitted',
    poller,
    pollerState: await poller.serialize(),
    operationUrl,
    operationId: operationUrl === null ? null : (/\/operations(?:results)?\/([^/?]+)/i.exec(operationUrl)?.[1] ?? null),
    requestId: headers?.get('x-ms-request-id') ?? null,
  };
}

/**
 * Rebuilds the poller of an upgrade submitted before a restart. The bearer token goes to the polling URL, so a
 * stored state that points anywhere but the configured ARM endpoint is refused before any request (SSRF, token theft).
 */
export function resumeNodeImageUpgrade(clients: ArmClients, clusterId: string, pollerState: string, armEndpoint: string, options: { updateIntervalInMs: number }): UpgradePoller {
  const id = parseClusterId(clusterId)!;
  assertArmHost(pollerState, armEndpoint);
  const aks = clients.containerService(id.subscriptionId);
  return restorePoller(aks, pollerState, aks.agentPools.upgradeNodeImageVersion, { updateIntervalInMs: options.updateIntervalInMs }) as UpgradePoller;
}

function assertArmHost(pollerState: string, armEndpoint: string): void {
  const allowed = new URL(armEndpoint).host.toLowerCase();
  const urls: string[] = [];
  JSON.stringify(JSON.parse(pollerState), (_key, value: unknown) => {
    if (typeof value === 'string' && /^https?:\/\//i.test(value)) urls.push(value);
    return value;
  });
  for (const url of urls) {
    if (new URL(url).host.toLowerCase() !== allowed) throw new ForeignPollingHostError(`refusing to poll ${new URL(url).host}: not the configured ARM endpoint ${allowed}`);
  }
}

export type PollOutcome =
  | { readonly status: 'running' }
  /** A poll failed on the wire (throttled, 5xx, reset): not an outcome. The caller rebuilds the poller and goes on. */
  | { readonly status: 'transient'; readonly error: { code: string; message: string } }
  | { readonly status: 'succeeded' | 'failed' | 'canceled'; readonly error: { code: string; message: string } | null }
  /** The poller cannot say (its final GET failed, e.g. a 204 the SDK rejects): the pool's own state decides. */
  | { readonly status: 'unknown'; readonly error: { code: string; message: string } };

/**
 * One poll. A transient fault is not an outcome: it answers `transient` after the wait the service asked for, so a
 * failed poll never fails a run — only a terminal Azure status does. HTTP errors come as RestError; the operation's
 * own failure and cancellation come as plain errors with the poller's state saying which.
 */
export async function pollOnce(poller: UpgradePoller, policy: RetryPolicy, sleep: (ms: number) => Promise<void>, abortSignal?: AbortSignal): Promise<PollOutcome> {
  try {
    await poller.poll(abortSignal ? { abortSignal } : undefined);
  } catch (error) {
    // Our own shutdown, not an outcome: the run stays resumable.
    if (abortSignal?.aborted) return { status: 'running' };
    const wire = (error as { name?: string }).name === 'RestError' || typeof (error as { statusCode?: unknown }).statusCode === 'number';
    const state = poller.operationState;
    if (!wire && (state?.status === 'failed' || state?.status === 'canceled')) return { status: state.status, error: errorOf(state.error ?? error) };
    const failure = classifyArmError(error);
    if (wire && failure.retryable) {
      await sleep(Math.min(failure.retryAfterInMs ?? policy.baseDelayInMs, policy.maxThrottleDelayInMs));
      return { status: 'transient', error: errorOf(error) };
    }
    return { status: 'unknown', error: errorOf(error) };
  }
  const state = poller.operationState;
  if (state === undefined || state.status === 'running' || state.status === 'notStarted') return { status: 'running' };
  return { status: state.status, error: state.error ? errorOf(state.error) : null };
}

/** Cancels the pool's running operation (agentPools.abortLatestOperation); the upgrade's poller then ends canceled. */
export async function abortPoolOperation(clients: ArmClients, clusterId: string, poolName: string): Promise<void> {
  const id = parseClusterId(clusterId)!;
  await clients.containerService(id.subscriptionId).agentPools.abortLatestOperation(id.resourceGroup, id.name, poolName, { updateIntervalInMs: 500 });
}

function errorOf(error: unknown): { code: string; message: string } {
  const failure = classifyArmError(error);
  const message = failure.message.replace(/^The long-running operation has failed\.\s*/, '');
  // "The long-running operation has failed. <code>. <message>": the SDK folds the operation's error into its text.
  const folded = /^([A-Za-z][\w.]*)\.\s(.*)$/s.exec(message);
  return { code: failure.code ?? folded?.[1] ?? 'UpgradeFailed', message: folded && !failure.code ? folded[2]! : message };
}
