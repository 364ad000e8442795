import * as path from 'path';
import { Gpu, Model } from '../../../src';
import { exampleManifests } from '../../../src/simulation/cluster/example-chart';
import { readServer } from '../../../src/simulation/cluster/manifests';
import { requestWork, tokenCosts, workPerPeriod } from '../../../src/simulation/engine/work';
import {
  EVALUATION_FIRST_SEED, GENERATED_SEEDS, generatedSuite, GeneratedScenario, SUITE_FAMILIES, TRAIN_FIRST_SEED,
} from '../../../src/simulation/evidence/generated-suite';
import { clusterScenarios, runSuite, standardScenarios } from '../../../src/simulation/evidence/suite';
import { generateTrace } from '../../../src/simulation/traffic/generated-trace';
import { CODE_MIX } from '../../../src/simulation/traffic/token-mix';
import { Trace } from '../../../src/simulation/traffic/trace';

const azure = Trace.fromCsvFile(path.join(__dirname, '..', '..', '..', 'data', 'traces', 'azure-llm-2023-conv.csv'));
const suite = generatedSuite(azure);
const all: GeneratedScenario[] = [...suite.train, ...suite.evaluation];
const seedsOf = (s: GeneratedScenario): number[] => Array.from({ length: s.seeds }, (_, i) => s.firstSeed + i);
/** Replicas the busiest minute needs: its engine work (the example server's costs at the trace's mean lengths) over 60 s. */
const engine = readServer(exampleManifests()).engine;
function peakReplicas(trace: Trace): number {
  const work = requestWork(trace, tokenCosts(engine, trace));
  return Math.max(...workPerPeriod(trace, work, 60)) / 60;
}

describe('the generated suite', () => {
  test('10-14 scenarios per part, 1-2 h each, well under the replay budget', () => {
    for (const part of [suite.train, suite.evaluation]) {
      expect(part.length).toBeGreaterThanOrEqual(10);
      expect(part.length).toBeLessThanOrEqual(14);
      for (const s of part) {
        expect(s.trace.durationSeconds).toBeGreaterThanOrEqual(3600);
        expect(s.trace.durationSeconds).toBeLessThanOrEqual(7200);
        expect(s.trace.length).toBeLessThan(Trace.MAX_REQUESTS / 5);
        expect(s.start).toBe('warm');
        expect(s.challenge.length).toBeGreaterThan(20);
      }
    }
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
  });

  test('the families span the mixes and shapes that matter, each in both parts', () => {
    const families = SUITE_FAMILIES.map((f) => f.name);
    expect(families).toEqual(expect.arrayContaining([
      'chat-noisy-day', 'code-bursts', 'retrieval-peak-crowd', 'long-context-flat', 'long-context-day', 'decode-ramp', 'decode-trough-crowd', 'mixed-day',
    ]));
    for (const family of families) {
      expect(suite.train.some((s) => s.family === family)).toBe(true);
      expect(suite.evaluation.some((s) => s.family === family)).toBe(true);
    }
    expect(suite.train.every((s) => s.part === 'train') && suite.evaluation.every((s) => s.part === 'evaluation')).toBe(true);
  });

  test('train and evaluation share no parameter value within a family, and no seed', () => {
    for (const family of SUITE_FAMILIES) {
      const keys = new Set([...family.train, ...family.evaluation].flatMap((p) => Object.keys(p)));
      for (const key of keys) {
        const trainValues = new Set(family.train.map((p) => p[key]));
        const shared = family.evaluation.map((p) => p[key]).filter((v) => trainValues.has(v));
        expect({ family: family.name, key, shared }).toEqual({ family: family.name, key, shared: [] });
      }
    }
    const trainSeeds = new Set(suite.train.flatMap(seedsOf));
    const evaluationSeeds = new Set(suite.evaluation.flatMap(seedsOf));
    expect([...trainSeeds]).toEqual([TRAIN_FIRST_SEED, TRAIN_FIRST_SEED + 1]);
    expect([...evaluationSeeds]).toEqual([EVALUATION_FIRST_SEED, EVALUATION_FIRST_SEED + 1]);
    expect(GENERATED_SEEDS).toBe(2);
    // Each scenario's trace is its first seed's draw.
    for (const s of all) expect(s.trace.name).toMatch(new RegExp(`\\(seed ${s.firstSeed}\\)$`));
  });

  test('every scenario, every seed: the busiest minute needs 2-12 replicas of the example server\'s engine work', () => {
    const outside: string[] = [];
    for (const s of all) {
      for (const seed of seedsOf(s)) {
        const peak = peakReplicas(seed === s.firstSeed ? s.trace : s.trace.withSeed(seed));
        if (!(peak >= 2 && peak <= 12)) outside.push(`${s.name} seed ${seed}: ${peak.toFixed(1)} replicas`);
      }
    }
    expect(outside).toEqual([]);
  });

  test('a scenario is deterministic: drawn again with its first seed, it is the same trace', () => {
    for (const s of [suite.train[2], suite.evaluation[5], suite.evaluation[11]]) {
      const again = s.trace.withSeed(s.firstSeed);
      expect(again.length).toBe(s.trace.length);
      expect(again._arrivals.every((t, i) => t === s.trace._arrivals[i] && again._prompts[i] === s.trace._prompts[i]
        && again._outputs[i] === s.trace._outputs[i])).toBe(true);
    }
  });

  test('the cluster variants apply to a part and keep its seeds; the standard suite is unchanged', () => {
    const variants = clusterScenarios(suite.evaluation);
    expect(variants).toHaveLength(3 * suite.evaluation.length);
    expect(variants.every((v) => v.firstSeed === EVALUATION_FIRST_SEED)).toBe(true);
    expect(standardScenarios(azure).map((s) => s.name)).toEqual([
      'azure-1x', 'azure-4x', 'azure-8x', 'azure-8x-cold', 'azure-8x-shuffled', 'azure-8x-random-routing',
      'day-diurnal', 'day-ramp', 'crowd-2x-10min', 'crowd-3x-5min', 'crowd-4x-2min',
    ]);
  });

  test('runSuite draws a scenario with its own seeds', () => {
    const small = { model: Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }), gpu: Gpu.H100, gpuCount: 1 };
    const trace = generateTrace({ name: 'tiny', durationSeconds: 120, peakRequestsPerSecond: 3, shape: { kind: 'flat' }, mix: CODE_MIX, seed: 101 });
    const scenario = { name: 'tiny', description: 'd', trace, start: 'warm', seeds: 2, firstSeed: 101, challenge: 'c' };
    const [{ result }] = runSuite([scenario], { deployment: small, policies: ['default'], maxReplicas: 2 });
    expect(result.setup.seeds).toEqual([101, 102]);
    expect(result.policies[0].results.map((r) => r.requests)).toEqual([trace.length, trace.withSeed(102).length]);
  });
});
