import * as kplus from 'cdk8s-plus-28';
import { Check } from './errors';
import { modelIdProblem } from './validation/hub';
import { checkSecretValue } from './validation/secrets';

/** Numeric format of the weights, which decides the bytes each parameter takes. */
export enum Precision {
  /** bfloat16: 2 bytes per parameter. */
  BF16 = 'bf16',
  /** float16: 2 bytes per parameter. */
  FP16 = 'fp16',
  /** 8-bit floating point: 1 byte per parameter. */
  FP8 = 'fp8',
  /** 4-bit integer (AWQ, GPTQ): half a byte per parameter. */
  INT4 = 'int4',
}

const BYTES_PER_PARAMETER: Record<Precision, number> = {
  [Precision.BF16]: 2,
  [Precision.FP16]: 2,
  [Precision.FP8]: 1,
  [Precision.INT4]: 0.5,
};

/** The KV cache is kept in 16-bit floats (vLLM's `--kv-cache-dtype auto` for these precisions). */
const KV_CACHE_BYTES_PER_VALUE = 2;

/** The shape of a transformer that decides how many bytes one token of context takes in the KV cache. */
export interface ModelArchitecture {
  /** Number of transformer layers (`num_hidden_layers`). */
  readonly layers: number;
  /** Number of key/value heads (`num_key_value_heads`). */
  readonly kvHeads: number;
  /** Dimension of one attention head (`head_dim`, or hidden size / attention heads). */
  readonly headDim: number;
  /** The longest context the model supports (`max_position_embeddings`), in tokens. */
  readonly contextLength: number;
  /**
   * Number of query (attention) heads (`num_attention_heads`): with `headDim`, the width attention computes over,
   * which sets the attention FLOPs of long prompts in the simulator's step time; the tensor-parallel size must divide it.
   * @default - known for well-known models; otherwise hiddenSize / headDim when hiddenSize is given, else attention FLOPs are left out
   */
  readonly attentionHeads?: number;
  /**
   * Width of the residual stream (`hidden_size`).
   * @default - known for well-known models; otherwise attentionHeads x headDim when attentionHeads is given
   */
  readonly hiddenSize?: number;
}

/** Options for a model hosted on the Hugging Face hub. */
export interface HuggingFaceModelOptions {
  /** Number of parameters, in billions. */
  readonly parametersBillions: number;
  /**
   * Precision of the weights.
   * @default Precision.BF16
   */
  readonly precision?: Precision;
  /**
   * The hub revision (branch, tag or commit) to download. Pin a commit hash in production:
   * the cache is filled once per revision.
   * @default 'main'
   */
  readonly revision?: string;
  /**
   * The architecture, for KV-cache sizing and the context length.
   * @default - known for well-known models (Llama 3.1/3.3, Mistral 7B, Qwen 2.5); otherwise the
   * context length is left to vLLM and cannot be checked at synth time
   */
  readonly architecture?: ModelArchitecture;
  /**
   * The model name clients send in requests and the `model_name` label on vLLM's metrics.
   * @default - the model id
   */
  readonly servedModelName?: string;
  /**
   * The hub token for gated models, read from a Kubernetes Secret. Literal tokens are not accepted.
   * @default - no token (public models only)
   */
  readonly token?: kplus.SecretValue;
}

interface KnownArchitecture { readonly pattern: RegExp; readonly architecture: ModelArchitecture }

/** Architectures of well-known models, from their published `config.json`. */
const KNOWN_ARCHITECTURES: KnownArchitecture[] = [
  { pattern: /llama-3\.1-8b/i, architecture: { layers: 32, kvHeads: 8, headDim: 128, contextLength: 131_072, attentionHeads: 32, hiddenSize: 4096 } },
  { pattern: /llama-3\.[13]-70b/i, architecture: { layers: 80, kvHeads: 8, headDim: 128, contextLength: 131_072, attentionHeads: 64, hiddenSize: 8192 } },
  { pattern: /llama-3\.1-405b/i, architecture: { layers: 126, kvHeads: 8, headDim: 128, contextLength: 131_072, attentionHeads: 128, hiddenSize: 16_384 } },
  { pattern: /mistral-7b-instruct-v0\.[23]/i, architecture: { layers: 32, kvHeads: 8, headDim: 128, contextLength: 32_768, attentionHeads: 32, hiddenSize: 4096 } },
  { pattern: /qwen2\.5-7b/i, architecture: { layers: 28, kvHeads: 4, headDim: 128, contextLength: 32_768, attentionHeads: 28, hiddenSize: 3584 } },
  { pattern: /qwen2\.5-72b/i, architecture: { layers: 80, kvHeads: 8, headDim: 128, contextLength: 32_768, attentionHeads: 64, hiddenSize: 8192 } },
];

const GIB = 2 ** 30;
/** The largest model accepted, in billions of parameters (well above any published model). */
const MAX_PARAMETERS_BILLIONS = 100_000;

/**
 * A model to serve: where its weights come from and how large they are.
 */
export class Model {
  /**
   * A model on the Hugging Face hub, e.g. `Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 })`.
   */
  public static huggingFace(modelId: string, options: HuggingFaceModelOptions): Model {
    return new Model(modelId, options);
  }

  /** The hub id, `organisation/name`. */
  public readonly id: string;
  /** The hub revision the weights are pinned to. */
  public readonly revision: string;
  /** Number of parameters, in billions. */
  public readonly parametersBillions: number;
  /** Precision of the weights. */
  public readonly precision: Precision;
  /** The name clients request and the `model_name` label on vLLM's metrics. */
  public readonly servedModelName: string;
  /** The architecture, when known. */
  public readonly architecture?: ModelArchitecture;
  /** The hub token, from a Secret. */
  public readonly token?: kplus.SecretValue;

  private constructor(modelId: string, options: HuggingFaceModelOptions) {
    const check = new Check(`Model '${modelId}'`);
    check.that(options !== null && typeof options === 'object', 'options', options, 'must be an object with parametersBillions');
    const idProblem = modelIdProblem(modelId);
    if (idProblem) throw check.error('modelId', modelId, idProblem);
    check.that(Number.isFinite(options.parametersBillions) && options.parametersBillions > 0 && options.parametersBillions <= MAX_PARAMETERS_BILLIONS,
      'parametersBillions', options.parametersBillions, `must be a number > 0 and <= ${MAX_PARAMETERS_BILLIONS}`);
    check.that(options.precision === undefined || Object.values(Precision).includes(options.precision), 'precision', options.precision,
      `must be one of ${Object.values(Precision).join(', ')}`);
    const revision = options.revision ?? 'main';
    check.that(typeof revision === 'string' && /^[\w][\w.\-/]{0,127}$/.test(revision) && !revision.includes('..') && !/\/\.?(\/|$)/.test(revision),
      'revision', revision, 'must be a branch, tag or commit hash');
    const servedModelName = options.servedModelName ?? modelId;
    check.that(typeof servedModelName === 'string' && /^\S{1,200}$/.test(servedModelName), 'servedModelName', servedModelName, 'must be 1-200 characters without spaces');
    checkSecretValue(check, 'token', options.token);
    const architecture = options.architecture ?? KNOWN_ARCHITECTURES.find((known) => known.pattern.test(modelId))?.architecture;
    if (options.architecture) {
      check.integer('architecture.layers', options.architecture.layers, 1, 10_000);
      check.integer('architecture.kvHeads', options.architecture.kvHeads, 1, 10_000);
      check.integer('architecture.headDim', options.architecture.headDim, 1, 100_000);
      check.integer('architecture.contextLength', options.architecture.contextLength, 1, 2 ** 31 - 1);
      check.integer('architecture.attentionHeads', options.architecture.attentionHeads, 1, 10_000);
      check.integer('architecture.hiddenSize', options.architecture.hiddenSize, 1, 1_000_000);
      const heads = options.architecture.attentionHeads;
      check.that(heads === undefined || heads % options.architecture.kvHeads === 0, 'architecture.kvHeads', options.architecture.kvHeads,
        `must divide attentionHeads (${heads}): each KV head serves a whole group of query heads`);
    }
    this.id = modelId;
    this.revision = revision;
    this.parametersBillions = options.parametersBillions;
    this.precision = options.precision ?? Precision.BF16;
    this.servedModelName = servedModelName;
    this.architecture = architecture;
    this.token = options.token;
  }

  /** Bytes each parameter takes at this precision. */
  public get bytesPerParameter(): number {
    return BYTES_PER_PARAMETER[this.precision];
  }

  /** Size of the weights in bytes: parameters x 1e9 x bytes per parameter. */
  public get weightBytes(): number {
    return this.parametersBillions * 1e9 * this.bytesPerParameter;
  }

  /** Size of the weights in GiB (2^30 bytes). */
  public get weightsGib(): number {
    return this.weightBytes / GIB;
  }

  /**
   * Bytes one token of context takes in the KV cache, over all GPUs:
   * 2 (key and value) x layers x KV heads x head dimension x 2 bytes. Undefined when the architecture is unknown.
   */
  public get kvBytesPerToken(): number | undefined {
    const arch = this.architecture;
    return arch ? 2 * arch.layers * arch.kvHeads * arch.headDim * KV_CACHE_BYTES_PER_VALUE : undefined;
  }

  /**
   * Width attention computes over, attention heads x head dimension (per token, over all GPUs): the factor
   * of the attention FLOPs, 4 x layers x this per attended (query, key) pair.
   * Undefined when neither the attention heads nor the hidden size is known.
   */
  public get attentionWidth(): number | undefined {
    const arch = this.architecture;
    if (!arch) return undefined;
    if (arch.attentionHeads !== undefined) return arch.attentionHeads * arch.headDim;
    return arch.hiddenSize;
  }

  /** `organisation/name@revision` with characters a path can hold: the directory the weights live in on a cache. */
  public get directoryName(): string {
    return `${this.id}/${this.revision.replace(/\//g, '_')}`;
  }
}
