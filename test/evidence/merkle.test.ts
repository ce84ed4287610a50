import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  leafSourceOf,
  nodeHash,
  rootOf,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyClaim,
  type InclusionClaim,
  type LeafSource,
} from '../../src/evidence/merkle.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const toHex = (list: readonly Uint8Array[]): string[] => list.map((b) => Buffer.from(b).toString('hex'));

// Known answers from transparency-dev/merkle testonly/constants.go and proof/verify_test.go (RFC 6962 test data).
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// verify_test.go numbers leaves from 1; here `index` is the 0-based leaf index.
const INCLUSION_VECTORS = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const CONSISTENCY_VECTORS = [
  { oldSize: 1, newSize: 1, proof: [] },
  { oldSize: 1, newSize: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { oldSize: 6, newSize: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { oldSize: 2, newSize: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { oldSize: 6, newSize: 7, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];
const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY = hex(ROOTS[0] as string);

// Reference implementation: RFC 9162 §2.1 written as recursion over arrays, with its own hashing.
const sha = (...parts: Uint8Array[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const refNode = (l: Uint8Array, r: Uint8Array): Buffer => sha(Buffer.of(1), l, r);
const refSplit = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1);
function refMTH(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0] as Buffer;
  const k = refSplit(d.length);
  return refNode(refMTH(d.slice(0, k)), refMTH(d.slice(k)));
}
function refPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = refSplit(d.length);
  return m < k ? [...refPath(m, d.slice(0, k)), refMTH(d.slice(k))] : [...refPath(m - k, d.slice(k)), refMTH(d.slice(0, k))];
}
function refSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [refMTH(d)];
  const k = refSplit(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMTH(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMTH(d.slice(0, k))];
}
const refProof = (m: number, d: Buffer[]): Buffer[] => (m === 0 || m === d.length ? [] : refSubproof(m, d, true));

const leavesFor = (n: number, seed = 0): Buffer[] => Array.from({ length: n }, (_, i) => sha(Buffer.of(0), Buffer.from(`${seed}:${i}`)));
const vectorLeaves = leafSourceOf(LEAF_INPUTS.map(leafHash));

// Probes modelled on verify_test.go's corruptInclusionProof / corruptConsistencyProof: each must fail.
function inclusionProbes(c: InclusionClaim): [string, InclusionClaim][] {
  const { index, treeSize, proof, root } = c;
  const probes: [string, InclusionClaim][] = [
    ['index - 1', { ...c, index: index - 1 }],
    ['index + 1', { ...c, index: index + 1 }],
    ['index ^ 2', { ...c, index: index ^ 2 }],
    ['size * 2', { ...c, treeSize: treeSize * 2 }],
    ['size / 2', { ...c, treeSize: Math.floor(treeSize / 2) }],
    ['wrong leaf', { ...c, leafHash: Buffer.from('WrongLeaf') }],
    ['wrong 32-byte leaf', { ...c, leafHash: SOME_HASH }],
    ['empty root', { ...c, root: EMPTY }],
    ['random root', { ...c, root: SOME_HASH }],
    ['trailing garbage', { ...c, proof: [...proof, Buffer.alloc(0)] }],
    ['trailing root', { ...c, proof: [...proof, root] }],
    ['preceding garbage', { ...c, proof: [Buffer.alloc(0), ...proof] }],
    ['preceding root', { ...c, proof: [root, ...proof] }],
  ];
  proof.forEach((_, i) => probes.push([`proof[${i}] bit 3 flipped`, { ...c, proof: flipped(proof, i, 8) }]));
  if (proof.length > 0) probes.push(['removed component', { ...c, proof: proof.slice(0, -1) }]);
  if (proof.length > 1) probes.push(['inserted component', { ...c, proof: [proof[0] as Uint8Array, SOME_HASH, ...proof.slice(1)] }]);
  return probes;
}
function consistencyProbes(c: ConsistencyClaim): [string, ConsistencyClaim][] {
  const { oldSize, newSize, oldRoot, newRoot, proof } = c;
  const probes: [string, ConsistencyClaim][] = [
    ['old size - 1', { ...c, oldSize: oldSize - 1 }],
    ['old size + 1', { ...c, oldSize: oldSize + 1 }],
    ['old size ^ 2', { ...c, oldSize: oldSize ^ 2 }],
    ['new size * 2', { ...c, newSize: newSize * 2 }],
    ['new size / 2', { ...c, newSize: Math.floor(newSize / 2) }],
    ['wrong old root', { ...c, oldRoot: Buffer.from('WrongRoot') }],
    ['wrong new root', { ...c, newRoot: Buffer.from('WrongRoot') }],
    ['random old root', { ...c, oldRoot: SOME_HASH }],
    ['random new root', { ...c, newRoot: SOME_HASH }],
    ['swapped roots', { ...c, oldRoot: newRoot, newRoot: oldRoot }],
    ['empty proof', { ...c, proof: [] }],
    ['trailing garbage', { ...c, proof: [...proof, Buffer.alloc(0)] }],
    ['trailing old root', { ...c, proof: [...proof, oldRoot] }],
    ['trailing new root', { ...c, proof: [...proof, newRoot] }],
    ['preceding garbage', { ...c, proof: [Buffer.alloc(0), ...proof] }],
    ['preceding old root', { ...c, proof: [oldRoot, ...proof] }],
    ['preceding new root', { ...c, proof: [newRoot, ...proof] }],
    ['preceding proof[0]', { ...c, proof: [proof[0] as Uint8Array, ...proof] }],
    ['truncated proof', { ...c, proof: proof.slice(0, -1) }],
  ];
  proof.forEach((_, i) => probes.push([`proof[${i}] bit 4 flipped`, { ...c, proof: flipped(proof, i, 16) }]));
  if (proof.length > 1) probes.push(['inserted component', { ...c, proof: [proof[0] as Uint8Array, SOME_HASH, ...proof.slice(1)] }]);
  return probes;
}
function flipped(proof: readonly Uint8Array[], i: number, mask: number): Uint8Array[] {
  return proof.map((p, j) => (j === i ? Buffer.from(p).map((byte, k) => (k === 0 ? byte ^ mask : byte)) : p));
}
const accepted = <T>(probes: [string, T][], verify: (c: T) => boolean): string[] => probes.filter(([, c]) => verify(c)).map(([d]) => d);

describe('hashing', () => {
  it('hashes leaves and nodes with the RFC 6962 prefixes', () => {
    expect(toHex(LEAF_INPUTS.map(leafHash))).toEqual(LEAF_HASHES);
    expect(nodeHash(hex(LEAF_HASHES[0] as string), hex(LEAF_HASHES[1] as string)).toString('hex')).toBe(ROOTS[2]);
    expect(emptyRoot().toString('hex')).toBe(ROOTS[0]);
    expect(nodeHash(Buffer.from('a'), Buffer.from('b'))).toEqual(sha(Buffer.of(1), Buffer.from('ab')));
  });
});

describe('known answers (transparency-dev test vectors)', () => {
  it('gives the root of every prefix of the 8 test leaves, including the empty tree', () => {
    expect(ROOTS.map((_, size) => rootOf(vectorLeaves, size).toString('hex'))).toEqual(ROOTS);
    expect(rootOf(vectorLeaves).toString('hex')).toBe(ROOTS[8]);
  });

  it.each(INCLUSION_VECTORS)('inclusion proof of leaf $index in a tree of $size', ({ index, size, proof }) => {
    expect(toHex(inclusionProof(vectorLeaves, index, size))).toEqual(proof);
    const claim = { leafHash: vectorLeaves.leaf(index), index, treeSize: size, proof: proof.map(hex), root: hex(ROOTS[size] as string) };
    expect(verifyInclusion(claim)).toBe(true);
    expect(accepted(inclusionProbes(claim), verifyInclusion)).toEqual([]);
  });

  it.each(CONSISTENCY_VECTORS)('consistency proof from $oldSize to $newSize', ({ oldSize, newSize, proof }) => {
    expect(toHex(consistencyProof(vectorLeaves, oldSize, newSize))).toEqual(proof);
    const claim = { oldSize, newSize, oldRoot: hex(ROOTS[oldSize] as string), newRoot: hex(ROOTS[newSize] as string), proof: proof.map(hex) };
    expect(verifyConsistency(claim)).toBe(true);
    if (proof.length > 0) expect(accepted(consistencyProbes(claim), verifyConsistency)).toEqual([]);
  });
});

describe('verification edge cases', () => {
  it('rejects inclusion claims with impossible indexes or sizes, or hashes of the wrong length', () => {
    for (const [index, treeSize] of [[0, 0], [0, 1], [1, 0], [2, 1], [1, 1], [0.5, 2], [-1, 2], [0, Number.NaN]] as const) {
      for (const [leaf, root] of [[SOME_HASH, Buffer.alloc(0)], [Buffer.alloc(0), EMPTY], [SOME_HASH, EMPTY]]) {
        expect(verifyInclusion({ leafHash: leaf as Buffer, index, treeSize, proof: [], root: root as Buffer })).toBe(false);
      }
    }
    const one = leafHash(Buffer.from('data')); // a one-leaf tree: root = leaf hash, empty proof
    expect(verifyInclusion({ leafHash: one, index: 0, treeSize: 1, proof: [], root: one })).toBe(true);
    expect(verifyInclusion({ leafHash: Buffer.alloc(0), index: 0, treeSize: 1, proof: [], root: one })).toBe(false);
    expect(verifyInclusion({ leafHash: one, index: 0, treeSize: 1, proof: [], root: Buffer.alloc(0) })).toBe(false);
  });

  // Adapted from verify_test.go TestVerifyConsistency; roots are 32 bytes since we reject other lengths.
  const r1 = sha(Buffer.from("don't care 1"));
  const r2 = sha(Buffer.from("don't care 2"));
  it.each([
    { oldSize: 0, newSize: 0, oldRoot: r1, newRoot: r2, proof: [], ok: false },
    { oldSize: 1, newSize: 1, oldRoot: r1, newRoot: r2, proof: [], ok: false },
    { oldSize: 0, newSize: 0, oldRoot: EMPTY, newRoot: EMPTY, proof: [], ok: true },
    { oldSize: 0, newSize: 0, oldRoot: r1, newRoot: r1, proof: [], ok: false }, // size 0 must have the empty root
    { oldSize: 0, newSize: 1, oldRoot: EMPTY, newRoot: r2, proof: [], ok: true }, // everything extends the empty tree
    { oldSize: 0, newSize: 1, oldRoot: r1, newRoot: r2, proof: [], ok: false }, // stricter than transparency-dev
    { oldSize: 1, newSize: 1, oldRoot: r2, newRoot: r2, proof: [], ok: true },
    { oldSize: 1, newSize: 0, oldRoot: r1, newRoot: r2, proof: [], ok: false },
    { oldSize: 2, newSize: 1, oldRoot: r1, newRoot: r2, proof: [], ok: false },
    { oldSize: 1, newSize: 2, oldRoot: r1, newRoot: r2, proof: [], ok: false },
    { oldSize: 0, newSize: 0, oldRoot: EMPTY, newRoot: r2, proof: [], ok: false },
    { oldSize: 1, newSize: 1, oldRoot: EMPTY, newRoot: r2, proof: [], ok: false },
    { oldSize: 0, newSize: 0, oldRoot: EMPTY, newRoot: EMPTY, proof: [EMPTY], ok: false },
    { oldSize: 0, newSize: 1, oldRoot: EMPTY, newRoot: EMPTY, proof: [EMPTY], ok: false },
    { oldSize: 1, newSize: 1, oldRoot: EMPTY, newRoot: EMPTY, proof: [EMPTY], ok: false },
    { oldSize: 1, newSize: 1, oldRoot: Buffer.from('x'), newRoot: Buffer.from('x'), proof: [], ok: false },
  ])('consistency $oldSize -> $newSize with proof of $proof.length: $ok', ({ ok, ...claim }) => {
    expect(verifyConsistency(claim)).toBe(ok);
  });
});

describe('against the recursive reference', () => {
  const n = 40;
  const d = leavesFor(n);
  const src = leafSourceOf(d);
  const roots = Array.from({ length: n + 1 }, (_, m) => refMTH(d.slice(0, m)));

  it(`matches every root, inclusion proof and consistency proof of trees up to ${n} leaves`, () => {
    for (let size = 0; size <= n; size++) {
      expect(rootOf(src, size)).toEqual(roots[size]);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(src, index, size);
        expect(proof).toEqual(refPath(index, d.slice(0, size)));
        expect(verifyInclusion({ leafHash: src.leaf(index), index, treeSize: size, proof, root: roots[size] as Buffer })).toBe(true);
      }
      for (let old = 0; old <= size; old++) {
        const proof = consistencyProof(src, old, size);
        expect(proof).toEqual(refProof(old, d.slice(0, size)));
        const claim = { oldSize: old, newSize: size, oldRoot: roots[old] as Buffer, newRoot: roots[size] as Buffer, proof };
        expect(verifyConsistency(claim)).toBe(true);
      }
    }
  });

  it('rejects every corruption probe of every proof in trees up to 17 leaves', () => {
    for (let size = 1; size <= 17; size++) {
      for (let index = 0; index < size; index++) {
        const claim = { leafHash: src.leaf(index), index, treeSize: size, proof: inclusionProof(src, index, size), root: roots[size] as Buffer };
        expect(accepted(inclusionProbes(claim), verifyInclusion), `leaf ${index} of ${size}`).toEqual([]);
      }
      for (let old = 1; old < size; old++) {
        const claim = { oldSize: old, newSize: size, oldRoot: roots[old] as Buffer, newRoot: roots[size] as Buffer, proof: consistencyProof(src, old, size) };
        expect(accepted(consistencyProbes(claim), verifyConsistency), `${old} -> ${size}`).toEqual([]);
      }
    }
  });

  it('agrees on random trees of up to 2000 leaves', () => {
    const tree = fc.integer({ min: 1, max: 2000 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        seed: fc.nat(),
        indexes: fc.array(fc.nat({ max: size - 1 }), { minLength: 1, maxLength: 4 }),
        pairs: fc.array(fc.tuple(fc.nat({ max: size }), fc.nat({ max: size })), { minLength: 1, maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(tree, ({ size, seed, indexes, pairs }) => {
        const leaves = leavesFor(size, seed);
        const source = leafSourceOf(leaves);
        const root = refMTH(leaves);
        expect(rootOf(source)).toEqual(root);
        for (const index of indexes) {
          const proof = inclusionProof(source, index, size);
          expect(proof).toEqual(refPath(index, leaves));
          expect(verifyInclusion({ leafHash: source.leaf(index), index, treeSize: size, proof, root })).toBe(true);
        }
        for (const [a, b] of pairs) {
          const [oldSize, newSize] = a <= b ? [a, b] : [b, a];
          const newLeaves = leaves.slice(0, newSize);
          const proof = consistencyProof(source, oldSize, newSize);
          expect(proof).toEqual(refProof(oldSize, newLeaves));
          const claim = { oldSize, newSize, oldRoot: refMTH(leaves.slice(0, oldSize)), newRoot: refMTH(newLeaves), proof };
          expect(verifyConsistency(claim)).toBe(true);
          if (proof.length > 0) expect(accepted(consistencyProbes(claim), verifyConsistency)).toEqual([]);
        }
      }),
      { numRuns: 40, seed: 6962 },
    );
  });
});

describe('large trees', () => {
  // One contiguous buffer of distinct 32-byte "leaf hashes", served as views: no million Buffer objects.
  function bigSource(size: number): LeafSource {
    const data = Buffer.alloc(size * 32);
    for (let i = 0; i < size; i++) {
      data.writeUInt32BE(i, i * 32);
      data.writeUInt32BE((0x9e3779b9 ^ i) >>> 0, i * 32 + 28);
    }
    return { size, leaf: (i) => data.subarray(i * 32, i * 32 + 32) };
  }

  it('builds a 1,000,000-leaf tree and its proofs within a few seconds', () => {
    const src = bigSource(1_000_000);
    const started = performance.now();
    const root = rootOf(src);
    const inclusion = inclusionProof(src, 999_999, 1_000_000);
    const consistency = consistencyProof(src, 777_777, 1_000_000);
    const oldRoot = rootOf(src, 777_777);
    // About 4 x 1M hashes: a second or two each here. The bound only catches an O(n log n) or worse regression.
    expect(performance.now() - started).toBeLessThan(30_000);

    expect(verifyInclusion({ leafHash: src.leaf(999_999), index: 999_999, treeSize: 1_000_000, proof: inclusion, root })).toBe(true);
    expect(verifyInclusion({ leafHash: src.leaf(999_998), index: 999_999, treeSize: 1_000_000, proof: inclusion, root })).toBe(false);
    expect(verifyConsistency({ oldSize: 777_777, newSize: 1_000_000, oldRoot, newRoot: root, proof: consistency })).toBe(true);
    expect(verifyConsistency({ oldSize: 777_776, newSize: 1_000_000, oldRoot, newRoot: root, proof: consistency })).toBe(false);
  });
});

describe('out-of-range requests', () => {
  const src = leafSourceOf(leavesFor(5));
  it.each([
    ['root past the end', () => rootOf(src, 6)],
    ['negative root size', () => rootOf(src, -1)],
    ['fractional root size', () => rootOf(src, 1.5)],
    ['inclusion index == size', () => inclusionProof(src, 3, 3)],
    ['negative inclusion index', () => inclusionProof(src, -1, 3)],
    ['inclusion in an empty tree', () => inclusionProof(src, 0, 0)],
    ['inclusion tree past the end', () => inclusionProof(src, 0, 6)],
    ['consistency old > new', () => consistencyProof(src, 3, 2)],
    ['consistency new past the end', () => consistencyProof(src, 0, 6)],
    ['negative consistency old size', () => consistencyProof(src, -1, 2)],
    ['subtree start after end', () => subtreeRoot(src, 3, 2)],
    ['leaf outside the source', () => leafSourceOf([]).leaf(0)],
    ['leaf that is not a 32-byte hash', () => rootOf(leafSourceOf([Buffer.from('raw entry')]))],
  ])('%s throws a RangeError', (_, call) => {
    expect(call).toThrow(RangeError);
  });
});
