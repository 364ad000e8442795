import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Check } from './errors';
import { Gpu } from './gpu';
import { Model } from './model';
import type { ModelCache } from './model-cache';
import { Sizing } from './sizing';

/** How the props of a VllmService become decisions: drain timings, context length, batch size, and their checks. */

/** How a replica stops without cutting off generations in flight. */
export interface DrainOptions {
  /**
   * Pause before SIGTERM so the endpoint leaves every load balancer first.
   * @default Duration.seconds(10)
   */
  readonly preStopPause?: Duration;
  /**
   * How long vLLM waits for in-flight requests after SIGTERM (`--shutdown-timeout`); requests that arrive meanwhile
   * are aborted (the preStop pause takes the endpoint out of the Service first).
   * @default Duration.seconds(120)
   */
  readonly shutdownTimeout?: Duration;
  /**
   * `terminationGracePeriodSeconds`; must be at least pause + shutdown timeout.
   * @default - pause + shutdown timeout + 10 s
   */
  readonly terminationGracePeriod?: Duration;
}

/** The props of a VllmService that decide its context length (VllmServiceProps has them). */
export interface ContextChoices {
  readonly model: Model;
  readonly gpu: Gpu;
  readonly gpuCount?: number;
  readonly gpuMemoryUtilization?: number;
  readonly maxModelLen?: number;
}

/** The props of a VllmService that could carry a credential (VllmServiceProps has them). */
export interface CredentialCarriers {
  readonly env?: { [name: string]: kplus.EnvValue };
  readonly extraArgs?: string[];
}

const HF_TOKEN_PATTERN = /hf_[A-Za-z0-9]{20,}/;

export interface ResolvedDrain { readonly preStopPause: Duration; readonly shutdownTimeout: Duration; readonly grace: Duration }

export function resolveDrain(check: Check, drain: DrainOptions = {}): ResolvedDrain {
  const preStopPause = drain.preStopPause ?? Duration.seconds(10);
  const shutdownTimeout = drain.shutdownTimeout ?? Duration.seconds(120);
  const needed = check.wholeSeconds('drain.preStopPause', preStopPause, 0, 3600) + check.wholeSeconds('drain.shutdownTimeout', shutdownTimeout, 0, 3600);
  // Only a grace period the user set is checked: the default always covers the pause and the shutdown timeout.
  const grace = drain.terminationGracePeriod ?? Duration.seconds(needed + 10);
  if (drain.terminationGracePeriod !== undefined) {
    const graceSeconds = check.wholeSeconds('drain.terminationGracePeriod', grace, 0, 7200);
    check.that(graceSeconds >= needed, 'drain.terminationGracePeriod', `${graceSeconds}s`,
      `must be >= preStopPause + shutdownTimeout (${needed}s), or in-flight generations are killed`);
  }
  return { preStopPause, shutdownTimeout, grace };
}

export function resolveMaxModelLen(check: Check, sizing: Sizing, props: ContextChoices, gpusPerCopy: number): number | undefined {
  const fix = 'use more GPUs (gpuCount), a smaller precision, or a larger GPU';
  check.that(sizing.weightsFit, 'gpuCount', props.gpuCount ?? 1,
    `is too small for the model: weights ${sizing.weightsGib.toFixed(1)} GiB x 1.25 = ${sizing.requiredGib.toFixed(1)} GiB `
    + `exceed ${gpusPerCopy} x ${props.gpu.name} ${props.gpu.memoryGib.toFixed(1)} GiB x utilization `
    + `${props.gpuMemoryUtilization ?? Sizing.DEFAULT_GPU_MEMORY_UTILIZATION} = ${sizing.budgetGib.toFixed(1)} GiB; ${fix}`);
  const kvLimit = sizing.maxContextTokens;
  if (props.maxModelLen === undefined) {
    if (kvLimit !== undefined) {
      check.that(kvLimit >= Sizing.CONTEXT_GRANULARITY_TOKENS, 'gpuCount', props.gpuCount ?? 1,
        `leaves ${sizing.kvCacheGib.toFixed(2)} GiB for the KV cache, less than one ${Sizing.CONTEXT_GRANULARITY_TOKENS}-token sequence; ${fix}`);
    }
    return kvLimit;
  }
  check.integer('maxModelLen', props.maxModelLen, 1);
  const contextLength = props.model.architecture?.contextLength;
  if (contextLength !== undefined) {
    check.that(props.maxModelLen <= contextLength, 'maxModelLen', props.maxModelLen, `must be <= the model's context length (${contextLength})`);
  }
  if (sizing.kvCacheTokens !== undefined) {
    check.that(props.maxModelLen <= sizing.kvCacheTokens, 'maxModelLen', props.maxModelLen,
      `does not fit the KV cache: ${sizing.kvCacheGib.toFixed(2)} GiB holds ${sizing.kvCacheTokens} tokens; `
      + `vLLM refuses to start. Allowed: 1 to ${sizing.kvCacheTokens}, or ${fix}`);
  }
  return props.maxModelLen;
}

export function checkNoLiteralToken(check: Check, props: CredentialCarriers): void {
  for (const [name, value] of Object.entries(props.env ?? {})) {
    const literal = value.value;
    const isTokenVariable = /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_TOKEN)$/.test(name);
    if (literal !== undefined && (isTokenVariable || HF_TOKEN_PATTERN.test(literal))) {
      throw check.error(`env.${name}`, '<redacted>', 'must not be a literal Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })');
    }
  }
  for (const arg of props.extraArgs ?? []) {
    if (HF_TOKEN_PATTERN.test(arg) || /^--hf-token/.test(arg)) {
      throw check.error('extraArgs', '<redacted>', 'must not carry a Hugging Face token: pass Model.huggingFace(..., { token: { secret, key } })');
    }
  }
}

export function checkCacheServes(check: Check, cache: ModelCache, model: Model, namespace: string | undefined): void {
  check.that(cache.model.id === model.id && cache.model.revision === model.revision, 'cache', cache.node.path,
    `holds ${cache.model.id}@${cache.model.revision}, not the model served (${model.id}@${model.revision})`);
  check.that(cache.namespace === namespace, 'cache', cache.node.path,
    `is in namespace ${cache.namespace ?? 'none'}, not the server's (${namespace ?? 'none'}): a pod mounts only claims of its own namespace`);
}

/** Replicas on several nodes need a claim every node can mount. */
export function checkCacheSharable(check: Check, prop: string, replicas: number, cache: ModelCache): void {
  check.that(cache.sharable, prop, replicas,
    `needs a cache every node can mount, but '${cache.node.path}' is ${cache.accessMode}: use ReadWriteMany (or ReadOnlyMany for a pre-filled claim)`);
}

export function defaultBatchedTokens(gpu: Gpu): number {
  return gpu.memoryGib >= 70 && !/a100/i.test(gpu.name) ? 8192 : 2048;
}

export function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}
