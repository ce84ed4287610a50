import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';

/** What a worker answers, once: its value, or why it has none. */
export type WorkerReply<Value> = { ok: true; value: Value } | { ok: false; message: string };

/**
 * Runs `module` (a path below dist/, e.g. `services/trend-worker.js`) in a worker thread of its own with `input` as
 * its workerData, and resolves with the one value it answers. The code is always the compiled module (under
 * `dist/` when this runs from source, as in the tests, which build first). The thread never holds a stopping
 * process up: what it computes is only ever read-only work whose answer the caller can do without.
 */
export function runInWorker<Value>(module: string, input: unknown): Promise<Value> {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', module) : join(dirname(here), '..', module);
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: input });
    worker.unref();
    let reply: WorkerReply<Value> | null = null;
    worker.once('message', (message: WorkerReply<Value>) => {
      reply = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (reply?.ok === true) resolve(reply.value);
      else reject(new Error(reply?.ok === false ? reply.message : `the worker ${module} stopped (exit code ${code}) before answering`));
    });
  });
}

/** The worker's side: computes its value from its workerData and answers it (or the failure) once. */
export async function answerFromWorker<Input, Value>(compute: (input: Input) => Value | Promise<Value>): Promise<void> {
  let reply: WorkerReply<Value>;
  try {
    reply = { ok: true, value: await compute(workerData as Input) };
  } catch (error) {
    reply = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
}
