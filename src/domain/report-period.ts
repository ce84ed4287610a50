import { invalidInput } from './errors.js';

const DAY_IN_MS = 86_400_000;
/** SOC 2 Type II periods run up to a year (a leap year has 366 days). */
export const MAX_PERIOD_DAYS = 366;

export interface ReportPeriod {
  /** Start, inclusive (a day at 00:00Z). */
  readonly from: string;
  /** End, exclusive (a day at 00:00Z). */
  readonly to: string;
  readonly label: string;
  /** Every day of the period, `YYYY-MM-DD`. */
  readonly days: readonly string[];
}

/** `YYYY-MM` → that calendar month, UTC. */
export function monthPeriod(period: string): ReportPeriod {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!match) throw invalidInput('invalid_period', 'period must be a month, YYYY-MM', { period });
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const from = Date.parse(`${period}-01T00:00:00Z`);
  const to = new Date(from).setUTCMonth(new Date(from).getUTCMonth() + 1);
  return build(from, to, period);
}

/** `from` and `to` as dates (YYYY-MM-DD, `to` inclusive) or midnight date-times (`to` exclusive). */
export function rangePeriod(from: string, to: string): ReportPeriod {
  const start = dayStart(from, 'from', false);
  const end = dayStart(to, 'to', true);
  if (end <= start) throw invalidInput('invalid_period', 'to must be after from', { from, to });
  if ((end - start) / DAY_IN_MS > MAX_PERIOD_DAYS) {
    throw invalidInput('period_too_long', `a report covers at most ${MAX_PERIOD_DAYS} days (12 months)`, { from, to });
  }
  const label = `${new Date(start).toISOString().slice(0, 10)} to ${new Date(end - DAY_IN_MS).toISOString().slice(0, 10)}`;
  return build(start, end, label);
}

/** The moment a day's status is taken: 23:59:59Z (CONTRACT.md period figures). */
export function dayEnd(day: string): string {
  return `${day}T23:59:59.000Z`;
}

function dayStart(value: string, name: string, inclusiveDate: boolean): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const time = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(time) || (!dateOnly && !/^\d{4}-\d{2}-\d{2}T/.test(value))) {
    throw invalidInput('invalid_period', `${name} must be a date (YYYY-MM-DD) or a date-time`, { [name]: value });
  }
  if (time % DAY_IN_MS !== 0) throw invalidInput('invalid_period', `${name} must fall on a day boundary (00:00Z): report days are whole UTC days`, { [name]: value });
  return dateOnly && inclusiveDate ? time + DAY_IN_MS : time;
}

function build(from: number, to: number, label: string): ReportPeriod {
  const days: string[] = [];
  for (let t = from; t < to; t += DAY_IN_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), label, days };
}
