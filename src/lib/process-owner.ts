import { hostname } from 'node:os';

/** Identifies the process that owns a running job: `host:pid`. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Whether the owner of a running job may still be at work. A process on this host is checked directly;
 * one on another host (a shared volume) cannot be, so it counts as alive until the caller's deadline says otherwise.
 */
export function isOwnerAlive(owner: string): boolean {
  const separator = owner.lastIndexOf(':');
  const host = owner.slice(0, separator);
  const pid = Number(owner.slice(separator + 1));
  if (host !== hostname()) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
