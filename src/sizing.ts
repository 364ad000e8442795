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
   * The longest context one sequence can have: the model's context length, capped by what the KV cache
   * holds and rounded down to a multiple of 256; undefined when the architecture is unknown.
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
      this.maxContextTokens = Math.floor(Math.min(contextLength, this.kvCacheTokens) / granularity) * granularity;
    }
  }
}

/** How fast weights reach the GPU, and how long the engine takes to start after that. */
export interface ColdStartOptions {
  /**
   * Read bandwidth of the weights in MB/s (10^6 bytes per second).
   * @default - 1000 from a ModelCache claim, 100 from the Hugging Face hub
   */
  readonly loadBandwidthMBps?: number;
  /**
   * Engine start-up after the weights are loaded (KV-cache profiling, CUDA graph capture, compilation).
   * @default Duration.seconds(30)
   */
  readonly engineStartup?: Duration;
}

/**
 * An estimate of how long a new replica takes from container start to ready:
 * weight bytes over the load bandwidth, plus engine start-up.
 *
 * With the defaults a 7B bf16 model starts in about 45 s from a cache and about 3 min from the hub;
 * a 70B one in about 3 min from a cache and about 24 min from the hub: inside the ranges measured
 * in public reports (30-60 s and 1-3 min from a pre-populated volume; 2-5 and 15-30 min from the hub).
 */
export class ColdStart {
  /** Default read bandwidth from a ModelCache claim, MB/s. */
  public static readonly CACHE_LOAD_MBPS = 1000;
  /** Default download bandwidth from the Hugging Face hub, MB/s. */
  public static readonly HUB_DOWNLOAD_MBPS = 100;
  /** Default engine start-up, seconds. */
  public static readonly ENGINE_STARTUP_SECONDS = 30;
  /** The startup probe allows this multiple of the estimate, and never less than `MIN_STARTUP_WINDOW_SECONDS`. */
  public static readonly STARTUP_WINDOW_FACTOR = 2;
  /** The shortest startup window, seconds. */
  public static readonly MIN_STARTUP_WINDOW_SECONDS = 300;

  /**
   * The cold start of `model` read from a cache (`fromCache`) or downloaded from the hub.
   * @param options bandwidth and engine start-up; default: see ColdStartOptions
   */
  public static estimate(model: Model, fromCache: boolean, options: ColdStartOptions = {}): ColdStart {
    const check = new Check('ColdStart');
    const bandwidth = options.loadBandwidthMBps ?? (fromCache ? ColdStart.CACHE_LOAD_MBPS : ColdStart.HUB_DOWNLOAD_MBPS);
    check.that(Number.isFinite(bandwidth) && bandwidth >= 1 && bandwidth <= 1e6, 'loadBandwidthMBps', bandwidth, 'must be a number of MB/s from 1 to 1000000');
    const engineStartup = options.engineStartup !== undefined ? check.wholeSeconds('engineStartup', options.engineStartup, 0, 86_400) : ColdStart.ENGINE_STARTUP_SECONDS;
    return new ColdStart(model.weightBytes / (bandwidth * 1e6), engineStartup);
  }

  /** Seconds to read the weights. */
  public readonly weightLoadSeconds: number;
  /** Seconds of engine start-up after loading. */
  public readonly engineStartupSeconds: number;

  private constructor(weightLoadSeconds: number, engineStartupSeconds: number) {
    this.weightLoadSeconds = weightLoadSeconds;
    this.engineStartupSeconds = engineStartupSeconds;
  }

  /** The whole estimate, seconds (rounded up). */
  public get totalSeconds(): number {
    return Math.ceil(this.weightLoadSeconds + this.engineStartupSeconds);
  }

  /** How long the startup probe lets a replica load: twice the estimate, at least 5 minutes. */
  public get startupWindowSeconds(): number {
    return Math.max(ColdStart.MIN_STARTUP_WINDOW_SECONDS, ColdStart.STARTUP_WINDOW_FACTOR * this.totalSeconds);
  }
}
