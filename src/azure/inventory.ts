import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { Compile } from 'typebox/compile';
import Type, { type Static } from 'typebox';
import { withClusterFields, type ClusterObservation, type PoolObservation, type StoredPoolObservation } from '../domain/inventory.js';
import { PAGE_SIZE } from './inventory-query.js';
import { withRetry, type RetryContext } from './retry.js';

export class IncompleteResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompleteResultError';
  }
}

export interface QueryOptions {
  readonly subscriptions?: readonly string[];
  readonly retry: RetryContext;
  /** Called once per HTTP attempt, for counting ARM calls. */
  readonly onCall?: () => void;
}

/**
 * Pages through a Resource Graph query (`$top` 1000, following `$skipToken` with the same query and scope) and
 * yields each page's rows. A truncated result that cannot be paged is refused: imagewarden never stores a
 * snapshot it knows to be incomplete.
 */
export async function* queryAllPages(
  client: ResourceGraphClient,
  query: string,
  options: QueryOptions,
): AsyncGenerator<unknown[]> {
  let skipToken: string | undefined;
  let page = 0;
  do {
    page++;
    const response = await withRetry(`resources page ${page}`, options.retry, (abortSignal) => {
      options.onCall?.();
      return client.resources(
        {
          query,
          ...(options.subscriptions ? { subscriptions: [...options.subscriptions] } : {}),
          options: { resultFormat: 'objectArray', ...(skipToken ? { skipToken } : { top: PAGE_SIZE }) },
        },
        { abortSignal },
      );
    });
    if (!Array.isArray(response.data)) {
      throw new IncompleteResultError(`Resource Graph page ${page} has no objectArray data`);
    }
    // resultTruncated is the string "true"/"false" on the wire, not a boolean.
    if (String(response.resultTruncated) === 'true' && !response.skipToken) {
      throw new IncompleteResultError(`Resource Graph truncated the result at page ${page} and gave no $skipToken`);
    }
    yield response.data as unknown[];
    skipToken = response.skipToken;
  } while (skipToken);
}

const Str = Type.Union([Type.String(), Type.Null()]);
const Int = Type.Union([Type.Integer(), Type.Null()]);
const StringMap = Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])), Type.Null()]);

const PoolProfileSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  mode: Type.Optional(Str),
  osType: Type.Optional(Str),
  osSKU: Type.Optional(Str),
  vmSize: Type.Optional(Str),
  count: Type.Optional(Int),
  nodeImageVersion: Type.Optional(Str),
  orchestratorVersion: Type.Optional(Str),
  currentOrchestratorVersion: Type.Optional(Str),
  provisioningState: Type.Optional(Str),
  powerState: Type.Optional(Type.Union([Type.Object({ code: Type.Optional(Str) }), Type.Null()])),
  enableFIPS: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  enableAutoScaling: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  minCount: Type.Optional(Int),
  maxCount: Type.Optional(Int),
  upgradeSettings: Type.Optional(
    Type.Union([
      Type.Object({
        maxSurge: Type.Optional(Str),
        maxUnavailable: Type.Optional(Str),
        drainTimeoutInMinutes: Type.Optional(Int),
        nodeSoakDurationInMinutes: Type.Optional(Int),
      }),
      Type.Null(),
    ]),
  ),
  availabilityZones: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  tags: Type.Optional(StringMap),
  nodeLabels: Type.Optional(StringMap),
});

const ClusterRowSchema = Type.Object({
  id: Type.String({ pattern: '^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.containerservice/managedclusters/[^/]+$' }),
  name: Type.String({ minLength: 1 }),
  subscriptionId: Type.String({ minLength: 1 }),
  resourceGroup: Type.String({ minLength: 1 }),
  location: Type.String({ minLength: 1 }),
  tags: Type.Optional(StringMap),
  provisioningState: Type.Optional(Str),
  powerState: Type.Optional(Str),
  kubernetesVersion: Type.Optional(Str),
  currentKubernetesVersion: Type.Optional(Str),
  upgradeChannel: Type.Optional(Str),
  nodeOSUpgradeChannel: Type.Optional(Str),
  agentPoolProfiles: Type.Optional(Type.Union([Type.Array(PoolProfileSchema), Type.Null()])),
});
type ClusterRow = Static<typeof ClusterRowSchema>;
type PoolProfile = Static<typeof PoolProfileSchema>;

const checkClusterRow = Compile(ClusterRowSchema);

export class InvalidRowError extends Error {
  constructor(readonly subscriptionId: string | null, message: string) {
    super(message);
    this.name = 'InvalidRowError';
  }
}

/** Validates one inventory row (Resource Graph data is untyped) and flattens it to a cluster and its pools. */
export function toObservations(row: unknown): { cluster: ClusterObservation; pools: PoolObservation[] } {
  // Case-insensitive id check: ARG lower-cases resourcegroups but not always the provider segment.
  const candidate = row as { id?: unknown; subscriptionId?: unknown };
  const normalised = typeof candidate?.id === 'string' ? { ...(row as object), id: candidate.id.toLowerCase() } : row;
  if (!checkClusterRow.Check(normalised)) {
    const first = [...checkClusterRow.Errors(normalised)][0];
    const subscriptionId = typeof candidate?.subscriptionId === 'string' ? candidate.subscriptionId : null;
    throw new InvalidRowError(
      subscriptionId,
      `unexpected Resource Graph row ${typeof candidate?.id === 'string' ? candidate.id : '(no id)'}: ` +
        `${first?.instancePath ?? ''} ${first?.message ?? 'invalid'}`.trim(),
    );
  }
  const r = row as ClusterRow;
  const profiles = r.agentPoolProfiles ?? [];
  const cluster: ClusterObservation = {
    id: r.id,
    name: r.name,
    subscriptionId: r.subscriptionId,
    resourceGroup: r.resourceGroup,
    location: r.location,
    kubernetesVersion: text(r.currentKubernetesVersion) ?? text(r.kubernetesVersion),
    upgradeChannel: text(r.upgradeChannel),
    nodeOSUpgradeChannel: text(r.nodeOSUpgradeChannel),
    provisioningState: text(r.provisioningState),
    powerState: text(r.powerState),
    tags: stringMap(r.tags),
    poolCount: profiles.length,
  };
  return { cluster, pools: profiles.map((profile) => withClusterFields(toPoolFields(profile), cluster)) };
}

/** The pool's own fields; the cluster's (id, name, subscription, resource group, location) come with its cluster. */
function toPoolFields(pool: PoolProfile): StoredPoolObservation {
  return {
    poolName: pool.name,
    mode: text(pool.mode),
    osType: text(pool.osType),
    osSku: text(pool.osSKU),
    vmSize: text(pool.vmSize),
    nodeCount: pool.count ?? null,
    nodeImageVersion: text(pool.nodeImageVersion),
    kubernetesVersion: text(pool.currentOrchestratorVersion) ?? text(pool.orchestratorVersion),
    provisioningState: text(pool.provisioningState),
    powerState: text(pool.powerState?.code),
    enableFips: pool.enableFIPS ?? false,
    enableAutoScaling: pool.enableAutoScaling ?? false,
    minCount: pool.minCount ?? null,
    maxCount: pool.maxCount ?? null,
    maxSurge: text(pool.upgradeSettings?.maxSurge),
    maxUnavailable: text(pool.upgradeSettings?.maxUnavailable),
    drainTimeoutInMinutes: pool.upgradeSettings?.drainTimeoutInMinutes ?? null,
    nodeSoakDurationInMinutes: pool.upgradeSettings?.nodeSoakDurationInMinutes ?? null,
    availabilityZones: pool.availabilityZones ?? [],
    tags: stringMap(pool.tags),
    nodeLabels: stringMap(pool.nodeLabels),
  };
}

/** KQL's tostring() gives "" for a missing value; CONTRACT.md wants null. */
function text(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

function stringMap(value: Record<string, string | null> | null | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value ?? {})) if (typeof entry === 'string') result[key] = entry;
  return result;
}
