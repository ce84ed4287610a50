import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorRequest, EmulatorResponse } from './http-types.js';

/**
 * The Node `https` plumbing: reads the body, hands an EmulatorRequest to the pipeline, writes the answer with the
 * headers every response carries (by default ARM's: request ids, echoed client request id; JSON content type) and
 * reports the exchange for recording and logging. Keep-alive stays on, as the SDKs reuse connections.
 */

export interface HttpsServerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  handle: (req: EmulatorRequest) => Promise<EmulatorResponse>;
  /** Called after each answer with the headers actually sent (not for dropped connections). */
  onExchange?: (req: EmulatorRequest, res: EmulatorResponse, headers: Record<string, string>, receivedAt: Date, ms: number) => void;
  /** Headers put on every answer (before the handler's own); default: ARM's request and correlation ids. */
  commonHeaders?: (incoming: IncomingMessage) => Record<string, string>;
}

export interface RunningHttpsServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startHttpsServer(options: HttpsServerOptions): Promise<RunningHttpsServer> {
  const server = createServer({ cert: options.certPem, key: options.keyPem }, (incoming, outgoing) => {
    void serve(options, incoming, outgoing).catch((error: unknown) => {
      if (!outgoing.headersSent) {
        outgoing.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        outgoing.end(JSON.stringify({ error: { code: 'InternalServerError', message: `emulator error: ${(error as Error).message}` } }));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(options: HttpsServerOptions, incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  const receivedAt = new Date();
  const started = performance.now();
  const rawBody = await readBody(incoming);
  const host = incoming.headers.host ?? `${options.host}:${options.port}`;
  const req: EmulatorRequest = {
    method: (incoming.method ?? 'GET').toUpperCase(),
    url: new URL(incoming.url ?? '/', `https://${host}`),
    headers: incoming.headers,
    rawBody,
    body: parseJson(rawBody),
    operation: 'unknown',
    params: {},
  };
  const res = await options.handle(req);
  if (res.drop) {
    incoming.socket.destroy(); // fault `drop`: the client sees a reset connection, no HTTP answer
    return;
  }
  const headers: Record<string, string> = { ...(options.commonHeaders ?? armHeaders)(incoming), ...res.headers };
  let payload: string | undefined;
  if (res.rawBody !== undefined) payload = res.rawBody;
  else if (res.body !== undefined) {
    payload = JSON.stringify(res.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (res.status !== 204 && res.status !== 304) headers['content-length'] = String(Buffer.byteLength(payload ?? ''));
  outgoing.writeHead(res.status, headers);
  outgoing.end(payload);
  options.onExchange?.(req, res, headers, receivedAt, performance.now() - started);
}

function armHeaders(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': headerValue(incoming, 'x-ms-correlation-request-id') ?? randomUUID(),
  };
  const clientRequestId = headerValue(incoming, 'x-ms-client-request-id');
  if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
  return headers;
}

/** The host part of a server URL: wildcard binds are reached over loopback, IPv6 needs brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function headerValue(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
