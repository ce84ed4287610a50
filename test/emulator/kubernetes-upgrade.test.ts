import { describe, expect, it } from 'vitest';
import { SUB_A, clientsFor, rawFetch, startTestEmulator } from './emulator-test-kit.js';
import {
  IMAGE_LABEL, LATEST, LOCAL, NOW, OLD, eventually, isReady, kubernetesFleet, localApis, poolNodes, rejection,
} from './kubernetes-test-kit.js';
import type * as k8s from '@kubernetes/client-node';

const POLL = { updateIntervalInMs: 20 };
const UNSCHEDULABLE = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

async function start(upgradeDurationMs: number, options: Parameters<typeof startTestEmulator>[0] = {}) {
  const emulator = await startTestEmulator({ fleet: kubernetesFleet(), now: () => NOW, upgradeDurationMs, ...options });
  return { emulator, aks: clientsFor(emulator).aks(SUB_A), ...(await localApis(emulator)) };
}

const names = (nodes: k8s.V1Node[]) => nodes.map((n) => n.metadata!.name!);
const imageOf = (node: k8s.V1Node) => node.metadata?.labels?.[IMAGE_LABEL];

async function podsOfApp(core: k8s.CoreV1Api, namespace: string, app: string) {
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

describe('node-image upgrades move the nodes of the pool', () => {
  it('adds surge nodes on the target image, cordons, drains and deletes old nodes batch by batch, and ends with every node on the target', async () => {
    const { aks, core, policy } = await start(1500); // 3 batches of one node (maxSurge 1), 500 ms each
    const before = await poolNodes(core, 'user');
    const webBefore = await podsOfApp(core, 'apps', 'user-web');
    const systemBefore = names(await poolNodes(core, 'system'));
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', POLL);
    await upgrade.submitted();

    const midway = await eventually(async () => {
      const nodes = await poolNodes(core, 'user');
      const surge = nodes.filter((n) => !names(before).includes(n.metadata!.name!));
      const cordoned = nodes.filter((n) => n.spec?.unschedulable);
      return surge.length > 0 && cordoned.length > 0 ? { nodes, surge, cordoned } : undefined;
    });
    expect(midway.nodes).toHaveLength(4);
    expect(midway.surge.every((n) => imageOf(n) === LATEST)).toBe(true);
    expect(midway.cordoned.every((n) => imageOf(n) === OLD && names(before).includes(n.metadata!.name!))).toBe(true);
    expect(midway.cordoned[0]?.spec?.taints).toEqual([expect.objectContaining(UNSCHEDULABLE)]);
    expect(names(midway.surge).every((name) => name > names(before).at(-1)!)).toBe(true); // new instance ids

    await upgrade;
    const after = await poolNodes(core, 'user');
    expect(after).toHaveLength(3);
    expect(after.every((n) => imageOf(n) === LATEST && isReady(n) && !n.spec?.unschedulable && !n.spec?.taints)).toBe(true);
    expect(names(after).some((name) => names(before).includes(name))).toBe(false);
    expect(names(await poolNodes(core, 'system'))).toEqual(systemBefore); // a pool not upgrading keeps its nodes

    // Drained pods were recreated elsewhere: new names, same owner, on the new nodes.
    const webAfter = await podsOfApp(core, 'apps', 'user-web');
    expect(webAfter).toHaveLength(2);
    expect(webAfter.some((p) => webBefore.some((b) => b.metadata?.name === p.metadata?.name))).toBe(false);
    expect(new Set(webAfter.map((p) => p.metadata?.ownerReferences?.[0]?.name))).toEqual(new Set([webBefore[0]?.metadata?.ownerReferences?.[0]?.name]));
    expect(webAfter.every((p) => names(after).includes(p.spec!.nodeName!) && p.status?.phase === 'Running')).toBe(true);
    const cart = await podsOfApp(core, 'shop', 'cart');
    expect(cart.every((p) => names(after).includes(p.spec!.nodeName!))).toBe(true);
    expect((await policy.readNamespacedPodDisruptionBudget({ namespace: 'shop', name: 'cart-pdb' })).status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1 });
    expect((await aks.agentPools.get('rg-test', 'aks-local', 'user')).nodeImageVersion).toBe(LATEST);
  });

  it('shows a surge node NotReady before it turns Ready', async () => {
    const { aks, core } = await start(8000); // the first surge node is NotReady for 667 ms
    const before = names(await poolNodes(core, 'user'));
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', POLL);
    await upgrade.submitted();
    const fresh = (await poolNodes(core, 'user')).find((n) => !before.includes(n.metadata!.name!));
    expect(fresh && isReady(fresh)).toBe(false);
    expect(fresh?.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('KubeletNotReady');
    await eventually(async () => ((await poolNodes(core, 'user')).some((n) => !before.includes(n.metadata!.name!) && isReady(n)) ? true : undefined));
    await aks.agentPools.abortLatestOperation('rg-test', 'aks-local', 'user', POLL);
    await upgrade.catch(() => undefined);
  });

  it('abort leaves the nodes where they were: mixed images, and they stay so', async () => {
    const { aks, core } = await start(3000);
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', POLL);
    await upgrade.submitted();
    await eventually(async () => ((await poolNodes(core, 'user')).filter((n) => imageOf(n) === LATEST && isReady(n)).length >= 1 ? true : undefined));
    await aks.agentPools.abortLatestOperation('rg-test', 'aks-local', 'user', POLL);
    expect((await rejection(upgrade)).message).toBe('Operation was canceled');
    const stopped = await poolNodes(core, 'user');
    expect(new Set(stopped.map(imageOf))).toEqual(new Set([OLD, LATEST]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await poolNodes(core, 'user')).toEqual(stopped.map((n) => expect.objectContaining({ metadata: expect.objectContaining({ name: n.metadata?.name }) })));
    expect((await aks.agentPools.get('rg-test', 'aks-local', 'user')).nodeImageVersion).toBe(OLD);
  });

  it('replaces the nodes at once when the pool image changes through the fleet controller', async () => {
    const { emulator, core } = await start(150);
    const before = names(await poolNodes(core, 'user'));
    emulator.fleet.setPoolImage(LOCAL, 'user', LATEST);
    const after = await poolNodes(core, 'user');
    expect(after).toHaveLength(3);
    expect(after.every((n) => imageOf(n) === LATEST && isReady(n))).toBe(true);
    expect(names(after).some((name) => before.includes(name))).toBe(false);
    expect((await podsOfApp(core, 'apps', 'user-web')).every((p) => names(after).includes(p.spec!.nodeName!))).toBe(true);
  });
});

describe('Kubernetes faults during upgrades', () => {
  it('blocking-pdb: disruptionsAllowed 0, and the upgrade fails with AKS drain message, leaving the node cordoned and the surge node there', async () => {
    const { emulator, aks, core, policy } = await start(600);
    emulator.fleet.addBlockingPdb(LOCAL, 'user');
    const [singleton] = await podsOfApp(core, 'apps', 'user-singleton');
    const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: 'apps', name: 'user-singleton-pdb' });
    expect(pdb).toMatchObject({
      spec: { minAvailable: 1 },
      status: { expectedPods: 1, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }] },
    });
    const blockedNode = singleton!.spec!.nodeName!;
    const before = names(await poolNodes(core, 'user'));

    let operationUrl = '';
    const upgrade = aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', { ...POLL, onResponse: (r) => (operationUrl ||= r.headers.get('azure-asyncoperation') ?? '') });
    const error = await rejection(upgrade);
    expect(error.message).toBe(
      `The long-running operation has failed. UpgradeFailed. Drain node ${blockedNode} failed when evicting pods [${singleton!.metadata!.name}] failed with Too Many Requests error. ` +
        'This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See https://aka.ms/aks/debugdrainfailures. ' +
        "Original error: Cannot evict pod as it would violate the pod's disruption budget.. " +
        `PDB debug info: apps/${singleton!.metadata!.name} blocked by pdb user-singleton-pdb with 0 unready pods.`,
    );
    // It failed when the drain reached the node (the singleton's, the one without a web pod: the first), not at the end.
    expect(blockedNode).toMatch(/-vmss000000$/);
    const status = (await (await rawFetch(emulator, new URL(operationUrl).pathname + '?api-version=2017-08-31')).json()) as { status: string; endTime: string };
    expect(status.status).toBe('Failed');
    expect(new Date(status.endTime).getTime() - NOW.getTime()).toBe(150); // batch 1 of 3, drain step at 3/4 of it
    const nodes = await poolNodes(core, 'user');
    expect(nodes).toHaveLength(4);
    expect(nodes.find((n) => n.metadata?.name === blockedNode)?.spec?.unschedulable).toBe(true);
    expect(nodes.filter((n) => !before.includes(n.metadata!.name!)).map(imageOf)).toEqual([LATEST]);
    expect((await podsOfApp(core, 'apps', 'user-singleton'))[0]?.metadata?.name).toBe(singleton!.metadata!.name);
    expect(await aks.agentPools.get('rg-test', 'aks-local', 'user')).toMatchObject({ provisioningState: 'Failed', nodeImageVersion: OLD });
  });

  it('node-never-ready: the next new node stays NotReady, yet the ARM operation succeeds', async () => {
    const { emulator, aks, core } = await start(300);
    emulator.fleet.setNodeNeverReady(LOCAL, 'user');
    await aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', POLL);
    expect(await aks.agentPools.get('rg-test', 'aks-local', 'user')).toMatchObject({ provisioningState: 'Succeeded', nodeImageVersion: LATEST });
    const nodes = await poolNodes(core, 'user');
    expect(nodes).toHaveLength(3);
    expect(nodes.every((n) => imageOf(n) === LATEST)).toBe(true);
    const notReady = nodes.filter((n) => !isReady(n));
    expect(notReady).toHaveLength(1);
    expect(notReady[0]?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(notReady[0]?.metadata?.name).toBe(nodes[0]?.metadata?.name); // the first surge node
    const onIt = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${notReady[0]!.metadata!.name}` })).items;
    expect(onIt.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'DaemonSet' && p.status?.phase === 'Pending')).toBe(true);
  });

  it('label-mismatch: the nodes report another image than ARM, through upgrades too, until cleared', async () => {
    const { emulator, aks, core } = await start(150);
    const pinned = 'AKSUbuntu-2204gen2containerd-202601.05.0';
    emulator.fleet.setNodeImageLabel(LOCAL, 'user', pinned);
    expect((await poolNodes(core, 'user')).map(imageOf)).toEqual([pinned, pinned, pinned]);
    expect((await aks.agentPools.get('rg-test', 'aks-local', 'user')).nodeImageVersion).toBe(OLD);
    await aks.agentPools.upgradeNodeImageVersion('rg-test', 'aks-local', 'user', POLL);
    expect((await poolNodes(core, 'user')).map(imageOf)).toEqual([pinned, pinned, pinned]);
    expect((await aks.agentPools.get('rg-test', 'aks-local', 'user')).nodeImageVersion).toBe(LATEST);
    emulator.fleet.setNodeImageLabel(LOCAL, 'user', null);
    expect((await poolNodes(core, 'user')).map(imageOf)).toEqual([LATEST, LATEST, LATEST]);
    expect(() => emulator.fleet.setNodeImageLabel(LOCAL, 'nope', pinned)).toThrow(/has no agent pool nope/);
  });
});
