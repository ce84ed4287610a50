/**
 * The version part of an AKS node image version (azure-wire.md §5.1): what it encodes and how it sorts.
 * Pure string arithmetic; `node-image.ts` decides where the version part is.
 */

/** Linux `YYYYMM.DD.P` (since March 2023) or `YYYY.MM.DD` (before; rebuild 0). */
export interface LinuxNodeImageBuild {
  readonly kind: 'linux';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** The `P` rebuild counter: `.0` normally, `.1`…`.5` when a release branch was rebuilt. */
  readonly rebuild: number;
}

/** Windows `<OS build>.<revision>.<YYMMDD>`, e.g. `20348.3692.250518`. */
export interface WindowsNodeImageBuild {
  readonly kind: 'windows';
  readonly osBuild: number;
  /** The update build revision (UBR) of the Windows build. */
  readonly revision: number;
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export type NodeImageBuild = LinuxNodeImageBuild | WindowsNodeImageBuild;

export interface ParsedNodeImageBuild {
  readonly build: NodeImageBuild;
  /** `YYYY-MM-DD`. */
  readonly releaseDate: string;
  readonly sortKey: readonly number[];
}

// Counters never carry leading zeros and stay within 9 digits: AKS prints them that way, and it makes
// "equal sort keys" mean "equal version text" (no `.05` equal to `.5`, no precision loss past 2^53).
const COUNTER = '(0|[1-9]\\d{0,8})';
const LINUX = new RegExp(`^(\\d{4})(\\d{2})\\.(\\d{2})\\.${COUNTER}$`);
const LINUX_BEFORE_2023 = /^(\d{4})\.(\d{2})\.(\d{2})$/;
const WINDOWS = new RegExp(`^([1-9]\\d{4})\\.${COUNTER}\\.(\\d{2})(\\d{2})(\\d{2})$`);

// Only YYYY.MM.DD and YYYYMM.DD.P share a date, and they never overlapped in time (the switch came in
// March 2023); the format rank is a tie-break that keeps the order total, the newer format sorting after.
const FORMAT_BEFORE_2023 = 0;
const FORMAT_SINCE_2023 = 1;

/** Parses a version part; null unless it has one of the three formats and encodes a real calendar day. */
export function parseNodeImageBuild(version: string): ParsedNodeImageBuild | null {
  let match = LINUX.exec(version);
  if (match) return linux(match, Number(match[4]), FORMAT_SINCE_2023);
  match = LINUX_BEFORE_2023.exec(version);
  if (match) return linux(match, 0, FORMAT_BEFORE_2023);
  match = WINDOWS.exec(version);
  if (!match) return null;
  // Two-digit years are 20YY: AKS Windows images date from 2020 on.
  const [year, month, day] = [2000 + Number(match[3]), Number(match[4]), Number(match[5])];
  if (!isCalendarDay(year, month, day)) return null;
  const [osBuild, revision] = [Number(match[1]), Number(match[2])];
  return {
    build: { kind: 'windows', osBuild, revision, year, month, day },
    releaseDate: isoDate(year, month, day),
    sortKey: [osBuild, revision, dayNumber(year, month, day)],
  };
}

function linux(match: RegExpExecArray, rebuild: number, format: number): ParsedNodeImageBuild | null {
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!isCalendarDay(year, month, day)) return null;
  return {
    build: { kind: 'linux', year, month, day, rebuild },
    releaseDate: isoDate(year, month, day),
    sortKey: [dayNumber(year, month, day), rebuild, format],
  };
}

/** Parses a SecurityPatch suffix `YYYY.MM.DD` into `YYYY-MM-DD`; null when it is not a real calendar day. */
export function parsePatchDate(text: string): string | null {
  const match = LINUX_BEFORE_2023.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isCalendarDay(year, month, day) ? isoDate(year, month, day) : null;
}

export function isCalendarDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function dayNumber(year: number, month: number, day: number): number {
  return year * 10_000 + month * 100 + day;
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
