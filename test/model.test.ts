import { Model, Precision } from '../src';

describe('Model.huggingFace', () => {
  test('weights in GiB follow parameters x 1e9 x bytes / 2^30', () => {
    // Reference figures: Llama-3.1-8B bf16 = 14.9 GiB; 70B = 130.4 GiB.
    expect(Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }).weightsGib).toBeCloseTo(14.9, 1);
    expect(Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 }).weightsGib).toBeCloseTo(130.4, 1);
  });

  test.each([
    [Precision.BF16, 2], [Precision.FP16, 2], [Precision.FP8, 1], [Precision.INT4, 0.5],
  ])('%s takes %d bytes per parameter', (precision, bytes) => {
    const model = Model.huggingFace('org/model', { parametersBillions: 10, precision });
    expect(model.bytesPerParameter).toBe(bytes);
    expect(model.weightBytes).toBe(10e9 * bytes);
  });

  test('KV bytes per token for known architectures', () => {
    // 2 x layers x KV heads x head dim x 2 bytes: 8B = 128 KiB, 70B = 320 KiB.
    expect(Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }).kvBytesPerToken).toBe(128 * 1024);
    expect(Model.huggingFace('meta-llama/Llama-3.3-70B-Instruct', { parametersBillions: 70 }).kvBytesPerToken).toBe(320 * 1024);
  });

  test('an unknown architecture leaves KV sizing undefined unless given', () => {
    expect(Model.huggingFace('org/model', { parametersBillions: 1 }).kvBytesPerToken).toBeUndefined();
    const given = Model.huggingFace('org/model', { parametersBillions: 1, architecture: { layers: 16, kvHeads: 8, headDim: 64, contextLength: 8192 } });
    expect(given.kvBytesPerToken).toBe(2 * 16 * 8 * 64 * 2);
  });

  test('defaults: revision main, bf16, served under its id', () => {
    const model = Model.huggingFace('org/model', { parametersBillions: 1 });
    expect([model.revision, model.precision, model.servedModelName]).toEqual(['main', Precision.BF16, 'org/model']);
    expect(model.directoryName).toBe('org/model/main');
  });

  test('refuses an id that is not organisation/name', () => {
    expect(() => Model.huggingFace('llama', { parametersBillions: 8 }))
      .toThrow("Model 'llama': modelId ('llama') must be a Hugging Face id 'organisation/name'");
  });

  test('refuses a non-positive parameter count', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: -1 }))
      .toThrow("Model 'org/model': parametersBillions (-1) must be a number > 0");
  });

  test('refuses a revision that escapes its directory', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: 1, revision: '../x' }))
      .toThrow("Model 'org/model': revision ('../x') must be a branch, tag or commit hash");
  });

  test('refuses a served name with spaces', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: 1, servedModelName: 'my model' }))
      .toThrow("Model 'org/model': servedModelName ('my model') must be 1-200 characters without spaces");
  });

  test('attention width (heads x head dim) for every known architecture, from their config.json', () => {
    const width = (id: string): number | undefined => Model.huggingFace(id, { parametersBillions: 1 }).attentionWidth;
    expect(width('meta-llama/Llama-3.1-8B-Instruct')).toBe(4096);
    expect(width('meta-llama/Llama-3.3-70B-Instruct')).toBe(8192);
    expect(width('meta-llama/Llama-3.1-405B-Instruct')).toBe(16_384);
    expect(width('mistralai/Mistral-7B-Instruct-v0.3')).toBe(4096);
    expect(width('Qwen/Qwen2.5-7B-Instruct')).toBe(3584);
    expect(width('Qwen/Qwen2.5-72B-Instruct')).toBe(8192);
    expect(width('org/model')).toBeUndefined();
  });

  test('a given architecture without attention heads takes the hidden size as the attention width, and none without either', () => {
    const base = { layers: 16, kvHeads: 8, headDim: 64, contextLength: 8192 };
    expect(Model.huggingFace('org/model', { parametersBillions: 1, architecture: { ...base, hiddenSize: 2048 } }).attentionWidth).toBe(2048);
    expect(Model.huggingFace('org/model', { parametersBillions: 1, architecture: { ...base, attentionHeads: 24, hiddenSize: 2048 } }).attentionWidth).toBe(24 * 64);
    expect(Model.huggingFace('org/model', { parametersBillions: 1, architecture: base }).attentionWidth).toBeUndefined();
  });

  test('refuses an architecture with zero attention heads', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: 1, architecture: { layers: 16, kvHeads: 8, headDim: 64, contextLength: 8192, attentionHeads: 0 } }))
      .toThrow("Model 'org/model': architecture.attentionHeads (0) must be a whole number from 1 to 10000");
  });

  test('refuses an architecture with a fractional hidden size', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: 1, architecture: { layers: 16, kvHeads: 8, headDim: 64, contextLength: 8192, hiddenSize: 4096.5 } }))
      .toThrow("Model 'org/model': architecture.hiddenSize (4096.5) must be a whole number from 1 to 1000000");
  });

  test('refuses an architecture with zero layers', () => {
    expect(() => Model.huggingFace('org/model', { parametersBillions: 1, architecture: { layers: 0, kvHeads: 8, headDim: 64, contextLength: 8192 } }))
      .toThrow("Model 'org/model': architecture.layers (0) must be a whole number from 1 to 10000");
  });
});
