/**
 * RFC 6962 / RFC 9162 Merkle tree over SHA-256: tree heads, inclusion and consistency proofs.
 * Pure: no I/O, no clock. Leaves arrive as a LeafSource of LEAF hashes, so a caller backed by a
 * database or a file can serve a million leaves without materialising them as an array.
 *
 * Sizes and indexes are JavaScript safe integers (< 2^53); bit tricks are done with division, never
 * with `>>`, which would truncate to 32 bits.
 */
import { hash, timingSafeEqual } from 'node:crypto';

/** Bytes in every hash this module produces or accepts. */
export const HASH_SIZE = 32;

/** Leaf hashes of a log: `leaf(i)` is the 32-byte leafHash() of entry i, for 0 <= i < size. */
export interface LeafSource {
  readonly size: number;
  leaf(index: number): Uint8Array;
}

/** A LeafSource over leaf hashes already in memory. */
export function leafSourceOf(hashes: readonly Uint8Array[]): LeafSource {
  return {
    size: hashes.length,
    leaf(index) {
      const h = hashes[index];
      if (h === undefined) throw new RangeError(`leaf index ${index} is outside 0..${hashes.length - 1}`);
      return h;
    },
  };
}

const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer');

/** SHA-256(0x00 ‖ data): the domain-separated hash of a log entry (RFC 9162 §2.1.1). */
export function leafHash(data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256(buf);
}

// Interior hashing dominates the cost of big trees: reuse one buffer instead of allocating a concat per node.
const scratch = Buffer.alloc(1 + 2 * HASH_SIZE);

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    scratch[0] = 0x01;
    scratch.set(left, 1);
    scratch.set(right, 1 + HASH_SIZE);
    return sha256(scratch);
  }
  return sha256(Buffer.concat([Buffer.of(0x01), left, right]));
}

/** Root of the empty tree, SHA-256("") = e3b0c442…; a fresh copy each call so callers may not corrupt it. */
export function emptyRoot(): Buffer {
  return sha256(Buffer.alloc(0));
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const half = (n: number): number => Math.floor(n / 2);
const isOdd = (n: number): boolean => n % 2 === 1;

function leafAt(leaves: LeafSource, index: number): Uint8Array {
  const h = leaves.leaf(index);
  // A raw entry passed where its leaf hash belongs would silently give a wrong root: refuse it.
  if (h.length !== HASH_SIZE) throw new RangeError(`leaf ${index} is ${h.length} bytes, not a ${HASH_SIZE}-byte leaf hash`);
  return h;
}

function checkTreeSize(leaves: LeafSource, size: number, what: string): void {
  if (!isCount(size) || size > leaves.size) {
    throw new RangeError(`${what} ${size} is not an integer in 0..${leaves.size}`);
  }
}

// Exact for every safe integer, unlike Math.log2, which rounds 2^52 + 1 to 52.
function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** Largest power of two strictly below n (n >= 2): RFC 9162's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[start:end]): root of the tree over leaves start..end-1 alone. Iterative: a stack holds one
 * perfect subtree per set bit of the count so far, so memory is O(log n) and hashing O(n).
 */
export function subtreeRoot(leaves: LeafSource, start: number, end: number): Buffer {
  checkTreeSize(leaves, end, 'subtree end');
  if (!isCount(start) || start > end) throw new RangeError(`subtree start ${start} is not an integer in 0..${end}`);
  if (start === end) return emptyRoot();
  const stack: Uint8Array[] = [];
  for (let i = start; i < end; i++) {
    let h = leafAt(leaves, i);
    // With c leaves seen, the stack holds one perfect subtree per set bit of c: each trailing zero of c is a merge.
    for (let c = i - start + 1; c % 2 === 0; c /= 2) h = nodeHash(stack.pop() as Uint8Array, h);
    stack.push(h);
  }
  // Sizes decrease left to right, so folding from the right reproduces MTH's split at the largest power of two.
  let root = stack.pop() as Uint8Array;
  while (stack.length > 0) root = nodeHash(stack.pop() as Uint8Array, root);
  return Buffer.from(root);
}

/** MTH(D[0:size]) per RFC 9162 §2.1.1; size defaults to the whole source. Throws RangeError past the end. */
export function rootOf(leaves: LeafSource, size: number = leaves.size): Buffer {
  checkTreeSize(leaves, size, 'tree size');
  return subtreeRoot(leaves, 0, size);
}

/**
 * PATH(index, D[0:treeSize]) per RFC 9162 §2.1.3.1, ordered leaf-side first. Walks down from the root,
 * hashing the sibling subtree at each split, so the total work is at most treeSize hashes.
 */
export function inclusionProof(leaves: LeafSource, index: number, treeSize: number): Buffer[] {
  checkTreeSize(leaves, treeSize, 'tree size');
  if (!isCount(index) || index >= treeSize) throw new RangeError(`leaf index ${index} is outside tree of size ${treeSize}`);
  const siblings: Buffer[] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      siblings.push(subtreeRoot(leaves, mid, hi));
      hi = mid;
    } else {
      siblings.push(subtreeRoot(leaves, lo, mid));
      lo = mid;
    }
  }
  return siblings.reverse();
}

/**
 * PROOF(oldSize, D[0:newSize]) per RFC 9162 §2.1.4.1 (SUBPROOF with b = true), ordered bottom-up.
 * Returns [] when oldSize is 0 or equals newSize: those pairs are consistent with no proof at all.
 */
export function consistencyProof(leaves: LeafSource, oldSize: number, newSize: number): Buffer[] {
  checkTreeSize(leaves, newSize, 'new size');
  if (!isCount(oldSize) || oldSize > newSize) throw new RangeError(`old size ${oldSize} is not an integer in 0..${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const nodes: Buffer[] = [];
  let lo = 0;
  let hi = newSize;
  let m = oldSize; // size of the old tree within [lo, hi)
  let isOldRootKnown = true; // RFC's b: the verifier already holds MTH(D[lo:lo+m])
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      nodes.push(subtreeRoot(leaves, lo + k, hi));
      hi = lo + k;
    } else {
      nodes.push(subtreeRoot(leaves, lo, lo + k));
      lo += k;
      m -= k;
      isOldRootKnown = false;
    }
  }
  if (!isOldRootKnown) nodes.push(subtreeRoot(leaves, lo, hi));
  return nodes.reverse();
}

const equalHash = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === HASH_SIZE && b.length === HASH_SIZE && timingSafeEqual(a, b);
const allHashes = (proof: readonly Uint8Array[]): boolean => proof.every((p) => p.length === HASH_SIZE);

export interface InclusionClaim {
  readonly leafHash: Uint8Array;
  readonly index: number;
  readonly treeSize: number;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/**
 * RFC 9162 §2.1.3.2, step for step. False (never a throw) for anything that does not prove inclusion:
 * index >= treeSize, non-integer sizes, a hash that is not 32 bytes, or a proof of the wrong length.
 */
export function verifyInclusion({ leafHash: hash0, index, treeSize, proof, root }: InclusionClaim): boolean {
  if (!isCount(index) || !isCount(treeSize) || index >= treeSize) return false;
  if (hash0.length !== HASH_SIZE || root.length !== HASH_SIZE || !allHashes(proof)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = hash0;
  for (const p of proof) {
    if (sn === 0) return false; // more proof than tree height
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // On the right border of the tree: skip the levels where this node had no right sibling.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalHash(r, root);
}

export interface ConsistencyClaim {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/**
 * RFC 9162 §2.1.4.2 for 0 < oldSize < newSize. The RFC leaves the edge cases out; here:
 * - oldSize === newSize: true iff the proof is empty and the roots are equal;
 * - oldSize === 0: true iff the proof is empty and oldRoot is the empty-tree root (SHA-256("")).
 *   transparency-dev accepts any oldRoot there; we pin it, since a size-0 tree head with another root is bogus.
 * False for oldSize > newSize, non-integer sizes, or any hash that is not 32 bytes.
 */
export function verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof }: ConsistencyClaim): boolean {
  if (!isCount(oldSize) || !isCount(newSize) || oldSize > newSize) return false;
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || !allHashes(proof)) return false;
  if (oldSize === 0) return proof.length === 0 && equalHash(oldRoot, emptyRoot()) && (newSize > 0 || equalHash(newRoot, oldRoot));
  if (oldSize === newSize) return proof.length === 0 && equalHash(oldRoot, newRoot);
  if (proof.length === 0) return false; // step 1
  // Step 2: a power-of-two old tree is itself a node of the new tree, so the proof omits its hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1; // step 3
  let sn = newSize - 1;
  while (isOdd(fn)) {
    // step 4
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array; // step 5
  let sr = fr;
  for (const c of path.slice(1)) {
    // step 6
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalHash(fr, oldRoot) && equalHash(sr, newRoot); // step 7
}
