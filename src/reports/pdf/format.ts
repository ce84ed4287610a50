/**
 * One way to print each kind of figure across the whole report: percentages with one decimal, counts with thousands
 * separators, instants in UTC, and an em dash wherever the model has no value (null never prints as "0" or "null").
 */

export const NONE = '—';

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  const [whole, fraction] = String(value).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? NONE : `${value.toFixed(1)}%`;
}

/** Hours with the same duration in days beside them: SLAs are written in days, remediation is measured in hours. */
export function formatHours(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  return `${value.toFixed(1)} h (${(value / 24).toFixed(1)} days)`;
}

/** `2024-11-30 23:59:59 UTC`; a string that is not an instant is printed as it is rather than dropped. */
export function formatInstant(value: string | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDay(value: string | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : new Date(time).toISOString().slice(0, 10);
}

/** Any model value as text: strings as they are, lists joined, objects as JSON (never "[object Object]"). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return NONE;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatCount(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? NONE : value.map(formatValue).join(', ');
  return JSON.stringify(value) ?? NONE;
}

/** The last segment of an ARM resource id: the cluster name in a managedClusters id. */
export function resourceName(id: string | null | undefined): string {
  if (id === null || id === undefined || id === '') return NONE;
  return id.split('/').filter((part) => part !== '').pop() ?? id;
}
