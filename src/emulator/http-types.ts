import type { IncomingHttpHeaders } from 'node:http';

/** A parsed request as every emulator handler sees it. */
export interface EmulatorRequest {
  method: string;
  /** Absolute URL as the client addressed it (scheme, Host header, path, query). */
  url: URL;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON body, or undefined (no body / not JSON). */
  body: unknown;
  operation: string;
  /** Path parameters of the matched route, values as sent (original case). */
  params: Record<string, string>;
}

/** What a handler answers; the server adds the common ARM headers and records the pair. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON; undefined sends no body. */
  body?: unknown;
  /** Destroy the socket instead of answering (fault action `drop`). */
  drop?: boolean;
  /** Form-encoded or other non-JSON body (kept raw; content-type must be set in headers). */
  rawBody?: string;
}

/** Who called: the app behind the bearer token (used in AuthorizationFailed messages and ARG quota keys). */
export interface Principal {
  clientId: string;
  objectId: string;
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): EmulatorResponse {
  return { status, body, headers };
}
