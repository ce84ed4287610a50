/** Lazy helpers over the re-iterable pool stream: nothing here holds more than one item. */

export function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}

export function* filterIterable<T>(items: Iterable<T>, keep: (item: T) => boolean): Generator<T> {
  for (const item of items) if (keep(item)) yield item;
}

export function* concatIterables<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const part of parts) yield* part;
}
