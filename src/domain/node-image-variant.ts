/**
 * Best-effort description of a node image family (`<os>-<sku>`) for reports: OS version, VM generation,
 * architecture and the security options baked into the image. Nothing here decides whether a version
 * parses or how it compares: an unseen sku still parses, with whatever this module can recognise.
 */

export interface NodeImageVariant {
  /** `22.04`, `24.04` (Ubuntu); `V2`, `V3` (Azure Linux, CBL-Mariner); `2019`, `2022`, `2025`, `23H2` (Windows). */
  readonly osVersion: string | null;
  /** Hyper-V generation; AKS names gen1 images by leaving `gen` out. Null for an unknown `genN`. */
  readonly generation: 1 | 2 | null;
  readonly arch: 'amd64' | 'arm64';
  readonly fips: boolean;
  readonly trustedLaunch: boolean;
  readonly confidentialVm: boolean;
  /** Pod sandboxing (Kata containers), e.g. `AKSCBLMariner-V2katagen2`. */
  readonly kata: boolean;
  readonly minimal: boolean;
}

/** Which version format an OS prefix must carry; null for an AKS OS this module does not know. */
export function buildKindOfOs(os: string): 'linux' | 'windows' | null {
  if (/^AKSWindows/i.test(os)) return 'windows';
  if (/^AKS(?:Ubuntu|AzureLinux|CBLMariner)/i.test(os)) return 'linux';
  return null;
}

// Sku names glue words together without separators and with inconsistent case (`2204gen2TLcontainerd`,
// `V3gen2arm64fips`), so the lower-cased sku is split into the words AKS uses. An unknown word is taken
// whole (`[a-z]+` comes last), so a flag is only read where a known word starts: `settle` is not `tl`.
const SKU_WORD = /containerd|minimal|arm64|fips|kata|cvm|tl|gpu|gen\d+|v\d+|\d{2}h\d|\d+|[a-z]+/g;

/** Describes `sku` (ASCII letters, digits and hyphens) of an image of OS prefix `os`. */
export function describeNodeImageSku(os: string, sku: string): NodeImageVariant {
  const words = sku.toLowerCase().split('-').flatMap((part) => part.match(SKU_WORD) ?? []);
  const generation = words.find((word) => /^gen\d+$/.test(word));
  return {
    osVersion: osVersionOf(os, words[0] ?? ''),
    generation: generation === undefined ? 1 : generation === 'gen1' ? 1 : generation === 'gen2' ? 2 : null,
    arch: words.includes('arm64') ? 'arm64' : 'amd64',
    fips: words.includes('fips'),
    trustedLaunch: words.includes('tl'),
    confidentialVm: words.includes('cvm'),
    kata: words.includes('kata'),
    minimal: words.includes('minimal'),
  };
}

function osVersionOf(os: string, firstWord: string): string | null {
  // Ubuntu skus start with the release without its dot (`2204` is 22.04); other four-digit starts are
  // Windows Server years and stay as they are.
  if (/^\d{4}$/.test(firstWord)) return /^AKSUbuntu/i.test(os) ? `${firstWord.slice(0, 2)}.${firstWord.slice(2)}` : firstWord;
  if (/^v\d+$/.test(firstWord) || /^\d{2}h\d$/.test(firstWord)) return firstWord.toUpperCase();
  return null;
}
