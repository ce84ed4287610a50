import type { Principal } from '../domain/roles.js';

/**
 * What a presented bearer credential turned out to be. "Unknown" (401) and "known but granted no role" (403) are
 * different answers, and a credential that could not be checked right now is neither.
 */
export type Authentication =
  /** `endsAt`: when the credential itself stops being valid, where it says so (an Entra ID token's `exp`). */
  | { readonly outcome: 'authenticated'; readonly principal: Principal; readonly endsAt?: Date }
  /** The credential is genuine and names `actor`, but grants no imagewarden role (an Entra ID token without an app role). */
  | { readonly outcome: 'no_role'; readonly actor: string; readonly reason: string }
  /** Unknown, revoked, expired, forged or malformed. `reason` says why in general terms and never quotes the credential. */
  | { readonly outcome: 'rejected'; readonly reason: string }
  /** Could not be checked now (the Entra ID authority did not answer); `detail` is for the log, not the caller. */
  | { readonly outcome: 'unavailable'; readonly reason: string; readonly detail: string };

export interface Authenticator {
  authenticate(presented: string): Promise<Authentication>;
}

export const authenticated = (principal: Principal, endsAt?: Date): Authentication =>
  endsAt === undefined ? { outcome: 'authenticated', principal } : { outcome: 'authenticated', principal, endsAt };
export const rejected = (reason: string): Authentication => ({ outcome: 'rejected', reason });
