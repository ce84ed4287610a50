import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

/**
 * Dashboard sign-in with Entra ID, the parts without I/O: the authorization request (state, nonce, PKCE), and the
 * sign-ins begun but not finished, kept in memory. The token exchange is entra-authorization-code.ts.
 */

/** What the sign-in needs from the configuration (IMAGEWARDEN_ENTRA_*). */
export interface EntraSignInSettings {
  readonly tenantId: string;
  /** e.g. `https://login.microsoftonline.com`, no trailing slash. */
  readonly authority: string;
  readonly clientId: string;
  /** A confidential ("Web") client's secret; null: the code is redeemed as a public client, with PKCE alone. */
  readonly clientSecret: string | null;
  /** Asked for besides `openid`: by default `<audience>/.default`, so the access token is one the API accepts. */
  readonly scope: string;
}

/** A sign-in begun at GET /api/v1/session/entra and not yet finished at its callback. */
export interface PendingSignIn {
  /** The `state` sent to Entra ID; also the value of the browser's imagewarden_signin cookie. */
  readonly state: string;
  readonly nonce: string;
  /** PKCE (RFC 7636): sent only to the token endpoint; its S256 challenge went to the authorize endpoint. */
  readonly codeVerifier: string;
  /** The redirect URI sent, which the token request must repeat exactly. */
  readonly redirectUri: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** 32 random bytes, base64url: state, nonce and PKCE verifier (43 characters, RFC 7636's minimum length). */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export const pkceChallenge = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** A new pending sign-in for `redirectUri`. */
export function newPendingSignIn(redirectUri: string, now: number): PendingSignIn {
  return { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken(), redirectUri, createdAt: now };
}

/**
 * The authorize endpoint's URL for a pending sign-in: code flow, answer in the query, PKCE S256, and the account
 * picker every time (a shared browser must not silently sign in whoever was last signed in to Entra ID).
 */
export function authorizeUrl(authorizationEndpoint: string, settings: Pick<EntraSignInSettings, 'clientId' | 'scope'>, pending: PendingSignIn): string {
  const url = new URL(authorizationEndpoint);
  const params = {
    client_id: settings.clientId,
    response_type: 'code',
    redirect_uri: pending.redirectUri,
    response_mode: 'query',
    scope: `openid ${settings.scope}`,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: pkceChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
    prompt: 'select_account',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** The token request's form (authorization_code grant), with the client secret when there is one. */
export function tokenRequestForm(settings: Pick<EntraSignInSettings, 'clientId' | 'clientSecret' | 'scope'>, pending: PendingSignIn, code: string): URLSearchParams {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: settings.clientId,
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.codeVerifier,
    scope: `openid ${settings.scope}`,
  });
  if (settings.clientSecret !== null) form.set('client_secret', settings.clientSecret);
  return form;
}

/** Whether two random tokens are equal, in constant time (compared as SHA-256 digests: any lengths). */
export function sameToken(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export interface PendingSignInsOptions {
  /** How long a sign-in may take from start to callback. */
  readonly ttlInMs?: number;
  /** At most this many kept: past it, the oldest go first (a flood of starts costs memory, not availability). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export type PendingSignIns = ReturnType<typeof createPendingSignIns>;

/** Sign-ins begun and not finished, by state: in memory (a restart only asks the user to sign in again), single use. */
export function createPendingSignIns(options: PendingSignInsOptions = {}) {
  const ttlInMs = options.ttlInMs ?? 10 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? (() => Date.now());
  // A Map iterates in insertion order: the first entries are the oldest.
  const pending = new Map<string, PendingSignIn>();
  // Expired entries stay one more TTL, so a late callback hears "expired" rather than "unknown".
  const sweep = (at: number) => {
    for (const [state, entry] of pending) {
      if (at - entry.createdAt < 2 * ttlInMs) break;
      pending.delete(state);
    }
  };
  return {
    add(entry: PendingSignIn): void {
      sweep(now());
      while (pending.size >= maxEntries) pending.delete(pending.keys().next().value!);
      pending.set(entry.state, entry);
    },
    /** The pending sign-in of `state`, removed (single use): `expired` when it outlived the TTL, null when unknown. */
    take(state: string): PendingSignIn | 'expired' | null {
      const entry = pending.get(state);
      if (entry === undefined) return null;
      pending.delete(state);
      return now() - entry.createdAt < ttlInMs ? entry : 'expired';
    },
    ttlInMs,
    get size(): number {
      return pending.size;
    },
  };
}

/** The sign-in settings of a configuration: null unless IMAGEWARDEN_ENTRA_CLIENT_ID (with tenant and audience) is set. */
export function entraSignInSettings(
  config: Pick<Config, 'entraTenantId' | 'entraAuthority' | 'entraClientId' | 'entraClientSecret' | 'entraScope'>,
): EntraSignInSettings | null {
  const { entraTenantId: tenantId, entraClientId: clientId, entraScope: scope } = config;
  if (tenantId === null || clientId === null || scope === null) return null;
  return { tenantId, authority: config.entraAuthority, clientId, clientSecret: config.entraClientSecret, scope };
}
