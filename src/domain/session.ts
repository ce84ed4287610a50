/**
 * Browser session lifetimes (POST /api/v1/session). Pure: the clock and the settings arrive as arguments.
 * A session ends at the first of: its idle expiry (sliding), its absolute expiry (fixed at sign-in), and the end of
 * the credential it was exchanged for (an Entra ID token's `exp`, an API key's expiry).
 */

export interface SessionLifetime {
  /** Sliding: a session unused this long has ended. */
  readonly idleMinutes: number;
  /** Fixed at sign-in: no session outlives this, however busy. */
  readonly maxHours: number;
}

/** A session's last use is written at most this often: sliding the idle expiry costs one write a minute, not one a request. */
export const SESSION_REFRESH_INTERVAL_IN_MS = 60_000;

const MINUTE_IN_MS = 60_000;

/** The expiries of a session signed in at `now` with a credential that ends at `credentialEndsAt` (null: never). */
export function sessionExpiries(now: Date, lifetime: SessionLifetime, credentialEndsAt: Date | null): { expiresAt: Date; absoluteExpiresAt: Date } {
  const byMax = now.getTime() + lifetime.maxHours * 60 * MINUTE_IN_MS;
  const absolute = credentialEndsAt === null ? byMax : Math.min(byMax, credentialEndsAt.getTime());
  return { expiresAt: new Date(Math.min(now.getTime() + lifetime.idleMinutes * MINUTE_IN_MS, absolute)), absoluteExpiresAt: new Date(absolute) };
}

/** Whether a session is still usable at `now`. */
export function isSessionLive(session: { readonly expiresAt: string; readonly absoluteExpiresAt: string; readonly endedAt: string | null }, now: Date): boolean {
  const at = now.getTime();
  return session.endedAt === null && at < Date.parse(session.expiresAt) && at < Date.parse(session.absoluteExpiresAt);
}

/**
 * The idle expiry after a use at `now`, or null when the last recorded use is under a minute old (nothing to write).
 * Never beyond the absolute expiry.
 */
export function slidExpiry(session: { readonly lastSeenAt: string; readonly absoluteExpiresAt: string }, now: Date, lifetime: SessionLifetime): Date | null {
  if (now.getTime() - Date.parse(session.lastSeenAt) < SESSION_REFRESH_INTERVAL_IN_MS) return null;
  return new Date(Math.min(now.getTime() + lifetime.idleMinutes * MINUTE_IN_MS, Date.parse(session.absoluteExpiresAt)));
}
