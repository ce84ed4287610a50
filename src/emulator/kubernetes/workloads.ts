import { generatedSuffix } from './identifiers.js';
import type { FleetWorkload } from '../types.js';

/**
 * The controllers whose pods a cluster runs: AKS's own add-ons (DaemonSets on every node, CoreDNS and
 * metrics-server with their PDBs on system pools), a sample Deployment per user pool, the fleet file's workloads and
 * the `blocking-pdb` fault's singleton. Only their pods and PDBs are served; the controllers are not.
 */

export interface PdbSpec {
  name: string;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface Workload {
  kind: 'DaemonSet' | 'Deployment';
  namespace: string;
  name: string;
  /** Pod labels: what the controller's selector and a PDB's `matchLabels` match. */
  labels: Record<string, string>;
  /** Node labels a pod needs to be placed on a node. */
  nodeSelector: Record<string, string>;
  /** Deployments only. */
  replicas: number;
  container: { name: string; image: string };
  /** The ReplicaSet suffix (`pod-template-hash`) or a DaemonSet's `controller-revision-hash`. */
  revision: string;
  /** kube-proxy and ip-masq-agent run in the node's network namespace: their pod IP is the node's. */
  hostNetwork: boolean;
  pdb?: PdbSpec;
  /** The pool whose removal removes the workload too (`<pool>-web`, `<pool>-singleton`). */
  boundToPool?: string;
}

const APPS_NAMESPACE = 'apps';
const KUBE_SYSTEM = 'kube-system';
const NGINX = 'mcr.microsoft.com/azurelinux/base/nginx:1.25';
const IIS = 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022';
const SYSTEM_POOLS = { 'kubernetes.azure.com/mode': 'system', 'kubernetes.io/os': 'linux' };

function workload(fields: Omit<Workload, 'revision' | 'hostNetwork' | 'replicas'> & Partial<Pick<Workload, 'hostNetwork' | 'replicas'>>): Workload {
  return { replicas: 0, hostNetwork: false, revision: generatedSuffix(`${fields.namespace}/${fields.name}`, 10), ...fields };
}

function daemonSet(name: string, os: 'linux' | 'windows', image: string, hostNetwork: boolean): Workload {
  return workload({
    kind: 'DaemonSet', namespace: KUBE_SYSTEM, name, labels: { component: name, tier: 'node' }, nodeSelector: { 'kubernetes.io/os': os },
    container: { name, image }, hostNetwork,
  });
}

/** The add-ons of every AKS cluster that matter for drains: node DaemonSets and the PDB-guarded system Deployments. */
export function systemWorkloads(kubernetesVersion: string): Workload[] {
  return [
    daemonSet('kube-proxy', 'linux', `mcr.microsoft.com/oss/v2/kubernetes/kube-proxy:v${kubernetesVersion}`, true),
    daemonSet('azure-ip-masq-agent', 'linux', 'mcr.microsoft.com/oss/v2/kubernetes/ip-masq-agent:v0.1.15-2', true),
    daemonSet('cloud-node-manager-windows', 'windows', 'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.32.5-windows-hpc', true),
    workload({
      kind: 'Deployment', namespace: KUBE_SYSTEM, name: 'coredns', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true' },
      nodeSelector: SYSTEM_POOLS, replicas: 2, container: { name: 'coredns', image: 'mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8' },
      pdb: { name: 'coredns-pdb', minAvailable: 1 },
    }),
    workload({
      kind: 'Deployment', namespace: KUBE_SYSTEM, name: 'metrics-server', labels: { 'k8s-app': 'metrics-server' },
      nodeSelector: SYSTEM_POOLS, replicas: 2, container: { name: 'metrics-server', image: 'mcr.microsoft.com/oss/v2/kubernetes/metrics-server:v0.7.2-5' },
      pdb: { name: 'metrics-server-pdb', minAvailable: 1 },
    }),
  ];
}

function onPool(pool: string): Record<string, string> {
  return { 'kubernetes.azure.com/agentpool': pool };
}

/** `<pool>-web` in namespace `apps`: 2 replicas on a user pool, no PDB. */
export function poolWebWorkload(pool: { name: string; osType?: string }): Workload {
  const name = `${pool.name}-web`;
  return workload({
    kind: 'Deployment', namespace: APPS_NAMESPACE, name, labels: { app: name }, nodeSelector: onPool(pool.name), replicas: 2,
    container: { name: 'web', image: pool.osType === 'Windows' ? IIS : NGINX }, boundToPool: pool.name,
  });
}

/** The `blocking-pdb` fault: one replica guarded by `minAvailable: 1`, so it can never be evicted. */
export function singletonWorkload(poolName: string): Workload {
  const name = `${poolName}-singleton`;
  return workload({
    kind: 'Deployment', namespace: APPS_NAMESPACE, name, labels: { app: name }, nodeSelector: onPool(poolName), replicas: 1,
    container: { name: 'app', image: NGINX }, pdb: { name: `${name}-pdb`, minAvailable: 1 }, boundToPool: poolName,
  });
}

export function fleetWorkload(spec: FleetWorkload): Workload {
  return workload({
    kind: 'Deployment', namespace: spec.namespace, name: spec.name, labels: { app: spec.name }, nodeSelector: onPool(spec.pool),
    replicas: spec.replicas, container: { name: spec.name, image: NGINX }, pdb: spec.pdb && { name: `${spec.name}-pdb`, ...spec.pdb },
  });
}

/** Names the emulator uses itself, which a fleet file's workloads may not take. */
export function isReservedWorkload(namespace: string, name: string, poolNames: string[]): boolean {
  if (namespace === KUBE_SYSTEM) return true;
  return namespace === APPS_NAMESPACE && poolNames.some((pool) => name === `${pool}-web` || name === `${pool}-singleton`);
}
