import type { PoolStatus } from './types.js';

export const STATUS_LABEL: Record<PoolStatus, string> = {
  current: 'Current',
  within_policy: 'Within policy',
  non_compliant: 'Non-compliant',
  excepted: 'Excepted',
  unknown: 'Unknown',
};

export const STATUS_HELP: Record<PoolStatus, string> = {
  current: 'on the latest node image',
  within_policy: 'behind, still inside the patch SLA',
  non_compliant: 'behind beyond the patch SLA',
  excepted: 'beyond the SLA, covered by an approved exception',
  unknown: 'version or subscription could not be read',
};

/** Percentages come from the API with one decimal; null (no pools) shows as a dash. */
export function percent(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)} %`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function days(value: number | null): string {
  return value === null ? '—' : `${count(value)} d`;
}

/** A UTC time as the API gives it, shown as UTC (evidence is in UTC): 2026-11-25 14:03 UTC. */
export function utc(value: string | null): string {
  if (value === null) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
