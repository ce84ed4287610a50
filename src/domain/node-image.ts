/**
 * AKS node image version strings (azure-wire.md §5): `<os>-<sku>-<version>[-<securityPatchDate>]`, e.g.
 * `AKSUbuntu-2204gen2containerd-202411.12.0`, `AKSWindows-2022-containerd-20348.3692.250518`,
 * `AKSUbuntu-2204gen2containerd-202410.27.0-2024.12.01` (SecurityPatch channel).
 *
 * - The family (`<os>-<sku>`, everything before the version part) names one line of images. Versions
 *   compare only within one family: another sku (an OS-SKU change, gen1 → gen2, amd64 → arm64) is not an
 *   upgrade path, whatever the dates say.
 * - Version formats: Linux `YYYYMM.DD.P` (since March 2023) and `YYYY.MM.DD` (before); Windows
 *   `<OS build>.<revision>.<YYMMDD>`. A string is recognised when it has the overall shape, one of these
 *   formats and a real calendar day; sku words never make it fail, so a new sku parses and compares
 *   within its own family. Anything else is unknown (null), never an error, whatever the input.
 * - SecurityPatch suffix `-YYYY.MM.DD`: the date of the security patch applied to a node on the
 *   SecurityPatch channel. The base image decides the family, the release date and the order against
 *   other images; the suffix only orders two nodes on the same base image (no suffix, then earlier
 *   patches, then later ones). A patch never makes an older base image equal to or newer than a newer one.
 * - Order within a family: Linux by (release day, rebuild), Windows by (OS build, revision, release day),
 *   then the suffix. It is a total order: 0 only for the same version text (modulo the decisions below).
 *
 * Decisions for input AKS does not print:
 * - Surrounding whitespace is trimmed before parsing (hand-written fleet files, CLI arguments); `raw`
 *   keeps the input exactly as given. Inputs over 256 characters are unknown.
 * - The `AKS` OS prefix matches in any case (`aksubuntu-…` parses); `family`, `os` and `sku` keep the case
 *   as given, so differently cased strings are different families and never compare with each other.
 * - Parts are separated by `-` only: the `AKSUbuntu:1604:2020.03.11` form of the REST spec examples is a
 *   fictitious placeholder that AKS never reports, and is unknown.
 * - Sku parts are ASCII letters and digits; counters carry no leading zeros (`202505.27.05` is unknown).
 * - A known OS must carry its own format (`AKSWindows-…-202505.27.0` is unknown); an unknown `AKS*` OS
 *   takes any format, and if one family ever mixed Linux and Windows formats, Linux versions sort first.
 */
import { parseNodeImageBuild, parsePatchDate, type NodeImageBuild } from './node-image-build.js';
import { buildKindOfOs, describeNodeImageSku, type NodeImageVariant } from './node-image-variant.js';

export type { LinuxNodeImageBuild, NodeImageBuild, WindowsNodeImageBuild } from './node-image-build.js';
export type { NodeImageVariant } from './node-image-variant.js';

/** OS prefixes AKS prints today; any other `AKS<Letters>` prefix (e.g. `AKSUbuntuEdgeZone`) is accepted too. */
export type NodeImageOs = 'AKSUbuntu' | 'AKSAzureLinux' | 'AKSCBLMariner' | 'AKSWindows' | (string & {});

export interface NodeImageVersion {
  /** The input exactly as given (untrimmed). */
  readonly raw: string;
  /** The version string without its final version part (and suffix), e.g. `AKSUbuntu-2204gen2containerd`. */
  readonly family: string;
  /** The version part, e.g. `202411.12.0`, `2022.10.03`, `20348.3692.250518`. */
  readonly version: string;
  /** The release day encoded in the version, `YYYY-MM-DD`. */
  readonly releaseDate: string;
  /**
   * Numbers of the base image in comparison order, suffix excluded. Linux: [YYYYMMDD, rebuild, format
   * (0 = `YYYY.MM.DD`, 1 = `YYYYMM.DD.P`)]; Windows: [OS build, revision, YYYYMMDD].
   */
  readonly sortKey: readonly number[];
  /** SecurityPatch channel suffix, `YYYY-MM-DD`, when present. */
  readonly securityPatchDate: string | null;
  readonly build: NodeImageBuild;
  /** The family's first part, e.g. `AKSUbuntu`, `AKSWindows`, `AKSUbuntuEdgeZone`. */
  readonly os: NodeImageOs;
  /** The family after the OS prefix, e.g. `2204gen2containerd`, `V3gen2arm64fips`, `2022-containerd-gen2`. */
  readonly sku: string;
  /** Best-effort reading of the sku for reports; never used to compare. */
  readonly variant: NodeImageVariant;
}

const MAX_LENGTH = 256;
// Spelled out rather than an `i` flag or toUpperCase(), which would let `ſ` (long s) pass as `S`.
const OS_PREFIX = /^[Aa][Kk][Ss][A-Za-z]+$/;
const SKU_PART = /^[A-Za-z0-9]+$/;

/** Parses a node image version string; null when it is not one (unknown), never throws. */
export function parseNodeImageVersion(raw: string | null | undefined): NodeImageVersion | null {
  if (typeof raw !== 'string' || raw.length > MAX_LENGTH) return null;
  // A fleet repeats a few hundred version strings millions of times in drift and findings: parse each once.
  const cached = parsed.get(raw);
  if (cached !== undefined) return cached;
  const result = parseUncached(raw);
  if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear();
  parsed.set(raw, result);
  return result;
}

const PARSED_CACHE_SIZE = 10_000;
const parsed = new Map<string, NodeImageVersion | null>();

function parseUncached(raw: string): NodeImageVersion | null {
  const parts = raw.trim().split('-');
  // A SecurityPatch suffix looks like an old Linux version (YYYY.MM.DD); it is a suffix exactly when the
  // part before it is a version too, as sku parts never contain dots.
  const suffixed = parts.length >= 4 && parts.at(-2)!.includes('.');
  const versionIndex = parts.length - (suffixed ? 2 : 1);
  const os = parts[0]!;
  const skuParts = parts.slice(1, versionIndex);
  if (!OS_PREFIX.test(os) || skuParts.length === 0 || !skuParts.every((part) => SKU_PART.test(part))) return null;

  const version = parts[versionIndex]!;
  const parsed = parseNodeImageBuild(version);
  if (!parsed) return null;
  const osKind = buildKindOfOs(os);
  if (osKind !== null && osKind !== parsed.build.kind) return null;
  const securityPatchDate = suffixed ? parsePatchDate(parts.at(-1)!) : null;
  if (suffixed && securityPatchDate === null) return null;

  const sku = skuParts.join('-');
  return {
    raw,
    family: `${os}-${sku}`,
    version,
    releaseDate: parsed.releaseDate,
    sortKey: parsed.sortKey,
    securityPatchDate,
    build: parsed.build,
    os,
    sku,
    variant: describeNodeImageSku(os, sku),
  };
}

/** The family of a version string; null when it does not parse. */
export function imageFamilyOf(raw: string | null | undefined): string | null {
  return parseNodeImageVersion(raw)?.family ?? null;
}

/** Orders two versions of the same family: -1, 0 or 1; null when not comparable (other family, or unparseable). */
export function compareNodeImageVersions(a: string, b: string): number | null {
  const left = parseNodeImageVersion(a);
  const right = parseNodeImageVersion(b);
  if (!left || !right || left.family !== right.family) return null;
  if (left.build.kind !== right.build.kind) return left.build.kind === 'linux' ? -1 : 1;
  for (let i = 0; i < left.sortKey.length; i++) {
    const difference = left.sortKey[i]! - right.sortKey[i]!;
    if (difference !== 0) return Math.sign(difference);
  }
  // Same base image: the unpatched base first, then patches by date (ISO dates order as text).
  const [leftPatch, rightPatch] = [left.securityPatchDate ?? '', right.securityPatchDate ?? ''];
  return leftPatch === rightPatch ? 0 : leftPatch < rightPatch ? -1 : 1;
}
