import { roleAllows, type Role } from '../domain/roles.js';

/**
 * What a verified Entra ID access token means to imagewarden: the role its app roles grant and the actor it is
 * recorded as. Pure: the claims come from a token whose signature, issuer, audience and lifetime were checked.
 */

/** The app roles (CONTRACT.md) and the role each grants. A Map, so a claim such as `constructor` matches nothing. */
export const ENTRA_APP_ROLES: ReadonlyMap<string, Role> = new Map([
  ['ImageWarden.Auditor', 'auditor'],
  ['ImageWarden.Operator', 'operator'],
  ['ImageWarden.Admin', 'admin'],
]);

/** The highest role the `roles` claim grants; null when it names none of ours (other apps' roles are ignored). */
export function roleFromAppRoles(claim: unknown): Role | null {
  if (!Array.isArray(claim)) return null;
  let highest: Role | null = null;
  for (const value of claim) {
    const role = typeof value === 'string' ? ENTRA_APP_ROLES.get(value) : undefined;
    if (role !== undefined && (highest === null || roleAllows(role, highest))) highest = role;
  }
  return highest;
}

/** Object ids are GUIDs and subjects base64url: anything else is not an Entra ID subject. */
const SUBJECT = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_NAME_LENGTH = 128;

/**
 * `entra:<oid> (<name>)`, or `entra:<oid>` when the token carries no name (an application's token). The object id
 * (`sub` when there is none) comes first because it is what identifies the caller; the name, from `name`,
 * `preferred_username`, `upn` or `unique_name`, is there so a reader of the evidence knows who that was.
 * Null when the token names no usable subject.
 */
export function entraActor(claims: Readonly<Record<string, unknown>>): string | null {
  const id = [claims.oid, claims.sub].find((value): value is string => typeof value === 'string' && SUBJECT.test(value));
  if (id === undefined) return null;
  const name = [claims.name, claims.preferred_username, claims.upn, claims.unique_name].map(displayText).find((value) => value !== '');
  return name === undefined ? `entra:${id}` : `entra:${id} (${name})`;
}

/** A claim as one line of bounded, printable text: evidence and logs never carry control characters from a token. */
function displayText(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_LENGTH);
}
