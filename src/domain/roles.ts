/** Roles, each including the one before (CONTRACT.md). */
export const ROLES = ['auditor', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAllows(held: Role, required: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(required);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who performed an action, as recorded in evidence. */
export interface Principal {
  /** `key:<name>` for API keys, `cli:<user>` for local commands, `system` for the scheduler. */
  readonly actor: string;
  readonly role: Role;
}

/**
 * Whether two recorded actors are the same caller. An Entra ID actor is `entra:<object id> (<display name>)`: the
 * name can change between a request and its approval, the object id cannot — four eyes compare the id.
 */
export function sameCaller(a: string, b: string): boolean {
  const identity = (actor: string) => (actor.startsWith('entra:') ? actor.split(' ')[0]!.toLowerCase() : actor);
  return identity(a) === identity(b);
}
