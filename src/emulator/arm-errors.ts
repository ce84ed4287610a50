import { json } from './http-types.js';
import type { EmulatorResponse, Principal } from './http-types.js';

/**
 * ARM error answers in the standard `{"error":{code,message,...}}` shape (azure-wire.md §4); the SDK maps
 * `error.code`/`error.message` onto RestError. Messages follow the public ARM/AKS wording where it is known.
 */

export function armError(status: number, code: string, message: string, extra?: Record<string, unknown>): EmulatorResponse {
  return json(status, { error: { code, message, ...extra } });
}

export function missingAuthorization(): EmulatorResponse {
  return withChallenge(armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."), 'missing');
}

export function invalidToken(): EmulatorResponse {
  return withChallenge(
    armError(401, 'InvalidAuthenticationToken', 'The access token is invalid. The token could not be validated or has expired.'),
    'invalid',
  );
}

/** A Bearer challenge without `claims=`, so the SDK does not start a CAE re-authentication round. */
function withChallenge(response: EmulatorResponse, reason: 'missing' | 'invalid'): EmulatorResponse {
  const description = reason === 'missing' ? "The authentication failed because of missing 'Authorization' header." : 'The access token is invalid.';
  response.headers = { 'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${description}"` };
  return response;
}

export function missingApiVersion(): EmulatorResponse {
  return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
}

export function invalidApiVersion(version: string, supported: readonly string[]): EmulatorResponse {
  return armError(
    400,
    'InvalidApiVersionParameter',
    `The api-version '${version}' is invalid. The supported versions are '${supported.join(',')}'.`,
  );
}

export function authorizationFailed(principal: Principal, action: string, scope: string): EmulatorResponse {
  return armError(
    403,
    'AuthorizationFailed',
    `The client '${principal.clientId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

export function subscriptionNotFound(subscriptionId: string): EmulatorResponse {
  return armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceGroupNotFound(resourceGroup: string): EmulatorResponse {
  return armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

export function clusterNotFound(name: string, resourceGroup: string): EmulatorResponse {
  return armError(
    404,
    'ResourceNotFound',
    `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function notFound(message: string): EmulatorResponse {
  return armError(404, 'NotFound', message);
}

/** 409 with the AKS pending-operation wording (azure-wire.md §4). */
export function operationNotAllowed(message: string): EmulatorResponse {
  return armError(409, 'OperationNotAllowed', `Operation is not allowed: ${message} See https://aka.ms/aks-pending-operation for more details`);
}
