import { stringify } from 'yaml';
import type { ClusterRef } from '../fleet-state.js';

/**
 * The clusterUser kubeconfig `listClusterUserCredential` hands out, shaped like AKS's: one cluster, context and user
 * (`clusterUser_<resourceGroup>_<cluster>`). Entra ID clusters get the kubelogin exec plugin (or, with
 * `format=azure`, the legacy azure auth-provider); local-account clusters get the cluster's static token.
 */

/** The AKS AAD Server application: the audience of tokens for a cluster API server. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
/** The AKS AAD Client application kubelogin signs users in with. */
const AKS_CLIENT_APP_ID = '80faf920-1908-4b52-b5ef-a8e7bedfc67a';
const KUBELOGIN_INSTALL_HINT = '\nkubelogin is not installed which is required to connect to AAD enabled cluster.\n\nTo learn more, please go to https://aka.ms/aks/kubelogin\n';

export type KubeconfigFormat = 'exec' | 'azure';

export interface KubeconfigInput {
  ref: ClusterRef;
  serverUrl: string;
  caCertPem: string;
  tenantId: string;
  format: KubeconfigFormat;
  /** The cluster's static token, used when its authentication is `local`. */
  localToken: string;
}

export function clusterUserKubeconfig(input: KubeconfigInput): string {
  const { cluster } = input.ref;
  const user = `clusterUser_${cluster.resourceGroup}_${cluster.name}`;
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(input.caCertPem).toString('base64'), server: input.serverUrl }, name: cluster.name }],
    contexts: [{ context: { cluster: cluster.name, user }, name: cluster.name }],
    'current-context': cluster.name,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: credentialsOf(input) }],
  });
}

function credentialsOf(input: KubeconfigInput): Record<string, unknown> {
  if (input.ref.cluster.authentication === 'local') return { token: input.localToken };
  if (input.format === 'azure') {
    return {
      'auth-provider': {
        config: { 'apiserver-id': AKS_SERVER_APP_ID, 'client-id': AKS_CLIENT_APP_ID, 'config-mode': '1', environment: 'AzurePublicCloud', 'tenant-id': input.tenantId },
        name: 'azure',
      },
    };
  }
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      args: ['get-token', '--environment', 'AzurePublicCloud', '--server-id', AKS_SERVER_APP_ID, '--client-id', AKS_CLIENT_APP_ID, '--tenant-id', input.tenantId, '--login', 'devicecode'],
      command: 'kubelogin',
      env: null,
      installHint: KUBELOGIN_INSTALL_HINT,
      provideClusterInfo: false,
    },
  };
}
