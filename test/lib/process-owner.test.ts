import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { currentOwner, isOwnerAlive } from '../../src/lib/process-owner.js';

describe('process owners', () => {
  it('knows this process, its parent, a dead pid, an earlier incarnation of this pid, and other hosts', () => {
    expect(isOwnerAlive(currentOwner())).toBe(true);
    expect(isOwnerAlive(`${hostname()}:${process.ppid}:1`)).toBe(true);
    expect(isOwnerAlive(`${hostname()}:2147483646:1`)).toBe(false);
    expect(isOwnerAlive(`${hostname()}:${process.pid}:1`)).toBe(false);
    expect(isOwnerAlive(`some-other-host:${process.pid}:1`)).toBe(true);
  });
});
