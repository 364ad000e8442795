import { Duration } from 'cdk8s';
import { ColdStart, Gpu, LoadFormat, Model, Precision, Sizing } from '../src';
import { LLAMA_70B, LLAMA_8B } from './util';

describe('Sizing', () => {
  test('70B bf16 does not fit one H100 and fits four', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 1 }).weightsFit).toBe(false);
    const four = Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4 });
    expect(four.weightsFit).toBe(true);
    // 4 x 79.65 GiB x 0.85 = 270.8 GiB budget; weights x 1.25 = 163.0 GiB.
    expect(four.budgetGib).toBeCloseTo(270.8, 1);
    expect(four.requiredGib).toBeCloseTo(163.0, 1);
  });

  test('8B bf16 fits one L4, but not at its full 128k context', () => {
    const sizing = Sizing.of({ model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 1 });
    expect(sizing.weightsFit).toBe(true);
    // 22.46 x 0.85 - 14.90 - 1 (engine reserve) = 3.19 GiB of KV at 128 KiB per token.
    expect(sizing.kvCacheGib).toBeCloseTo(3.19, 2);
    expect(sizing.kvCacheTokens).toBe(Math.floor((sizing.kvCacheGib * 2 ** 30) / (128 * 1024)));
    // 90 % of the KV cache (the margin vLLM's own profiling needs), rounded down to 256 tokens.
    expect(sizing.maxContextTokens).toBe(Math.floor((sizing.kvCacheTokens! * 0.9) / 256) * 256);
    expect(sizing.maxContextTokens).toBe(23_296);
    expect(sizing.maxContextTokens!).toBeLessThan(131_072);
  });

  test('a smaller precision makes a model fit', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 2 }).weightsFit).toBe(false);
    const fp8 = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70, precision: Precision.FP8 });
    expect(Sizing.of({ model: fp8, gpu: Gpu.H100, gpuCount: 2 }).weightsFit).toBe(true);
  });

  test('the full context is served when the KV cache holds it', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4 }).maxContextTokens).toBe(131_072);
  });
});

describe('ColdStart', () => {
  // Public reports: 7B from a pre-populated volume 30-60 s, 70B 1-3 min; from the hub 2-5 min and 15-30 min.
  const llama7b = Model.huggingFace('org/seven-b', { parametersBillions: 7 });
  // A ModelCache keeps the compile cache, so servers reading it skip compilation; hub downloads compile from scratch.
  test.each([
    ['7B from a cache', llama7b, true, 30, 60],
    ['70B from a cache', LLAMA_70B, true, 60, 180],
    ['7B from the hub', llama7b, false, 120, 300],
    ['70B from the hub', LLAMA_70B, false, 900, 1800],
  ])('%s lands inside the measured range', (_, model, fromCache, low, high) => {
    const estimate = ColdStart.estimate(model, fromCache, { compileCachePersisted: fromCache }).totalSeconds;
    expect(estimate).toBeGreaterThanOrEqual(low);
    expect(estimate).toBeLessThanOrEqual(high);
  });

  test('a persisted compile cache saves the compilation: 40 s from scratch, 10 s from the cache', () => {
    const scratch = ColdStart.estimate(LLAMA_70B, true);
    const cached = ColdStart.estimate(LLAMA_70B, true, { compileCachePersisted: true });
    expect(scratch.compileSeconds).toBe(40);
    expect(cached.compileSeconds).toBe(10);
    // 140 GB at 1,000 MB/s + compile + 30 s engine start-up.
    expect(scratch.totalSeconds).toBe(210);
    expect(cached.totalSeconds).toBe(180);
  });

  test('the Run:ai streamer reads a cache 3.3x faster; it does not change a hub download', () => {
    const streamed = ColdStart.estimate(LLAMA_70B, true, { loadFormat: LoadFormat.RUNAI_STREAMER });
    expect(streamed.weightLoadSeconds).toBeCloseTo(140 / 3.3, 6);
    expect(ColdStart.estimate(LLAMA_70B, false, { loadFormat: LoadFormat.RUNAI_STREAMER }).weightLoadSeconds).toBeCloseTo(1400, 6);
  });

  test('the startup window allows storage three times slower and a compile from scratch, at least five minutes', () => {
    // 3 x 140 s of weights + 2 x (30 s + 40 s).
    expect(ColdStart.estimate(LLAMA_70B, true).startupWindowSeconds).toBe(560);
    // A persisted cache shortens the estimate, not the window: the first replica of a configuration still compiles.
    expect(ColdStart.estimate(LLAMA_70B, true, { compileCachePersisted: true }).startupWindowSeconds).toBe(560);
    expect(ColdStart.estimate(LLAMA_8B, true).startupWindowSeconds).toBe(300);
  });

  test('bandwidth and engine start-up can be overridden', () => {
    const estimate = ColdStart.estimate(LLAMA_8B, true, { loadBandwidthMBps: 200, engineStartup: Duration.seconds(60) });
    expect(estimate.totalSeconds).toBe(Math.ceil(16e9 / 200e6 + 60 + 40));
  });
});
