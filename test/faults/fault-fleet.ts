import type { FleetFile } from '../../src/emulator/types.js';
import { cluster, pool, SUB_1, SUB_2, SUB_3, TENANT, UBUNTU } from '../helpers/fleets.js';

/**
 * The fleet every fault scenario runs against: three subscriptions, two locations, two image families, and enough
 * clusters (one Resource Graph row each) for two inventory pages of 1000. Most pools are current; two clusters
 * hold pools on old images, one of which (`aks-upg`, three pools) is what the upgrade runs upgrade.
 */
export const AZL = 'AKSAzureLinux-V3gen2';
export const SUBSCRIPTIONS = [SUB_1, SUB_2, SUB_3] as const;
export const LOCATIONS = ['westeurope', 'northeurope'] as const;

/** The latest image per location and family, as AKS's upgrade profiles report it. */
export const LATEST: Record<string, Record<string, string>> = {
  westeurope: { [UBUNTU]: `${UBUNTU}-202611.10.0`, [AZL]: `${AZL}-202611.12.0` },
  northeurope: { [UBUNTU]: `${UBUNTU}-202611.03.0`, [AZL]: `${AZL}-202611.05.0` },
};
export const OLD: Record<string, string> = { [UBUNTU]: `${UBUNTU}-202607.01.0`, [AZL]: `${AZL}-202607.08.0` };

export const UPGRADE_SUBSCRIPTION = SUB_2;
export const UPGRADE_CLUSTER = 'aks-upg';
/** Upgraded in this order (User pools by name, the System pool last). */
export const UPGRADE_POOLS = ['batch', 'web', 'system'] as const;

/** 3 × `clustersPerSubscription` filler clusters (1,020 by default: two pages) plus the two with old pools. */
export function faultFleet(clustersPerSubscription = 340): FleetFile {
  const families = [UBUNTU, AZL] as const;
  return {
    tenantId: TENANT,
    images: Object.fromEntries(LOCATIONS.map((location) => [location, LATEST[location]!])),
    subscriptions: SUBSCRIPTIONS.map((id, s) => ({
      id,
      clusters: [
        ...Array.from({ length: clustersPerSubscription }, (_, i) => {
          const location = LOCATIONS[i % 2]!;
          const family = families[Math.floor(i / 2) % 2]!;
          return cluster(`aks-${s}-${String(i).padStart(4, '0')}`, [pool('nodes', family === AZL ? { osSKU: 'AzureLinux', nodeImageVersion: LATEST[location]![family]! } : { nodeImageVersion: LATEST[location]![family]! })], {
            location,
            resourceGroup: `rg-${location}`,
          });
        }),
        ...(id === UPGRADE_SUBSCRIPTION
          ? [
              cluster(UPGRADE_CLUSTER, [
                pool('system', { mode: 'System', nodeImageVersion: OLD[UBUNTU]! }),
                pool('web', { nodeImageVersion: OLD[UBUNTU]! }),
                pool('batch', { osSKU: 'AzureLinux', nodeImageVersion: OLD[AZL]! }),
              ], { resourceGroup: 'rg-upg' }),
            ]
          : []),
        ...(id === SUB_3
          ? [cluster('aks-old', [pool('legacy', { nodeImageVersion: OLD[UBUNTU]! }), pool('current', { nodeImageVersion: LATEST.northeurope![UBUNTU]! })], { location: 'northeurope' })]
          : []),
      ],
    })),
  };
}
