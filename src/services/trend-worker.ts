// A compliance-trend walk in a worker thread of its own, started by serve, so that evaluating a large fleet at the
// end of each past day (~0.3 s a day at 40,000 pools) never holds up a request. It reads the store through its own
// read-only connection.
import type { Config } from '../config.js';
import { answerFromWorker } from '../lib/worker-thread.js';
import { openDatabase } from '../store/database.js';
import { walkTrendDays, type TrendMoment } from './compliance-trend.js';
import { createReadModel } from './read-model.js';

export interface TrendWorkerInput {
  readonly config: Config;
  readonly moments: readonly TrendMoment[];
  readonly scope: string | undefined;
  /** The asking request's clock (ms): scopes and policy are resolved as of then, as in the service. */
  readonly now: number;
}

await answerFromWorker(async (input: TrendWorkerInput) => {
  const db = openDatabase(input.config.databaseFile, { readonly: true });
  try {
    const read = createReadModel({ config: input.config, db, now: () => new Date(input.now) });
    return await walkTrendDays(read.inventory, input.moments, input.scope);
  } finally {
    db.close();
  }
});
