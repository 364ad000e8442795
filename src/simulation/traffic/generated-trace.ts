import { gammaMeanOne, streamSeed } from './distributions';
import { SeededRandom } from './random';
import { TokenMix } from './token-mix';
import { Trace } from './trace';
import { ValidationError } from '../../errors';

/**
 * How the arrival rate moves over a generated trace, as a fraction of the peak:
 * - `flat`: 1 throughout.
 * - `diurnal`: a cosine between `troughFactor` and 1, peaking at `peakAtFraction` of the period (0.5: trough at the
 *   start and end, peak mid-trace; 0: peak at the start and end, trough mid-trace).
 * - `ramp`: a straight climb from `troughFactor` to 1.
 * - `on-off`: bursts at the peak rate lasting `burstSeconds`, separated by `gapSeconds` at `idleFactor` of it
 *   (0: silence); each length is drawn uniformly within +-`jitter` of its value. The first burst follows a gap.
 */
export type ArrivalShape =
  | { readonly kind: 'flat' }
  | { readonly kind: 'diurnal'; readonly troughFactor: number; readonly peakAtFraction?: number; readonly periodSeconds?: number }
  | { readonly kind: 'ramp'; readonly troughFactor: number }
  | { readonly kind: 'on-off'; readonly burstSeconds: number; readonly gapSeconds: number; readonly jitter?: number; readonly idleFactor?: number };

/**
 * A rate multiplier that wanders: every `periodSeconds` a knot is drawn from a gamma distribution of mean 1 and
 * coefficient of variation `cv`, and the multiplier moves linearly from knot to knot.
 */
export interface RateNoise {
  readonly periodSeconds: number;
  readonly cv: number;
}

/** A flash crowd: the rate is multiplied by `multiplier` for `durationSeconds`, centred on the diurnal peak or trough, or from a time. */
export interface GeneratedCrowd {
  /** `peak` or `trough` (diurnal shapes: centred on the one nearest mid-trace), or the start in seconds. */
  readonly at: 'peak' | 'trough' | number;
  readonly durationSeconds: number;
  readonly multiplier: number;
}

/** From `fromSeconds` on (until the next segment), requests draw their tokens from `mix`, at `rateFactor` times the shape's rate. */
export interface MixSegment {
  readonly fromSeconds: number;
  readonly mix: TokenMix;
  /** @default 1 */
  readonly rateFactor?: number;
}

/** A generated trace: Poisson arrivals whose rate is peak x shape x noise x crowds x segment factor, drawn by thinning. */
export interface GeneratedTraceProps {
  /** The trace's name in reports (the seed is appended). */
  readonly name: string;
  /** Seconds, 60 to 7 days. */
  readonly durationSeconds: number;
  /** Requests per second where the shape is 1 (before noise, crowds and segment factors). */
  readonly peakRequestsPerSecond: number;
  readonly shape: ArrivalShape;
  readonly noise?: RateNoise;
  readonly crowds?: GeneratedCrowd[];
  /** One mix throughout, or segments (the first from 0 s). */
  readonly mix: TokenMix | MixSegment[];
  /** @default 1 */
  readonly seed?: number;
}

/** A window of a trace, seconds. */
export interface TimeWindow {
  readonly startSeconds: number;
  readonly endSeconds: number;
}

// Math's functions held here: under a sandboxed global (jest's vm context) each `Math.x` lookup is many times the cost of the call.
const { cos, floor, max, min, PI } = Math;
const SUBJECT = 'generateTrace';
/** The independent random streams of one trace: the on/off schedule, the noise knots, the arrivals, the tokens. */
const STREAM = { schedule: 0, noise: 1, arrivals: 2, tokens: 3 } as const;

/**
 * A trace generated from a seed: deterministic for (props, seed), and `withSeed(s)` redraws every random step
 * (bursts, noise, arrivals, tokens) with seed `s`.
 */
export function generateTrace(props: GeneratedTraceProps): Trace {
  const seed = props.seed ?? 1;
  const duration = props.durationSeconds;
  const segments = mixSegments(props);
  check(props, segments);
  const schedule = props.shape.kind === 'on-off' ? burstWindows(props, seed) : [];
  const knots = noiseKnots(props, seed);
  const crowds = crowdWindows(props).map((w, i) => ({ ...w, multiplier: props.crowds![i].multiplier }));
  const peak = props.peakRequestsPerSecond;
  const ceiling = peak * max(...knots, 1) * crowds.reduce((m, c) => m * c.multiplier, 1)
    * max(...segments.map((s) => s.rateFactor ?? 1));
  if (!(ceiling * duration <= Trace.MAX_REQUESTS)) {
    throw new ValidationError(`${SUBJECT} '${props.name}': peak x noise x crowds x duration could reach ${Math.round(ceiling * duration)} requests; `
      + `one replay holds at most ${Trace.MAX_REQUESTS}`);
  }
  const shapeAt = shapeFunction(props, schedule);
  let burst = 0;
  let segment = 0;
  const level = (t: number): number => {
    while (segment + 1 < segments.length && segments[segment + 1].fromSeconds <= t) segment++;
    while (burst < schedule.length && schedule[burst].endSeconds <= t) burst++;
    const inBurst = burst < schedule.length && schedule[burst].startSeconds <= t;
    const noise = knots.length === 0 ? 1 : interpolate(knots, t / props.noise!.periodSeconds);
    const crowd = crowds.reduce((m, c) => (t >= c.startSeconds && t < c.endSeconds ? m * c.multiplier : m), 1);
    return peak * shapeAt(t, inBurst) * noise * crowd * (segments[segment].rateFactor ?? 1);
  };
  const arrivals = new SeededRandom(streamSeed(seed, STREAM.arrivals));
  const tokens = new SeededRandom(streamSeed(seed, STREAM.tokens));
  const times: number[] = [];
  const prompts: number[] = [];
  const outputs: number[] = [];
  for (let t = arrivals.exponential(1 / ceiling); t < duration; t += arrivals.exponential(1 / ceiling)) {
    if (arrivals.next() * ceiling >= level(t)) continue;
    const pair = segments[segment].mix.draw(tokens);
    times.push(t);
    prompts.push(wholeTokens(pair.promptTokens, props.name));
    outputs.push(wholeTokens(pair.outputTokens, props.name));
  }
  return Trace._generated(`${props.name} (seed ${seed})`, times, prompts, outputs, duration, (s) => generateTrace({ ...props, seed: s }));
}

/**
 * The bursts of an `on-off` shape for this seed (as `generateTrace` draws them): a gap, a burst, a gap, ... until
 * the end of the trace.
 */
export function burstWindows(props: GeneratedTraceProps, seed: number = props.seed ?? 1): TimeWindow[] {
  const shape = props.shape;
  if (shape.kind !== 'on-off') return [];
  const jitter = shape.jitter ?? 0;
  const random = new SeededRandom(streamSeed(seed, STREAM.schedule));
  const around = (value: number): number => value * (1 - jitter + 2 * jitter * random.next());
  const windows: TimeWindow[] = [];
  for (let t = around(shape.gapSeconds); t < props.durationSeconds;) {
    const end = min(props.durationSeconds, t + around(shape.burstSeconds));
    windows.push({ startSeconds: t, endSeconds: end });
    t = end + around(shape.gapSeconds);
  }
  return windows;
}

/** The windows of the flash crowds, in the order given. */
export function crowdWindows(props: GeneratedTraceProps): TimeWindow[] {
  return (props.crowds ?? []).map((crowd) => {
    const start = typeof crowd.at === 'number' ? crowd.at : extremeSeconds(props, crowd.at) - crowd.durationSeconds / 2;
    return { startSeconds: start, endSeconds: start + crowd.durationSeconds };
  });
}

/** The time of the diurnal peak or trough nearest mid-trace. */
export function extremeSeconds(props: GeneratedTraceProps, which: 'peak' | 'trough'): number {
  const shape = props.shape;
  if (shape.kind !== 'diurnal') throw new ValidationError(`${SUBJECT} '${props.name}': a crowd at the ${which} needs a diurnal shape, got '${shape.kind}'`);
  const period = shape.periodSeconds ?? props.durationSeconds;
  const phase = (shape.peakAtFraction ?? 0.5) + (which === 'trough' ? 0.5 : 0);
  const middle = props.durationSeconds / 2;
  const n = Math.round(middle / period - phase);
  return (phase + n) * period;
}

function shapeFunction(props: GeneratedTraceProps, schedule: TimeWindow[]): (t: number, inBurst: boolean) => number {
  const shape = props.shape;
  const duration = props.durationSeconds;
  switch (shape.kind) {
    case 'flat': return () => 1;
    case 'diurnal': {
      const period = shape.periodSeconds ?? duration;
      const peakAt = shape.peakAtFraction ?? 0.5;
      return (t) => shape.troughFactor + (1 - shape.troughFactor) * 0.5 * (1 + cos(2 * PI * (t / period - peakAt)));
    }
    case 'ramp': return (t) => shape.troughFactor + (1 - shape.troughFactor) * (t / duration);
    case 'on-off': {
      const idle = shape.idleFactor ?? 0;
      return schedule.length === 0 ? () => idle : (_, inBurst) => (inBurst ? 1 : idle);
    }
  }
}

function noiseKnots(props: GeneratedTraceProps, seed: number): number[] {
  if (props.noise === undefined) return [];
  const random = new SeededRandom(streamSeed(seed, STREAM.noise));
  const count = Math.ceil(props.durationSeconds / props.noise.periodSeconds) + 1;
  return Array.from({ length: count }, () => gammaMeanOne(random, props.noise!.cv));
}

function interpolate(knots: number[], x: number): number {
  const i = min(knots.length - 2, floor(x));
  const f = x - i;
  return knots[i] * (1 - f) + knots[i + 1] * f;
}

function mixSegments(props: GeneratedTraceProps): MixSegment[] {
  return Array.isArray(props.mix) ? props.mix : [{ fromSeconds: 0, mix: props.mix as TokenMix }];
}

function wholeTokens(value: number, name: string): number {
  if (!(Number.isInteger(value) && value >= 1 && value <= Trace.MAX_TOKENS_PER_REQUEST)) {
    throw new ValidationError(`${SUBJECT} '${name}': a token mix drew ${value}; token counts are whole numbers from 1 to ${Trace.MAX_TOKENS_PER_REQUEST}`);
  }
  return value;
}

function check(props: GeneratedTraceProps, segments: MixSegment[]): void {
  const where = `${SUBJECT} '${props.name}'`;
  const d = props.durationSeconds;
  if (!(d >= 60 && d <= Trace.MAX_DURATION_SECONDS)) throw new ValidationError(`${where}: durationSeconds (${d}) must be from 60 to ${Trace.MAX_DURATION_SECONDS}`);
  if (!(props.peakRequestsPerSecond > 0)) throw new ValidationError(`${where}: peakRequestsPerSecond (${props.peakRequestsPerSecond}) must be > 0`);
  if (!Number.isInteger(props.seed ?? 1)) throw new ValidationError(`${where}: seed (${props.seed}) must be a whole number`);
  const shape = props.shape;
  if ((shape.kind === 'diurnal' || shape.kind === 'ramp') && !(shape.troughFactor >= 0 && shape.troughFactor <= 1)) {
    throw new ValidationError(`${where}: troughFactor (${shape.troughFactor}) must be from 0 to 1`);
  }
  if (shape.kind === 'diurnal' && !((shape.periodSeconds ?? d) > 0 && (shape.peakAtFraction ?? 0.5) >= 0 && (shape.peakAtFraction ?? 0.5) <= 1)) {
    throw new ValidationError(`${where}: periodSeconds (${shape.periodSeconds}) must be > 0 and peakAtFraction (${shape.peakAtFraction}) from 0 to 1`);
  }
  if (shape.kind === 'on-off' && !(shape.burstSeconds > 0 && shape.gapSeconds > 0 && (shape.jitter ?? 0) >= 0 && (shape.jitter ?? 0) < 1
    && (shape.idleFactor ?? 0) >= 0 && (shape.idleFactor ?? 0) <= 1)) {
    throw new ValidationError(`${where}: burstSeconds (${shape.burstSeconds}) and gapSeconds (${shape.gapSeconds}) must be > 0, `
      + `jitter (${shape.jitter}) in [0, 1) and idleFactor (${shape.idleFactor}) in [0, 1]`);
  }
  if (props.noise && !(props.noise.periodSeconds > 0 && props.noise.cv >= 0 && props.noise.cv <= 2)) {
    throw new ValidationError(`${where}: noise periodSeconds (${props.noise.periodSeconds}) must be > 0 and cv (${props.noise.cv}) from 0 to 2`);
  }
  for (const crowd of props.crowds ?? []) {
    if (!(crowd.multiplier >= 1 && crowd.multiplier <= 100 && crowd.durationSeconds > 0)
      || (typeof crowd.at === 'number' ? !(crowd.at >= 0) : !['peak', 'trough'].includes(crowd.at))) {
      throw new ValidationError(`${where}: a crowd needs multiplier (${crowd.multiplier}) from 1 to 100, durationSeconds (${crowd.durationSeconds}) > 0 `
        + `and at ('${crowd.at}') 'peak', 'trough' or seconds >= 0`);
    }
  }
  if (segments.length === 0 || segments[0].fromSeconds !== 0
    || segments.some((s, i) => (i > 0 && !(s.fromSeconds > segments[i - 1].fromSeconds)) || !((s.rateFactor ?? 1) > 0))) {
    throw new ValidationError(`${where}: mix segments must start at 0 s, in increasing order, with rateFactor > 0`);
  }
}
