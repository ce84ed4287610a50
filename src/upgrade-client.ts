import { randomUUID } from 'node:crypto';

export interface UpgradeCommandOptions {
  readonly url: string;
  readonly cluster: string;
  readonly pool: readonly string[];
  readonly reason: string;
  readonly ticket?: string;
  readonly dryRun?: boolean;
}

type Write = (text: string) => void;

/**
 * `imagewarden upgrade`: a client of a running service's API. It starts a run (with a fresh Idempotency-Key, so a
 * retried request cannot start a second run), then follows the run's Server-Sent Events until its terminal event.
 * Exit status 0 only when the run succeeded.
 */
export async function runUpgradeCommand(options: UpgradeCommandOptions, apiKey: string | null, out: Write, err: Write): Promise<number> {
  if (apiKey === null) {
    err('imagewarden upgrade: set IMAGEWARDEN_API_KEY to an operator (or admin) key\n');
    return 2;
  }
  const base = options.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const body = {
    clusterId: options.cluster,
    ...(options.pool.length > 0 ? { pools: options.pool } : {}),
    reason: options.reason,
    ...(options.ticket ? { changeTicket: options.ticket } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
  };
  const response = await fetch(`${base}/api/v1/upgrades`, { method: 'POST', headers: { ...headers, 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const error = answer.error as { code: string; message: string } | undefined;
    err(`imagewarden upgrade: ${response.status} ${error?.code ?? ''}: ${error?.message ?? JSON.stringify(answer)}\n`);
    return 1;
  }
  if (options.dryRun) {
    out(`${JSON.stringify(answer, null, 2)}\n`);
    return answer.status === 'blocked' ? 1 : 0;
  }
  const id = String(answer.id);
  err(`run ${id}: ${String(answer.status)}\n`);
  const terminal = await follow(`${base}/api/v1/upgrades/${id}/events`, headers, err);
  const run = (await (await fetch(`${base}/api/v1/upgrades/${id}`, { headers })).json()) as { status: string; pools: { poolName: string; status: string; imageBefore: string | null; imageAfter: string | null }[] };
  for (const pool of run.pools) err(`  ${pool.poolName.padEnd(12)} ${pool.status.padEnd(13)} ${pool.imageBefore ?? '—'} -> ${pool.imageAfter ?? '—'}\n`);
  out(`${JSON.stringify({ id, status: run.status, lastEvent: terminal })}\n`);
  return run.status === 'succeeded' ? 0 : 1;
}

/** Reads the SSE stream line by line, printing each event as it comes; resolves with the terminal event's name. */
async function follow(url: string, headers: Record<string, string>, err: Write): Promise<string | null> {
  let lastId: string | null = null;
  let last: string | null = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await fetch(url, { headers: { ...headers, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) } });
    if (!response.ok || response.body === null) throw new Error(`event stream answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim();
        const event = field('event');
        if (typeof event !== 'string') continue;
        lastId = field('id') ?? lastId;
        last = event;
        err(`${new Date().toISOString()} ${event.padEnd(15)} ${describe(field('data'))}\n`);
      }
    }
    // The stream ends after a terminal event; an early end (a proxy, a restart) resumes from the last id.
    if (last !== null && ['completed', 'failed', 'aborted', 'blocked', 'expired'].includes(last)) return last;
  }
  return last;
}

function describe(data: string | undefined): string {
  if (!data) return '';
  try {
    const event = JSON.parse(data) as Record<string, unknown>;
    const parts = ['poolName', 'status', 'provisioningState', 'nodeImageVersion', 'imageAfter', 'operationId'].filter((k) => event[k] !== undefined && event[k] !== null).map((k) => `${k}=${String(event[k])}`);
    // Node evidence from the cluster's API server: the first look, then each transition (added, cordoned, Ready, …).
    const transitions = event.nodeTransitions as { type: string; node: string }[] | undefined;
    if (transitions) parts.push(`nodes=${transitions.map((t) => `${t.type.replace(/^node_/, '')}:${t.node}`).join(',')}`);
    const nodes = event.nodes as { ready: boolean }[] | undefined;
    if (nodes) parts.push(`nodes=${nodes.length} (${nodes.filter((n) => n.ready).length} Ready)`);
    const error = event.error as { code?: string; message?: string } | null | undefined;
    return [...parts, ...(error ? [`error=${error.code}: ${error.message}`] : [])].join(' ');
  } catch {
    return data;
  }
}
