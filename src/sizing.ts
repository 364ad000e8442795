import { Duration } from 'cdk8s';
import { Check } from './errors';
import { Gpu } from './gpu';
import { Model } from './model';

/** Inputs of the memory plan for one replica. */
export interface SizingProps {
  /** The model served. */
  readonly model: Model;
  /** The GPU model. */
  readonly gpu: Gpu;
  /** GPUs per replica. */
  readonly gpuCount: number;
  /**
   * Fraction of each GPU's memory vLLM may use (`--gpu-memory-utilization`).
   * @default 0.85
   */
  readonly gpuMemoryUtilization?: number;
}

/**
 * The memory plan of one replica: do the weights fit, how much KV cache is left, how long a context it holds.
 *
 * All figures in GiB (2^30 bytes); GPU memory as `nvidia-smi` reports it.
 */
export class Sizing {
  /** Weights may take at most 1 / 1.25 of the memory budget: the rest is KV cache. */
  public static readonly WEIGHTS_HEADROOM_FACTOR = 1.25;
  /**
   * Memory per GPU that vLLM needs besides weights and KV cache (activations of the profiling run,
   * CUDA graphs, non-torch allocations), in GiB.
   */
  public static readonly ENGINE_RESERVE_GIB_PER_GPU = 1;
  /** The default `--gpu-memory-utilization`: 0.85 leaves headroom; 0.95 OOMs under concurrent load. */
  public static readonly DEFAULT_GPU_MEMORY_UTILIZATION = 0.85;
  /**
   * A derived `--max-model-len` uses at most this fraction of the KV cache the plan expects: vLLM measures the memory
   * left after its profiling run and refuses to start when one sequence of `--max-model-len` tokens does not fit
   * (vllm/v1/core/kv_cache_utils.py, check_enough_kv_cache_memory), and activations or CUDA graphs may take more than
   * the plan's reserve. 10 % of the KV cache is the margin.
   */
  public static readonly CONTEXT_MARGIN = 0.9;
  /** Derived context lengths are rounded down to a multiple of this many tokens. */
  public static readonly CONTEXT_GRANULARITY_TOKENS = 256;

  /** The memory plan for a model on `gpuCount` GPUs. */
  public static of(props: SizingProps): Sizing {
    const check = new Check('Sizing');
    check.integer('gpuCount', props.gpuCount, 1, 64);
    check.inHalfOpenRange('gpuMemoryUtilization', props.gpuMemoryUtilization, 0, 1);
    return new Sizing(props);
  }

  /** Size of the weights, GiB. */
  public readonly weightsGib: number;
  /** Memory vLLM may use over all GPUs: GPUs x memory x utilisation, GiB. */
  public readonly budgetGib: number;
  /** What the weights need with KV headroom: weights x 1.25, GiB. */
  public readonly requiredGib: number;
  /** Whether the weights plus KV headroom fit the budget. */
  public readonly weightsFit: boolean;
  /** Memory left for the KV cache after weights and the engine reserve, GiB (may be negative). */
  public readonly kvCacheGib: number;
  /** Tokens the KV cache holds over all sequences; undefined when the architecture is unknown. */
  public readonly kvCacheTokens?: number;
  /**
   * The longest context one sequence can have: the model's context length, capped by 90 % of what the KV cache
   * holds (CONTEXT_MARGIN) and rounded down to a multiple of 256; undefined when the architecture is unknown.
   */
  public readonly maxContextTokens?: number;

  private constructor(props: SizingProps) {
    const utilization = props.gpuMemoryUtilization ?? Sizing.DEFAULT_GPU_MEMORY_UTILIZATION;
    this.weightsGib = props.model.weightsGib;
    this.budgetGib = props.gpuCount * props.gpu.memoryGib * utilization;
    this.requiredGib = this.weightsGib * Sizing.WEIGHTS_HEADROOM_FACTOR;
    this.weightsFit = this.requiredGib <= this.budgetGib;
    this.kvCacheGib = this.budgetGib - this.weightsGib - props.gpuCount * Sizing.ENGINE_RESERVE_GIB_PER_GPU;
    const kvBytesPerToken = props.model.kvBytesPerToken;
    const contextLength = props.model.architecture?.contextLength;
    if (kvBytesPerToken !== undefined && contextLength !== undefined) {
      this.kvCacheTokens = Math.max(0, Math.floor((this.kvCacheGib * 2 ** 30) / kvBytesPerToken));
      const granularity = Sizing.CONTEXT_GRANULARITY_TOKENS;
      this.maxContextTokens = Math.floor(Math.min(contextLength, this.kvCacheTokens * Sizing.CONTEXT_MARGIN) / granularity) * granularity;
    }
  }
}

/** How vLLM reads the weights (`--load-format`). */
export enum LoadFormat {
  /** vLLM's default loader (`auto`: safetensors read file by file). */
  AUTO = 'auto',
  /**
   * The Run:ai Model Streamer (`runai_streamer`): reads tensors concurrently and streams them to the GPU. Safetensors
   * only; shipped in the vllm/vllm-openai image (vllm-project/vllm docs/models/extensions/runai_model_streamer.md).
   */
  RUNAI_STREAMER = 'runai_streamer',
}

/** How fast weights reach the GPU, and how long the engine takes to start after that. */
export interface ColdStartOptions {
  /**
   * Read bandwidth of the weights in MB/s (10^6 bytes per second) with vLLM's default loader.
   * @default - 1000 from a ModelCache claim, 100 from the Hugging Face hub
   */
  readonly loadBandwidthMBps?: number;
  /**
   * Engine start-up after the weights are loaded, compilation excluded (KV-cache profiling, CUDA graph capture).
   * @default Duration.seconds(30)
   */
  readonly engineStartup?: Duration;
  /**
   * Whether vLLM's compile cache is kept across restarts (a ModelCache's compile-cache claim): a replica then loads the
   * compiled graphs instead of compiling them.
   * @default false
   */
  readonly compileCachePersisted?: boolean;
  /**
   * How vLLM reads the weights from a cache claim.
   * @default LoadFormat.AUTO
   */
  readonly loadFormat?: LoadFormat;
}

/**
 * An estimate of how long a new replica takes from container start to ready:
 * weight bytes over the load bandwidth, plus torch.compile, plus engine start-up.
 *
 * With the defaults and a persisted compile cache a 7B bf16 model starts in about 55 s from a cache and a 70B one in
 * about 3 min: inside the ranges in public reports (30-60 s and 1-3 min from a pre-populated volume; 2-5 and 15-30 min
 * from the hub).
 */
export class ColdStart {
  /** Default read bandwidth from a ModelCache claim, MB/s. */
  public static readonly CACHE_LOAD_MBPS = 1000;
  /** Default download bandwidth from the Hugging Face hub, MB/s. */
  public static readonly HUB_DOWNLOAD_MBPS = 100;
  /** Default engine start-up (profiling, KV-cache allocation, CUDA graph capture), seconds. */
  public static readonly ENGINE_STARTUP_SECONDS = 30;
  /**
   * torch.compile from scratch, seconds: vLLM logs "torch.compile takes N s in total"; public reports give ~39 s for
   * Qwen3.6-35B-A3B (route179.dev, "Optimizing vLLM cold start with model streaming and compile caching", 2026) and
   * 30-35 s for Llama-3.1-8B-class models (vLLM issue logs); 40 s rounds them up.
   */
  public static readonly COMPILE_SECONDS = 40;
  /**
   * torch.compile with a warm compile cache, seconds: Inductor is bypassed and the artifacts are read from disk
   * (vllm-project/vllm docs/design/torch_compile.md); Dynamo's bytecode transform still runs (3-7 s in vLLM's logs),
   * and Baseten reports 5-20 s with a shared cache (docs.baseten.co, "Torch compile caching"); 10 s.
   */
  public static readonly COMPILE_CACHED_SECONDS = 10;
  /**
   * Speed-up of the Run:ai Model Streamer over vLLM's default loader from the same disk: Llama-3-8B (15 GB) on a
   * 1,000 MiB/s gp3 volume loaded in 14.34 s instead of 47.99 s (run-ai/runai-model-streamer docs/src/benchmarks.md,
   * appendix A, concurrency 16): 3.3x. The estimate applies it to the cache claim's bandwidth.
   */
  public static readonly STREAMER_SPEEDUP = 3.3;
  /** The startup probe allows this multiple of engine start-up and an uncached compile. */
  public static readonly STARTUP_WINDOW_FACTOR = 2;
  /** ... and this multiple of the weight load: storage three times slower than assumed still fits. */
  public static readonly SLOW_STORAGE_FACTOR = 3;
  /** The shortest startup window, seconds. */
  public static readonly MIN_STARTUP_WINDOW_SECONDS = 300;

  /**
   * The cold start of `model` read from a cache (`fromCache`) or downloaded from the hub.
   * @param options bandwidth, engine start-up, compile cache and load format; default: see ColdStartOptions
   */
  public static estimate(model: Model, fromCache: boolean, options: ColdStartOptions = {}): ColdStart {
    const check = new Check('ColdStart');
    const bandwidth = options.loadBandwidthMBps ?? (fromCache ? ColdStart.CACHE_LOAD_MBPS : ColdStart.HUB_DOWNLOAD_MBPS);
    check.that(Number.isFinite(bandwidth) && bandwidth >= 1 && bandwidth <= 1e6, 'loadBandwidthMBps', bandwidth, 'must be a number of MB/s from 1 to 1000000');
    const engineStartup = options.engineStartup !== undefined ? check.wholeSeconds('engineStartup', options.engineStartup, 0, 86_400) : ColdStart.ENGINE_STARTUP_SECONDS;
    const speedup = fromCache && options.loadFormat === LoadFormat.RUNAI_STREAMER ? ColdStart.STREAMER_SPEEDUP : 1;
    const compile = options.compileCachePersisted ? ColdStart.COMPILE_CACHED_SECONDS : ColdStart.COMPILE_SECONDS;
    return new ColdStart(model.weightBytes / (bandwidth * speedup * 1e6), engineStartup, compile);
  }

  /** Seconds to read the weights. */
  public readonly weightLoadSeconds: number;
  /** Seconds of engine start-up after loading, compilation excluded. */
  public readonly engineStartupSeconds: number;
  /** Seconds of torch.compile (from scratch, or from a persisted compile cache). */
  public readonly compileSeconds: number;

  private constructor(weightLoadSeconds: number, engineStartupSeconds: number, compileSeconds: number) {
    this.weightLoadSeconds = weightLoadSeconds;
    this.engineStartupSeconds = engineStartupSeconds;
    this.compileSeconds = compileSeconds;
  }

  /** The whole estimate, seconds (rounded up): what the `vllm.cdk8s.io/cold-start-seconds` annotation carries. */
  public get totalSeconds(): number {
    return Math.ceil(this.weightLoadSeconds + this.compileSeconds + this.engineStartupSeconds);
  }

  /**
   * How long the startup probe lets a replica load, at least 5 minutes: three times the weight load (slow storage)
   * plus twice the engine start-up and a compile from scratch (the first replica of a new configuration compiles even
   * with a persisted cache).
   */
  public get startupWindowSeconds(): number {
    const engine = this.engineStartupSeconds + Math.max(this.compileSeconds, ColdStart.COMPILE_SECONDS);
    return Math.max(ColdStart.MIN_STARTUP_WINDOW_SECONDS,
      Math.ceil(ColdStart.SLOW_STORAGE_FACTOR * this.weightLoadSeconds + ColdStart.STARTUP_WINDOW_FACTOR * engine));
  }
}
