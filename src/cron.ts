/**
 * Checks for KEDA's cron scaler: standard five-field cron expressions and IANA time zones.
 * Returns a description of what is wrong, or undefined when the value is valid.
 */

interface CronField { readonly name: string; readonly min: number; readonly max: number; readonly names?: string[] }

const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // KEDA's cron parser (robfig/cron) takes 0-6; 7 is not Sunday there.
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** What is wrong with a five-field cron expression (minute hour day-of-month month day-of-week), if anything. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `has ${fields.length} fields; expected 5 (minute hour day-of-month month day-of-week)`;
  for (const [i, text] of fields.entries()) {
    const problem = fieldProblem(text, FIELDS[i]);
    if (problem) return `${FIELDS[i].name} field '${text}' ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, ...rest] = part.split('/');
    if (rest.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return 'has an invalid step';
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return 'has an invalid range';
    const values = bounds.map((b) => valueOf(b, field));
    if (values.some((v) => v === undefined)) return `must hold values from ${field.min} to ${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;
    if (values.length === 2 && values[0]! > values[1]!) return 'has a range that runs backwards';
  }
  return undefined;
}

function valueOf(text: string, field: CronField): number | undefined {
  const byName = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + (field.name === 'month' ? 1 : 0);
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}

/** Whether `timeZone` is an IANA time zone this runtime knows (KEDA loads it with Go's time.LoadLocation). */
export function isTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
