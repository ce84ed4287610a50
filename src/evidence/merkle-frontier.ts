import { createHash } from 'node:crypto';

const EMPTY_ROOT = createHash('sha256').digest();

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/**
 * The compact range of an RFC 9162 Merkle tree: the roots of the perfect subtrees that make up its first `size`
 * leaves (largest first). Appending costs O(log n) and the root is always at hand, so a checkpoint needs only the
 * entries added since the previous one.
 */
export class MerkleFrontier {
  private constructor(
    private stack: Buffer[],
    private count: number,
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier([], 0);
  }

  /** Restores a frontier saved with `toJSON`; its shape must match `size` (one subtree per bit set). */
  static restore(size: number, roots: readonly string[]): MerkleFrontier {
    if (roots.length !== popCount(size)) throw new Error(`frontier of ${roots.length} subtrees cannot describe ${size} leaves`);
    return new MerkleFrontier(roots.map((hex) => Buffer.from(hex, 'hex')), size);
  }

  get size(): number {
    return this.count;
  }

  push(leafHash: Buffer): void {
    let hash = leafHash;
    // Each trailing 1-bit of the old size is a perfect subtree of the same height: merge with it.
    for (let size = this.count; size % 2 === 1; size = Math.floor(size / 2)) hash = nodeHash(this.stack.pop()!, hash);
    this.stack.push(hash);
    this.count++;
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let hash = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHash(this.stack[i]!, hash);
    return hash;
  }

  toJSON(): string[] {
    return this.stack.map((hash) => hash.toString('hex'));
  }
}

function popCount(n: number): number {
  let bits = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) bits += v % 2;
  return bits;
}
