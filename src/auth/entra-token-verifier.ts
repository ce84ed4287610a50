import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Authentication } from './authentication.js';
import { AuthorityUnavailable, createEntraSigningKeys, type SigningKeyOptions, type SigningKeyResolver } from './entra-signing-keys.js';

export interface EntraSettings {
  /** The directory (tenant) id, a GUID. */
  readonly tenantId: string;
  /** Exactly the `aud` tokens must carry: the App ID URI (`api://…`) or the bare client id, as configured. */
  readonly audience: string;
  /** e.g. `https://login.microsoftonline.com`, no trailing slash. */
  readonly authority: string;
}

/** Tolerated clock skew between Entra ID and this host, applied to `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 60;

export type TokenVerification =
  | { readonly outcome: 'verified'; readonly claims: JWTPayload }
  | Extract<Authentication, { outcome: 'rejected' | 'unavailable' }>;

export type EntraTokenVerifier = (token: string) => Promise<TokenVerification>;

/** The issuers a token of this tenant may carry: v2 (`{authority}/{tenant}/v2.0`) and v1 (`https://sts.windows.net/{tenant}/`). */
export function entraIssuers(settings: Pick<EntraSettings, 'tenantId' | 'authority'>): [v2: string, v1: string] {
  const tenant = settings.tenantId.toLowerCase();
  return [`${settings.authority}/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`];
}

export function openIdConfigurationUrl(settings: Pick<EntraSettings, 'tenantId' | 'authority'>): string {
  return `${settings.authority}/${encodeURIComponent(settings.tenantId.toLowerCase())}/v2.0/.well-known/openid-configuration`;
}

/**
 * Verifies an Entra ID access token: RS256 only, signed by a key of the tenant's published set, one of the tenant's
 * two issuers, `tid` the tenant, `aud` exactly the configured audience, `exp`/`nbf` within CLOCK_TOLERANCE_SECONDS.
 */
export function createEntraTokenVerifier(
  settings: EntraSettings,
  options: { readonly now?: () => Date; readonly signingKeys?: SigningKeyResolver; readonly keyOptions?: SigningKeyOptions } = {},
): EntraTokenVerifier {
  const tenant = settings.tenantId.toLowerCase();
  const issuers = entraIssuers(settings);
  const signingKeys = options.signingKeys ?? createEntraSigningKeys(openIdConfigurationUrl(settings), options.keyOptions);
  const now = options.now ?? (() => new Date());

  return async (token) => {
    // Checks of the unverified token first, so a token that cannot be ours never makes us fetch anything.
    let claimedIssuer: unknown;
    try {
      if (decodeProtectedHeader(token).alg !== 'RS256') return rejected('the token is not signed with RS256');
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      return rejected('the bearer token is not a well-formed JWT');
    }
    if (!issuers.includes(claimedIssuer as string)) return rejected(WRONG_ISSUER);
    try {
      const { payload } = await jwtVerify(token, signingKeys, {
        algorithms: ['RS256'],
        issuer: issuers,
        audience: settings.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now(),
        requiredClaims: ['exp', 'tid'],
      });
      if (typeof payload.tid !== 'string' || payload.tid.toLowerCase() !== tenant) return rejected('the token belongs to another tenant');
      return { outcome: 'verified', claims: payload };
    } catch (error) {
      return refusal(error);
    }
  };
}

const WRONG_ISSUER = 'the token was not issued by the configured Entra ID tenant';

const CLAIM_PROBLEMS: Readonly<Record<string, string>> = {
  aud: 'the token was issued for another audience',
  iss: WRONG_ISSUER,
  nbf: 'the token is not valid yet',
};

/** Why a token was refused, in general terms: jose's own messages are not passed on. */
function refusal(error: unknown): TokenVerification {
  if (error instanceof AuthorityUnavailable) {
    return { outcome: 'unavailable', reason: 'the Entra ID authority could not be reached to check the token; try again shortly', detail: error.message };
  }
  if (error instanceof errors.JWTExpired) return rejected('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return rejected(`the token has no ${error.claim} claim`);
    return rejected(CLAIM_PROBLEMS[error.claim] ?? `the token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return rejected('the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return rejected('the token is signed with a key the tenant does not publish');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return rejected('the token does not say which of the tenant keys signed it');
  if (error instanceof errors.JOSEAlgNotAllowed) return rejected('the token is not signed with RS256');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return rejected('the bearer token is not a well-formed JWT');
  return rejected('the token could not be verified');
}

const rejected = (reason: string): TokenVerification => ({ outcome: 'rejected', reason });
