import { createHash } from 'node:crypto';

const MODULUS = 1n << 256n;

/**
 * A multiset digest of observed state (additive hashing, as in AdHash/LtHash): the digest of a set of rows is the
 * sum of their item hashes mod 2^256. A snapshot's digest follows from the previous one and its change set alone
 * (add what it opened, subtract what it closed), and anyone can recompute it from the rows valid at that snapshot.
 */
export function stateItemHash(table: string, key: string, dataSha256: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`${table}\n${key}\n${dataSha256}`).digest('hex')}`);
}

export class StateDigest {
  private constructor(private value: bigint) {}

  static empty(): StateDigest {
    return new StateDigest(0n);
  }

  static parse(hex: string): StateDigest {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a state digest: ${hex}`);
    return new StateDigest(BigInt(`0x${hex}`));
  }

  add(item: bigint): this {
    this.value = (this.value + item) % MODULUS;
    return this;
  }

  remove(item: bigint): this {
    this.value = (this.value - item + MODULUS) % MODULUS;
    return this;
  }

  toHex(): string {
    return this.value.toString(16).padStart(64, '0');
  }
}
