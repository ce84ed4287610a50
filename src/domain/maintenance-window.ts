/**
 * AKS planned maintenance windows (azure-wire.md §3.6): is a manual node-image upgrade at `t` inside the window the
 * cluster's owners configured? The node OS channel's own configuration (`aksManagedNodeOSUpgradeSchedule`) decides;
 * without one, the legacy `default` configuration does; without either, no window is configured.
 */

export type DayOfWeek = 'Sunday' | 'Monday' | 'Tuesday' | 'Wednesday' | 'Thursday' | 'Friday' | 'Saturday';
const DAYS: readonly DayOfWeek[] = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const WEEK_INDEX = { First: 0, Second: 1, Third: 2, Fourth: 3, Last: -1 } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface MaintenanceSchedule {
  readonly daily?: { readonly intervalDays: number };
  readonly weekly?: { readonly intervalWeeks: number; readonly dayOfWeek: DayOfWeek };
  readonly absoluteMonthly?: { readonly intervalMonths: number; readonly dayOfMonth: number };
  readonly relativeMonthly?: { readonly intervalMonths: number; readonly weekIndex: keyof typeof WEEK_INDEX; readonly dayOfWeek: DayOfWeek };
}

/** The parts of a MaintenanceConfiguration that decide a window (dates as `YYYY-MM-DD`, times as `HH:mm`). */
export interface MaintenanceConfiguration {
  readonly name: string;
  readonly maintenanceWindow?: {
    readonly schedule: MaintenanceSchedule;
    readonly durationHours: number;
    readonly utcOffset?: string;
    readonly startDate?: string;
    readonly startTime: string;
    readonly notAllowedDates?: readonly { readonly start: string; readonly end: string }[];
  };
  readonly timeInWeek?: readonly { readonly day?: DayOfWeek; readonly hourSlots?: readonly number[] }[];
  readonly notAllowedTime?: readonly { readonly start?: string; readonly end?: string }[];
}

export interface WindowStatus {
  /** The configuration that decided, or null when none is configured. */
  readonly source: 'aksManagedNodeOSUpgradeSchedule' | 'default' | null;
  /** null when no window is configured. */
  readonly inWindow: boolean | null;
  /** When the window `t` falls in opened (inside), or the next one opens (outside), if found within a year. */
  readonly windowStart: string | null;
  readonly windowEnd: string | null;
}

export function maintenanceWindowAt(configurations: readonly MaintenanceConfiguration[], t: Date): WindowStatus {
  const nodeOs = configurations.find((c) => c.name === 'aksManagedNodeOSUpgradeSchedule' && c.maintenanceWindow);
  if (nodeOs?.maintenanceWindow) return { source: 'aksManagedNodeOSUpgradeSchedule', ...scheduledWindow(nodeOs.maintenanceWindow, t) };
  const fallback = configurations.find((c) => c.name === 'default');
  if (fallback?.maintenanceWindow) return { source: 'default', ...scheduledWindow(fallback.maintenanceWindow, t) };
  if (fallback?.timeInWeek?.length) return { source: 'default', ...legacyWindow(fallback, t) };
  return { source: null, inWindow: null, windowStart: null, windowEnd: null };
}

type Window = NonNullable<MaintenanceConfiguration['maintenanceWindow']>;

function scheduledWindow(window: Window, t: Date): Omit<WindowStatus, 'source'> {
  const offset = offsetInMs(window.utcOffset ?? '+00:00');
  const [hours, minutes] = window.startTime.split(':').map(Number) as [number, number];
  const duration = window.durationHours * HOUR;
  // Local calendar days from (t − duration) to a year ahead: the window t may be in started at most `duration` ago.
  const firstLocalDay = Math.floor((t.getTime() + offset - duration) / DAY) * DAY;
  for (let day = firstLocalDay; day <= firstLocalDay + 370 * DAY; day += DAY) {
    if (!occursOn(window, day)) continue;
    const start = day + (hours * 60 + minutes) * 60_000 - offset;
    const end = start + duration;
    if (end <= t.getTime()) continue;
    const inWindow = start <= t.getTime() && !notAllowed(window, t.getTime() + offset);
    if (inWindow || start > t.getTime()) return { inWindow, windowStart: new Date(start).toISOString(), windowEnd: new Date(end).toISOString() };
  }
  return { inWindow: false, windowStart: null, windowEnd: null };
}

/** Does the schedule fire on this local calendar day (ms at local midnight, as if UTC)? */
function occursOn(window: Window, day: number): boolean {
  const date = new Date(day);
  const anchor = window.startDate ? Date.parse(`${window.startDate}T00:00:00Z`) : null;
  if (anchor !== null && day < anchor) return false;
  const { schedule } = window;
  if (schedule.daily) return anchor === null || Math.round((day - anchor) / DAY) % schedule.daily.intervalDays === 0;
  if (schedule.weekly) {
    if (DAYS[date.getUTCDay()] !== schedule.weekly.dayOfWeek) return false;
    return anchor === null || Math.floor(Math.round((day - anchor) / DAY) / 7) % schedule.weekly.intervalWeeks === 0;
  }
  const monthsFromAnchor = anchor === null ? 0 : (date.getUTCFullYear() - new Date(anchor).getUTCFullYear()) * 12 + date.getUTCMonth() - new Date(anchor).getUTCMonth();
  if (schedule.absoluteMonthly) {
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    // A dayOfMonth past the month's end falls on its last day.
    return date.getUTCDate() === Math.min(schedule.absoluteMonthly.dayOfMonth, lastDay) && monthsFromAnchor % schedule.absoluteMonthly.intervalMonths === 0;
  }
  if (schedule.relativeMonthly) {
    if (DAYS[date.getUTCDay()] !== schedule.relativeMonthly.dayOfWeek || monthsFromAnchor % schedule.relativeMonthly.intervalMonths !== 0) return false;
    const index = WEEK_INDEX[schedule.relativeMonthly.weekIndex];
    if (index >= 0) return Math.floor((date.getUTCDate() - 1) / 7) === index;
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    return date.getUTCDate() + 7 > lastDay;
  }
  return false;
}

function notAllowed(window: Window, localTime: number): boolean {
  const day = new Date(localTime).toISOString().slice(0, 10);
  return (window.notAllowedDates ?? []).some((range) => day >= range.start.slice(0, 10) && day <= range.end.slice(0, 10));
}

/** The legacy `default` form: hour slots per weekday, in UTC, minus not-allowed time ranges. */
function legacyWindow(config: MaintenanceConfiguration, t: Date): Omit<WindowStatus, 'source'> {
  const slotAt = (time: number) => {
    const at = new Date(time);
    return (config.timeInWeek ?? []).some((slot) => slot.day === DAYS[at.getUTCDay()] && (slot.hourSlots ?? []).includes(at.getUTCHours()));
  };
  const blocked = (time: number) =>
    (config.notAllowedTime ?? []).some((range) => range.start !== undefined && range.end !== undefined && time >= Date.parse(range.start) && time < Date.parse(range.end));
  const hourStart = Math.floor(t.getTime() / HOUR) * HOUR;
  if (slotAt(hourStart) && !blocked(t.getTime())) {
    let start = hourStart;
    while (slotAt(start - HOUR) && start - hourStart > -7 * DAY) start -= HOUR;
    let end = hourStart + HOUR;
    while (slotAt(end) && end - hourStart < 7 * DAY) end += HOUR;
    return { inWindow: true, windowStart: new Date(start).toISOString(), windowEnd: new Date(end).toISOString() };
  }
  for (let next = hourStart + HOUR; next < hourStart + 8 * DAY; next += HOUR) {
    if (slotAt(next) && !blocked(next)) return { inWindow: false, windowStart: new Date(next).toISOString(), windowEnd: null };
  }
  return { inWindow: false, windowStart: null, windowEnd: null };
}

function offsetInMs(offset: string): number {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}
