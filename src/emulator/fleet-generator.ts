import type { FleetAgentPool, FleetCluster, FleetFile, FleetSubscription } from './types.js';

/**
 * Deterministic synthetic fleets for paging tests and benchmarks. Same options + seed → same fleet (versions are
 * date templates, so the fleet stays "fresh" relative to the emulator clock). Linux images ship weekly
 * (latest 3 days old), Windows monthly; ~40 % of pools are current, the rest 1–10 releases behind; when there are
 * 3+ locations the last one has not received the newest release yet.
 */

export interface GenerateFleetOptions {
  subscriptions: number;
  /** Total number of clusters, spread over the subscriptions. */
  clusters: number;
  poolsPerCluster: number | [number, number];
  locations: number;
  seed?: number;
  tenantId?: string;
}

const LOCATIONS = [
  'westeurope', 'northeurope', 'eastus', 'eastus2', 'westus2', 'westus3', 'uksouth', 'francecentral',
  'germanywestcentral', 'swedencentral', 'centralus', 'southeastasia', 'australiaeast', 'japaneast', 'canadacentral', 'brazilsouth',
];

interface Family {
  family: string;
  weight: number;
  osSKU: string;
  windows?: boolean;
  fips?: boolean;
  arm64?: boolean;
}

const FAMILIES: Family[] = [
  { family: 'AKSUbuntu-2204gen2containerd', weight: 35, osSKU: 'Ubuntu' },
  { family: 'AKSUbuntu-2404gen2containerd', weight: 18, osSKU: 'Ubuntu2404' },
  { family: 'AKSAzureLinux-V3gen2', weight: 15, osSKU: 'AzureLinux' },
  { family: 'AKSUbuntu-2204gen2arm64containerd', weight: 7, osSKU: 'Ubuntu', arm64: true },
  { family: 'AKSAzureLinux-V3gen2arm64', weight: 5, osSKU: 'AzureLinux', arm64: true },
  { family: 'AKSUbuntu-2204gen2fipscontainerd', weight: 5, osSKU: 'Ubuntu', fips: true },
  { family: 'AKSWindows-2022-containerd', weight: 15, osSKU: 'Windows2022', windows: true },
];

/** Version of the `k`-th newest release of a family (0 = latest). */
function release(family: Family, k: number): string {
  if (family.windows) return `${family.family}-20348.${5386 - 130 * k}.{{YYMMDD-${12 + 30 * k}}}`;
  return `${family.family}-{{YYYYMM.DD-${3 + 7 * k}}}.0`;
}

export function generateFleet(options: GenerateFleetOptions): FleetFile {
  const random = mulberry32(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const uuid = (): string => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const weighted = (families: Family[]): Family => {
    let roll = random() * families.reduce((sum, f) => sum + f.weight, 0);
    for (const family of families) if ((roll -= family.weight) < 0) return family;
    return families[0]!;
  };

  const tenantId = options.tenantId ?? uuid();
  const locations = LOCATIONS.slice(0, Math.max(1, Math.min(options.locations, LOCATIONS.length)));
  const laggingLocation = locations.length >= 3 ? locations[locations.length - 1] : undefined;
  const [minPools, maxPools] = Array.isArray(options.poolsPerCluster) ? options.poolsPerCluster : [options.poolsPerCluster, options.poolsPerCluster];

  const subscriptions: FleetSubscription[] = Array.from({ length: Math.max(1, options.subscriptions) }, (_, i) => ({
    id: uuid(),
    displayName: `Generated subscription ${String(i + 1).padStart(2, '0')}`,
    access: 'read' as const,
    clusters: [] as FleetCluster[],
  }));
  const width = String(options.clusters).length;

  for (let i = 0; i < options.clusters; i++) {
    const sub = subscriptions[i % subscriptions.length]!;
    const location = pick(locations);
    const env = random() < 0.4 ? 'prod' : 'dev';
    const lag = location === laggingLocation ? 1 : 0;
    const pools: FleetAgentPool[] = [];
    const poolCount = Math.max(1, between(minPools, Math.max(minPools, maxPools)));
    for (let p = 0; p < poolCount; p++) {
      const family = p === 0 ? weighted(FAMILIES.filter((f) => !f.windows)) : weighted(FAMILIES);
      const behind = random() < 0.4 ? 0 : between(1, 10);
      const autoscale = random() < 0.5;
      const count = p === 0 ? 3 : between(1, 10);
      pools.push({
        name: p === 0 ? 'system' : family.windows ? `win${p}` : `pool${p}`,
        mode: p === 0 ? 'System' : 'User',
        count,
        vmSize: family.windows ? 'Standard_D8s_v5' : family.arm64 ? 'Standard_D4pds_v5' : 'Standard_D4ds_v5',
        osType: family.windows ? 'Windows' : 'Linux',
        osSKU: family.osSKU,
        nodeImageVersion: release(family, lag + behind),
        ...(family.fips ? { enableFIPS: true } : {}),
        ...(autoscale ? { enableAutoScaling: true, minCount: Math.max(1, count - 1), maxCount: count + 5 } : {}),
        upgradeSettings: { maxSurge: pick(['10%', '33%', '1']), maxUnavailable: '0' },
        availabilityZones: ['1', '2', '3'],
      });
    }
    const minor = pick(['1.31', '1.32', '1.33']);
    sub.clusters.push({
      name: `aks-${env}-${location}-${String(i).padStart(width, '0')}`,
      resourceGroup: `rg-${env}-${location}`,
      location,
      tags: { env, generated: 'true' },
      kubernetesVersion: minor,
      currentKubernetesVersion: `${minor}.${between(1, 9)}`,
      powerState: random() < 0.08 ? 'Stopped' : 'Running',
      provisioningState: 'Succeeded',
      upgradeChannel: pick(['patch', 'stable', 'rapid', 'node-image', 'none']),
      nodeOSUpgradeChannel: pick(['NodeImage', 'NodeImage', 'SecurityPatch', 'Unmanaged', 'None']),
      agentPools: pools,
    });
  }

  const latest: Record<string, string> = {};
  for (const family of FAMILIES) latest[family.family] = release(family, 0);
  const images: FleetFile['images'] = { '*': latest };
  if (laggingLocation) {
    images[laggingLocation] = Object.fromEntries(FAMILIES.map((family) => [family.family, release(family, 1)]));
  }
  return { tenantId, images, subscriptions };
}

/** Small seeded PRNG (mulberry32): good enough spread, fully reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
