import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * A bad input caught at synth time. The message names the construct (kind and path) or the
 * value class, the prop, the value and what is allowed, so the user knows exactly what to change:
 * `VllmService 'llama/server': gpuMemoryUtilization (1.2) must be in (0, 1]`.
 */
export class ValidationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** `VllmService 'llama/server'`: how errors name a construct. */
export function subjectOf(scope: IConstruct, kind: string): string {
  return `${kind} '${scope.node.path}'`;
}

/** Renders a prop value the way a user wrote it. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** Prop checks: each throws a ValidationError naming the subject, the prop, the value and the rule. */
export class Check {
  public constructor(private readonly subject: string) {}

  /** A whole number >= min (and <= max when given). */
  public integer(prop: string, value: number | undefined, min: number, max?: number): void {
    if (value === undefined) return;
    const inRange = Number.isInteger(value) && value >= min && (max === undefined || value <= max);
    const rule = max === undefined ? `must be a whole number >= ${min}` : `must be a whole number from ${min} to ${max}`;
    this.that(inRange, prop, value, rule);
  }

  /** A finite number in the half-open interval (min, max]. */
  public inHalfOpenRange(prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined) return;
    this.that(Number.isFinite(value) && value > min && value <= max, prop, value, `must be in (${min}, ${max}]`);
  }

  /** A finite number > 0. */
  public positive(prop: string, value: number | undefined): void {
    if (value === undefined) return;
    this.that(Number.isFinite(value) && value > 0, prop, value, 'must be a number > 0');
  }

  /** A Duration of whole seconds from min to max; returns the seconds. */
  public wholeSeconds(prop: string, value: Duration, min: number, max: number): number {
    let seconds: number;
    try {
      seconds = value.toMilliseconds({ integral: false }) / 1000;
    } catch {
      // Not a Duration, or one cdk8s cannot convert (NaN, Infinity).
      seconds = NaN;
    }
    this.that(Number.isInteger(seconds) && seconds >= min && seconds <= max, prop, `${seconds}s`,
      `must be a whole number of seconds from ${min} to ${max}`);
    return seconds;
  }

  /**
   * A props object holding every required prop: from JavaScript (or a missing `{}`) the props may lack one, and the
   * construct must say which rather than fail further on with a TypeError.
   */
  public required(props: unknown, names: string[]): void {
    if (props === null || typeof props !== 'object') throw this.problem(`props (${formatValue(props)}) must be an object with ${names.join(', ')}`);
    for (const name of names) {
      const value = (props as { [name: string]: unknown })[name];
      if (value === undefined || value === null) throw this.error(name, value, `is required (props must hold ${names.join(', ')})`);
    }
  }

  /** A member of a string enum (`RolloutStrategy.SURGE`): from JavaScript any string arrives, and none may fall back silently. */
  public oneOf(prop: string, value: unknown, members: { [name: string]: string }, enumName: string): void {
    if (value === undefined) return;
    this.that(Object.values(members).includes(value as string), prop, value,
      `must be one of ${Object.keys(members).map((name) => `${enumName}.${name}`).join(', ')}`);
  }

  /** Throws `<subject>: <prop> (<value>) <rule>` when the condition does not hold. */
  public that(condition: boolean, prop: string, value: unknown, rule: string): void {
    if (!condition) throw this.error(prop, value, rule);
  }

  /** The error for one prop. */
  public error(prop: string, value: unknown, rule: string): ValidationError {
    return new ValidationError(`${this.subject}: ${prop} (${formatValue(value)}) ${rule}`);
  }

  /** An error about a combination of props. */
  public problem(message: string): ValidationError {
    return new ValidationError(`${this.subject}: ${message}`);
  }
}
