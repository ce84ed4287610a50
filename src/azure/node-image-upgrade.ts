import { restorePoller } from '@azure/arm-containerservice';
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import { parseClusterId } from '../domain/inventory.js';
import type { ArmClients } from './arm-clients.js';
import { ArmCallError, classifyArmError, recordedArmError, withRetry, type RetryContext } from './retry.js';

/** The SDK poller of one node-image upgrade (typed loosely: its result is void). */
export type UpgradePoller = ReturnType<ContainerServiceClient['agentPools']['upgradeNodeImageVersion']>;

export type Submission =
  | { readonly kind: 'submitted'; readonly pollerState: string; readonly operationUrl: string | null; readonly operationId: string | null; readonly requestId: string | null }
  | { readonly kind: 'already_current' }
  | { readonly kind: 'blocked_by_azure'; readonly code: string; readonly message: string }
  /** Before a retry, the pool was found upgrading: an earlier attempt was carried out after all. Adopt it. */
  | { readonly kind: 'in_flight' }
  /** The POST went out and no answer came back (reset, timeout): Azure may have accepted it. It is not sent again. */
  | { readonly kind: 'unconfirmed'; readonly error: { readonly code: string; readonly message: string } };

/** What a re-read of the pool says before the POST is sent again. */
export type PoolActivity = 'upgrading' | 'on_target' | 'idle';

export class ForeignPollingHostError extends Error {
  override name = 'ForeignPollingHostError';
}

/** The operation name of the upgrade POST and of its polls, as metrics label them (observability/call-labels.ts). */
export const SUBMIT_OPERATION = 'agentPools.upgradeNodeImageVersion';
export const POLL_OPERATION = 'operations.get';

/** Failures where the connection never carried the request: sending it again cannot repeat anything. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function neverSent(error: unknown): boolean {
  return NEVER_SENT.has(String((error as { code?: unknown } | null)?.code ?? ''));
}

/**
 * POSTs upgradeNodeImageVersion through the SDK and waits only until ARM accepted it (`submitted()`), so the caller
 * stores the poller state before waiting on it. AKS's 409 (another operation in progress) is Azure blocking the
 * run, not our failure; 304 (reported for an already-current pool) means there is nothing to do.
 *
 * The POST goes through the retry policy, but only what Azure answered is sent again: a 429 (honouring Retry-After)
 * or a 5xx means ARM did not accept it. Even then the pool is re-read before each re-POST (`activity`), so an upgrade
 * that started anyway is adopted, never submitted twice. A POST that went out and got no answer at all (connection
 * reset, per-request timeout) is ambiguous: Azure may have accepted it, and a second POST could race or repeat it.
 * Re-reading the pool's state is safe where resubmitting is not, so it is `unconfirmed` and the caller watches the
 * pool instead. Retries exhausted, or any other answer, throw the ArmCallError (Azure's error).
 */
export async function submitNodeImageUpgrade(
  clients: ArmClients,
  clusterId: string,
  poolName: string,
  options: { updateIntervalInMs: number; retry: RetryContext; activity: () => Promise<PoolActivity> },
): Promise<Submission> {
  const id = parseClusterId(clusterId)!;
  const aks = clients.containerService(id.subscriptionId);
  try {
    return await withRetry<Submission>(
      `${SUBMIT_OPERATION} ${id.name}/${poolName}`,
      options.retry,
      async (abortSignal) => {
        let headers: { get(name: string): string | undefined } | undefined;
        const poller = aks.agentPools.upgradeNodeImageVersion(id.resourceGroup, id.name, poolName, {
          updateIntervalInMs: options.updateIntervalInMs,
          // Bounds the POST only: this poller is never polled (pollNodeImageUpgrade builds one per poll from its state).
          abortSignal,
          // Fires for the initial POST only: the operation URL and request id are evidence.
          onResponse: (response) => {
            headers = response.headers;
          },
        });
        await poller.submitted();
        const operationUrl = headers?.get('azure-asyncoperation') ?? headers?.get('operation-location') ?? headers?.get('location') ?? null;
        return {
          kind: 'submitted',
          pollerState: await poller.serialize(),
          operationUrl,
          operationId: operationUrl === null ? null : (/\/operations(?:results)?\/([^/?]+)/i.exec(operationUrl)?.[1] ?? null),
          requestId: headers?.get('x-ms-request-id') ?? null,
        };
      },
      {
        retryIf: (failure, error) => failure.statusCode !== null || neverSent(error),
        beforeRetry: async () => {
          const activity = await options.activity();
          return activity === 'upgrading' ? { kind: 'in_flight' } : activity === 'on_target' ? { kind: 'already_current' } : undefined;
        },
      },
    );
  } catch (error) {
    if (!(error instanceof ArmCallError) || !error.operation.startsWith(SUBMIT_OPERATION)) throw error;
    const { failure } = error;
    if (failure.statusCode === 409) return { kind: 'blocked_by_azure', code: failure.code ?? 'OperationNotAllowed', message: failure.message };
    if (failure.statusCode === 304) return { kind: 'already_current' };
    // A transport failure of a POST that may have gone out (not a refused connection, not a missing token).
    if (failure.statusCode === null && failure.retryable && error.cause !== undefined && !neverSent(error.cause)) {
      return { kind: 'unconfirmed', error: { code: failure.code ?? 'NoResponse', message: failure.message } };
    }
    throw error;
  }
}

/**
 * Rebuilds the poller of an upgrade submitted before a restart. The bearer token goes to the polling URL, so a
 * stored state that points anywhere but the configured ARM endpoint is refused before any request (SSRF, token theft).
 */
export function resumeNodeImageUpgrade(
  clients: ArmClients,
  clusterId: string,
  pollerState: string,
  armEndpoint: string,
  options: { updateIntervalInMs: number; abortSignal?: AbortSignal },
): UpgradePoller {
  const id = parseClusterId(clusterId)!;
  assertArmHost(pollerState, armEndpoint);
  const aks = clients.containerService(id.subscriptionId);
  return restorePoller(aks, pollerState, aks.agentPools.upgradeNodeImageVersion, options) as UpgradePoller;
}

/** Throws ForeignPollingHostError when a stored poller state would send the bearer token to another host. */
export function assertArmHost(pollerState: string, armEndpoint: string): void {
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
  | { readonly status: 'succeeded' | 'failed' | 'canceled'; readonly error: { code: string; message: string } | null }
  /** The poller cannot say (its final GET failed, e.g. a 204 the SDK rejects): the pool's own state decides. */
  | { readonly status: 'unknown'; readonly error: { code: string; message: string } }
  /** Every attempt failed on the wire (throttled, 5xx, reset, timed out) until the retry policy gave up. */
  | { readonly status: 'unreachable'; readonly error: { code: string; message: string } };

/**
 * One poll of an upgrade, through the retry policy like every other ARM call (a GET: always safe to repeat). Each
 * attempt rebuilds the poller from the last good state: a poller that met an HTTP error is spent (core-lro marks
 * it failed), and a fresh one carries the attempt's abort signal on both of its requests (the operation status and,
 * once done, the final `Location` GET), so the per-request timeout bounds them. The operation's own failure or
 * cancellation is an outcome, not an error to retry. The state to poll from next comes back with the outcome.
 */
export async function pollNodeImageUpgrade(
  clients: ArmClients,
  clusterId: string,
  poolName: string,
  pollerState: string,
  options: { armEndpoint: string; updateIntervalInMs: number; retry: RetryContext; stopSignal: AbortSignal },
): Promise<{ outcome: PollOutcome; pollerState: string }> {
  const id = parseClusterId(clusterId)!;
  assertArmHost(pollerState, options.armEndpoint);
  let state = pollerState;
  try {
    const outcome = await withRetry<PollOutcome>(`${POLL_OPERATION} ${id.name}/${poolName}`, options.retry, async (attemptSignal) => {
      const abortSignal = AbortSignal.any([attemptSignal, options.stopSignal]);
      const poller = resumeNodeImageUpgrade(clients, clusterId, state, options.armEndpoint, { updateIntervalInMs: options.updateIntervalInMs, abortSignal });
      try {
        await poller.poll();
      } catch (error) {
        // Our own shutdown, not an outcome: the run stays resumable.
        if (options.stopSignal.aborted) return { status: 'running' };
        const wire = (error as { name?: string }).name === 'RestError' || typeof (error as { statusCode?: unknown }).statusCode === 'number';
        const operation = poller.operationState;
        if (!wire && !attemptSignal.aborted && (operation?.status === 'failed' || operation?.status === 'canceled')) {
          return { status: operation.status, error: errorOf(operation.error ?? error) };
        }
        throw error;
      }
      state = await poller.serialize();
      const operation = poller.operationState;
      if (operation === undefined || operation.status === 'running' || operation.status === 'notStarted') return { status: 'running' };
      return { status: operation.status, error: operation.error ? errorOf(operation.error) : null };
    });
    return { outcome, pollerState: state };
  } catch (error) {
    if (!(error instanceof ArmCallError)) throw error;
    const failed = recordedArmError(error);
    return { outcome: error.failure.retryable ? { status: 'unreachable', error: failed } : { status: 'unknown', error: failed }, pollerState: state };
  }
}

/**
 * Cancels the pool's running operation (agentPools.abortLatestOperation, waited for); the upgrade's poller then ends
 * canceled. Through the retry policy: sending an abort again cannot do harm (at worst AKS answers 409, nothing to abort).
 */
export async function abortPoolOperation(clients: ArmClients, clusterId: string, poolName: string, retry: RetryContext): Promise<void> {
  const id = parseClusterId(clusterId)!;
  const aks = clients.containerService(id.subscriptionId);
  await withRetry(`agentPools.abortLatestOperation ${id.name}/${poolName}`, retry, async (abortSignal) => {
    await aks.agentPools.abortLatestOperation(id.resourceGroup, id.name, poolName, { updateIntervalInMs: 500, abortSignal });
  });
}

function errorOf(error: unknown): { code: string; message: string } {
  const failure = classifyArmError(error);
  const message = failure.message.replace(/^The long-running operation has failed\.\s*/, '');
  // "The long-running operation has failed. <code>. <message>": the SDK folds the operation's error into its text.
  const folded = /^([A-Za-z][\w.]*)\.\s(.*)$/s.exec(message);
  return { code: failure.code ?? folded?.[1] ?? 'UpgradeFailed', message: folded && !failure.code ? folded[2]! : message };
}
