import { Duration } from 'cdk8s';
import { ColdStart, Gpu, Model, Precision, Sizing } from '../src';
import { LLAMA_70B, LLAMA_8B } from './util';

describe('Sizing', () => {
  test('70B bf16 does not fit one H100 and fits four', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100_80GB, gpuCount: 1 }).weightsFit).toBe(false);
    const four = Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100_80GB, gpuCount: 4 });
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
    expect(sizing.maxContextTokens).toBe(26_112);
    expect(sizing.maxContextTokens!).toBeLessThan(131_072);
  });

  test('a smaller precision makes a model fit', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100_80GB, gpuCount: 2 }).weightsFit).toBe(false);
    const fp8 = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70, precision: Precision.FP8 });
    expect(Sizing.of({ model: fp8, gpu: Gpu.H100_80GB, gpuCount: 2 }).weightsFit).toBe(true);
  });

  test('the full context is served when the KV cache holds it', () => {
    expect(Sizing.of({ model: LLAMA_70B, gpu: Gpu.H100_80GB, gpuCount: 4 }).maxContextTokens).toBe(131_072);
  });
});

describe('ColdStart', () => {
  // Public reports: 7B from a pre-populated volume 30-60 s, 70B 1-3 min; from the hub 2-5 min and 15-30 min.
  const llama7b = Model.huggingFace('org/seven-b', { parametersBillions: 7 });
  test.each([
    ['7B from a cache', llama7b, true, 30, 60],
    ['70B from a cache', LLAMA_70B, true, 60, 180],
    ['7B from the hub', llama7b, false, 120, 300],
    ['70B from the hub', LLAMA_70B, false, 900, 1800],
  ])('%s lands inside the measured range', (_, model, fromCache, low, high) => {
    const estimate = ColdStart.estimate(model, fromCache).totalSeconds;
    expect(estimate).toBeGreaterThanOrEqual(low);
    expect(estimate).toBeLessThanOrEqual(high);
  });

  test('the startup window is twice the estimate, at least five minutes', () => {
    expect(ColdStart.estimate(LLAMA_70B, true).startupWindowSeconds).toBe(340);
    expect(ColdStart.estimate(LLAMA_8B, true).startupWindowSeconds).toBe(300);
  });

  test('bandwidth and engine start-up can be overridden', () => {
    const estimate = ColdStart.estimate(LLAMA_8B, true, { loadBandwidthMBps: 200, engineStartup: Duration.seconds(60) });
    expect(estimate.totalSeconds).toBe(Math.ceil(16e9 / 200e6 + 60));
  });
});
