import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, k8sJson } from './status.js';
import type { EmulatorResponse } from '../http-types.js';

/**
 * A list answer (`NodeList`, `PodList`, …) with `labelSelector`, `fieldSelector` and `limit`/`continue` paging.
 * Items come in etcd key order; the continue token is the API server's own shape (base64 JSON with the resource
 * version and the key to resume after), so a page boundary survives objects coming and going in between.
 */

type Json = Record<string, unknown>;
export type FieldReaders = Record<string, (object: Json) => string>;

export interface ListRequest {
  kind: string;
  apiVersion: string;
  resourceVersion: number;
  /** Objects with their etcd key (`namespace/name`, or `name` when cluster-scoped). */
  items: { key: string; object: Json }[];
  fields: FieldReaders;
  query: URLSearchParams;
}

/** Reads a dotted path of an object as a field selector compares it: a string, '' when missing. */
export function field(path: string): (object: Json) => string {
  return (object) => {
    let value: unknown = object;
    for (const part of path.split('.')) value = (value as Json | undefined)?.[part];
    return value === undefined || value === null ? '' : String(value);
  };
}

export function listResponse(request: ListRequest): EmulatorResponse {
  const { query } = request;
  let items = [...request.items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // etcd order
  const labelSelector = query.get('labelSelector') ?? '';
  const fieldSelector = query.get('fieldSelector') ?? '';
  try {
    if (labelSelector) {
      const match = parseLabelSelector(labelSelector);
      items = items.filter(({ object }) => match(((object.metadata as Json).labels ?? {}) as Record<string, string>));
    }
    if (fieldSelector) {
      const match = parseFieldSelector(fieldSelector, request.fields);
      items = items.filter(({ object }) => match(object));
    }
  } catch (error) {
    if (error instanceof SelectorError) return badRequest(error.message);
    throw error;
  }

  const token = query.get('continue');
  if (token) {
    const start = continueKey(token);
    if (start === undefined) return badRequest(`continue key is not valid: ${token}`);
    items = items.filter(({ key }) => key >= start);
  }
  const limit = Number.parseInt(query.get('limit') ?? '', 10);
  const metadata: Json = { resourceVersion: String(request.resourceVersion) };
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    metadata.continue = continueToken(request.resourceVersion, page[page.length - 1]!.key);
    // The API server can count what is left only when nothing filtered the list.
    if (!labelSelector && !fieldSelector) metadata.remainingItemCount = items.length - limit;
    items = page;
  }
  return k8sJson(200, { kind: request.kind, apiVersion: request.apiVersion, metadata, items: items.map(({ object }) => object) });
}

function continueToken(resourceVersion: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start: `${lastKey}\u0000` })).toString('base64');
}

function continueKey(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: unknown; start?: unknown };
    return parsed.v === 'meta.k8s.io/v1' && typeof parsed.start === 'string' ? parsed.start : undefined;
  } catch {
    return undefined;
  }
}
