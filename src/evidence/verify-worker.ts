// A ledger verification in a worker thread of its own, started by serve: recomputing the whole ledger (seconds at a
// large fleet: every entry's hash, every checkpoint's root and signature, every observation row's digest) would
// otherwise hold up every request meanwhile. It reads the store through its own read-only connection, as
// `imagewarden verify` does beside a live serve.
import { answerFromWorker } from '../lib/worker-thread.js';
import { openDatabase } from '../store/database.js';
import { createEvidenceRepository } from '../store/evidence-repository.js';
import { verifyStore, type VerifyStoreOptions } from './verify-store.js';

export interface VerifyWorkerInput {
  readonly databaseFile: string;
  readonly options: VerifyStoreOptions;
}

await answerFromWorker((input: VerifyWorkerInput) => {
  const db = openDatabase(input.databaseFile, { readonly: true });
  try {
    return verifyStore(db, createEvidenceRepository(db), input.options);
  } finally {
    db.close();
  }
});
