import { createHash } from 'node:crypto';
import { uuidFrom } from '../arm-ids.js';
import { k8sTime } from './identifiers.js';
import type { NodeRecord, PodRecord } from './cluster-world.js';

/**
 * `v1/Pod` objects as the API server returns them once the scheduler and the kubelet have written their parts:
 * a pod on a Ready node is Running and Ready; a DaemonSet pod on a node not Ready yet waits in ContainerCreating;
 * a pod no node can take is Pending and Unschedulable.
 */

type Json = Record<string, unknown>;

export function podLabels(pod: PodRecord): Record<string, string> {
  const { workload } = pod;
  return workload.kind === 'Deployment'
    ? { ...workload.labels, 'pod-template-hash': workload.revision }
    : { ...workload.labels, 'controller-revision-hash': workload.revision, 'pod-template-generation': '1' };
}

/** Ready = running on a Ready node (what a PDB counts as healthy). */
export function podIsReady(node: NodeRecord | undefined): boolean {
  return node?.ready ?? false;
}

export function podJson(clusterId: string, pod: PodRecord, node: NodeRecord | undefined, nodeCount: number): Json {
  const { workload } = pod;
  const deployment = workload.kind === 'Deployment';
  const ownerName = deployment ? `${workload.name}-${workload.revision}` : workload.name;
  const system = workload.namespace === 'kube-system';
  return {
    metadata: {
      name: pod.name,
      generateName: `${ownerName}-`,
      namespace: pod.namespace,
      uid: pod.uid,
      resourceVersion: String(pod.resourceVersion),
      creationTimestamp: k8sTime(pod.createdAt),
      labels: podLabels(pod),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: deployment ? 'ReplicaSet' : 'DaemonSet',
          name: ownerName,
          uid: uuidFrom(`${clusterId.toLowerCase()}/${pod.namespace}/${ownerName}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: workload.container.name,
          image: workload.container.image,
          imagePullPolicy: 'IfNotPresent',
          resources: { requests: { cpu: '100m', memory: '70Mi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: workload.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      enableServiceLinks: true,
      ...(workload.hostNetwork ? { hostNetwork: true } : {}),
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      nodeSelector: workload.nodeSelector,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: system ? (deployment ? 2000000000 : 2000001000) : 0,
      ...(system ? { priorityClassName: deployment ? 'system-cluster-critical' : 'system-node-critical' } : {}),
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: system ? workload.name : 'default',
      serviceAccountName: system ? workload.name : 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: deployment
        ? [
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          ]
        : [{ operator: 'Exists' }],
    },
    status: node ? boundStatus(pod, node) : unschedulableStatus(pod, nodeCount),
  };
}

function boundStatus(pod: PodRecord, node: NodeRecord): Json {
  const scheduled = k8sTime(pod.scheduledAt ?? pod.createdAt);
  const { container } = pod.workload;
  const addresses = {
    hostIP: node.internalIp,
    hostIPs: [{ ip: node.internalIp }],
    ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
  };
  const condition = (type: string, status: boolean, at: string, extra: Json = {}): Json => ({
    type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...extra,
  });
  if (!podIsReady(node)) {
    return {
      phase: 'Pending',
      conditions: [
        condition('PodReadyToStartContainers', false, scheduled),
        condition('Initialized', true, scheduled),
        condition('Ready', false, scheduled, { reason: 'ContainersNotReady', message: `containers with unready status: [${container.name}]` }),
        condition('ContainersReady', false, scheduled, { reason: 'ContainersNotReady', message: `containers with unready status: [${container.name}]` }),
        condition('PodScheduled', true, scheduled),
      ],
      ...addresses,
      startTime: scheduled,
      containerStatuses: [
        { name: container.name, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: container.image, imageID: '', started: false },
      ],
      qosClass: 'Burstable',
    };
  }
  // A DaemonSet pod scheduled before its node was Ready starts when the node gets Ready.
  const readySince = node.readySince ?? node.createdAt;
  const started = k8sTime(readySince > (pod.scheduledAt ?? pod.createdAt) ? readySince : (pod.scheduledAt ?? pod.createdAt));
  const digest = createHash('sha256').update(pod.uid).digest('hex');
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', true, started),
      condition('Initialized', true, scheduled),
      condition('Ready', true, started),
      condition('ContainersReady', true, started),
      condition('PodScheduled', true, scheduled),
    ],
    ...addresses,
    startTime: scheduled,
    containerStatuses: [
      {
        name: container.name,
        state: { running: { startedAt: started } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: container.image,
        imageID: `${container.image.split(':')[0]}@sha256:${createHash('sha256').update(container.image).digest('hex')}`,
        containerID: `containerd://${digest}`,
        started: true,
      },
    ],
    qosClass: 'Burstable',
  };
}

function unschedulableStatus(pod: PodRecord, nodeCount: number): Json {
  return {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: k8sTime(pod.createdAt),
        reason: 'Unschedulable',
        message: `0/${nodeCount} nodes are available: ${nodeCount} node(s) didn't match Pod's node affinity/selector, were unschedulable or not ready. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`,
      },
    ],
    qosClass: 'Burstable',
  };
}
