import { CronExpression, CronWindow, TimeZone } from '../../../src/simulation/control/cron';

const utc = (y: number, mo: number, d: number, h: number, mi: number): number => Date.UTC(y, mo - 1, d, h, mi) / 1000;

describe('cron', () => {
  test('next occurrence of a weekday expression in a time zone', () => {
    const paris = new TimeZone('Europe/Paris');
    const start = new CronExpression('30 13 * * 1-5', paris);
    // Saturday 2023-11-18 -> Monday 2023-11-20 13:30 Paris = 12:30 UTC (winter time, UTC+1).
    expect(start.next(utc(2023, 11, 18, 10, 0))).toBe(utc(2023, 11, 20, 12, 30));
    // In summer Paris is UTC+2.
    expect(start.next(utc(2023, 7, 3, 0, 0))).toBe(utc(2023, 7, 3, 11, 30));
  });

  test('lists, steps and names', () => {
    const zone = new TimeZone('UTC');
    expect(new CronExpression('*/15 9 * * MON', zone).next(utc(2023, 11, 20, 9, 16))).toBe(utc(2023, 11, 20, 9, 30));
    expect(new CronExpression('0 0 1 JAN,JUL *', zone).next(utc(2023, 2, 1, 0, 0))).toBe(utc(2023, 7, 1, 0, 0));
    // Day of month and day of week both restricted: either matches.
    expect(new CronExpression('0 0 13 * 5', zone).next(utc(2023, 11, 1, 0, 0))).toBe(utc(2023, 11, 3, 0, 0));
  });

  test('a window is open while its next end comes before its next start', () => {
    const window = new CronWindow('Europe/Paris', '30 13 * * 1-5', '0 22 * * 1-5');
    expect(window.isOpen(utc(2023, 11, 20, 12, 0))).toBe(false); // 13:00 Paris
    expect(window.isOpen(utc(2023, 11, 20, 12, 31))).toBe(true); // 13:31 Paris
    expect(window.isOpen(utc(2023, 11, 20, 20, 59))).toBe(true); // 21:59 Paris
    expect(window.isOpen(utc(2023, 11, 20, 21, 0))).toBe(false); // 22:00 Paris
  });

  test('errors name the expression and the field', () => {
    const zone = new TimeZone('UTC');
    expect(() => new CronExpression('0 25 * * *', zone)).toThrow("cron expression '0 25 * * *': '25' is out of range 0-23");
    expect(() => new CronExpression('0 0 * *', zone)).toThrow("cron expression '0 0 * *' must have 5 fields");
    expect(() => new TimeZone('Mars/Olympus')).toThrow("time zone 'Mars/Olympus' is not a known IANA time zone");
  });
});
