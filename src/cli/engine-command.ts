import { Gpu } from '../gpu';
import { Model } from '../model';
import { engineConfig } from '../simulation/cluster/manifests';
import { engineStepTime, StepTime, uniformStepWork } from '../simulation/engine/step-time';

/** Usage lines of `cdk8s-vllm engine`. */
export const ENGINE_USAGE = `  cdk8s-vllm engine --gpu NAME --parameters-billions N --layers N --hidden-size N --attention-heads N --kv-heads N
                   --head-dim N [--gpu-count N] --decode-batch B --context L --prefill-tokens T [--json]
                   [--memory-bandwidth-tbps X --bf16-tflops X] (a custom GPU, with or without --gpu)`;

const ENGINE_HELP = `usage:
${ENGINE_USAGE}

  engine prints the simulator's time for one vLLM engine step: B decoding sequences of L tokens of context each,
  plus one prefill chunk of T new tokens, on --gpu-count GPUs (tensor parallel). It is the function the replay uses.`;

const VALUE_OPTIONS = new Set(['gpu', 'memory-bandwidth-tbps', 'bf16-tflops', 'parameters-billions', 'layers', 'hidden-size',
  'attention-heads', 'kv-heads', 'head-dim', 'gpu-count', 'decode-batch', 'context', 'prefill-tokens']);

/** A bad or missing flag: one line on stderr, exit code 2. */
class EngineUsageError extends Error {}

/** The result of `cdk8s-vllm engine --json`. */
export interface EngineCommandResult extends StepTime {
  /** Compute time: matmuls plus attention, per GPU. */
  readonly computeSeconds: number;
  /** Host time per step (not overlapped with the GPU). */
  readonly hostSeconds: number;
  /** Which of memory and compute is larger. */
  readonly bound: 'memory' | 'compute';
  /** The tensor-parallel factor applied to the GPU time. */
  readonly parallelFactor: number;
  readonly gpu: { readonly name: string; readonly count: number; readonly memoryBandwidthTbps: number; readonly bf16Tflops: number };
  readonly work: {
    readonly decodeBatch: number;
    readonly context: number;
    readonly prefillTokens: number;
    readonly contextTokens: number;
    readonly batchTokens: number;
    readonly attentionPairs: number;
  };
}

function parseArgs(args: string[]): { options: Map<string, string>; json: boolean; help: boolean } {
  const options = new Map<string, string>();
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) throw new EngineUsageError(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'json' || name === 'help') {
      if (inline !== undefined) throw new EngineUsageError(`--${name} takes no value`);
      if (name === 'json') json = true;
      else help = true;
    } else if (VALUE_OPTIONS.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value.startsWith('--')) throw new EngineUsageError(`--${name} needs a value`);
      if (options.has(name)) throw new EngineUsageError(`--${name} is given twice`);
      options.set(name, value);
    } else {
      throw new EngineUsageError(`unknown option --${name}`);
    }
  }
  return { options, json, help };
}

function numberFlag(options: Map<string, string>, name: string, kind: 'positive' | 'count' | 'whole', fallback?: number): number {
  const raw = options.get(name);
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new EngineUsageError(`--${name} is required`);
  }
  const value = raw.trim() === '' ? NaN : Number(raw);
  const ok = kind === 'positive' ? Number.isFinite(value) && value > 0
    : kind === 'count' ? Number.isInteger(value) && value >= 1
      : Number.isInteger(value) && value >= 0;
  const rule = kind === 'positive' ? 'a number > 0' : kind === 'count' ? 'a whole number >= 1' : 'a whole number >= 0';
  if (!ok) throw new EngineUsageError(`--${name} (${raw}) must be ${rule}`);
  return value;
}

function readGpu(options: Map<string, string>): Gpu {
  const name = options.get('gpu');
  const preset = name === undefined ? undefined
    : Gpu.presets().find((g) => g.name.toLowerCase() === name.toLowerCase() || g.productLabel === name);
  if (name !== undefined && preset === undefined) {
    throw new EngineUsageError(`--gpu '${name}' is not one of ${Gpu.presets().map((g) => g.name).join(', ')}; `
      + 'give --memory-bandwidth-tbps and --bf16-tflops for another GPU');
  }
  if (preset === undefined && !(options.has('memory-bandwidth-tbps') && options.has('bf16-tflops'))) {
    throw new EngineUsageError('--gpu NAME, or --memory-bandwidth-tbps and --bf16-tflops, is required');
  }
  const bandwidth = numberFlag(options, 'memory-bandwidth-tbps', 'positive', preset?.memoryBandwidthTbps);
  const tflops = numberFlag(options, 'bf16-tflops', 'positive', preset?.bf16Tflops);
  if (preset !== undefined && bandwidth === preset.memoryBandwidthTbps && tflops === preset.bf16Tflops) return preset;
  return Gpu.custom({
    name: preset ? `${preset.name} (custom)` : 'custom',
    productLabel: preset?.productLabel ?? 'custom',
    memoryMib: preset?.memoryMib ?? 1,
    memoryBandwidthTbps: bandwidth,
    bf16Tflops: tflops,
  });
}

/** The step time for the command's flags. */
export function engineCommandResult(args: string[]): EngineCommandResult {
  const { options } = parseArgs(args);
  const gpu = readGpu(options);
  const parametersBillions = numberFlag(options, 'parameters-billions', 'positive');
  const layers = numberFlag(options, 'layers', 'count');
  const hiddenSize = numberFlag(options, 'hidden-size', 'count');
  const attentionHeads = numberFlag(options, 'attention-heads', 'count');
  const kvHeads = numberFlag(options, 'kv-heads', 'count');
  const headDim = numberFlag(options, 'head-dim', 'count');
  const gpuCount = numberFlag(options, 'gpu-count', 'count', 1);
  const decodeBatch = numberFlag(options, 'decode-batch', 'whole');
  const context = numberFlag(options, 'context', 'whole');
  const prefillTokens = numberFlag(options, 'prefill-tokens', 'whole');
  if (decodeBatch + prefillTokens === 0) throw new EngineUsageError('--decode-batch and --prefill-tokens are both 0: the step does no work');
  // vLLM shards attention heads across the tensor-parallel GPUs and refuses a count that does not divide them
  // (vllm-project/vllm, vllm/config/model.py, ModelConfig.verify_with_parallel_config).
  if (attentionHeads % gpuCount !== 0) throw new EngineUsageError(`--attention-heads (${attentionHeads}) must be divisible by --gpu-count (${gpuCount})`);
  if (attentionHeads % kvHeads !== 0) throw new EngineUsageError(`--attention-heads (${attentionHeads}) must be a multiple of --kv-heads (${kvHeads})`);
  const model = Model.huggingFace('custom/engine', {
    parametersBillions,
    architecture: { layers, kvHeads, headDim, attentionHeads, hiddenSize, contextLength: Math.max(1, context + prefillTokens + 1) },
  });
  // The scheduler limits play no part in one step's time.
  const limits = {
    maxNumSeqs: Math.max(1, decodeBatch), maxNumBatchedTokens: Math.max(1, decodeBatch + prefillTokens), kvCapacityTokens: 1, maxModelLen: 1,
  };
  const config = engineConfig(model, gpu, gpuCount, limits);
  const work = uniformStepWork(decodeBatch, context, prefillTokens);
  const time = engineStepTime(config, work);
  const computeSeconds = time.matmulSeconds + time.attentionSeconds;
  return {
    ...time,
    computeSeconds,
    hostSeconds: config.hostSecondsPerStep ?? 0,
    bound: time.memorySeconds >= computeSeconds ? 'memory' : 'compute',
    parallelFactor: config.parallelFactor,
    gpu: { name: gpu.name, count: gpuCount, memoryBandwidthTbps: gpu.memoryBandwidthTbps, bf16Tflops: gpu.bf16Tflops },
    work: { decodeBatch, context, prefillTokens, ...work },
  };
}

function ms(seconds: number): string {
  return `${(seconds * 1e3).toFixed(3)} ms`;
}

/** `cdk8s-vllm engine ...`: prints one step's time; returns the exit code. */
export function engineCommand(args: string[], out: (text: string) => void, err: (text: string) => void): number {
  try {
    if (parseArgs(args).help) {
      out(ENGINE_HELP);
      return 0;
    }
    const r = engineCommandResult(args);
    if (parseArgs(args).json) {
      out(JSON.stringify(r, null, 2));
      return 0;
    }
    const w = r.work;
    out(`step ${ms(r.stepSeconds)} on ${r.gpu.count} x ${r.gpu.name} for ${w.decodeBatch} decodes x ${w.context} tokens + ${w.prefillTokens} prefill tokens: `
      + `${r.bound}-bound, memory ${ms(r.memorySeconds)}, compute ${ms(r.computeSeconds)} (attention ${ms(r.attentionSeconds)}), `
      + `GPU ${ms(r.gpuSeconds)} + host ${ms(r.hostSeconds)}`);
    return 0;
  } catch (error) {
    err(`cdk8s-vllm engine: ${(error as Error).message}`);
    return error instanceof EngineUsageError ? 2 : 1;
  }
}
