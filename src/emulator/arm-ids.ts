import { createHash } from 'node:crypto';

/**
 * ARM ids the way AKS writes them in bodies (`resourcegroups` lower-case, provider and type PascalCase).
 * Matching is always case-insensitive (ARM paths are), see azure-wire.md §0 item 12.
 */
export function clusterIdOf(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export interface ClusterKey {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const CLUSTER_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/?$/i;

/** Parses a managed cluster ARM id (any case); undefined when it is not one. */
export function parseClusterId(id: string): ClusterKey | undefined {
  const match = CLUSTER_ID.exec(id.trim());
  if (!match) return undefined;
  return { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! };
}

export function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A stable UUID-shaped value derived from text (principal ids, eTags that must not change between calls). */
export function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
