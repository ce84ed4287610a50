import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ensureCertificateAuthority, issueServerCertificate } from '../certificate-authority.js';
import { startHttpsServer, urlHost } from '../https-server.js';
import { serveRead } from './api-reads.js';
import { AKS_SERVER_APP_ID } from './kubeconfig.js';
import { methodNotAllowed, pathNotFound, unauthorized } from './status.js';
import type { ClusterRef } from '../fleet-state.js';
import type { EmulatorRequest, EmulatorResponse } from '../http-types.js';
import type { TokenRegistry } from '../token-registry.js';
import type { KubernetesRequest } from '../types.js';
import type { OperationStore } from '../upgrade-operations.js';
import type { KubernetesClusters } from './kubernetes-clusters.js';

/**
 * One HTTPS server for the API servers of all clusters: `/clusters/<path id>/<Kubernetes path>`. Its certificate
 * comes from a Kubernetes CA of its own, which clients trust only through the kubeconfig. Only reads are served;
 * every request, served or refused, goes into the request log.
 */

export interface KubernetesApiOptions {
  host: string;
  /** The Kubernetes CA lives in `<caDir>/kubernetes`, beside (never instead of) the ARM CA. */
  caDir: string;
  clusters: KubernetesClusters;
  operations: OperationStore;
  tokens: TokenRegistry;
  now: () => Date;
  log?: (line: string) => void;
}

export interface RunningKubernetesApi {
  url: string;
  caFile: string;
  caCertPem: string;
  serverUrl(ref: ClusterRef): string;
  requests(): KubernetesRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

export async function startKubernetesApi(options: KubernetesApiOptions): Promise<RunningKubernetesApi> {
  const ca = await ensureCertificateAuthority(join(options.caDir, 'kubernetes'), 'imagewarden emulated Kubernetes CA');
  const certificate = await issueServerCertificate(ca, [options.host, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const log: KubernetesRequest[] = [];
  // Priority-and-fairness ids the API server reports on every answer.
  const flowSchemaUid = randomUUID();
  const priorityLevelUid = randomUUID();

  const handle = async (req: EmulatorRequest): Promise<EmulatorResponse> => {
    const [, pathId = '', rest] = /^\/clusters\/([^/]+)(\/.*)?$/.exec(req.url.pathname) ?? [];
    const ref = options.clusters.clusterByPathId(pathId);
    const path = ref ? (rest ?? '/') : req.url.pathname;
    const response = answer(options, req, ref, path);
    const status = response.drop ? 0 : response.status;
    log.push({ clusterId: ref?.id ?? '', method: req.method, path, query: req.url.search.slice(1), status, at: new Date().toISOString() });
    options.log?.(`k8s ${ref?.cluster.name ?? '?'} ${req.method} ${path}${req.url.search} -> ${status || 'dropped'}`);
    return response;
  };

  const server = await startHttpsServer({
    host: options.host,
    port: 0,
    certPem: certificate.certPem,
    keyPem: certificate.keyPem,
    handle,
    commonHeaders: () => ({
      'audit-id': randomUUID(),
      'cache-control': 'no-cache, private',
      'x-kubernetes-pf-flowschema-uid': flowSchemaUid,
      'x-kubernetes-pf-prioritylevel-uid': priorityLevelUid,
    }),
  });
  const url = `https://${urlHost(options.host)}:${server.port}`;
  return {
    url,
    caFile: ca.caFile,
    caCertPem: ca.caCertPem,
    serverUrl: (ref) => `${url}/clusters/${options.clusters.pathId(ref)}`,
    requests: () => structuredClone(log),
    clearRequests: () => {
      log.length = 0;
    },
    close: () => server.close(),
  };
}

/** In the API server's order: reachable at all, authentication, then the verb, then the path. */
function answer(options: KubernetesApiOptions, req: EmulatorRequest, ref: ClusterRef | undefined, path: string): EmulatorResponse {
  if (!ref) return pathNotFound();
  // A stopped cluster has no API server to answer, as a private or firewalled one looks from outside.
  if ((ref.cluster.powerState ?? 'Running') === 'Stopped') return { status: 0, drop: true };
  options.operations.settle();
  const world = options.clusters.world(ref);
  if (!world.reachable()) return { status: 0, drop: true };
  if (!authenticated(options, ref, req)) return unauthorized();
  const watch = ['true', '1'].includes(req.url.searchParams.get('watch') ?? '');
  if (req.method !== 'GET' || watch) return methodNotAllowed();
  return serveRead(world, path, req.url.searchParams, options.now());
}

/** `local`: only the cluster's own token. `entra`: the emulator's static token, or one its Entra endpoint issued for the AKS server app. */
function authenticated(options: KubernetesApiOptions, ref: ClusterRef, req: EmulatorRequest): boolean {
  const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!token) return false;
  if (ref.cluster.authentication === 'local') return token === options.clusters.localToken(ref);
  return options.tokens.verify(token, AKS_SERVER_APP_ID) !== undefined;
}
