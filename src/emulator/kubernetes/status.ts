import type { EmulatorResponse } from '../http-types.js';

/** Kubernetes answers: JSON as the API server writes it, and `meta/v1 Status` objects for failures. */

export function k8sJson(status: number, body: unknown): EmulatorResponse {
  return { status, body, headers: { 'content-type': 'application/json' } };
}

function failure(code: number, reason: string, message: string, details?: Record<string, string>): EmulatorResponse {
  return k8sJson(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

export function unauthorized(): EmulatorResponse {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function pathNotFound(): EmulatorResponse {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** `nodes "x" not found`; `resource` is the plural with its group (`poddisruptionbudgets.policy`). */
export function objectNotFound(resource: string, name: string): EmulatorResponse {
  const [kind = resource, group] = resource.split('.');
  return failure(404, 'NotFound', `${resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind });
}

export function methodNotAllowed(): EmulatorResponse {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function badRequest(message: string): EmulatorResponse {
  return failure(400, 'BadRequest', message);
}
