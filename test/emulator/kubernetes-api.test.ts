import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientSecretCredential } from '@azure/identity';
import { assertFleetFile } from '../../src/emulator/fleet-file.js';
import { SUB_A, TENANT, clientsFor, smallFleet, startTestEmulator } from './emulator-test-kit.js';
import {
  ENTRA, IMAGE_LABEL, LOCAL, NOW, OLD, apisOf, credentialsOf, isReady, kubernetesFleet, localApis, poolNodes, rawKubernetes, rejection, withToken,
} from './kubernetes-test-kit.js';

const AKS_SERVER = '6dae42f8-4368-4678-94ff-3960e28e3630';
const names = (nodes: { metadata?: { name?: string } }[]) => nodes.map((n) => n.metadata?.name);

async function start(options: Parameters<typeof startTestEmulator>[0] = {}) {
  return startTestEmulator({ fleet: kubernetesFleet(), now: () => NOW, ...options });
}

describe('managedClusters.listClusterUserCredentials', () => {
  it('hands a local-account cluster a kubeconfig with its own token and a Kubernetes CA distinct from the ARM one', async () => {
    const emulator = await start();
    const { document } = await credentialsOf(emulator, 'aks-local');
    const caPem = readFileSync(emulator.kubernetesCaFile, 'utf8');
    expect(document).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'aks-local', cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      contexts: [{ name: 'aks-local', context: { cluster: 'aks-local', user: 'clusterUser_rg-test_aks-local' } }],
      'current-context': 'aks-local',
      users: [{ name: 'clusterUser_rg-test_aks-local', user: { token: expect.stringMatching(/^[0-9a-f]{32}$/) } }],
    });
    expect(document.clusters[0].cluster.server).toMatch(new RegExp(`^${emulator.kubernetesUrl}/clusters/[0-9a-f]{20}$`));
    expect(caPem).not.toBe(readFileSync(emulator.caFile, 'utf8'));
    // NODE_EXTRA_CA_CERTS trusts the ARM CA only: without the kubeconfig's CA the API server is not trusted.
    await expect(fetch(`${emulator.kubernetesUrl}/version`)).rejects.toThrow();
    expect(emulator.fleet.getCluster(LOCAL)).toMatchObject({ properties: { disableLocalAccounts: false } });
    expect((emulator.fleet.getCluster(LOCAL) as any).properties.aadProfile).toBeUndefined();
  });

  it('hands an Entra ID cluster the kubelogin exec kubeconfig AKS returns (or the azure auth-provider with format=azure)', async () => {
    const emulator = await start();
    expect(emulator.fleet.getCluster(ENTRA)).toMatchObject({
      properties: { aadProfile: { managed: true, enableAzureRBAC: true, tenantID: TENANT }, disableLocalAccounts: true },
    });
    const { document, yaml } = await credentialsOf(emulator, 'aks-entra');
    expect(document.users).toEqual([
      {
        name: 'clusterUser_rg-test_aks-entra',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            args: ['get-token', '--environment', 'AzurePublicCloud', '--server-id', AKS_SERVER, '--client-id', '80faf920-1908-4b52-b5ef-a8e7bedfc67a', '--tenant-id', TENANT, '--login', 'devicecode'],
            command: 'kubelogin',
            env: null,
            installHint: '\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n',
            provideClusterInfo: false,
          },
        },
      },
    ]);
    expect(yaml).toContain('env: null');
    const azure = await credentialsOf(emulator, 'aks-entra', 'azure');
    expect(azure.document.users[0].user['auth-provider']).toEqual({
      name: 'azure',
      config: { 'apiserver-id': AKS_SERVER, 'client-id': '80faf920-1908-4b52-b5ef-a8e7bedfc67a', 'config-mode': '1', environment: 'AzurePublicCloud', 'tenant-id': TENANT },
    });
    expect(emulator.callCounts()['managedClusters.listClusterUserCredentials']).toBe(2);
  });

  it('goes through the ARM pipeline: fault rules, 404s and a bad format', async () => {
    const emulator = await start({ faults: { rules: [{ operation: 'managedClusters.listClusterUserCredentials', action: 'error', status: 503, code: 'ServiceUnavailable' }] } });
    const aks = clientsFor(emulator).aks(SUB_A);
    expect(await rejection(aks.managedClusters.listClusterUserCredentials('rg-test', 'aks-local'))).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
    await expect(aks.managedClusters.listClusterUserCredentials('rg-test', 'aks-local')).resolves.toMatchObject({ kubeconfigs: [{ name: 'clusterUser' }] });
    expect(await rejection(aks.managedClusters.listClusterUserCredentials('rg-test', 'nope'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(await rejection(aks.managedClusters.listClusterUserCredentials('rg-test', 'aks-entra', { format: 'json' as never }))).toMatchObject({ statusCode: 400 });
  });
});

describe('Kubernetes API reads (real @kubernetes/client-node)', () => {
  it('lists nodes by agent pool with the labels, spec and status AKS nodes carry', async () => {
    const emulator = await start();
    const { core, version } = await localApis(emulator);
    const nodes = await poolNodes(core, 'user');
    expect(nodes.map((n) => n.metadata?.name)).toEqual([0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^aks-user-\\d{8}-vmss00000${i}$`))));
    const [first] = nodes;
    expect(first?.metadata?.labels).toMatchObject({
      agentpool: 'user',
      'kubernetes.azure.com/agentpool': 'user',
      'kubernetes.azure.com/mode': 'user',
      [IMAGE_LABEL]: OLD,
      'kubernetes.azure.com/cluster': 'MC_rg-test_aks-local_westeurope',
      'kubernetes.azure.com/os-sku': 'Ubuntu',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': first?.metadata?.name,
      'node.kubernetes.io/instance-type': 'Standard_D4ds_v5',
      'topology.kubernetes.io/region': 'westeurope',
      'topology.kubernetes.io/zone': 'westeurope-1',
      team: 'web',
    });
    expect(nodes[1]?.metadata?.labels?.['topology.kubernetes.io/zone']).toBe('westeurope-2');
    expect(first?.spec?.providerID).toMatch(
      new RegExp(`^azure:///subscriptions/${SUB_A}/resourceGroups/mc_rg-test_aks-local_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-user-\\d{8}-vmss/virtualMachines/0$`),
    );
    expect(first?.spec?.unschedulable).toBeUndefined();
    expect(first?.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    expect(first?.status?.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.32.6', osImage: 'Ubuntu 22.04.5 LTS', containerRuntimeVersion: expect.stringMatching(/^containerd:\/\/1\.7\./), operatingSystem: 'linux', architecture: 'amd64',
    });
    expect(first?.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
    expect(first?.status?.allocatable).toMatchObject({ cpu: '3860m', pods: '110' });
    expect((await core.readNode({ name: first!.metadata!.name! })).metadata?.uid).toBe(first?.metadata?.uid);
    expect(await rejection(core.readNode({ name: 'aks-user-00000000-vmss000009' }))).toMatchObject({ code: 404 });
    expect((await core.listNode()).items).toHaveLength(5);
    expect(await version.getCode()).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.6', platform: 'linux/amd64' });
  });

  it('names Windows nodes like AKS (aks<pool><instance>) and reports the Windows build of their image', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), now: () => NOW });
    const { kubeconfig } = await credentialsOf(emulator, 'aks-a1');
    const { core } = apisOf(withToken(kubeconfig, emulator.token));
    const windows = await poolNodes(core, 'win1');
    expect(names(windows)).toEqual(['akswin1000000', 'akswin1000001']);
    expect(windows[0]?.metadata?.labels).toMatchObject({ 'kubernetes.io/os': 'windows', 'kubernetes.azure.com/os-sku': 'Windows2022', [IMAGE_LABEL]: 'AKSWindows-2022-containerd-20348.5256.261014' });
    expect(windows[0]?.status?.nodeInfo).toMatchObject({ osImage: 'Windows Server 2022 Datacenter', kernelVersion: '10.0.20348.5256', operatingSystem: 'windows' });
    const daemons = (await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=akswin1000000' })).items.filter((p) => p.metadata?.namespace === 'kube-system');
    expect(daemons.map((p) => p.metadata?.ownerReferences?.[0]?.name)).toEqual(['cloud-node-manager-windows']);
    expect(windows[0]?.status?.allocatable?.pods).toBe('30');
  });

  it('lists pods by node: DaemonSet pods everywhere, Deployments spread over their pool, with owners and statuses', async () => {
    const emulator = await start();
    const { core } = await localApis(emulator);
    const [node] = await poolNodes(core, 'user');
    const onNode = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node!.metadata!.name}` })).items;
    const daemons = onNode.filter((p) => p.metadata?.ownerReferences?.[0]?.kind === 'DaemonSet');
    expect(daemons.map((p) => p.metadata?.name)).toEqual([expect.stringMatching(/^azure-ip-masq-agent-[a-z0-9]{5}$/), expect.stringMatching(/^kube-proxy-[a-z0-9]{5}$/)]);
    expect(daemons[1]).toMatchObject({
      metadata: { namespace: 'kube-system', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', controller: true }] },
      spec: { nodeName: node!.metadata!.name, hostNetwork: true },
      status: { phase: 'Running', hostIP: node!.status!.addresses![0]!.address, podIP: node!.status!.addresses![0]!.address },
    });
    const web = (await core.listNamespacedPod({ namespace: 'apps' })).items;
    expect(web).toHaveLength(2);
    expect(new Set(web.map((p) => p.spec?.nodeName)).size).toBe(2);
    expect(web[0]).toMatchObject({
      metadata: { name: expect.stringMatching(/^user-web-[a-z0-9]{10}-[a-z0-9]{5}$/), labels: { app: 'user-web' }, ownerReferences: [{ kind: 'ReplicaSet', name: expect.stringMatching(/^user-web-[a-z0-9]{10}$/) }] },
      spec: { nodeSelector: { 'kubernetes.azure.com/agentpool': 'user' } },
      status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0, state: { running: { startedAt: expect.any(Date) } } }] },
    });
    expect(web[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const system = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app in (kube-dns, metrics-server)' })).items;
    expect(system.map((p) => p.metadata?.ownerReferences?.[0]?.name.replace(/-[a-z0-9]{10}$/, ''))).toEqual(['coredns', 'coredns', 'metrics-server', 'metrics-server']);
    const systemNodes = new Set((await poolNodes(core, 'system')).map((n) => n.metadata?.name));
    expect(system.every((p) => systemNodes.has(p.spec!.nodeName!))).toBe(true);
    expect((await core.listNamespacedPod({ namespace: 'shop' })).items).toHaveLength(3);
    expect((await core.readNamespacedPod({ namespace: 'apps', name: web[0]!.metadata!.name! })).kind).toBe('Pod');
  });

  it('lists PodDisruptionBudgets with the status computed from the live pods', async () => {
    const emulator = await start();
    const { policy } = await localApis(emulator);
    const pdbs = (await policy.listPodDisruptionBudgetForAllNamespaces()).items;
    expect(pdbs.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['kube-system/coredns-pdb', 'kube-system/metrics-server-pdb', 'shop/cart-pdb']);
    expect(pdbs[0]).toMatchObject({
      spec: { minAvailable: 1, selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
      status: { currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1, observedGeneration: 1, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }] },
    });
    expect(pdbs[2]).toMatchObject({ spec: { maxUnavailable: 1 }, status: { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 } });
    expect((await policy.listNamespacedPodDisruptionBudget({ namespace: 'shop' })).items).toHaveLength(1);
  });

  it('filters with label selectors (=, !=, in, notin, exists, !exists) and field selectors, and refuses bad ones', async () => {
    const emulator = await start();
    const { core } = await localApis(emulator);
    const podNames = async (options: { labelSelector?: string; fieldSelector?: string }) =>
      (await core.listPodForAllNamespaces(options)).items.map((p) => p.metadata!.name!.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$|-[a-z0-9]{5}$/, ''));
    expect(await podNames({ labelSelector: 'app in (user-web,cart),app!=cart' })).toEqual(['user-web', 'user-web']);
    expect(await podNames({ labelSelector: 'k8s-app notin (kube-dns),k8s-app' })).toEqual(['metrics-server', 'metrics-server']);
    expect((await podNames({ labelSelector: '!app,!k8s-app' })).every((n) => n === 'azure-ip-masq-agent' || n === 'kube-proxy')).toBe(true);
    expect(await podNames({ fieldSelector: 'metadata.namespace=shop,status.phase=Running' })).toEqual(['cart', 'cart', 'cart']);
    expect(await podNames({ fieldSelector: 'metadata.namespace!=kube-system' })).toHaveLength(5);
    expect((await core.listNode({ fieldSelector: 'spec.unschedulable=false', labelSelector: 'kubernetes.azure.com/mode=system' })).items).toHaveLength(2);
    const local = await credentialsOf(emulator, 'aks-local');
    const unsupported = await rawKubernetes(local, '/api/v1/pods?fieldSelector=spec.hostname%3Dx');
    expect(unsupported).toMatchObject({ status: 400, body: { kind: 'Status', status: 'Failure', reason: 'BadRequest', message: 'field label not supported: spec.hostname', code: 400 } });
    expect((await rawKubernetes(local, '/api/v1/nodes?labelSelector=a%3D%3D%3Db')).status).toBe(400);
  });

  it('pages with limit and an opaque continue token, without metadata.continue on the last page', async () => {
    const emulator = await start();
    const { core } = await localApis(emulator);
    const all = (await core.listPodForAllNamespaces()).items.map((p) => p.metadata?.name);
    const paged: (string | undefined)[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 4, _continue: token });
      pages++;
      paged.push(...page.items.map((p) => p.metadata?.name));
      token = page.metadata?._continue;
      if (token) expect(page.metadata?.remainingItemCount).toBe(all.length - paged.length);
    } while (token);
    expect(paged).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 4));
    const local = await credentialsOf(emulator, 'aks-local');
    const last = await rawKubernetes(local, `/api/v1/pods?limit=${all.length}`);
    expect(last.body.metadata).toEqual({ resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(last.body).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
    expect(last.body.items[0].kind).toBeUndefined();
    expect((await rawKubernetes(local, '/api/v1/pods?limit=2&continue=not-a-token')).status).toBe(400);
  });
});

describe('Kubernetes API authentication', () => {
  it('Entra ID cluster: accepts the emulator token or an Entra token for the AKS server app once the exec user is swapped', async () => {
    const client = { tenantId: TENANT, clientId: '7c0f4b1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b', clientSecret: 's3cr3t' };
    const emulator = await start({ clients: [client] });
    const { kubeconfig } = await credentialsOf(emulator, 'aks-entra');
    const byStatic = apisOf(withToken(kubeconfig, emulator.token));
    expect((await byStatic.core.listNode()).items.map((n) => n.metadata?.name)).toEqual([expect.stringMatching(/^aks-system-\d{8}-vmss000000$/)]);

    const credential = new ClientSecretCredential(TENANT, client.clientId, client.clientSecret, { authorityHost: emulator.url, disableInstanceDiscovery: true });
    const aksToken = await credential.getToken(`${AKS_SERVER}/.default`);
    expect((await apisOf(withToken(kubeconfig, aksToken.token)).core.listNode()).items).toHaveLength(1);
    const armToken = await credential.getToken('https://management.azure.com/.default');
    expect(await rejection(apisOf(withToken(kubeconfig, armToken.token)).core.listNode())).toMatchObject({ code: 401 });
    const localToken = (await credentialsOf(emulator, 'aks-local')).document.users[0].user.token;
    expect(await rejection(apisOf(withToken(kubeconfig, localToken)).core.listNode())).toMatchObject({ code: 401 });
  });

  it('local cluster: only its own token; anything else is 401 with a Kubernetes Status', async () => {
    const emulator = await start();
    const local = await credentialsOf(emulator, 'aks-local');
    expect(await rejection(apisOf(withToken(local.kubeconfig, emulator.token)).core.listNode())).toMatchObject({ code: 401 });
    const wrong = await rawKubernetes(local, '/api/v1/nodes', { token: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toBe('application/json');
    expect(wrong.headers['audit-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(wrong.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    expect((await rawKubernetes(local, '/api/v1/nodes', { token: '' })).status).toBe(401);
    expect((await rawKubernetes(local, '/api/v1/secrets')).body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});

describe('Kubernetes API refusals and the request log', () => {
  it('answers 405 MethodNotAllowed to every write, eviction and watch, and logs every request', async () => {
    const emulator = await start();
    const local = await credentialsOf(emulator, 'aks-local');
    const { core } = apisOf(local.kubeconfig);
    const [pod] = (await core.listNamespacedPod({ namespace: 'apps' })).items;
    const [node] = await poolNodes(core, 'user');
    emulator.clearKubernetesRequests();
    const eviction = core.createNamespacedPodEviction({
      namespace: 'apps', name: pod!.metadata!.name!, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod!.metadata!.name!, namespace: 'apps' } },
    });
    expect(await rejection(eviction)).toMatchObject({ code: 405 });
    expect(await rejection(core.deleteNode({ name: node!.metadata!.name! }))).toMatchObject({ code: 405 });
    expect(await rejection(core.patchNode({ name: node!.metadata!.name!, body: { spec: { unschedulable: true } } }))).toMatchObject({ code: 405 });
    const watch = await rawKubernetes(local, '/api/v1/pods?watch=true');
    expect(watch.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', details: {}, code: 405 });
    expect((await poolNodes(core, 'user')).every((n) => !n.spec?.unschedulable)).toBe(true);

    const log = emulator.kubernetesRequests();
    expect(log.map(({ method, path, status }) => [method, path, status])).toEqual([
      ['POST', `/api/v1/namespaces/apps/pods/${pod!.metadata!.name}/eviction`, 405],
      ['DELETE', `/api/v1/nodes/${node!.metadata!.name}`, 405],
      ['PATCH', `/api/v1/nodes/${node!.metadata!.name}`, 405],
      ['GET', '/api/v1/pods', 405],
      ['GET', '/api/v1/nodes', 200],
    ]);
    expect(log[3]).toMatchObject({ clusterId: emulator.fleet.listClusterIds()[0], query: 'watch=true', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(log[4]?.query).toBe('labelSelector=kubernetes.azure.com%2Fagentpool%3Duser');
  });

  it('unreachable: the API server destroys the connection until it is reachable again; a stopped cluster too', async () => {
    const emulator = await start();
    const { core } = await localApis(emulator);
    emulator.fleet.setApiServerReachable(LOCAL, false);
    const error = await rejection(core.listNode());
    expect(error.code).not.toBe(401);
    expect(String(error.message)).toMatch(/socket hang up|ECONNRESET/);
    emulator.fleet.setApiServerReachable(LOCAL, true);
    expect((await core.listNode()).items).toHaveLength(5);
    emulator.fleet.setClusterPowerState(LOCAL, 'Stopped');
    await expect(core.listNode()).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emulator.kubernetesRequests().map((r) => r.status)).toEqual([0, 200, 0]);
  });

  it('applies kubernetes entries of a fault plan at start and through setFaults, and refuses invalid ones', async () => {
    const emulator = await start({ faults: { rules: [], kubernetes: [{ clusterName: 'AKS-LOCAL', fault: 'unreachable' }] } });
    const { core } = await localApis(emulator);
    await expect(core.listNode()).rejects.toThrow(/socket hang up|ECONNRESET/);
    emulator.fleet.setApiServerReachable(LOCAL, true);
    emulator.setFaults({ rules: [], kubernetes: [{ clusterName: 'aks-local', poolName: 'user', fault: 'label-mismatch', version: 'AKSUbuntu-2204gen2containerd-{{YYYYMM.DD-100}}.0' }] });
    expect((await poolNodes(core, 'user')).map((n) => n.metadata?.labels?.[IMAGE_LABEL])).toEqual(Array(3).fill('AKSUbuntu-2204gen2containerd-202608.17.0'));
    expect(() => emulator.setFaults({ rules: [], kubernetes: [{ clusterName: 'aks-local', fault: 'blocking-pdb' }] })).toThrow(/kubernetes\[0\]\.poolName is required for blocking-pdb/);
    expect(() => emulator.setFaults({ rules: [], kubernetes: [{ clusterName: 'aks-local', poolName: 'user', fault: 'label-mismatch' }] })).toThrow(/version is required/);
    expect(() => emulator.setFaults({ rules: [], kubernetes: [{ clusterName: 'ghost', fault: 'unreachable' }] })).toThrow(/no cluster ghost/);
    expect(() => emulator.setFaults({ rules: [], kubernetes: [{ clusterName: 'aks-local', fault: 'meltdown' as never }] })).toThrow(/fault must be one of/);
    expect(isReady((await poolNodes(core, 'user'))[0]!)).toBe(true);
  });
});

describe('fleet file: authentication and kubernetes.workloads', () => {
  it('lists every problem with a clear message', () => {
    const fleet = kubernetesFleet();
    const local = fleet.subscriptions[0]!.clusters[0]!;
    local.authentication = 'aad' as never;
    local.kubernetes = {
      workloads: [
        { namespace: 'Shop', name: 'cart', pool: 'user', replicas: 1 },
        { namespace: 'shop', name: 'cart', pool: 'ghost', replicas: -1, pdb: { minAvailable: 1, maxUnavailable: 1 } },
        { namespace: 'shop', name: 'cart', pool: 'user', replicas: 1 },
        { namespace: 'apps', name: 'user-web', pool: 'user', replicas: 1, pdb: { minAvailable: '150%' } },
      ],
    };
    expect(() => assertFleetFile(fleet)).toThrow(
      new RegExp(
        [
          'clusters\\[0\\]\\.authentication must be entra\\|local',
          'workloads\\[0\\]\\.namespace must be a DNS label',
          'workloads\\[1\\]\\.pool must name one of the cluster\'s agent pools',
          'workloads\\[1\\]\\.replicas must be an integer ≥ 0',
          'workloads\\[1\\]\\.pdb needs exactly one of minAvailable, maxUnavailable',
          'workloads\\[2\\]: duplicate workload shop/cart',
          'workloads\\[3\\]: apps/user-web is one of the emulator\'s own workloads',
          'workloads\\[3\\]\\.pdb\\.minAvailable must be an integer ≥ 0 or a percentage',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});
