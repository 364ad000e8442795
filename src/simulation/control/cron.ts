/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) in an IANA time zone, as
 * KEDA's cron scaler reads them, and its rule for an open window: the next end comes before the next start.
 */
const FIELD_RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Occurrences are searched this far ahead (a yearly expression is not useful for a replay). */
const SEARCH_MINUTES = 366 * 24 * 60;

interface LocalTime { minute: number; hour: number; day: number; month: number; weekday: number }

/** A parsed cron expression. */
export class CronExpression {
  private readonly fields: Set<number>[];
  private readonly dayOfMonthRestricted: boolean;
  private readonly dayOfWeekRestricted: boolean;

  public constructor(public readonly expression: string, private readonly zone: TimeZone) {
    const parts = expression.trim().split(/\s+/);
    if (parts.length !== 5) throw new Error(`cron expression '${expression}' must have 5 fields (minute hour day-of-month month day-of-week)`);
    this.fields = parts.map((part, i) => parseField(part, i, expression));
    if (this.fields[4].has(7)) this.fields[4].add(0);
    this.dayOfMonthRestricted = parts[2] !== '*' && parts[2] !== '?';
    this.dayOfWeekRestricted = parts[4] !== '*' && parts[4] !== '?';
  }

  /** The first whole minute strictly after `epochSeconds` that matches, in epoch seconds (Infinity if none within a year). */
  public next(epochSeconds: number): number {
    let t = Math.floor(epochSeconds / 60) * 60 + 60;
    for (let i = 0; i < SEARCH_MINUTES; i++, t += 60) {
      if (this.matches(this.zone.local(t))) return t;
    }
    return Infinity;
  }

  private matches(local: LocalTime): boolean {
    const [minutes, hours, days, months, weekdays] = this.fields;
    if (!minutes.has(local.minute) || !hours.has(local.hour) || !months.has(local.month)) return false;
    const dayOk = days.has(local.day);
    const weekdayOk = weekdays.has(local.weekday);
    if (this.dayOfMonthRestricted && this.dayOfWeekRestricted) return dayOk || weekdayOk;
    return dayOk && weekdayOk;
  }
}

/** Local wall-clock fields of an IANA time zone, with the UTC offset cached per hour. */
export class TimeZone {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  public constructor(public readonly name: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
      });
    } catch {
      throw new Error(`time zone '${name}' is not a known IANA time zone`);
    }
  }

  public local(epochSeconds: number): LocalTime {
    const hourKey = Math.floor(epochSeconds / 3600);
    let offset = this.offsets.get(hourKey);
    if (offset === undefined) {
      const parts = Object.fromEntries(this.format.formatToParts(new Date(hourKey * 3600 * 1000)).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute)) / 1000;
      offset = asUtc - hourKey * 3600;
      this.offsets.set(hourKey, offset);
    }
    const shifted = new Date((epochSeconds + offset) * 1000);
    return {
      minute: shifted.getUTCMinutes(),
      hour: shifted.getUTCHours(),
      day: shifted.getUTCDate(),
      month: shifted.getUTCMonth() + 1,
      weekday: shifted.getUTCDay(),
    };
  }
}

/** A KEDA cron window: open while the next end comes before the next start. */
export class CronWindow {
  private readonly start: CronExpression;
  private readonly end: CronExpression;
  private nextStart = -Infinity;
  private nextEnd = -Infinity;

  public constructor(timezone: string, start: string, end: string) {
    const zone = new TimeZone(timezone);
    this.start = new CronExpression(start, zone);
    this.end = new CronExpression(end, zone);
  }

  /** Whether the window is open at `epochSeconds` (call with non-decreasing times). */
  public isOpen(epochSeconds: number): boolean {
    if (this.nextStart <= epochSeconds) this.nextStart = this.start.next(epochSeconds);
    if (this.nextEnd <= epochSeconds) this.nextEnd = this.end.next(epochSeconds);
    return this.nextEnd < this.nextStart;
  }
}

function parseField(part: string, index: number, expression: string): Set<number> {
  const [low, high] = FIELD_RANGES[index];
  const names = index === 3 ? MONTHS : index === 4 ? DAYS : undefined;
  const value = (text: string): number => {
    const named = names?.indexOf(text.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + (index === 3 ? 1 : 0) : Number(text);
    if (!Number.isInteger(n) || n < low || n > high) throw new Error(`cron expression '${expression}': '${text}' is out of range ${low}-${high}`);
    return n;
  };
  const out = new Set<number>();
  for (const item of part.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron expression '${expression}': step '${stepText}' must be a whole number >= 1`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = low;
      to = high;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : high;
    }
    if (from > to) throw new Error(`cron expression '${expression}': range '${range}' is empty`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}
