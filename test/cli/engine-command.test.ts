import { main } from '../../src/cli/cli';
import { Gpu } from '../../src/gpu';
import { Model } from '../../src/model';
import { engineConfig } from '../../src/simulation/cluster/manifests';
import { engineStepTime, uniformStepWork } from '../../src/simulation/engine/step-time';

function capture(argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (t) => out.push(t), (t) => err.push(t));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const LLAMA_8B = ['--parameters-billions', '8', '--layers', '32', '--hidden-size', '4096', '--attention-heads', '32', '--kv-heads', '8', '--head-dim', '128'];
const LLAMA_70B = ['--parameters-billions', '70', '--layers', '80', '--hidden-size', '8192', '--attention-heads', '64', '--kv-heads', '8', '--head-dim', '128'];
const STEP = ['--decode-batch', '32', '--context', '1024', '--prefill-tokens', '512'];

describe('cdk8s-vllm engine', () => {
  test('--json prints the step time the replay computes for the same model, GPU and step', () => {
    const { code, out, err } = capture(['engine', '--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--json']);
    expect(code).toBe(0);
    expect(err).toBe('');
    const result = JSON.parse(out);
    const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 });
    const config = engineConfig(model, Gpu.H100, 1, { maxNumSeqs: 256, maxNumBatchedTokens: 8192, kvCapacityTokens: 1, maxModelLen: 1 });
    const expected = engineStepTime(config, uniformStepWork(32, 1024, 512));
    expect(result.stepSeconds).toBeCloseTo(expected.stepSeconds, 15);
    expect(result).toMatchObject({
      memorySeconds: expect.closeTo(expected.memorySeconds, 15),
      attentionSeconds: expect.closeTo(expected.attentionSeconds, 15),
      gpuSeconds: expect.closeTo(expected.gpuSeconds, 15),
      bound: 'compute',
      parallelFactor: 1,
      work: { decodeBatch: 32, context: 1024, prefillTokens: 512, batchTokens: 544, contextTokens: 32 * 1024 + 512 },
    });
    expect(result.attentionSeconds).toBeGreaterThan(0);
  });

  test('--gpu-count shards the work and applies the tensor-parallel factor', () => {
    const one = JSON.parse(capture(['engine', '--gpu', 'H100-80GB', ...LLAMA_70B, '--gpu-count', '4', ...STEP, '--json']).out);
    const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
    const config = engineConfig(model, Gpu.H100, 4, { maxNumSeqs: 256, maxNumBatchedTokens: 8192, kvCapacityTokens: 1, maxModelLen: 1 });
    expect(one.stepSeconds).toBeCloseTo(engineStepTime(config, uniformStepWork(32, 1024, 512)).stepSeconds, 15);
    expect(one.parallelFactor).toBeCloseTo(1.09, 12);
    expect(one.gpu).toEqual({ name: 'H100-80GB', count: 4, memoryBandwidthTbps: 3.35, bf16Tflops: 989 });
  });

  test('--memory-bandwidth-tbps and --bf16-tflops give a custom GPU, with or without --gpu', () => {
    const custom = JSON.parse(capture(['engine', '--memory-bandwidth-tbps', '3.35', '--bf16-tflops', '989', ...LLAMA_8B, ...STEP, '--json']).out);
    const preset = JSON.parse(capture(['engine', '--gpu', 'h100-80gb', ...LLAMA_8B, ...STEP, '--json']).out);
    expect(custom.stepSeconds).toBeCloseTo(preset.stepSeconds, 15);
    const faster = JSON.parse(capture(['engine', '--gpu', 'H100-80GB', '--memory-bandwidth-tbps', '4.8', ...LLAMA_8B, '--decode-batch', '8', '--context', '1024', '--prefill-tokens', '0', '--json']).out);
    const h100 = JSON.parse(capture(['engine', '--gpu', 'H100-80GB', ...LLAMA_8B, '--decode-batch', '8', '--context', '1024', '--prefill-tokens', '0', '--json']).out);
    expect(faster.bound).toBe('memory');
    expect(faster.memorySeconds).toBeCloseTo(h100.memorySeconds * 3.35 / 4.8, 12);
    expect(faster.gpu.bf16Tflops).toBe(989);
  });

  test('without --json it prints one readable line', () => {
    const { code, out } = capture(['engine', '--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP]);
    expect(code).toBe(0);
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toMatch(/^step \d+\.\d{3} ms on 1 x H100-80GB for 32 decodes x 1024 tokens \+ 512 prefill tokens: compute-bound, memory/);
  });

  test.each([
    [['--gpu', 'H100-80GB', ...LLAMA_8B, '--decode-batch', '32', '--context', '1024'], 'cdk8s-vllm engine: --prefill-tokens is required'],
    [['--gpu', 'B300', ...LLAMA_8B, ...STEP], "cdk8s-vllm engine: --gpu 'B300' is not one of L4, A10G, A100-80GB, H100-80GB, H200; give --memory-bandwidth-tbps and --bf16-tflops for another GPU"],
    [[...LLAMA_8B, ...STEP], 'cdk8s-vllm engine: --gpu NAME, or --memory-bandwidth-tbps and --bf16-tflops, is required'],
    [['--bf16-tflops', '989', ...LLAMA_8B, ...STEP], 'cdk8s-vllm engine: --gpu NAME, or --memory-bandwidth-tbps and --bf16-tflops, is required'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, '--decode-batch', '-1', '--context', '1024', '--prefill-tokens', '0'], 'cdk8s-vllm engine: --decode-batch (-1) must be a whole number >= 0'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, '--layers', '0', ...STEP], 'cdk8s-vllm engine: --layers is given twice'],
    [['--gpu', 'H100-80GB', '--parameters-billions', 'x', '--layers', '32', '--hidden-size', '4096', '--attention-heads', '32', '--kv-heads', '8', '--head-dim', '128', ...STEP], 'cdk8s-vllm engine: --parameters-billions (x) must be a number > 0'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, '--gpu-count', '3', ...STEP], 'cdk8s-vllm engine: --attention-heads (32) must be divisible by --gpu-count (3)'],
    [['--gpu', 'H100-80GB', '--parameters-billions', '8', '--layers', '32', '--hidden-size', '4096', '--attention-heads', '32', '--kv-heads', '5', '--head-dim', '128', ...STEP], 'cdk8s-vllm engine: --attention-heads (32) must be a multiple of --kv-heads (5)'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, '--decode-batch', '0', '--context', '0', '--prefill-tokens', '0'], 'cdk8s-vllm engine: --decode-batch and --prefill-tokens are both 0: the step does no work'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--tokens', '3'], 'cdk8s-vllm engine: unknown option --tokens'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--memory-bandwidth-tbps'], 'cdk8s-vllm engine: --memory-bandwidth-tbps needs a value'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--json=1'], 'cdk8s-vllm engine: --json takes no value'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--json=false'], 'cdk8s-vllm engine: --json takes no value'],
    [['--gpu', 'H100-80GB', ...LLAMA_8B, ...STEP, '--help=yes'], 'cdk8s-vllm engine: --help takes no value'],
  ])('bad or missing flags %#: one line on stderr, exit code 2', (args, message) => {
    const { code, out, err } = capture(['engine', ...args]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(message);
  });

  test('--help and the main usage name the command', () => {
    expect(capture(['engine', '--help']).out).toContain('cdk8s-vllm engine --gpu NAME --parameters-billions N');
    expect(capture(['--help']).out).toContain('cdk8s-vllm engine --gpu NAME');
  });
});
