import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { SUB_A, TENANT, UBUNTU, clientsFor, cluster, clusterPath, pool } from './emulator-test-kit.js';
import type { FleetFile, RunningEmulator } from '../../src/emulator/index.js';

/**
 * Shared setup for the Kubernetes API tests: kubeconfigs fetched the way the service will (the REAL
 * `@azure/arm-containerservice` `listClusterUserCredentials`), loaded into the REAL `@kubernetes/client-node`.
 */

export const NOW = new Date('2026-11-25T10:00:00Z');
export const OLD = `${UBUNTU}-202610.26.0`; // D-30, what pool() gives
export const LATEST = `${UBUNTU}-202611.22.0`; // D-3, the fleet's latest
export const LOCAL = clusterPath(SUB_A, 'rg-test', 'aks-local');
export const ENTRA = clusterPath(SUB_A, 'rg-test', 'aks-entra');
export const IMAGE_LABEL = 'kubernetes.azure.com/node-image-version';

/** `aks-local` (local accounts; a system pool of 2 and a user pool of 3 with one surge node at a time) and `aks-entra`. */
export function kubernetesFleet(): FleetFile {
  return {
    tenantId: TENANT,
    images: { '*': { [UBUNTU]: `${UBUNTU}-{{YYYYMM.DD-3}}.0` } },
    subscriptions: [
      {
        id: SUB_A,
        clusters: [
          cluster('aks-local', [
            pool('system', { mode: 'System', count: 2 }),
            pool('user', { count: 3, upgradeSettings: { maxSurge: '1' }, availabilityZones: ['1', '2', '3'], nodeLabels: { team: 'web' } }),
          ], {
            authentication: 'local',
            kubernetes: { workloads: [{ namespace: 'shop', name: 'cart', pool: 'user', replicas: 3, pdb: { maxUnavailable: 1 } }] },
          }),
          cluster('aks-entra', [pool('system', { mode: 'System', count: 1 })]),
        ],
      },
    ],
  };
}

export interface ClusterCredentials {
  kubeconfig: k8s.KubeConfig;
  /** The kubeconfig YAML as AKS returns it (base64-decoded). */
  yaml: string;
  document: any;
}

export async function credentialsOf(emulator: RunningEmulator, name: string, format?: 'exec' | 'azure'): Promise<ClusterCredentials> {
  const result = await clientsFor(emulator).aks(SUB_A).managedClusters.listClusterUserCredentials('rg-test', name, format ? { format } : {});
  const yaml = new TextDecoder().decode(result.kubeconfigs![0]!.value!);
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromString(yaml);
  return { kubeconfig, yaml, document: parse(yaml) };
}

/** What the service does for Entra ID clusters: keep cluster and context, swap the kubelogin user for a bearer token. */
export function withToken(kubeconfig: k8s.KubeConfig, token: string): k8s.KubeConfig {
  const swapped = new k8s.KubeConfig();
  swapped.loadFromOptions({
    clusters: kubeconfig.getClusters(),
    contexts: kubeconfig.getContexts(),
    currentContext: kubeconfig.getCurrentContext(),
    users: kubeconfig.getUsers().map((user) => ({ name: user.name, token })),
  });
  return swapped;
}

export function apisOf(kubeconfig: k8s.KubeConfig) {
  return {
    core: kubeconfig.makeApiClient(k8s.CoreV1Api),
    policy: kubeconfig.makeApiClient(k8s.PolicyV1Api),
    version: kubeconfig.makeApiClient(k8s.VersionApi),
  };
}

export async function localApis(emulator: RunningEmulator) {
  return apisOf((await credentialsOf(emulator, 'aks-local')).kubeconfig);
}

export async function poolNodes(core: k8s.CoreV1Api, poolName: string): Promise<k8s.V1Node[]> {
  return (await core.listNode({ labelSelector: `kubernetes.azure.com/agentpool=${poolName}` })).items;
}

export function isReady(node: k8s.V1Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export async function rejection(promise: PromiseLike<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Polls `probe` until it returns a value (not undefined); fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw HTTPS call to a cluster's API server, trusting only the kubeconfig's CA: for wire details client-node hides. */
export function rawKubernetes(
  credentials: ClusterCredentials,
  path: string,
  init: { method?: string; token?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  const cluster = credentials.document.clusters[0].cluster;
  const token = init.token ?? credentials.document.users[0].user.token;
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      { method: init.method ?? 'GET', ca: Buffer.from(cluster['certificate-authority-data'], 'base64'), headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
