import { cronProblem, isTimeZone } from '../cron';
import { Check } from '../errors';

/**
 * KEDA cron trigger windows (kedacore/keda pkg/scalers/cron_scaler.go, v2.17): robfig/cron/v3 parses the standard
 * five fields, and Go's time.LoadLocation loads the time zone, by file name, case-sensitively.
 */

/** What is wrong with a time zone name for Go's time.LoadLocation, if anything. */
export function timeZoneProblem(timeZone: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return 'must be an IANA time zone such as Europe/Paris';
  }
  // Go reads the zone from a file named exactly as given: 'europe/paris' and 'utc' are not found.
  const wrongCase = resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase();
  const segmentsCapitalised = timeZone.split('/').every((segment) => /^[A-Z]/.test(segment));
  if (wrongCase || !segmentsCapitalised) {
    return `must be spelt with its exact case (Go's time.LoadLocation is case-sensitive)${wrongCase ? `: '${resolved}'` : ', such as Europe/Paris'}`;
  }
  return undefined;
}

interface Field { readonly min: number; readonly max: number; readonly names?: string[] }
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** The values of each field of a valid five-field expression, and whether day-of-month / day-of-week are '*' or '?'. */
export interface ExpandedCron { readonly values: Set<number>[]; readonly domStar: boolean; readonly dowStar: boolean }

/** Expands a five-field cron expression already checked by cronProblem. */
export function expandCron(expression: string): ExpandedCron {
  const fields = expression.trim().split(/\s+/);
  const values = fields.map((text, i) => expandField(text, FIELDS[i]));
  const star = (text: string) => /^[*?](\/1)?$/.test(text);
  return { values, domStar: star(fields[2]), dowStar: star(fields[4]) };
}

function expandField(text: string, field: Field): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let low = field.min;
    let high = field.max;
    if (range !== '*' && range !== '?') {
      const bounds = range.split('-').map((b) => valueOf(b, field));
      low = bounds[0];
      high = bounds.length === 2 ? bounds[1] : stepText === undefined ? low : field.max;
    }
    for (let v = low; v <= high; v += step) out.add(v);
  }
  return out;
}

function valueOf(text: string, field: Field): number {
  const byName = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + field.min;
  return Number(text);
}

/** Whether the expression fires on some day: robfig/cron ANDs day-of-month and day-of-week when either is '*', else ORs them. */
export function firesOnSomeDay(cron: ExpandedCron): boolean {
  const [, , dom, month, dow] = cron.values;
  // 28 years cover every weekday/date/leap-year combination of the Gregorian calendar in this range.
  for (let day = Date.UTC(2024, 0, 1); day < Date.UTC(2052, 0, 1); day += 86_400_000) {
    const date = new Date(day);
    if (!month.has(date.getUTCMonth() + 1)) continue;
    const domMatch = dom.has(date.getUTCDate());
    const dowMatch = dow.has(date.getUTCDay());
    if (cron.domStar || cron.dowStar ? domMatch && dowMatch : domMatch || dowMatch) return true;
  }
  return false;
}

/** Whether two expressions fire at exactly the same instants (the same sets in every field). */
export function sameInstants(a: ExpandedCron, b: ExpandedCron): boolean {
  const equal = (x: Set<number>, y: Set<number>) => x.size === y.size && [...x].every((v) => y.has(v));
  return a.values.every((set, i) => equal(set, b.values[i])) && a.domStar === b.domStar && a.dowStar === b.dowStar;
}

/** Windows that open, close at another instant, and raise the floor. */
export function checkWindow(check: Check, prop: string, start: string, end: string, replicas: number, floor: number): void {
  const opens = expandCron(start);
  check.that(firesOnSomeDay(opens), `${prop}.start`, start, 'never fires: no day matches its day-of-month, month and day-of-week fields');
  const closes = expandCron(end);
  check.that(firesOnSomeDay(closes), `${prop}.end`, end, 'never fires: no day matches its day-of-month, month and day-of-week fields');
  check.that(!sameInstants(opens, closes), `${prop}.end`, end, `fires at the same instants as start ('${start}'): the window would never be open`);
  check.that(replicas > floor, `${prop}.replicas`, replicas, `must exceed the floor (${floor}): a window that does not raise it does nothing`);
}

/** The shape of a replica window (WarmFloor's and GpuHeadroom's `schedules`). */
export interface ReplicaWindow {
  readonly timezone: string;
  readonly start: string;
  readonly end: string;
  readonly replicas: number;
}

/** Checks `schedules[index]`: its time zone, cron expressions, replicas (1 to `maxReplicas`) and that it raises `floor`. */
export function checkScheduleWindow(check: Check, schedule: ReplicaWindow, index: number, maxReplicas: number, floor: number): void {
  const prop = `schedules[${index}]`;
  check.that(schedule !== null && typeof schedule === 'object', prop, schedule, 'must be a { timezone, start, end, replicas } window');
  check.that(typeof schedule.timezone === 'string' && isTimeZone(schedule.timezone), `${prop}.timezone`, schedule.timezone, 'must be an IANA time zone such as Europe/Paris');
  const zoneProblem = timeZoneProblem(schedule.timezone);
  if (zoneProblem) throw check.error(`${prop}.timezone`, schedule.timezone, zoneProblem);
  for (const field of ['start', 'end'] as const) {
    check.that(typeof schedule[field] === 'string', `${prop}.${field}`, schedule[field], 'must be a five-field cron expression');
    const problem = cronProblem(schedule[field]);
    if (problem) throw check.error(`${prop}.${field}`, schedule[field], problem);
  }
  check.that(schedule.start.trim() !== schedule.end.trim(), `${prop}.end`, schedule.end, 'must differ from start');
  check.integer(`${prop}.replicas`, schedule.replicas, 1, maxReplicas);
  checkWindow(check, prop, schedule.start, schedule.end, schedule.replicas, floor);
}
