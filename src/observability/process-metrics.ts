import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | null = null;

/**
 * The Node.js process metrics (CPU, memory, event-loop lag, GC, handles) under their standard names (`process_*`,
 * `nodejs_*`), so stock dashboards work. They describe the process, not an app: one registry per process, created
 * on first use, shared by every app built in it (prom-client's collectors hook into the runtime once each).
 * Not prom-client's global registry: nothing else in the process can add to or reset it.
 */
export function processRegistry(): Registry {
  if (shared === null) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
