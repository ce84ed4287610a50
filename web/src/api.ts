/**
 * The dashboard's only way to the API: same-origin requests carrying the session cookie (HttpOnly, set by
 * POST /api/v1/session), and the CSRF token on every request that changes something. The token lives in this
 * module's memory only: never in localStorage, sessionStorage or a cookie written here. A reload asks
 * GET /api/v1/session for it again.
 */

export type Role = 'auditor' | 'operator' | 'admin';

export interface Session {
  readonly actor: string;
  readonly role: Role;
  readonly expiresAt: string;
  readonly csrfToken: string;
  readonly via: string;
}

/** An error answer of the API (`{ error: { code, message, details? } }`), or a request that got no answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An API failure in plain words for a page's alert: a 403 says that this role may not do it. */
export function failureText(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.status === 403) return `Not allowed for your role: ${failure.message} (${failure.code})`;
    return `${failure.message} (${failure.code})`;
  }
  return String(failure);
}

let csrfToken: string | null = null;
/** Told when a request answers 401 while signed in: the session ended (expired, or signed out elsewhere). */
let onSessionLost: (() => void) | null = null;

export function whenSessionLost(listener: (() => void) | null): void {
  onSessionLost = listener;
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function request<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (CHANGES.has(method) && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The service could not be reached. Check the connection and try again.');
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `The service answered ${response.status} ${response.statusText}.`, error?.details);
  }
  return body as T;
}

/** A read of the API while signed in: a 401 means the session is gone, and the app returns to sign-in. */
export async function get<T>(path: string): Promise<T> {
  try {
    return await request<T>('GET', path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && csrfToken !== null) sessionLost();
    throw error;
  }
}

export async function post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  try {
    return await request<T>('POST', path, { body: body ?? {}, ...(headers ? { headers } : {}) });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && csrfToken !== null) sessionLost();
    throw error;
  }
}

function sessionLost(): void {
  csrfToken = null;
  onSessionLost?.();
}

/** Exchanges an API key for a session cookie. The key is sent once, in this request's header, and not kept. */
export async function signIn(apiKey: string): Promise<Session> {
  const session = await request<Session>('POST', '/api/v1/session', { headers: { authorization: `Bearer ${apiKey}` } });
  csrfToken = session.csrfToken;
  return session;
}

/** The session the cookie carries, or null when there is none (401). */
export async function currentSession(): Promise<Session | null> {
  try {
    const session = await request<Session>('GET', '/api/v1/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Ends the session on the server; locally it ends whatever the answer (an expired one is already gone). */
export async function signOut(): Promise<void> {
  try {
    await request<unknown>('DELETE', '/api/v1/session');
  } finally {
    csrfToken = null;
  }
}
