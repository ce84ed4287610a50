import { describe, expect, it } from 'vitest';
import { maintenanceWindowAt, type MaintenanceConfiguration } from '../../src/domain/maintenance-window.js';

const nodeOs = (window: MaintenanceConfiguration['maintenanceWindow']): MaintenanceConfiguration => ({ name: 'aksManagedNodeOSUpgradeSchedule', maintenanceWindow: window });
const at = (iso: string) => new Date(iso);

describe('maintenance windows', () => {
  // azure-wire.md §3.6 sample: Sundays 02:00 +01:00 for 4 hours, not over the year end.
  const sample = nodeOs({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } }, durationHours: 4, utcOffset: '+01:00', startDate: '2025-01-05', startTime: '02:00', notAllowedDates: [{ start: '2025-12-22', end: '2026-01-02' }] });

  it.each([
    ['2026-11-22T01:00:00Z', true, '2026-11-22T01:00:00.000Z', '2026-11-22T05:00:00.000Z'], // Sunday 02:00 local
    ['2026-11-22T04:59:59Z', true, '2026-11-22T01:00:00.000Z', '2026-11-22T05:00:00.000Z'],
    ['2026-11-22T05:00:00Z', false, '2026-11-29T01:00:00.000Z', '2026-11-29T05:00:00.000Z'],
    ['2026-11-21T23:30:00Z', false, '2026-11-22T01:00:00.000Z', '2026-11-22T05:00:00.000Z'], // Sunday 00:30 local
    ['2025-12-28T02:00:00Z', false, null, null], // a Sunday inside notAllowedDates
  ])('weekly window at %s: inside %s', (time, inside, start, end) => {
    const status = maintenanceWindowAt([sample], at(time));
    expect(status.source).toBe('aksManagedNodeOSUpgradeSchedule');
    expect(status.inWindow).toBe(inside);
    if (start !== null) expect({ start: status.windowStart, end: status.windowEnd }).toEqual({ start, end });
  });

  it('counts intervals from startDate, handles windows across midnight and month-end days', () => {
    const everyOtherWeek = nodeOs({ schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Monday' } }, durationHours: 4, startDate: '2026-11-02', startTime: '22:00' });
    expect(maintenanceWindowAt([everyOtherWeek], at('2026-11-17T00:30:00Z')).inWindow).toBe(true); // Mon 16th 22:00 + 4 h
    expect(maintenanceWindowAt([everyOtherWeek], at('2026-11-10T00:30:00Z')).inWindow).toBe(false); // the off week
    const monthEnd = nodeOs({ schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 31 } }, durationHours: 6, startTime: '01:00' });
    expect(maintenanceWindowAt([monthEnd], at('2026-11-30T03:00:00Z')).inWindow).toBe(true);
    const lastFriday = nodeOs({ schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Friday' } }, durationHours: 4, startTime: '20:00', utcOffset: '-05:00' });
    expect(maintenanceWindowAt([lastFriday], at('2026-11-28T02:00:00Z')).inWindow).toBe(true); // Fri 27th 21:00 -05:00
    expect(maintenanceWindowAt([lastFriday], at('2026-11-21T02:00:00Z')).inWindow).toBe(false);
    const daily = nodeOs({ schedule: { daily: { intervalDays: 1 } }, durationHours: 8, startTime: '00:00' });
    expect(maintenanceWindowAt([daily], at('2026-11-25T07:59:00Z'))).toMatchObject({ inWindow: true, windowEnd: '2026-11-25T08:00:00.000Z' });
  });

  it('falls back to the default configuration (also its legacy hour slots), else reports no window', () => {
    const legacy: MaintenanceConfiguration = { name: 'default', timeInWeek: [{ day: 'Wednesday', hourSlots: [1, 2, 3] }], notAllowedTime: [{ start: '2026-11-25T02:00:00Z', end: '2026-11-25T03:00:00Z' }] };
    expect(maintenanceWindowAt([legacy], at('2026-11-25T01:30:00Z'))).toMatchObject({ source: 'default', inWindow: true, windowStart: '2026-11-25T01:00:00.000Z', windowEnd: '2026-11-25T04:00:00.000Z' });
    expect(maintenanceWindowAt([legacy], at('2026-11-25T02:30:00Z')).inWindow).toBe(false);
    expect(maintenanceWindowAt([legacy], at('2026-11-25T05:00:00Z'))).toMatchObject({ inWindow: false, windowStart: '2026-12-02T01:00:00.000Z' });
    expect(maintenanceWindowAt([{ name: 'aksManagedAutoUpgradeSchedule', maintenanceWindow: sample.maintenanceWindow! }], at('2026-11-22T01:00:00Z'))).toEqual({ source: null, inWindow: null, windowStart: null, windowEnd: null });
    // The node OS schedule wins over default.
    expect(maintenanceWindowAt([legacy, sample], at('2026-11-25T01:30:00Z'))).toMatchObject({ source: 'aksManagedNodeOSUpgradeSchedule', inWindow: false });
  });
});
