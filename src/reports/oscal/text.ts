/** The namespace of every imagewarden-specific OSCAL property (`props[].ns`). */
export const OSCAL_NS = 'https://imagewarden.dev/ns/oscal';

export interface Prop {
  readonly name: string;
  readonly value: string;
  readonly ns?: string;
  readonly class?: string;
  readonly remarks?: string;
}

type Scalar = string | number | boolean | null | undefined;

const LINE_BREAKS = /[\r\n\u2028\u2029]+/g;

/**
 * A value for OSCAL's string datatype (`^\S(.*\S)?$` in Unicode mode): one line, no leading or trailing
 * whitespace, not empty. Names in the model come from Azure and from people, so they are made to fit here rather
 * than trusted to.
 */
export function oscalString(raw: string): string {
  const value = raw.replace(LINE_BREAKS, ' ').trim();
  return value === '' ? '(empty)' : value;
}

/**
 * An imagewarden property, or undefined for a missing value. When the value had to be altered to fit the string
 * datatype, the exact original goes in the property's remarks as a JSON string, so no evidence is lost.
 */
export function prop(name: string, raw: Scalar, options: { class?: string; remarks?: string } = {}): Prop | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = String(raw);
  const value = oscalString(text);
  const exact = value === text ? undefined : `Exact value (JSON string): ${code(escapeLineSeparators(JSON.stringify(text)))}`;
  const remarks = [options.remarks, exact].filter(Boolean).join('\n\n') || undefined;
  return { name, ns: OSCAL_NS, value, class: options.class, remarks };
}

/** The given items without the missing ones, or undefined when none remain (OSCAL arrays have at least one item). */
export function nonEmpty<T>(items: ReadonlyArray<T | undefined | null | false>): T[] | undefined {
  const kept = items.filter((item): item is T => item !== undefined && item !== null && item !== false);
  return kept.length === 0 ? undefined : kept;
}

/**
 * A Markdown code span: OSCAL titles, descriptions and remarks are Markdown, and an identifier such as a cluster
 * name must read as itself, not as a link, emphasis or HTML. The fence is longer than any backtick run inside.
 */
export function code(raw: string): string {
  const text = raw.replace(LINE_BREAKS, ' ');
  if (text.trim() === '') return '(empty)';
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space from each end of a span; pad so a leading/trailing backtick or space survives.
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Free text (an exception's reason, a template's wording) as literal Markdown: no links, images, HTML or emphasis. */
export function plain(raw: string): string {
  return raw.replace(LINE_BREAKS, ' ').trim().replace(/[\\`*_[\]<>&!|#~]/g, (c) => `\\${c}`);
}

/** A free name in token characters: lower case, runs of anything but letters, digits and dots become '-'. */
export function slug(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/[-.]*-[-.]*/g, '-') // "Rev. 5" gives "rev-5", not "rev.-5"
    .replace(/^[-.]+|[-.]+$/g, '');
}

/** A token (OSCAL's NCName-like datatype, which must start with a letter or '_') for a free name. */
export function token(raw: string): string {
  const value = slug(raw);
  return /^[a-z]/.test(value) ? value : `x-${value}`;
}

/**
 * JSON escapes U+2028/U+2029 are valid but optional, and JSON.stringify leaves them raw; escaped, they cannot be
 * taken for line breaks (by Markdown, by OSCAL's one-line string type, or by older JavaScript readers).
 */
export function escapeLineSeparators(json: string): string {
  return json.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** `iso` plus whole days, as an ISO timestamp (the model's timestamps are UTC). */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}
