import { Check } from '../errors';
import { Gpu } from '../gpu';
import { Model } from '../model';
import { checkLabels } from './kubernetes-names';

/** The most GPUs one node of the preset GPU types holds (8-GPU HGX/DGX boards, GCP g2-standard-96, AWS g5.48xlarge). */
export const MAX_GPUS_PER_NODE = 8;
const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';

/**
 * vLLM splits attention heads, and key/value heads, over the tensor-parallel ranks
 * (vllm-project/vllm vllm/config/model.py verify_with_parallel_config and
 * vllm/model_executor/layers/linear.py QKVParallelLinear, v0.18): the attention heads must be divisible by the
 * tensor-parallel size, and the KV heads divisible by it, or it by them (KV heads are then replicated).
 */
export function checkTensorParallelHeads(check: Check, model: Model, tensorParallelSize: number): void {
  const arch = model.architecture;
  if (!arch) return;
  if (arch.attentionHeads !== undefined) {
    check.that(arch.attentionHeads % tensorParallelSize === 0, 'tensorParallelSize', tensorParallelSize,
      `must divide the model's ${arch.attentionHeads} attention heads (vLLM refuses to start otherwise)`);
  }
  const kv = arch.kvHeads;
  check.that(kv >= tensorParallelSize ? kv % tensorParallelSize === 0 : tensorParallelSize % kv === 0, 'tensorParallelSize', tensorParallelSize,
    `must divide the model's ${kv} KV heads, or be a multiple of them (vLLM refuses to start otherwise)`);
}

/** `--max-num-batched-tokens` must be at least `--max-num-seqs` (vllm/config/scheduler.py _verify_args). */
export function checkBatchBudget(check: Check, batchedTokens: number, maxNumSeqs: number, batchedTokensSet: boolean): void {
  if (batchedTokens >= maxNumSeqs) return;
  if (batchedTokensSet) {
    throw check.error('maxNumBatchedTokens', batchedTokens, `must be >= maxNumSeqs (${maxNumSeqs}): vLLM refuses to start otherwise`);
  }
  throw check.error('maxNumSeqs', maxNumSeqs, `must be <= maxNumBatchedTokens (${batchedTokens}, the default on this GPU), or set maxNumBatchedTokens: vLLM refuses to start otherwise`);
}

/** A node selector of valid labels that does not ask for another GPU than `gpu`. */
export function checkNodeSelector(check: Check, nodeSelector: { [label: string]: string } | undefined, gpu: Gpu): void {
  checkLabels(check, 'nodeSelector', nodeSelector);
  const product = nodeSelector?.[GPU_PRODUCT_LABEL];
  if (product !== undefined && product !== gpu.productLabel) {
    throw check.error(`nodeSelector['${GPU_PRODUCT_LABEL}']`, product,
      `contradicts gpu (${gpu.name}, whose nodes carry '${gpu.productLabel}'): the pods would be sized for one GPU and scheduled on another`);
  }
}

const HOST = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*(:\d{1,5})?$/i;

/** Host header values the KEDA HTTP add-on routes: a host name (optionally `*.` and a port), as a request's Host header carries it. */
export function checkHosts(check: Check, prop: string, hosts: string[] | undefined): void {
  for (const [i, host] of (hosts ?? []).entries()) {
    const port = /:(\d+)$/.exec(typeof host === 'string' ? host : '')?.[1];
    const valid = typeof host === 'string' && host.length <= 253 && HOST.test(host) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65_535));
    check.that(valid, `${prop}[${i}]`, host,
      "must be a host name a request's Host header can carry, such as 'llm.example.com' (no scheme, path or spaces; optional '*.' and ':port')");
  }
}

/**
 * How long the HTTP add-on's interceptor holds a request at zero replicas (`timeouts.conditionWait`): shorter than the
 * server's startup window, and the first requests after idle fail while the replica is still loading.
 */
export function checkColdStartTimeout(check: Check, timeoutSeconds: number, startupWindowSeconds: number): void {
  check.that(timeoutSeconds >= startupWindowSeconds, 'scaleToZero.coldStartTimeout', `${timeoutSeconds}s`,
    `must be >= the server's startup window (${startupWindowSeconds}s): requests held at zero replicas would time out before a replica is ready`);
}

/**
 * A trigger's settings object (`predictiveTrigger: { horizon }`): `enabled` a real boolean (from JavaScript the string
 * 'false' is truthy and would turn the trigger on), and no settings on a trigger that is off, where they would be ignored
 * (`usedElsewhere`: another trigger that is on reads them).
 */
export function checkTriggerSettings(check: Check, prop: string, settings: object | undefined, enabledByDefault: boolean,
  usedElsewhere = false): void {
  if (settings === undefined) return;
  check.that((settings as unknown) !== null && typeof settings === 'object', prop, settings, 'must be an object of trigger settings');
  const enabled = (settings as { enabled?: unknown }).enabled;
  check.that(enabled === undefined || typeof enabled === 'boolean', `${prop}.enabled`, enabled, 'must be true or false (a boolean, not a string)');
  const set = Object.entries(settings).filter(([key, value]) => key !== 'enabled' && value !== undefined).map(([key]) => key);
  const why = enabled === false ? 'enabled: false' : 'it is off by default';
  if ((enabled ?? enabledByDefault) || usedElsewhere || set.length === 0) return;
  throw check.problem(`${prop} sets ${set.join(', ')} but the trigger is off (${why}): `
    + 'the settings would be ignored; set enabled: true, or drop them');
}
