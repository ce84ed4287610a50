// A compliance-trend worker: one thread per walk, started by serve, so that evaluating a large fleet at the end of
// each past day (~0.3 s a day at 40,000 pools) never holds up a request. It reads the store through its own
// read-only connection, answers one TrendDay[] and ends. Protocol: workerData in, one TrendWorkerReply out.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config.js';
import { openDatabase } from '../store/database.js';
import { walkTrendDays, type TrendDay, type TrendMoment } from './compliance-trend.js';
import { createReadModel } from './read-model.js';

export interface TrendWorkerInput {
  readonly config: Config;
  readonly moments: readonly TrendMoment[];
  readonly scope: string | undefined;
  /** The asking request's clock (ms): scopes and policy are resolved as of then, as in the service. */
  readonly now: number;
}

export type TrendWorkerReply = { ok: true; days: TrendDay[] } | { ok: false; message: string };

const input = workerData as TrendWorkerInput;
const db = openDatabase(input.config.databaseFile, { readonly: true });
try {
  const read = createReadModel({ config: input.config, db, now: () => new Date(input.now) });
  const days = await walkTrendDays(read.inventory, input.moments, input.scope);
  parentPort!.postMessage({ ok: true, days } satisfies TrendWorkerReply);
} catch (error) {
  parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies TrendWorkerReply);
} finally {
  db.close();
}
