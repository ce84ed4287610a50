import { createHash } from 'node:crypto';

/**
 * Names and stamps as Kubernetes and AKS write them: generated name suffixes, VMSS node names, RFC 3339 times.
 * Everything is derived from a seed, so the same fleet gives the same names in every run.
 */

/** The alphabet of Kubernetes' generated names (`rand.SafeEncodeString`: no vowels, no look-alike digits). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `length` characters of the generated-name alphabet, derived from `seed` (`coredns-<10>-<5>`, `kube-proxy-<5>`). */
export function generatedSuffix(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[digest[i % digest.length]! % SAFE_ALPHABET.length];
  return out;
}

/** The 8 digits AKS puts in a pool's VMSS name (`aks-nodepool1-12345678-vmss`), stable per cluster and pool. */
export function vmssNumber(clusterId: string, poolName: string): string {
  const digest = createHash('sha256').update(`${clusterId.toLowerCase()}/${poolName.toLowerCase()}`).digest();
  return String(digest.readUInt32BE(0) % 100_000_000).padStart(8, '0');
}

/** A VMSS instance's computer-name suffix: the instance id in base 36, six characters (`000000`, `00000a`). */
export function instanceSuffix(instanceId: number): string {
  return instanceId.toString(36).padStart(6, '0');
}

/** Kubernetes timestamps are RFC 3339 in whole seconds. */
export function k8sTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
