import * as path from 'path';
import { boundedLognormal, gammaMeanOne, sigmaFromMedianAndMean } from '../../../src/simulation/traffic/distributions';
import { SeededRandom } from '../../../src/simulation/traffic/random';
import {
  chatMix, CODE_MIX, DECODE_HEAVY_MIX, LONG_CONTEXT_MIX, lognormalMix, RETRIEVAL_MIX, TOKEN_MIX_NAMES, TokenMix, tokenMix,
} from '../../../src/simulation/traffic/token-mix';
import { Trace } from '../../../src/simulation/traffic/trace';

const azure = Trace.fromCsvFile(path.join(__dirname, '..', '..', '..', 'data', 'traces', 'azure-llm-2023-conv.csv'));
const SAMPLES = 20_000;
/** Tolerances of the sampled statistics against the published figure. */
const MEDIAN_TOLERANCE = 0.05;
const MEAN_TOLERANCE = 0.08;

function sample(mix: TokenMix, seed: number, n = SAMPLES): { prompts: number[]; outputs: number[] } {
  const random = new SeededRandom(seed);
  const prompts: number[] = [];
  const outputs: number[] = [];
  for (let i = 0; i < n; i++) {
    const pair = mix.draw(random);
    prompts.push(pair.promptTokens);
    outputs.push(pair.outputTokens);
  }
  return { prompts, outputs };
}
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const mixes: TokenMix[] = [chatMix(azure), CODE_MIX, RETRIEVAL_MIX, LONG_CONTEXT_MIX, DECODE_HEAVY_MIX];

describe('token mixes', () => {
  test.each(mixes.map((m) => [m.name, m] as const))('%s: the sampled medians and means are within 5 % / 8 % of its published figures', (_, mix) => {
    const { prompts, outputs } = sample(mix, 7);
    const figures = Object.entries(mix.published);
    expect(figures.length).toBeGreaterThanOrEqual(2);
    expect(mix.source.length).toBeGreaterThan(20);
    for (const [figure, published] of figures) {
      const values = figure.startsWith('prompt') ? prompts : outputs;
      const sampled = figure.endsWith('Median') ? median(values) : mean(values);
      const tolerance = figure.endsWith('Median') ? MEDIAN_TOLERANCE : MEAN_TOLERANCE;
      expect({ figure, sampled, withinTolerance: Math.abs(sampled / published! - 1) <= tolerance })
        .toEqual({ figure, sampled, withinTolerance: true });
    }
  });

  test('the published figures are the cited ones', () => {
    expect(chatMix(azure).published).toEqual({ promptMedian: 1020, outputMedian: 129 }); // Splitwise, Fig. 3 (conversation)
    expect(CODE_MIX.published).toEqual({ promptMedian: 1500, outputMedian: 13 }); // Splitwise, Fig. 3 (coding)
    expect(RETRIEVAL_MIX.published).toEqual({ promptMean: 7590, outputMean: 182 }); // Mooncake, Sec. 4.2
    expect(LONG_CONTEXT_MIX.published).toEqual({ promptMedian: 16_384, outputMean: 182 });
    expect(DECODE_HEAVY_MIX.published).toEqual({ promptMean: 69.5, outputMedian: 1000 }); // LMSYS-Chat-1M, Table 1 (prompts)
  });

  test('each mix has the shape its name says', () => {
    const code = sample(CODE_MIX, 3);
    expect(mean(code.prompts)).toBeGreaterThan(1800); // about 2k-token prompts
    expect(mean(code.prompts)).toBeLessThan(2200);
    expect(median(code.outputs)).toBeLessThanOrEqual(15); // a few tokens of completion
    const retrieval = sample(RETRIEVAL_MIX, 3);
    expect(median(retrieval.prompts)).toBeGreaterThan(4000); // several thousand tokens of context
    expect(median(retrieval.outputs)).toBeGreaterThanOrEqual(100);
    expect(median(retrieval.outputs)).toBeLessThanOrEqual(300);
    const long = sample(LONG_CONTEXT_MIX, 3);
    expect(Math.min(...long.prompts)).toBeGreaterThanOrEqual(8192);
    expect(Math.max(...long.prompts)).toBeLessThanOrEqual(32_768);
    const decode = sample(DECODE_HEAVY_MIX, 3);
    expect(median(decode.prompts)).toBeLessThan(100); // short prompts
    const long500 = decode.outputs.filter((o) => o >= 500).length / decode.outputs.length;
    const over2000 = decode.outputs.filter((o) => o > 2000).length / decode.outputs.length;
    expect(long500).toBeGreaterThan(0.8); // mostly 500-2,000+ tokens generated
    expect(over2000).toBeGreaterThan(0.05);
  });

  test('every draw is a whole token count within one request\'s budget', () => {
    for (const mix of mixes) {
      const { prompts, outputs } = sample(mix, 11, 5000);
      const bad = [...prompts, ...outputs].filter((t) => !(Number.isInteger(t) && t >= 1 && t <= Trace.MAX_TOKENS_PER_REQUEST));
      expect({ mix: mix.name, bad }).toEqual({ mix: mix.name, bad: [] });
    }
  });

  test('draws are deterministic per seed and differ between seeds', () => {
    for (const mix of mixes) {
      expect(sample(mix, 5, 200)).toEqual(sample(mix, 5, 200));
      expect(sample(mix, 5, 200)).not.toEqual(sample(mix, 6, 200));
    }
  });

  test('tokenMix names every built-in mix', () => {
    expect(TOKEN_MIX_NAMES.map((name) => tokenMix(name, azure).name)).toEqual([...TOKEN_MIX_NAMES]);
    expect(() => tokenMix('poetry' as any, azure)).toThrow(/not one of chat, code/);
  });

  test('a lognormal mix refuses bounds that do not hold its median or exceed a request\'s budget', () => {
    const output = { median: 10, sigma: 1, min: 1, max: 100 };
    expect(() => lognormalMix({ name: 'x', source: 's', published: {}, prompt: { median: 10, sigma: 1, min: 20, max: 100 }, output })).toThrow(/prompt needs 1 <= min <= median/);
    expect(() => lognormalMix({ name: 'x', source: 's', published: {}, prompt: { median: 10, sigma: 1, min: 1, max: 2e7 }, output })).toThrow(/10000000/);
    expect(() => lognormalMix({ name: 'x', source: 's', published: {}, prompt: output, output: { ...output, min: 0.5 } })).toThrow(/output needs/);
  });
});

describe('distributions', () => {
  test('a truncated lognormal keeps its median inside symmetric bounds and never leaves them', () => {
    const random = new SeededRandom(1);
    const draws = Array.from({ length: 20_000 }, () => boundedLognormal(random, { median: 1000, sigma: 0.5, min: 500, max: 2000 }));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...draws)).toBeLessThanOrEqual(2000);
    expect(median(draws) / 1000).toBeCloseTo(1, 1);
    expect(sigmaFromMedianAndMean(1500, 2000)).toBeCloseTo(Math.sqrt(2 * Math.log(4 / 3)), 12);
  });

  test('gammaMeanOne has mean 1 and the coefficient of variation asked for, above and below shape 1', () => {
    for (const cv of [0.2, 0.5, 1.5]) {
      const random = new SeededRandom(2);
      const draws = Array.from({ length: 40_000 }, () => gammaMeanOne(random, cv));
      const m = mean(draws);
      const sd = Math.sqrt(mean(draws.map((x) => (x - m) ** 2)));
      expect(m).toBeCloseTo(1, 1);
      expect(sd / m / cv).toBeCloseTo(1, 1);
      expect(Math.min(...draws)).toBeGreaterThan(0);
    }
    expect(gammaMeanOne(new SeededRandom(1), 0)).toBe(1);
  });
});
