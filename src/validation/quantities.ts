import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { Check } from '../errors';
import { INT32_MAX } from './kubernetes-names';

/**
 * Durations, sizes and quantities read without letting cdk8s throw its own conversion errors
 * (which name no construct and no prop).
 */

/** Seconds of a Duration, possibly fractional; a ValidationError for NaN, Infinity or a negative value. */
export function durationSeconds(check: Check, prop: string, duration: Duration): number {
  let millis: number;
  try {
    millis = duration.toMilliseconds({ integral: false });
  } catch {
    millis = NaN;
  }
  if (!Number.isFinite(millis) || millis < 0) throw check.error(prop, String(millis / 1000) + 's', 'must be a finite duration >= 0');
  return millis / 1000;
}

/** GiB of a Size, possibly fractional (`Size.mebibytes(40000)` is 39.06 GiB); a ValidationError for NaN or Infinity. */
export function sizeGib(check: Check, prop: string, size: Size): number {
  let kib: number;
  try {
    kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  } catch {
    kib = NaN;
  }
  if (!Number.isFinite(kib) || kib < 0) throw check.error(prop, `${kib / 2 ** 20}Gi`, 'must be a finite size >= 0');
  return kib / 2 ** 20;
}

/** How a size reads in a message: `39.06Gi`. */
export function gibText(gib: number): string {
  return `${Number.isInteger(gib) ? gib : gib.toFixed(2)}Gi`;
}

const CPU_QUANTITY = /^(\d+(\.\d+)?|\.\d+)m?$/;

/** A CPU request such as `4` or `500m`: a positive Kubernetes quantity. */
export function checkCpu(check: Check, prop: string, amount: string | undefined): void {
  if (amount === undefined) return;
  const valid = typeof amount === 'string' && CPU_QUANTITY.test(amount) && Number(amount.replace(/m$/, '')) > 0;
  check.that(valid, prop, amount, "must be a positive CPU quantity such as '4' or '500m'");
}

/** A value the API server stores as an int32. */
export function checkInt32(check: Check, prop: string, value: number, why: string): void {
  check.that(Number.isInteger(value) && value >= 0 && value <= INT32_MAX, prop, value, `${why} must be a whole number from 0 to ${INT32_MAX} (an int32 field)`);
}
