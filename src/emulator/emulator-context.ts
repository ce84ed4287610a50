import type { createArgQuotaTracker } from './arg-quota.js';
import type { ClusterRef, FleetState } from './fleet-state.js';
import type { EmulatorRequest, Principal } from './http-types.js';
import type { KubeconfigFormat } from './kubernetes/kubeconfig.js';
import type { OperationStore } from './upgrade-operations.js';
import type { EmulatorSettings } from './types.js';

/** Everything a handler may touch; built once per emulator by startEmulator. */
export interface EmulatorContext {
  state: FleetState;
  operations: OperationStore;
  settings: EmulatorSettings;
  now: () => Date;
  argQuota: ReturnType<typeof createArgQuotaTracker>;
  /** The clusterUser kubeconfig (YAML) pointing at the cluster's emulated API server. */
  kubeconfig: (ref: ClusterRef, format: KubeconfigFormat) => string;
}

/** Per-request extras: who called and what the fault plan decided for this request. */
export interface CallInfo {
  principal: Principal;
  /** A `fail-upgrade` rule is due: an upgrade started by this request ends Failed with this error (call consume). */
  plannedFailure?: { code: string; message: string; consume: () => void };
}

/** The scheme://host[:port] the client used, for absolute URLs in headers and nextLinks (azure-wire.md §0 item 8). */
export function baseUrlOf(req: EmulatorRequest): string {
  return `${req.url.protocol}//${req.url.host}`;
}

/** Accepted AKS api-versions: the stable ones @azure/arm-containerservice 25.5.0 knows (`KnownVersions`). */
export const AKS_API_VERSIONS = [
  '2025-10-01', '2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01',
] as const;
export const RESOURCE_GRAPH_API_VERSIONS = ['2024-04-01'] as const;
export const SUBSCRIPTIONS_API_VERSIONS = ['2016-06-01', '2020-01-01', '2021-01-01', '2022-12-01'] as const;
