import { describe, expect, it } from 'vitest';
import { roleAllows, sameCaller } from '../../src/domain/roles.js';

describe('roles', () => {
  it('include the roles before them', () => {
    expect(roleAllows('admin', 'auditor')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
  });

  it('tell the same caller by identity: an Entra ID object id, whatever its display name became', () => {
    expect(sameCaller('entra:0b1c (Ana Ruiz)', 'entra:0B1C (Ana Ruiz-Garcia)')).toBe(true);
    expect(sameCaller('entra:0b1c (Ana Ruiz)', 'entra:9f9f (Ana Ruiz)')).toBe(false);
    expect(sameCaller('entra:0b1c', 'entra:0b1c (Ana Ruiz)')).toBe(true);
    expect(sameCaller('key:ops', 'key:ops')).toBe(true);
    expect(sameCaller('key:ops', 'key:Ops')).toBe(false);
    expect(sameCaller('key:ops (x)', 'key:ops')).toBe(false);
  });
});
