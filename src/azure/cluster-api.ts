import * as k8s from '@kubernetes/client-node';
import type { TokenCredential } from '@azure/core-auth';
import { parseClusterId } from '../domain/inventory.js';
import { AGENT_POOL_LABEL, NODE_IMAGE_LABEL, type ClusterNodesView, type LabelSelector, type NodeFact, type PdbFact, type PodFact } from '../domain/node-evidence.js';
import type { ArmClients } from './arm-clients.js';
import { withRetry, type RetryContext, type RetryPolicy } from './retry.js';

/** The Entra ID application every AKS-managed Entra cluster's API server accepts tokens for (kubelogin's --server-id). */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** Reads of a cluster's API server: fewer, shorter attempts than ARM calls — an unreachable one is recorded, not waited out. */
export const KUBERNETES_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelayInMs: 500,
  maxDelayInMs: 5_000,
  maxThrottleDelayInMs: 30_000,
  perRequestTimeoutInMs: 15_000,
});

const PAGE = 500;

export interface ClusterApi {
  /** Every node, pod and PodDisruptionBudget of the cluster, read now (paged, read-only). */
  read(): Promise<ClusterNodesView>;
  /** The nodes of one pool only (label `kubernetes.azure.com/agentpool`), for polling during a run. */
  poolNodes(poolName: string): Promise<NodeFact[]>;
  /** Every node of the cluster (the cross-check reads no pods). */
  allNodes(): Promise<NodeFact[]>;
}

/**
 * Opens a cluster's own Kubernetes API with the credentials AKS hands out (`listClusterUserCredentials`). For an
 * AKS-managed Entra ID cluster the kubeconfig names kubelogin; instead of running a binary, the same TokenCredential
 * imagewarden uses for ARM gets a token for the AKS server application. A local-account kubeconfig is used as it
 * is. The API server's CA comes from the kubeconfig. Only list/get verbs are ever sent (docs/kubernetes-access.md).
 */
export async function openClusterApi(clients: ArmClients, clusterId: string, retry: RetryContext, now: () => Date = () => new Date()): Promise<ClusterApi> {
  const id = parseClusterId(clusterId);
  if (id === null) throw new Error(`not a managed cluster id: ${clusterId}`);
  const aks = clients.containerService(id.subscriptionId);
  const result = await withRetry(`managedClusters.listClusterUserCredentials ${id.name}`, retry, (abortSignal) =>
    aks.managedClusters.listClusterUserCredentials(id.resourceGroup, id.name, { abortSignal }),
  );
  const value = result.kubeconfigs?.[0]?.value;
  if (value === undefined) throw new Error(`listClusterUserCredentials returned no kubeconfig for ${id.name}`);
  const config = await withUsableUser(new k8s.KubeConfig(), Buffer.from(value).toString('utf8'), clients.credential);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const policy = config.makeApiClient(k8s.PolicyV1Api);
  const call = <T>(operation: string, run: (options: k8s.ConfigurationOptions) => Promise<T>) =>
    withRetry(`kubernetes ${operation} ${id.name}`, retry, (signal) => run(withSignal(signal)).catch(asRetryableError));

  async function listAll<T>(operation: string, page: (cont: string | undefined, options: k8s.ConfigurationOptions) => Promise<{ items: T[]; metadata?: { _continue?: string } }>) {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const list = await call(operation, (options) => page(cont, options));
      items.push(...list.items);
      cont = list.metadata?._continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  const nodes = (labelSelector?: string) =>
    listAll('nodes.list', (cont, options) => core.listNode({ limit: PAGE, ...(cont ? { _continue: cont } : {}), ...(labelSelector ? { labelSelector } : {}) }, options));

  return {
    async read() {
      const [nodeList, podList, pdbList] = [
        await nodes(),
        await listAll('pods.list', (cont, options) => core.listPodForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options)),
        await listAll('poddisruptionbudgets.list', (cont, options) => policy.listPodDisruptionBudgetForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options)),
      ];
      return { readAt: now().toISOString(), nodes: nodeList.map(toNodeFact), pods: podList.map(toPodFact), pdbs: pdbList.map(toPdbFact) };
    },
    poolNodes: async (poolName) => (await nodes(`${AGENT_POOL_LABEL}=${poolName}`)).map(toNodeFact),
    allNodes: async () => (await nodes()).map(toNodeFact),
  };
}

/** The kubeconfig with a user client-node can use without running anything: an exec (kubelogin) user gets a token. */
async function withUsableUser(config: k8s.KubeConfig, kubeconfig: string, credential: TokenCredential): Promise<k8s.KubeConfig> {
  config.loadFromString(kubeconfig);
  const user = config.getCurrentUser();
  if (user === null) throw new Error('the kubeconfig AKS returned names no current user');
  if (user.exec === undefined && user.authProvider === undefined) return config;
  // kubelogin's `--server-id` names the AKS server application; the legacy auth-provider form names none.
  const args: string[] = user.exec?.args ?? [];
  const at = args.indexOf('--server-id');
  const serverId = (at >= 0 ? args[at + 1] : undefined) ?? AKS_SERVER_APP_ID;
  const token = await credential.getToken(`${serverId}/.default`);
  if (token === null) throw new Error('no token for the AKS server application');
  const cluster = config.getCurrentCluster()!;
  const context = config.getContextObject(config.getCurrentContext())!;
  const replaced = new k8s.KubeConfig();
  replaced.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user.name, token: token.token }],
    contexts: [context],
    currentContext: context.name,
  });
  return replaced;
}

/** Per-request options: the retry policy's abort signal (timeout and deadline) on the underlying fetch. */
function withSignal(signal: AbortSignal): k8s.ConfigurationOptions {
  // The object-parameter API runs on client-node's Observable middleware, not on promises.
  const middleware = {
    pre: (context: k8s.RequestContext) => {
      context.setSignal(signal);
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as k8s.ConfigurationOptions;
}

/** client-node's ApiException carries the HTTP status as `code`; the retry policy reads `statusCode`. */
function asRetryableError(error: unknown): never {
  if (error instanceof k8s.ApiException) {
    const status = (error as k8s.ApiException<unknown>).code;
    const failure = new Error(`HTTP ${status}: ${statusMessage((error as k8s.ApiException<unknown>).body)}`) as Error & { statusCode: number };
    failure.statusCode = status;
    throw failure;
  }
  throw error;
}

function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
    } catch {
      return body.slice(0, 200);
    }
  }
  return (body as { message?: string } | null)?.message ?? 'no message';
}

function toNodeFact(node: k8s.V1Node): NodeFact {
  const labels = node.metadata?.labels ?? {};
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    pool: labels[AGENT_POOL_LABEL] ?? labels.agentpool ?? null,
    ready: ready?.status === 'True',
    notReadyReason: ready?.status === 'True' ? null : (ready?.reason ?? 'NoReadyCondition'),
    unschedulable: node.spec?.unschedulable === true,
    imageVersion: labels[NODE_IMAGE_LABEL] ?? null,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? null,
    createdAt: isoOrNull(node.metadata?.creationTimestamp),
  };
}

function toPodFact(pod: k8s.V1Pod): PodFact {
  const controller = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    nodeName: pod.spec?.nodeName ?? null,
    phase: pod.status?.phase ?? 'Unknown',
    labels: pod.metadata?.labels ?? {},
    owner: controller ? { kind: controller.kind, name: controller.name } : null,
    crashLooping: statuses.some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff'),
  };
}

function toPdbFact(pdb: k8s.V1PodDisruptionBudget): PdbFact {
  const selector = pdb.spec?.selector;
  return {
    namespace: pdb.metadata?.namespace ?? 'default',
    name: pdb.metadata?.name ?? '',
    selector: selector === undefined ? null : ({ matchLabels: selector.matchLabels ?? {}, matchExpressions: selector.matchExpressions ?? [] } satisfies LabelSelector),
    disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
    minAvailable: pdb.spec?.minAvailable ?? null,
    maxUnavailable: pdb.spec?.maxUnavailable ?? null,
    currentHealthy: pdb.status?.currentHealthy ?? null,
    expectedPods: pdb.status?.expectedPods ?? null,
  };
}

function isoOrNull(value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
