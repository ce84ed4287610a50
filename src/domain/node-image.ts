/**
 * AKS node image version strings: `<family>-<version>[-<securityPatchDate>]`, e.g.
 * `AKSUbuntu-2204gen2containerd-202411.12.0`, `AKSWindows-2022-containerd-20348.3692.250518`,
 * `AKSUbuntu-2204gen2containerd-202410.27.0-2024.12.01` (SecurityPatch channel).
 * The family (everything before the version part) names one line of images; versions compare only within it.
 */
export interface NodeImageVersion {
  readonly raw: string;
  /** The version string without its final version part, e.g. `AKSUbuntu-2204gen2containerd`. */
  readonly family: string;
  readonly version: string;
  /** The release day encoded in the version, `YYYY-MM-DD`. */
  readonly releaseDate: string;
  /** Numeric parts in comparison order (Linux: YYYYMM, DD, rebuild; Windows: build, UBR, YYMMDD). */
  readonly sortKey: readonly number[];
  /** SecurityPatch channel suffix, `YYYY-MM-DD`, when present. */
  readonly securityPatchDate: string | null;
}

const NODE_IMAGE =
  /^(?<family>AKS[A-Za-z]+[-:].+?)[-:](?<version>\d{6}\.\d{2}\.\d+|\d{4}\.\d{2}\.\d{2}|\d{5}\.\d+\.\d{6})(?:-(?<patch>\d{4}\.\d{2}\.\d{2}))?$/;

export function parseNodeImageVersion(raw: string | null | undefined): NodeImageVersion | null {
  if (typeof raw !== 'string') return null;
  const match = NODE_IMAGE.exec(raw.trim());
  if (!match?.groups) return null;
  const { family, version, patch } = match.groups as { family: string; version: string; patch?: string };
  const parsed = parseVersionPart(version);
  if (!parsed) return null;
  const securityPatchDate = patch ? toIsoDate(patch.slice(0, 4), patch.slice(5, 7), patch.slice(8, 10)) : null;
  if (patch && !securityPatchDate) return null;
  return { raw, family, version, releaseDate: parsed.releaseDate, sortKey: parsed.sortKey, securityPatchDate };
}

function parseVersionPart(version: string): { releaseDate: string; sortKey: number[] } | null {
  const parts = version.split('.');
  let releaseDate: string | null;
  if (/^\d{6}\.\d{2}\.\d+$/.test(version)) {
    // YYYYMM.DD.rebuild (Linux since March 2023)
    releaseDate = toIsoDate(version.slice(0, 4), version.slice(4, 6), parts[1]!);
  } else if (/^\d{4}\.\d{2}\.\d{2}$/.test(version)) {
    // YYYY.MM.DD (Linux before March 2023)
    releaseDate = toIsoDate(parts[0]!, parts[1]!, parts[2]!);
  } else {
    // build.UBR.YYMMDD (Windows)
    const date = parts[2]!;
    releaseDate = toIsoDate(`20${date.slice(0, 2)}`, date.slice(2, 4), date.slice(4, 6));
  }
  if (!releaseDate) return null;
  const sortKey = /^\d{5}\./.test(version)
    ? parts.map(Number)
    : [Number(releaseDate.replaceAll('-', '')), Number(parts.length === 3 && parts[0]!.length === 6 ? parts[2] : 0)];
  return { releaseDate, sortKey };
}

function toIsoDate(year: string, month: string, day: string): string | null {
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? null : iso;
}

export function imageFamilyOf(raw: string | null | undefined): string | null {
  return parseNodeImageVersion(raw)?.family ?? null;
}

/** Orders two versions of the same family; null when they are not comparable (other family, or unparseable). */
export function compareNodeImageVersions(a: string, b: string): number | null {
  const left = parseNodeImageVersion(a);
  const right = parseNodeImageVersion(b);
  if (!left || !right || left.family !== right.family) return null;
  const length = Math.max(left.sortKey.length, right.sortKey.length);
  for (let i = 0; i < length; i++) {
    const difference = (left.sortKey[i] ?? 0) - (right.sortKey[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  // The same image with a later security patch applied is newer.
  return Math.sign((left.securityPatchDate ?? '').localeCompare(right.securityPatchDate ?? ''));
}
