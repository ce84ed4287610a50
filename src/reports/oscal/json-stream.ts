import { once } from 'node:events';
import { escapeLineSeparators } from './text.js';

/**
 * An array whose items are produced on demand, once per write. The writer pulls one item at a time, so a document
 * with 40,000 pools never holds them all. Items must be plain JSON values (no nested LazyArray).
 */
export class LazyArray {
  constructor(readonly items: () => Iterable<unknown>) {}
}

export const lazyArray = (items: () => Iterable<unknown>): LazyArray => new LazyArray(items);

const INDENT = '  ';
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Writes `value` as JSON, honouring back-pressure. The document's frame is indented by 2 spaces; each item of a
 * LazyArray is one compact line. That keeps a 40,000-pool document close to compact size (indenting every nested
 * property would make it 1.7 times larger), one line per pool for grep and diff, and the frame readable.
 * Properties whose value is undefined are left out (as JSON.stringify does), and so is a LazyArray that yields
 * nothing: OSCAL forbids empty arrays, and a stream is only known to be empty once it has been read.
 * Does not end `out`.
 */
export async function writeJson(out: NodeJS.WritableStream, value: unknown): Promise<void> {
  let buffer = '';
  for (const chunk of serialise(value, '')) {
    buffer += chunk;
    if (buffer.length >= FLUSH_AT_CHARS) {
      await write(out, buffer);
      buffer = '';
    }
  }
  await write(out, `${buffer}\n`);
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  // `once` rejects if the stream emits 'error' while we wait, so a failed destination fails the render.
  if (!out.write(text)) await once(out, 'drain');
}

function* serialise(value: unknown, indent: string): Generator<string> {
  if (value instanceof LazyArray) yield* serialiseItems(value.items()[Symbol.iterator](), indent, true);
  else if (Array.isArray(value)) yield* serialiseItems(value[Symbol.iterator](), indent, false);
  else if (value !== null && typeof value === 'object') yield* serialiseObject(value as Record<string, unknown>, indent);
  else yield stringify(value, indent, true);
}

function* serialiseObject(object: Record<string, unknown>, indent: string): Generator<string> {
  const inner = indent + INDENT;
  let first = true;
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    let body: Generator<string>;
    if (value instanceof LazyArray) {
      const iterator = value.items()[Symbol.iterator]();
      const head = iterator.next();
      if (head.done) continue;
      body = serialiseItems(iterator, inner, true, head);
    } else {
      body = serialise(value, inner);
    }
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* body;
  }
  yield first ? '{}' : `\n${indent}}`;
}

/** Items of a LazyArray are plain JSON, each written as one compact line: the per-pool hot path. */
function* serialiseItems(iterator: Iterator<unknown>, indent: string, plain: boolean, head?: IteratorResult<unknown>): Generator<string> {
  const inner = indent + INDENT;
  let first = true;
  try {
    for (let next = head ?? iterator.next(); !next.done; next = iterator.next()) {
      yield `${first ? '[' : ','}\n${inner}`;
      first = false;
      if (plain) yield stringify(next.value, inner, false);
      else yield* serialise(next.value, inner);
    }
  } finally {
    // Lets a pool stream backed by a database cursor close it if writing stops half-way.
    iterator.return?.();
  }
  yield first ? '[]' : `\n${indent}]`;
}

/**
 * JSON.stringify, indented to the current depth or compact. Raw newlines only occur between tokens (inside strings
 * they are escaped), so indenting after each one is safe. U+2028/U+2029 are escaped too: valid JSON either way, but
 * some JavaScript-based readers still choke on them raw.
 */
function stringify(value: unknown, indent: string, pretty: boolean): string {
  const text = (pretty ? JSON.stringify(value, null, 2)?.replace(/\n/g, `\n${indent}`) : JSON.stringify(value)) ?? 'null';
  return escapeLineSeparators(text);
}

