import { Gpu } from '../src';

describe('Gpu presets', () => {
  test.each([
    ['L4', Gpu.L4, 'NVIDIA-L4', 23_000],
    ['A10G', Gpu.A10G, 'NVIDIA-A10G', 23_000],
    ['A100-80GB', Gpu.A100, 'NVIDIA-A100-SXM4-80GB', 81_920],
    ['H100-80GB', Gpu.H100, 'NVIDIA-H100-80GB-HBM3', 81_559],
    ['H200', Gpu.H200, 'NVIDIA-H200', 143_771],
  ])('%s carries its node label and the memory nvidia-smi reports', (name, gpu, label, mib) => {
    expect(gpu.name).toBe(name);
    expect(gpu.productLabel).toBe(label);
    expect(gpu.memoryMib).toBe(mib);
    expect(gpu.memoryGib).toBeCloseTo(mib / 1024, 6);
  });

  test('presets are found by their node label', () => {
    expect(Gpu.fromProductLabel('NVIDIA-H100-80GB-HBM3')).toBe(Gpu.H100);
    expect(Gpu.fromProductLabel('NVIDIA-B200')).toBeUndefined();
  });
});

describe('Gpu.custom', () => {
  test('accepts a GPU that is not a preset', () => {
    const gpu = Gpu.custom({ name: 'B200', productLabel: 'NVIDIA-B200', memoryMib: 183_359, memoryBandwidthTbps: 8, bf16Tflops: 2250 });
    expect(gpu.memoryGib).toBeCloseTo(179.06, 2);
  });

  test('refuses a non-positive memory', () => {
    expect(() => Gpu.custom({ name: 'X', productLabel: 'X', memoryMib: 0, memoryBandwidthTbps: 1, bf16Tflops: 1 }))
      .toThrow("Gpu 'X': memoryMib (0) must be a number > 0");
  });

  test('refuses a product label Kubernetes cannot hold', () => {
    expect(() => Gpu.custom({ name: 'X', productLabel: 'NVIDIA H100', memoryMib: 1, memoryBandwidthTbps: 1, bf16Tflops: 1 }))
      .toThrow("Gpu 'X': productLabel ('NVIDIA H100') must be a valid Kubernetes label value");
  });
});

describe('Gpu names', () => {
  test('the presets are the names every language shows, and no alias', () => {
    // GIVEN the static members of Gpu that hold a preset
    const names = Object.getOwnPropertyNames(Gpu).filter((name) => (Gpu as any)[name] instanceof Gpu).sort();
    // THEN they are the five presets
    expect(names).toEqual(['A100', 'A10G', 'H100', 'H200', 'L4']);
    expect(Gpu.presets()).toEqual([Gpu.L4, Gpu.A10G, Gpu.A100, Gpu.H100, Gpu.H200]);
  });
});
