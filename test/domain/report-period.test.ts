import { describe, expect, it } from 'vitest';
import { monthPeriod } from '../../src/domain/report-period.js';

describe('monthPeriod', () => {
  it('is the calendar month, UTC, across a year end and in leap years', () => {
    expect(monthPeriod('2026-12')).toMatchObject({ from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z', label: '2026-12' });
    expect(monthPeriod('2028-02').days).toHaveLength(29);
  });

  it('reads years below 100 as written (Date.UTC would make 0050 into 1950)', () => {
    expect(monthPeriod('0050-03')).toMatchObject({ from: '0050-03-01T00:00:00.000Z', to: '0050-04-01T00:00:00.000Z' });
  });
});
