import { compareNodeImageVersions, imageFamilyOf } from './node-image.js';
import { poolKey, type PoolObservation } from './inventory.js';

/**
 * `latestNodeImageVersion` exists only on each pool's upgrade profile, but its value depends only on what
 * the pool runs (the image family: OS, version, generation, architecture, FIPS, TL/CVM — all encoded in the
 * family string) and where (the location, since images roll out region by region), and on the subscription
 * (feature registration can differ). So imagewarden asks one pool per (subscription, location, family)
 * group and applies the answer to every pool of the group: ARM calls grow with groups, not pools.
 *
 * The assumption is checked as snapshots go: in one group of every VERIFY_EVERY, rotating with the snapshot
 * id, a second pool of the group is asked too, and any disagreement is recorded as a snapshot warning. The
 * representative pool rotates as well, so no single pool's profile is trusted forever.
 */
export const VERIFY_EVERY = 4;

export interface LatestImageGroup {
  readonly key: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly imageFamily: string;
  readonly primary: PoolObservation;
  /** A second pool asked to cross-check the group's answer, when this snapshot checks this group. */
  readonly verifier: PoolObservation | null;
  readonly poolCount: number;
}

export function latestImageGroupKey(subscriptionId: string, location: string, imageFamily: string): string {
  return `${subscriptionId.toLowerCase()}|${location.toLowerCase()}|${imageFamily}`;
}

/** Groups pools for latest-version lookups. Pools without a parseable image have no family and are not asked. */
export function planLatestImageLookups(pools: readonly PoolObservation[], rotation: number): LatestImageGroup[] {
  const groups = new Map<string, { subscriptionId: string; location: string; imageFamily: string; pools: PoolObservation[] }>();
  for (const pool of pools) {
    const imageFamily = imageFamilyOf(pool.nodeImageVersion);
    if (imageFamily === null) continue;
    const key = latestImageGroupKey(pool.subscriptionId, pool.location, imageFamily);
    let group = groups.get(key);
    if (!group) {
      group = { subscriptionId: pool.subscriptionId.toLowerCase(), location: pool.location.toLowerCase(), imageFamily, pools: [] };
      groups.set(key, group);
    }
    group.pools.push(pool);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return ordered.map(([key, group], index) => {
    const members = [...group.pools].sort((a, b) => {
      const left = poolKey(a.clusterId, a.poolName);
      const right = poolKey(b.clusterId, b.poolName);
      return left < right ? -1 : left > right ? 1 : 0;
    });
    const n = members.length;
    const primary = members[rotation % n]!;
    const verifies = n > 1 && (index + rotation) % VERIFY_EVERY === 0;
    return {
      key,
      subscriptionId: group.subscriptionId,
      location: group.location,
      imageFamily: group.imageFamily,
      primary,
      verifier: verifies ? members[(rotation + 1) % n]! : null,
      poolCount: n,
    };
  });
}

/**
 * Reconciles the primary and verifier answers. When they disagree, the newer version wins: it is what AKS
 * offers at least one pool of the group, and assuming it can only overstate drift, never hide it.
 */
export function reconcileLatest(primary: string, verifier: string | null): { version: string; disagreement: boolean } {
  if (verifier === null || verifier === primary) return { version: primary, disagreement: false };
  const order = compareNodeImageVersions(primary, verifier);
  return { version: order !== null && order < 0 ? verifier : primary, disagreement: true };
}
