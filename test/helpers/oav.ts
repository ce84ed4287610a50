import { fileURLToPath } from 'node:url';

/** Microsoft's official REST specs (copied from azure-rest-api-specs, see PROVENANCE.md beside them). */
const SPECS = fileURLToPath(new URL('../fixtures/azure-specs/specification/', import.meta.url));
export const AKS_SPEC = `${SPECS}containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-06-01/managedClusters.json`;
export const ARG_SPEC = `${SPECS}resourcegraph/resource-manager/Microsoft.ResourceGraph/ResourceGraph/stable/2024-04-01/openapi.json`;

/**
 * Emulator operations no spec here describes, excluded from validation by name:
 * the long-running-operation status URLs (`operations.get`, `operationResults.get`: absolute URLs the service hands
 * out, not in the AKS spec), and Entra ID's token and discovery endpoints (not ARM).
 */
export const NOT_IN_AKS_SPEC = /^(resources|operations\.get|operationResults\.get|subscriptions\..*|token|openidConfiguration|jwks|instanceDiscovery)$/;

/** `oav validate-traffic`, through oav's own API (its CLI crashes rendering an HTML report oav 4.0.3 does not ship). */
export async function validateTraffic(spec: string, dir: string): Promise<unknown[]> {
  const oav = await import('oav');
  return oav.validateTrafficAgainstSpec(spec, dir, { consoleLogLevel: 'off' } as never);
}
