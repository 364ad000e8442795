import { SeededRandom } from './random';

// Math's functions held here: under a sandboxed global (jest's vm context) each `Math.x` lookup is many times the cost of the call.
const { cos, exp, floor, imul, log, max, min, PI, pow, round, sqrt } = Math;

/**
 * Seeded draws from the continuous distributions the generated traffic is made of. Each takes the generator it
 * draws from, so a trace is the same for the same seed on every platform.
 */

/** A standard normal draw (Box-Muller, one of the pair). */
export function standardNormal(random: SeededRandom): number {
  const u = 1 - random.next(); // (0, 1]: log(0) never happens
  const v = random.next();
  return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/** A lognormal distribution given by its median and the standard deviation of its logarithm. */
export interface LognormalProps {
  /** The median (e^mu). */
  readonly median: number;
  /** The standard deviation of ln(x). */
  readonly sigma: number;
  /** The smallest whole value kept (draws below are redrawn). */
  readonly min: number;
  /** The largest whole value kept (draws above are redrawn). */
  readonly max: number;
}

/** The sigma of a lognormal with this median and mean (mean / median = e^(sigma^2 / 2)). */
export function sigmaFromMedianAndMean(median: number, mean: number): number {
  if (!(median > 0) || !(mean >= median)) throw new Error(`lognormal: mean (${mean}) must be >= median (${median}) > 0`);
  return sqrt(2 * log(mean / median));
}

/** The median of a lognormal with this mean and sigma. */
export function medianFromMean(mean: number, sigma: number): number {
  return mean / exp((sigma * sigma) / 2);
}

/**
 * A whole number from a lognormal truncated to [min, max]: a draw outside is redrawn (up to 32 times, then
 * clamped), so the bounds hold without piling mass on them.
 */
export function boundedLognormal(random: SeededRandom, props: LognormalProps): number {
  const mu = log(props.median);
  for (let attempt = 0; attempt < 32; attempt++) {
    const value = round(exp(mu + props.sigma * standardNormal(random)));
    if (value >= props.min && value <= props.max) return value;
  }
  return min(props.max, max(props.min, round(props.median)));
}

/**
 * A gamma draw with mean 1 and coefficient of variation `cv` (shape 1 / cv^2, scale cv^2), by Marsaglia and Tsang's
 * method; shapes below 1 use the boost x * U^(1/shape) of a draw with shape + 1.
 */
export function gammaMeanOne(random: SeededRandom, cv: number): number {
  if (!(cv > 0)) return 1;
  const shape = 1 / (cv * cv);
  return gammaShape(random, shape) * cv * cv;
}

function gammaShape(random: SeededRandom, shape: number): number {
  if (shape < 1) return gammaShape(random, shape + 1) * pow(1 - random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / sqrt(9 * d);
  for (;;) {
    const x = standardNormal(random);
    const v = pow(1 + c * x, 3);
    if (v <= 0) continue;
    const u = 1 - random.next();
    if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
  }
}

/** A seed derived from another and a stream number, so independent streams of one trace never share draws. */
export function streamSeed(seed: number, stream: number): number {
  // eslint-disable-next-line no-bitwise
  return (imul(floor(seed) ^ 0x5bd1e995, 0x27d4eb2d) + imul(stream + 1, 0x165667b1)) | 0;
}
