import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArgQuotaTracker } from './arg-quota.js';
import { ensureCertificateAuthority, issueServerCertificate } from './certificate-authority.js';
import { createFaultInjector } from './faults.js';
import { assertFaultPlan, assertFleetFile, loadFaultPlan, loadFleetFile } from './fleet-file.js';
import { createFleetController } from './fleet-controller.js';
import { createFleetState } from './fleet-state.js';
import { demoFleet } from './fleets/demo-fleet.js';
import { startHttpsServer, urlHost } from './https-server.js';
import { startKubernetesApi } from './kubernetes/api-server.js';
import { applyKubernetesFaults } from './kubernetes/kubernetes-faults.js';
import { clusterUserKubeconfig } from './kubernetes/kubeconfig.js';
import { createKubernetesClusters } from './kubernetes/kubernetes-clusters.js';
import { createRequestPipeline } from './request-pipeline.js';
import { createTokenRegistry } from './token-registry.js';
import { createTrafficRecorder } from './traffic-recorder.js';
import { createOperationStore } from './upgrade-operations.js';
import type { EmulatorContext } from './emulator-context.js';
import type { EmulatorOptions, EmulatorSettings, FaultPlan, FleetFile, RunningEmulator } from './types.js';

export type * from './types.js';
export { generateFleet } from './fleet-generator.js';
export type { GenerateFleetOptions } from './fleet-generator.js';
export { loadFaultPlan, loadFleetFile } from './fleet-file.js';
export { demoFleet } from './fleets/demo-fleet.js';
export { ensureCertificateAuthority, issueServerCertificate } from './certificate-authority.js';
export { writeTrafficFiles } from './traffic-recorder.js';
export { expandVersionTemplate, imageFamilyOf } from './version-template.js';

/**
 * Starts the ARM emulator: an HTTPS server speaking the Resource Graph, AKS and Entra ID token wire protocols of
 * docs/emulator.md over a fleet (default: the built-in demo fleet). The real Azure SDK clients talk to it unchanged
 * once its CA is trusted (NODE_EXTRA_CA_CERTS or `tlsOptions.ca`). A second HTTPS server, with a CA of its own,
 * is every cluster's Kubernetes API server; `listClusterUserCredential` hands out kubeconfigs for it.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const now = options.now ?? (() => new Date());
  const fleet = resolveFleet(options.fleet);
  const settings: EmulatorSettings = {
    upgradeDurationMs: options.upgradeDurationMs ?? 3000,
    locationMode: options.locationMode ?? '200',
    upToDateMode: options.upToDateMode ?? '202',
    conflictScope: options.conflictScope ?? 'pool',
    listPageSize: options.listPageSize ?? 100,
    argQuota: options.argQuota ?? fleet.argQuota,
  };
  const state = createFleetState(fleet, now);
  const kubernetes = createKubernetesClusters(state, now);
  const operations = createOperationStore(state, now, kubernetes.rollout);
  const controller = createFleetController(state, operations, kubernetes, now);
  const plan = resolveFaults(options.faults);
  applyKubernetesFaults(plan?.kubernetes ?? [], state, controller);

  const token = options.token ?? randomBytes(24).toString('base64url');
  const tokens = createTokenRegistry(token);
  const clients = options.clients ?? [];
  const faults = createFaultInjector(plan);

  const host = options.host ?? '127.0.0.1';
  // Without a caDir the CAs are throw-away: they live in a temp dir removed again by close().
  const ownCaDir = options.caDir ? undefined : await mkdtemp(join(tmpdir(), 'imagewarden-emulator-ca-'));
  const caDir = options.caDir ?? ownCaDir!;
  const kubernetesApi = await startKubernetesApi({ host, caDir, clusters: kubernetes, operations, tokens, now, log: options.log });
  const ctx: EmulatorContext = {
    state,
    operations,
    settings,
    now,
    argQuota: createArgQuotaTracker(() => settings.argQuota),
    kubeconfig: (ref, format) =>
      clusterUserKubeconfig({
        ref, format, serverUrl: kubernetesApi.serverUrl(ref), caCertPem: kubernetesApi.caCertPem, tenantId: state.tenantId, localToken: kubernetes.localToken(ref),
      }),
  };
  const recorder = createTrafficRecorder(options.recordTraffic ?? false);
  const counts = new Map<string, number>();
  const closing = new AbortController();
  const handle = createRequestPipeline({
    ctx,
    entra: { tokens, clients, tenants: () => [fleet.tenantId, ...clients.map((c) => c.tenantId)] },
    tokens,
    faults,
    counts,
    buckets: new Map(),
    closing: closing.signal,
  });

  const ca = await ensureCertificateAuthority(caDir);
  const certificate = await issueServerCertificate(ca, [host]);
  const server = await startHttpsServer({
    host,
    port: options.port ?? 0,
    certPem: certificate.certPem,
    keyPem: certificate.keyPem,
    handle,
    onExchange: (req, res, headers, receivedAt, ms) => {
      recorder.record(req, res, headers, receivedAt);
      options.log?.(`${req.method} ${req.url.pathname}${req.url.search} -> ${res.status} ${req.operation} ${ms.toFixed(1)}ms`);
    },
  }).catch(async (error: unknown) => {
    await kubernetesApi.close(); // e.g. the ARM port is taken: leave nothing listening
    throw error;
  });

  let closed: Promise<void> | undefined;
  return {
    url: `https://${urlHost(host)}:${server.port}`,
    caFile: ca.caFile,
    token,
    close: () => {
      if (!closed) {
        closing.abort();
        closed = Promise.all([server.close(), kubernetesApi.close()]).then(() => (ownCaDir ? rm(ownCaDir, { recursive: true, force: true }) : undefined));
      }
      return closed;
    },
    traffic: recorder.list,
    clearTraffic: recorder.clear,
    callCounts: () => Object.fromEntries(counts),
    setFaults: (next: FaultPlan) => {
      assertFaultPlan(next);
      applyKubernetesFaults(next.kubernetes ?? [], state, controller);
      faults.setPlan(next);
    },
    configure: (patch: Partial<EmulatorSettings>) => Object.assign(settings, patch),
    fleet: controller,
    kubernetesUrl: kubernetesApi.url,
    kubernetesCaFile: kubernetesApi.caFile,
    kubernetesRequests: kubernetesApi.requests,
    clearKubernetesRequests: kubernetesApi.clearRequests,
  };
}

function resolveFleet(fleet: FleetFile | string | undefined): FleetFile {
  if (fleet === undefined) return demoFleet;
  return typeof fleet === 'string' ? loadFleetFile(fleet) : assertFleetFile(fleet);
}

function resolveFaults(faults: FaultPlan | string | undefined): FaultPlan | undefined {
  if (faults === undefined) return undefined;
  return typeof faults === 'string' ? loadFaultPlan(faults) : assertFaultPlan(faults);
}
