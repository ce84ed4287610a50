import { armError } from './arm-errors.js';
import { ACTIONS, lookupCluster } from './aks-lookup.js';
import { json } from './http-types.js';
import type { CallInfo, EmulatorContext } from './emulator-context.js';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { KubeconfigFormat } from './kubernetes/kubeconfig.js';

const FORMATS: readonly KubeconfigFormat[] = ['exec', 'azure'];

/**
 * `POST …/managedClusters/{name}/listClusterUserCredential`: the clusterUser kubeconfig, base64 in
 * `CredentialResults` (2026-06-01 spec). `format` matters only for Entra ID clusters (default `exec`);
 * `server-fqdn` is accepted and ignored: every cluster has one API server URL here.
 */
export function handleListClusterUserCredentials(ctx: EmulatorContext, req: EmulatorRequest, call: CallInfo): EmulatorResponse {
  const found = lookupCluster(ctx, req, call, ACTIONS.listUserCredential);
  if (!found.ok) return found.response;
  const format = (req.url.searchParams.get('format') ?? 'exec').toLowerCase();
  if (!FORMATS.includes(format as KubeconfigFormat)) {
    return armError(400, 'InvalidParameter', `The value '${format}' of parameter 'format' is invalid. Allowed values are: ${FORMATS.join(', ')}.`);
  }
  const kubeconfig = ctx.kubeconfig(found.value, format as KubeconfigFormat);
  return json(200, { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kubeconfig).toString('base64') }] });
}
