import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';
import type { TrafficEntry } from './types.js';

/**
 * Records request/response pairs in the shape `oav validate-traffic` reads: one JSON file per pair with
 * `liveRequest {method, url, headers, body}` and `liveResponse {statusCode (string), headers, body}`.
 * Secrets (bearer tokens, client secrets, issued access tokens, kubeconfigs) are redacted so recordings can be
 * committed.
 */
export function createTrafficRecorder(enabled: boolean) {
  const entries: TrafficEntry[] = [];
  return {
    record(req: EmulatorRequest, res: EmulatorResponse, responseHeaders: Record<string, string>, receivedAt: Date): void {
      if (!enabled) return;
      const requestHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        requestHeaders[name] = name === 'authorization' ? redactAuthorization(String(value)) : Array.isArray(value) ? value.join(', ') : value;
      }
      entries.push({
        liveRequest: { method: req.method, url: req.url.toString(), headers: requestHeaders, body: requestBody(req) },
        liveResponse: { statusCode: String(res.status), headers: { ...responseHeaders }, body: responseBody(req, res) },
        operation: req.operation,
        timestamp: receivedAt.toISOString(),
      });
    },
    list: (): TrafficEntry[] => structuredClone(entries),
    clear: (): void => {
      entries.length = 0;
    },
  };
}

function redactAuthorization(value: string): string {
  const [scheme] = value.split(' ');
  return `${scheme ?? 'Bearer'} <redacted>`;
}

function requestBody(req: EmulatorRequest): unknown {
  if (req.operation !== 'token') return req.body === undefined ? undefined : structuredClone(req.body);
  const form = Object.fromEntries(new URLSearchParams(req.rawBody));
  if ('client_secret' in form) form.client_secret = '<redacted>';
  if ('client_assertion' in form) form.client_assertion = '<redacted>';
  return form;
}

function responseBody(req: EmulatorRequest, res: EmulatorResponse): unknown {
  if (res.body === undefined) return undefined;
  const body = structuredClone(res.body) as Record<string, unknown>;
  if (req.operation === 'token' && typeof body.access_token === 'string') body.access_token = '<redacted>';
  if (req.operation === 'managedClusters.listClusterUserCredentials' && Array.isArray(body.kubeconfigs)) {
    // A local-account kubeconfig holds the cluster's token; the value stays base64, as the spec's `format: byte` wants.
    for (const entry of body.kubeconfigs as Record<string, unknown>[]) entry.value = Buffer.from('<redacted>').toString('base64');
  }
  return body;
}

/**
 * Writes entries as `0001-<operation>.json` files into `dir` (created when missing), ready for
 * `npx oav validate-traffic <dir> <spec>`. Pass a filter to keep e.g. only AKS operations for the AKS spec.
 */
export async function writeTrafficFiles(
  dir: string,
  entries: TrafficEntry[],
  filter: (entry: TrafficEntry) => boolean = () => true,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let n = 0;
  for (const entry of entries.filter(filter)) {
    n++;
    const file = join(dir, `${String(n).padStart(4, '0')}-${entry.operation.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
    await writeFile(file, `${JSON.stringify({ liveRequest: entry.liveRequest, liveResponse: entry.liveResponse }, null, 2)}\n`);
    files.push(file);
  }
  return files;
}
