import { agentPoolPropertiesJson, nodeResourceGroupOf } from '../arm-resources.js';
import { k8sTime, vmssNumber } from './identifiers.js';
import { nodeOsOf } from './node-os.js';
import type { ClusterRef, PoolState } from '../fleet-state.js';
import type { NodeRecord } from './cluster-world.js';

/** `v1/Node` objects as an AKS VMSS node's kubelet and the cloud node manager write them. */

type Json = Record<string, unknown>;

export interface NodeView {
  ref: ClusterRef;
  pool: PoolState;
  node: NodeRecord;
  /** What `kubernetes.azure.com/node-image-version` says: the node's image, unless a `label-mismatch` fault pins it. */
  imageLabel: string | null;
}

const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export function nodeLabels({ ref, pool, node, imageLabel }: NodeView): Record<string, string> {
  const props = agentPoolPropertiesJson(ref, pool);
  const { operatingSystem: os, architecture: arch } = nodeOsOf(node.image);
  const vmSize = String(props.vmSize);
  const location = ref.cluster.location;
  const zone = zoneOf(pool, node, location);
  return {
    agentpool: pool.name,
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/instance-type': vmSize,
    'beta.kubernetes.io/os': os,
    'failure-domain.beta.kubernetes.io/region': location,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'kubernetes.azure.com/agentpool': pool.name,
    'kubernetes.azure.com/cluster': nodeResourceGroupOf(ref),
    'kubernetes.azure.com/mode': String(props.mode).toLowerCase(),
    ...(imageLabel ? { 'kubernetes.azure.com/node-image-version': imageLabel } : {}),
    'kubernetes.azure.com/nodepool-type': String(props.type),
    'kubernetes.azure.com/os-sku': String(props.osSKU),
    'kubernetes.azure.com/role': 'agent',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': os,
    'kubernetes.io/role': 'agent',
    'node-role.kubernetes.io/agent': '',
    'node.kubernetes.io/instance-type': vmSize,
    'topology.kubernetes.io/region': location,
    'topology.kubernetes.io/zone': zone,
    ...pool.nodeLabels,
  };
}

/** Zonal pools spread instances over their zones (`westeurope-2`); others report fault domain `0`. */
function zoneOf(pool: PoolState, node: NodeRecord, location: string): string {
  const zones = pool.availabilityZones ?? [];
  return zones.length > 0 ? `${location}-${zones[node.instanceId % zones.length]}` : '0';
}

export function nodeJson(view: NodeView, now: Date): Json {
  const { ref, pool, node } = view;
  const props = agentPoolPropertiesJson(ref, pool);
  const os = nodeOsOf(node.image);
  const vmss = `aks-${pool.name}-${vmssNumber(ref.id, pool.name)}-vmss`;
  const maxPods = Number(props.maxPods);
  const spec: Json = {
    podCIDR: node.podCidr,
    podCIDRs: [node.podCidr],
    providerID: `azure:///subscriptions/${ref.subscription.id}/resourceGroups/${nodeResourceGroupOf(ref).toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}/virtualMachines/${node.instanceId}`,
  };
  if (node.cordoned) {
    spec.taints = [{ key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule', timeAdded: k8sTime(node.cordonedAt ?? now) }];
    spec.unschedulable = true;
  }
  return {
    metadata: {
      name: node.name,
      uid: node.uid,
      resourceVersion: String(node.resourceVersion),
      creationTimestamp: k8sTime(node.createdAt),
      labels: nodeLabels(view),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec,
    status: {
      capacity: capacityOf(String(props.vmSize), maxPods),
      allocatable: allocatableOf(String(props.vmSize), maxPods),
      conditions: conditionsOf(node, now),
      addresses: [
        { type: 'InternalIP', address: node.internalIp },
        { type: 'Hostname', address: node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: node.uid.replace(/-/g, ''),
        systemUUID: node.uid.toUpperCase(),
        bootID: [...node.uid].reverse().join(''),
        kernelVersion: os.kernelVersion,
        osImage: os.osImage,
        containerRuntimeVersion: os.containerRuntimeVersion,
        kubeletVersion: `v${String(props.currentOrchestratorVersion)}`,
        operatingSystem: os.operatingSystem,
        architecture: os.architecture,
      },
    },
  };
}

/** The kubelet's conditions: heartbeats are "now", transitions when the node joined or became Ready. */
function conditionsOf(node: NodeRecord, now: Date): Json[] {
  const heartbeat = k8sTime(now);
  const joined = k8sTime(node.createdAt);
  const pressure = (type: string, reason: string, message: string): Json => ({
    type, status: 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: joined, reason, message,
  });
  const ready: Json = node.ready
    ? { type: 'Ready', status: 'True', lastHeartbeatTime: heartbeat, lastTransitionTime: k8sTime(node.readySince ?? node.createdAt), reason: 'KubeletReady', message: 'kubelet is posting ready status' }
    : {
        type: 'Ready', status: 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: joined, reason: 'KubeletNotReady',
        message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
      };
  return [
    pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready,
  ];
}

/** vCPUs and GiB from the VM size name: D-series 4 GiB per vCPU, E 8, F 2. */
function sizeOf(vmSize: string): { cpus: number; memoryKi: number } {
  const [, family = 'D', digits = '4'] = /^Standard_([A-Z]+)(\d+)/i.exec(vmSize) ?? [];
  const cpus = Number(digits);
  const perCpu = family.toUpperCase().startsWith('E') ? 8 : family.toUpperCase().startsWith('F') ? 2 : 4;
  return { cpus, memoryKi: Math.round(cpus * perCpu * 1024 * 1024 * 0.976) };
}

function capacityOf(vmSize: string, maxPods: number): Json {
  const { cpus, memoryKi } = sizeOf(vmSize);
  return {
    cpu: String(cpus), 'ephemeral-storage': '129886128Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: `${memoryKi}Ki`, pods: String(maxPods),
  };
}

/** AKS's reservations: kube-reserved CPU by core count, 20 MiB per pod + 50 MiB memory, 100 MiB eviction threshold. */
function allocatableOf(vmSize: string, maxPods: number): Json {
  const { cpus, memoryKi } = sizeOf(vmSize);
  const reservedMillicores = cpus <= 8 ? 60 + 40 * Math.log2(cpus) : 180 + 10 * (cpus - 8);
  const reservedKi = (20 * maxPods + 50 + 100) * 1024;
  return {
    cpu: `${Math.round(cpus * 1000 - reservedMillicores)}m`, 'ephemeral-storage': '119703055367', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
    memory: `${memoryKi - reservedKi}Ki`, pods: String(maxPods),
  };
}
