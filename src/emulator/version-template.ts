/**
 * Node image version strings for the emulator: `{{...}}` date templates (so fleet files never go stale) and the
 * image family of a version string (azure-wire.md §5.1).
 */

const DAY_MS = 86_400_000;
const TEMPLATE = /\{\{\s*(YYYYMM\.DD|YYMMDD|YYYY\.MM\.DD|YYYY-MM-DD)\s*(?:([-+])\s*(\d+))?\s*\}\}/g;

/** Same parser as azure-wire.md §5.1: Linux `YYYYMM.DD.P`, old `YYYY.MM.DD`, Windows `build.UBR.YYMMDD`. */
const NODE_IMAGE =
  /^(?<family>AKS[A-Za-z]+)[-:](?<sku>.+?)[-:](?<ver>\d{6}\.\d{2}\.\d+|\d{4}\.\d{2}\.\d{2}|\d{5}\.\d+\.\d{6})(?:-(?<sp>\d{4}\.\d{2}\.\d{2}))?$/;

/**
 * Expands every `{{FORMAT-N}}` in `text` to the UTC date N days before `now` (`+N`: after) in FORMAT:
 * `YYYYMM.DD` → 202610.11, `YYMMDD` → 261011, `YYYY.MM.DD` → 2026.10.11, `YYYY-MM-DD` → 2026-10-11.
 */
export function expandVersionTemplate(text: string, now: Date): string {
  return text.replace(TEMPLATE, (_match, format: string, sign?: string, days?: string) => {
    const offset = days === undefined ? 0 : Number(days) * (sign === '+' ? 1 : -1);
    const date = new Date(now.getTime() + offset * DAY_MS);
    const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
    const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
    const dd = String(date.getUTCDate()).padStart(2, '0');
    switch (format) {
      case 'YYYYMM.DD':
        return `${yyyy}${mm}.${dd}`;
      case 'YYMMDD':
        return `${yyyy.slice(2)}${mm}${dd}`;
      case 'YYYY.MM.DD':
        return `${yyyy}.${mm}.${dd}`;
      default:
        return `${yyyy}-${mm}-${dd}`;
    }
  });
}

/** Deep-copies a JSON value, expanding templates in every string. */
export function expandTemplatesDeep<T>(value: T, now: Date): T {
  if (typeof value === 'string') return expandVersionTemplate(value, now) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => expandTemplatesDeep(item, now)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = expandTemplatesDeep(item, now);
    return out as T;
  }
  return value;
}

/**
 * The image family: the version string without its final version part (and without a SecurityPatch suffix),
 * e.g. `AKSUbuntu-2204gen2containerd`, `AKSWindows-2022-containerd`. Unparseable strings fall back to
 * "everything before the last dash".
 */
export function imageFamilyOf(version: string): string {
  const groups = NODE_IMAGE.exec(version)?.groups;
  if (groups?.ver) {
    const suffix = groups.ver.length + 1 + (groups.sp ? groups.sp.length + 1 : 0); // "-<ver>[-<sp>]"
    return version.slice(0, version.length - suffix);
  }
  const dash = version.lastIndexOf('-');
  return dash > 0 ? version.slice(0, dash) : version;
}

/** True when the string parses with the §5.1 regex. */
export function isNodeImageVersion(version: string): boolean {
  return NODE_IMAGE.test(version);
}
