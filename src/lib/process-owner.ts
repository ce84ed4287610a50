import { hostname } from 'node:os';

/** When this process started, to tell it apart from an earlier process that had the same pid (pid 1 in a container). */
const STARTED_AT = Math.round(Date.now() - process.uptime() * 1000);

/** Identifies the process that owns a running job: `host:pid:startedAtEpochMs`. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}:${STARTED_AT}`;
}

/**
 * Whether the owner of a running job may still be at work. This process, or another live process on this host,
 * is alive; this process's pid with another start time is an earlier incarnation (a restarted container), so dead.
 * A process on another host (a shared volume) cannot be checked and counts as alive until the caller's deadline.
 */
export function isOwnerAlive(owner: string): boolean {
  if (owner === currentOwner()) return true;
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname()) return true;
  if (pid === process.pid || !Number.isInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
