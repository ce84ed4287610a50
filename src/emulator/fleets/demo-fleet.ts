import type { FleetAgentPool, FleetCluster, FleetFile } from '../types.js';

/**
 * The built-in DEMO fleet (fictitious tenant and subscriptions, every cluster tagged `imagewarden-demo: "true"`).
 * Kept as a module, not JSON, so `tsc` ships it in dist/; fleets/demo.json is the same data for reading and for
 * `--fleet`, and a test keeps the two identical. Versions are date templates relative to the emulator clock:
 *
 * - Linux images: latest released 4 days ago (D-4); westus3 has not received it yet (latest there: D-14).
 * - "behind ~10 days" pools run D-14 (inside a 30-day SLA), "~60 days behind" pools run D-64 (outside it).
 * - Windows Server 2022 ships monthly: latest 13 days old, the previous one 43 days old.
 */

const D = (days: number): string => `{{YYYYMM.DD-${days}}}.0`;
const UBUNTU_2204 = 'AKSUbuntu-2204gen2containerd';
const UBUNTU_2404 = 'AKSUbuntu-2404gen2containerd';
const UBUNTU_ARM64 = 'AKSUbuntu-2204gen2arm64containerd';
const UBUNTU_FIPS = 'AKSUbuntu-2204gen2fipscontainerd';
const AZURE_LINUX = 'AKSAzureLinux-V3gen2';
const AZURE_LINUX_ARM64 = 'AKSAzureLinux-V3gen2arm64';
const AZURE_LINUX_FIPS = 'AKSAzureLinux-V3gen2fips';
const WINDOWS_2022 = 'AKSWindows-2022-containerd';
const WINDOWS_LATEST = `${WINDOWS_2022}-20348.5386.{{YYMMDD-13}}`;
const WINDOWS_PREVIOUS = `${WINDOWS_2022}-20348.5256.{{YYMMDD-43}}`;

const SUB_PROD = '5e1d7c2a-0d3f-4b6e-9a18-d3e0c0de0001';
const SUB_DEV = '5e1d7c2a-0d3f-4b6e-9a18-d3e0c0de0002';
const SUB_SHARED = '5e1d7c2a-0d3f-4b6e-9a18-d3e0c0de0003';

function pool(name: string, image: string | null, extra: Partial<FleetAgentPool> = {}): FleetAgentPool {
  const windows = image?.startsWith('AKSWindows') ?? false;
  const result: FleetAgentPool = {
    name,
    mode: 'User',
    count: 3,
    vmSize: windows ? 'Standard_D8s_v5' : 'Standard_D4ds_v5',
    osType: windows ? 'Windows' : 'Linux',
    osSKU: windows ? 'Windows2022' : image?.startsWith('AKSAzureLinux') ? 'AzureLinux' : image?.includes('2404') ? 'Ubuntu2404' : 'Ubuntu',
    nodeImageVersion: image,
    upgradeSettings: { maxSurge: '10%', maxUnavailable: '0', drainTimeoutInMinutes: 30, nodeSoakDurationInMinutes: 0 },
    availabilityZones: ['1', '2', '3'],
    ...extra,
  };
  // `extra` may switch a default off with `undefined`; keep the object identical to its JSON form.
  for (const key of Object.keys(result) as (keyof FleetAgentPool)[]) if (result[key] === undefined) delete result[key];
  return result;
}

const system = (image: string, extra: Partial<FleetAgentPool> = {}): FleetAgentPool =>
  pool('system', image, { mode: 'System', enableAutoScaling: true, minCount: 3, maxCount: 6, nodeLabels: { workload: 'system' }, ...extra });

function cluster(name: string, location: string, env: 'prod' | 'dev', pools: FleetAgentPool[], extra: Partial<FleetCluster> = {}): FleetCluster {
  return {
    name,
    resourceGroup: `rg-${name.replace(/^aks-/, '').replace(/-\d+$/, '')}`,
    location,
    tags: { env, owner: env === 'prod' ? 'platform-team' : 'app-team', 'imagewarden-demo': 'true' },
    kubernetesVersion: '1.32',
    currentKubernetesVersion: '1.32.6',
    powerState: 'Running',
    provisioningState: 'Succeeded',
    upgradeChannel: 'patch',
    nodeOSUpgradeChannel: 'NodeImage',
    agentPools: pools,
    ...extra,
  };
}

const prodMaintenance = [
  {
    name: 'aksManagedNodeOSUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
        durationHours: 4,
        utcOffset: '+01:00',
        startDate: '{{YYYY-MM-DD-120}}',
        startTime: '02:00',
      },
    },
  },
  {
    name: 'aksManagedAutoUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 15 } },
        durationHours: 6,
        utcOffset: '+01:00',
        startDate: '{{YYYY-MM-DD-120}}',
        startTime: '01:00',
      },
    },
  },
];

export const demoFleet: FleetFile = {
  tenantId: 'd3a1f0e2-7b4c-4e5d-8a9b-0c1d2e3f4a5b',
  description: 'DEMO DATA: the imagewarden built-in demo fleet (fictitious tenant, subscriptions and clusters).',
  images: {
    '*': {
      [UBUNTU_2204]: `${UBUNTU_2204}-${D(4)}`,
      [UBUNTU_2404]: `${UBUNTU_2404}-${D(4)}`,
      [UBUNTU_ARM64]: `${UBUNTU_ARM64}-${D(4)}`,
      [UBUNTU_FIPS]: `${UBUNTU_FIPS}-${D(4)}`,
      [AZURE_LINUX]: `${AZURE_LINUX}-${D(4)}`,
      [AZURE_LINUX_ARM64]: `${AZURE_LINUX_ARM64}-${D(4)}`,
      [AZURE_LINUX_FIPS]: `${AZURE_LINUX_FIPS}-${D(4)}`,
      [WINDOWS_2022]: WINDOWS_LATEST,
    },
    // The newest Linux release has not reached westus3 yet: its latest is the previous release.
    westus3: {
      [UBUNTU_2204]: `${UBUNTU_2204}-${D(14)}`,
      [UBUNTU_2404]: `${UBUNTU_2404}-${D(14)}`,
      [AZURE_LINUX]: `${AZURE_LINUX}-${D(14)}`,
    },
  },
  subscriptions: [
    {
      id: SUB_PROD,
      displayName: 'Demo Production',
      access: 'read',
      clusters: [
        cluster('aks-prod-weu-01', 'westeurope', 'prod', [
          system(`${UBUNTU_2204}-${D(4)}`),
          pool('apps', `${UBUNTU_2204}-${D(14)}`, { count: 6, enableAutoScaling: true, minCount: 3, maxCount: 12, nodeLabels: { workload: 'apps' } }),
          pool('jobs', `${UBUNTU_2404}-${D(4)}`, { count: 2, tags: { costcenter: 'batch' } }),
          pool('win22', WINDOWS_LATEST, { count: 2 }),
        ], { skuTier: 'Standard', maintenanceConfigurations: prodMaintenance }),
        cluster('aks-prod-weu-02', 'westeurope', 'prod', [
          system(`${UBUNTU_2204}-${D(64)}`),
          pool('payments', `${UBUNTU_FIPS}-${D(14)}`, { enableFIPS: true, nodeLabels: { compliance: 'pci' } }),
        ], { nodeOSUpgradeChannel: 'Unmanaged', upgradeChannel: 'none' }),
        cluster('aks-prod-neu-01', 'northeurope', 'prod', [
          system(`${AZURE_LINUX}-${D(4)}`, { osSKU: 'AzureLinux' }),
          pool('arm', `${AZURE_LINUX_ARM64}-${D(14)}`, { vmSize: 'Standard_D4pds_v5', upgradeSettings: { maxSurge: '33%' } }),
        ], { nodeOSUpgradeChannel: 'SecurityPatch' }),
        cluster('aks-prod-wus3-01', 'westus3', 'prod', [
          system(`${UBUNTU_2204}-${D(14)}`),
          pool('web', `${UBUNTU_2404}-${D(14)}`, { count: 4 }),
        ]),
      ],
    },
    {
      id: SUB_DEV,
      displayName: 'Demo Development',
      access: 'read',
      clusters: [
        cluster('aks-dev-weu-01', 'westeurope', 'dev', [
          system(`${UBUNTU_2404}-${D(4)}`),
          pool('batch', `${UBUNTU_2204}-${D(64)}`, { count: 1, mode: 'User' }),
          pool('win', WINDOWS_PREVIOUS, { count: 1 }),
        ], { kubernetesVersion: '1.33', currentKubernetesVersion: '1.33.2', upgradeChannel: 'stable' }),
        cluster('aks-dev-eus2-01', 'eastus2', 'dev', [
          system(`${UBUNTU_2204}-${D(35)}`),
          pool('armdev', `${UBUNTU_ARM64}-${D(35)}`, { vmSize: 'Standard_D4pds_v5', count: 1 }),
        ], { powerState: 'Stopped', skuTier: 'Free', nodeOSUpgradeChannel: 'None', upgradeChannel: 'none' }),
        cluster('aks-dev-eus2-02', 'eastus2', 'dev', [
          system(`${AZURE_LINUX}-${D(14)}`, { osSKU: 'AzureLinux' }),
          pool('gpu', null, { vmSize: 'Standard_NC6s_v3', count: 0, type: 'VirtualMachines', availabilityZones: undefined }),
        ], { skuTier: 'Free' }),
      ],
    },
    {
      id: SUB_SHARED,
      displayName: 'Demo Shared Services',
      access: 'read',
      clusters: [
        cluster('aks-shared-neu-01', 'northeurope', 'prod', [
          system(`${UBUNTU_2204}-${D(4)}`),
          pool('ingress', `${AZURE_LINUX_FIPS}-${D(64)}`, { enableFIPS: true, osSKU: 'AzureLinux' }),
          pool('tools', `${UBUNTU_2204}-${D(14)}`, { count: 2 }),
        ]),
      ],
    },
  ],
};
