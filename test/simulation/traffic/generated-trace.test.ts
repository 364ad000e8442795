import {
  burstWindows, crowdWindows, extremeSeconds, generateTrace, GeneratedTraceProps,
} from '../../../src/simulation/traffic/generated-trace';
import { CODE_MIX, DECODE_HEAVY_MIX, RETRIEVAL_MIX } from '../../../src/simulation/traffic/token-mix';
import { Trace } from '../../../src/simulation/traffic/trace';

const HOUR = 3600;
const arrivalsOf = (trace: Trace): number[] => Array.from(trace._arrivals);
const countIn = (trace: Trace, from: number, to: number): number => {
  let n = 0;
  for (const t of trace._arrivals) if (t >= from && t < to) n++;
  return n;
};
/** Whether two traces hold the same requests (compared here: deep equality of 30k-element arrays is slow in jest). */
const same = (a: Trace, b: Trace): boolean => a.length === b.length
  && a._arrivals.every((t, i) => t === b._arrivals[i] && a._prompts[i] === b._prompts[i] && a._outputs[i] === b._outputs[i]);
const rateIn = (trace: Trace, from: number, to: number): number => countIn(trace, from, to) / (to - from);

const bursts: GeneratedTraceProps = {
  name: 'bursts',
  durationSeconds: 1.5 * HOUR,
  peakRequestsPerSecond: 30,
  shape: { kind: 'on-off', burstSeconds: 60, gapSeconds: 240, jitter: 0.5 },
  mix: CODE_MIX,
};

describe('generateTrace', () => {
  test('is deterministic for (props, seed); withSeed redraws it, through later transformations too', () => {
    const props: GeneratedTraceProps = { ...bursts, seed: 4, noise: { periodSeconds: 300, cv: 0.3 } };
    const a = generateTrace(props);
    const b = generateTrace(props);
    expect(same(a, b)).toBe(true);
    expect(a.name).toBe('bursts (seed 4)');
    const other = generateTrace({ ...props, seed: 5 });
    expect(same(a, other)).toBe(false);
    expect(arrivalsOf(other).slice(0, 10)).not.toEqual(arrivalsOf(a).slice(0, 10));
    expect(same(a.withSeed(5), other)).toBe(true);
    expect(same(a.withSeed(4), a)).toBe(true);
    // A transformation of a generated trace redraws from the generator.
    expect(same(a.shuffleTokens(2).withSeed(5), other.shuffleTokens(5))).toBe(true);
    expect(a.durationSeconds).toBe(1.5 * HOUR);
  });

  test('on/off: bursts no longer than the burst length (+ jitter), silence of at least the gap (- jitter) between', () => {
    for (const seed of [1, 2, 3]) {
      const trace = generateTrace({ ...bursts, seed });
      const windows = burstWindows(bursts, seed);
      expect(windows.length).toBeGreaterThanOrEqual(10);
      const times = arrivalsOf(trace);
      // Split the arrivals where nothing arrives for 10 s: at 30 requests/s a burst has no such hole.
      const groups: number[][] = [];
      for (const t of times) {
        if (groups.length === 0 || t - groups[groups.length - 1][groups[groups.length - 1].length - 1] > 10) groups.push([]);
        groups[groups.length - 1].push(t);
      }
      expect(groups.length).toBe(windows.length);
      groups.forEach((g, i) => {
        expect(g[g.length - 1] - g[0]).toBeLessThanOrEqual(60 * 1.5);
        expect(g[0]).toBeGreaterThanOrEqual(windows[i].startSeconds);
        expect(g[g.length - 1]).toBeLessThan(windows[i].endSeconds);
        if (i > 0) expect(g[0] - groups[i - 1][groups[i - 1].length - 1]).toBeGreaterThanOrEqual(240 * 0.5);
        // Within a burst the rate is the burst rate.
        const span = windows[i].endSeconds - windows[i].startSeconds;
        if (span > 20) expect(g.length / span).toBeGreaterThan(30 * 0.7);
      });
      // Every burst is shorter than the reference server's 180 s cold start.
      for (const w of windows) expect(w.endSeconds - w.startSeconds).toBeLessThan(180);
    }
  });

  test('a crowd at the peak lands on the diurnal peak, one at the trough on the trough, each multiplying the rate there', () => {
    const day: GeneratedTraceProps = {
      name: 'day',
      durationSeconds: 2 * HOUR,
      peakRequestsPerSecond: 10,
      shape: { kind: 'diurnal', troughFactor: 0.3 },
      mix: RETRIEVAL_MIX,
      crowds: [{ at: 'peak', durationSeconds: 600, multiplier: 3 }],
    };
    expect(extremeSeconds(day, 'peak')).toBe(HOUR);
    expect(crowdWindows(day)).toEqual([{ startSeconds: HOUR - 300, endSeconds: HOUR + 300 }]);
    const peakDay = generateTrace(day);
    const quiet = generateTrace({ ...day, crowds: [] });
    expect(rateIn(peakDay, HOUR - 300, HOUR + 300) / rateIn(quiet, HOUR - 300, HOUR + 300)).toBeCloseTo(3, 0);
    // Outside the window the crowd changes nothing but the draws.
    expect(countIn(peakDay, 0, HOUR - 300) / countIn(quiet, 0, HOUR - 300)).toBeCloseTo(1, 1);
    // The busiest 10 minutes of the day are the crowd's.
    const busiest = Array.from({ length: 12 }, (_, i) => countIn(peakDay, i * 600, (i + 1) * 600));
    expect(busiest.indexOf(Math.max(...busiest))).toBeGreaterThanOrEqual(5);
    expect(busiest.indexOf(Math.max(...busiest))).toBeLessThanOrEqual(6);

    const night: GeneratedTraceProps = {
      name: 'night',
      durationSeconds: 2 * HOUR,
      peakRequestsPerSecond: 40,
      shape: { kind: 'diurnal', troughFactor: 0.25, peakAtFraction: 0 },
      mix: DECODE_HEAVY_MIX,
      crowds: [{ at: 'trough', durationSeconds: 360, multiplier: 4 }],
    };
    expect(extremeSeconds(night, 'trough')).toBe(HOUR);
    const troughDay = generateTrace(night);
    const calm = generateTrace({ ...night, crowds: [] });
    // Without the crowd the window is the quietest of the day (the trough: 10 requests/s) ...
    expect(rateIn(calm, HOUR - 180, HOUR + 180)).toBeCloseTo(10, -0.5);
    expect(rateIn(calm, HOUR - 180, HOUR + 180)).toBeLessThan(rateIn(calm, 0, 360) / 3);
    // ... and the crowd multiplies it by 4.
    expect(rateIn(troughDay, HOUR - 180, HOUR + 180) / rateIn(calm, HOUR - 180, HOUR + 180)).toBeCloseTo(4, 0);
    expect(() => crowdWindows({ ...bursts, crowds: [{ at: 'peak', durationSeconds: 60, multiplier: 2 }] })).toThrow(/needs a diurnal shape/);
  });

  test('noise: the rate wanders per period with about the coefficient of variation asked for', () => {
    const flat: GeneratedTraceProps = { name: 'flat', durationSeconds: 2 * HOUR, peakRequestsPerSecond: 20, shape: { kind: 'flat' }, mix: CODE_MIX };
    const cvOf = (trace: Trace): number => {
      const counts = Array.from({ length: 24 }, (_, i) => countIn(trace, i * 300, (i + 1) * 300));
      const m = counts.reduce((a, b) => a + b, 0) / counts.length;
      return Math.sqrt(counts.reduce((a, c) => a + (c - m) ** 2, 0) / counts.length) / m;
    };
    expect(cvOf(generateTrace(flat))).toBeLessThan(0.05); // Poisson alone: about 1 %
    const noisy = [1, 2, 3, 4].map((seed) => cvOf(generateTrace({ ...flat, seed, noise: { periodSeconds: 300, cv: 0.4 } })));
    const meanCv = noisy.reduce((a, b) => a + b, 0) / noisy.length;
    // Linear interpolation between knots smooths the per-period means a little below the knots' 0.4.
    expect(meanCv).toBeGreaterThan(0.2);
    expect(meanCv).toBeLessThan(0.5);
  });

  test('ramp and flat shapes, and mix segments that switch the token mix and scale the rate', () => {
    const ramp = generateTrace({ name: 'ramp', durationSeconds: HOUR, peakRequestsPerSecond: 20, shape: { kind: 'ramp', troughFactor: 0.25 }, mix: CODE_MIX });
    expect(rateIn(ramp, 0, 300)).toBeCloseTo(20 * (0.25 + 0.75 * (150 / HOUR)), -0.5);
    expect(rateIn(ramp, HOUR - 300, HOUR)).toBeCloseTo(20 * (0.25 + 0.75 * ((HOUR - 150) / HOUR)), -0.5);
    const switched = generateTrace({
      name: 'switch',
      durationSeconds: HOUR,
      peakRequestsPerSecond: 20,
      shape: { kind: 'flat' },
      mix: [{ fromSeconds: 0, mix: CODE_MIX }, { fromSeconds: 1800, mix: DECODE_HEAVY_MIX, rateFactor: 0.5 }],
    });
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < switched.length; i++) (switched._arrivals[i] < 1800 ? before : after).push(switched._outputs[i]);
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    expect(med(before)).toBeLessThan(20); // code completions
    expect(med(after)).toBeGreaterThan(800); // long generations
    expect(after.length / before.length).toBeCloseTo(0.5, 1);
  });

  test('refuses impossible props and traces past the replay budget', () => {
    const base: GeneratedTraceProps = { name: 'x', durationSeconds: HOUR, peakRequestsPerSecond: 10, shape: { kind: 'flat' }, mix: CODE_MIX };
    expect(() => generateTrace({ ...base, durationSeconds: 10 })).toThrow(/durationSeconds \(10\) must be from 60/);
    expect(() => generateTrace({ ...base, peakRequestsPerSecond: 0 })).toThrow(/peakRequestsPerSecond/);
    expect(() => generateTrace({ ...base, shape: { kind: 'diurnal', troughFactor: 2 } })).toThrow(/troughFactor \(2\)/);
    expect(() => generateTrace({ ...base, shape: { kind: 'on-off', burstSeconds: 0, gapSeconds: 10 } })).toThrow(/burstSeconds \(0\)/);
    expect(() => generateTrace({ ...base, noise: { periodSeconds: 60, cv: 5 } })).toThrow(/cv \(5\)/);
    expect(() => generateTrace({ ...base, crowds: [{ at: 10, durationSeconds: 60, multiplier: 0.5 }] })).toThrow(/multiplier \(0.5\)/);
    expect(() => generateTrace({ ...base, mix: [{ fromSeconds: 5, mix: CODE_MIX }] })).toThrow(/must start at 0 s/);
    expect(() => generateTrace({ ...base, seed: 1.5 })).toThrow(/seed \(1.5\)/);
    expect(() => generateTrace({ ...base, peakRequestsPerSecond: 1000 })).toThrow(/one replay holds at most 2000000/);
  });
});
