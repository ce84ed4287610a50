import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LedgerEntry } from './ledger-entry.js';
import type { CheckpointToVerify, KeyToVerify, VerifyResult } from './verify-ledger.js';
import { createLedgerVerifier } from './verify-ledger.js';

export const BUNDLE_FORMAT = 'imagewarden-evidence-bundle/1';

/**
 * An evidence bundle is NDJSON, written and read as a stream: a header line, the public keys with their validity
 * windows, every signed checkpoint, every entry in sequence order, then a trailer with the counts (a cut-off
 * bundle is told apart from a short ledger). It carries everything `imagewarden verify --bundle` needs, offline.
 */
export function* bundleLines(input: {
  origin: string;
  exportedAt: string;
  keys: readonly KeyToVerify[];
  checkpoints: Iterable<CheckpointToVerify>;
  entries: Iterable<LedgerEntry>;
}): Generator<string> {
  yield line({ type: 'header', format: BUNDLE_FORMAT, origin: input.origin, exportedAt: input.exportedAt });
  for (const key of input.keys) yield line({ type: 'key', ...key });
  let checkpoints = 0;
  for (const checkpoint of input.checkpoints) {
    checkpoints++;
    yield line({ type: 'checkpoint', size: checkpoint.size, rootHash: checkpoint.rootHash, signedAt: checkpoint.signedAt, keyId: checkpoint.keyId, note: checkpoint.note });
  }
  let entries = 0;
  for (const entry of input.entries) {
    entries++;
    yield line({ type: 'entry', ...entry });
  }
  yield line({ type: 'trailer', keys: input.keys.length, checkpoints, entries });
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

export class BundleFormatError extends Error {
  override name = 'BundleFormatError';
}

/**
 * Verifies a bundle file with no database and no network. `pinnedKeys` (verifier key texts the auditor kept)
 * make a bundle signed by any other key fail; `expectedOrigin` refuses a bundle from another ledger.
 */
export async function verifyBundleFile(file: string, options: { pinnedKeys?: readonly string[]; expectedOrigin?: string } = {}): Promise<VerifyResult & { origin: string }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | null> => {
    const { value, done } = await lines.next();
    if (done) return null;
    try {
      return JSON.parse(value as string) as Record<string, unknown>;
    } catch {
      throw new BundleFormatError('bundle line is not JSON');
    }
  };
  const header = await next();
  if (header?.type !== 'header' || header.format !== BUNDLE_FORMAT) throw new BundleFormatError(`not an ${BUNDLE_FORMAT} file`);
  const keys: KeyToVerify[] = [];
  const checkpoints: CheckpointToVerify[] = [];
  let item = await next();
  while (item?.type === 'key') {
    keys.push(item as unknown as KeyToVerify);
    item = await next();
  }
  while (item?.type === 'checkpoint') {
    checkpoints.push(item as unknown as CheckpointToVerify);
    item = await next();
  }
  const origin = String(header.origin);
  const verifier = createLedgerVerifier({
    keys,
    checkpoints,
    expectedOrigin: options.expectedOrigin ?? origin,
    ...(options.pinnedKeys ? { pinnedKeys: options.pinnedKeys } : {}),
  });
  let entries = 0;
  while (item?.type === 'entry') {
    const { type: _type, ...entry } = item;
    verifier.push(entry as unknown as LedgerEntry);
    entries++;
    item = await next();
  }
  if (item?.type !== 'trailer') throw new BundleFormatError('bundle is cut off: no trailer line');
  if (item.entries !== entries || item.checkpoints !== checkpoints.length || item.keys !== keys.length) {
    throw new BundleFormatError('bundle trailer counts do not match its contents');
  }
  if ((await next()) !== null) throw new BundleFormatError('bundle has content after its trailer');
  return { ...verifier.finish(), origin };
}
