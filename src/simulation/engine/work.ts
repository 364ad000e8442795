import { EngineConfig, engineStepTime, prefillAttentionPairs } from './step-time';
import { Trace } from '../traffic/trace';

/**
 * What a token costs one replica, in engine seconds, at a trace's token mix: the step-time model's time for a
 * prefill chunk, per prompt token, and for a decode step at the batch the KV cache allows, per generated token.
 * A request's work is `prompt x prefill + output x decode`; a replica does one engine second of work per second
 * when it is never idle, so work per second is the replicas a load needs at full utilisation.
 */
export interface TokenCosts {
  readonly prefillSecondsPerToken: number;
  readonly decodeSecondsPerToken: number;
}

/** The per-token costs of the engine at the trace's mean prompt and output lengths. */
export function tokenCosts(engine: EngineConfig, trace: Trace): TokenCosts {
  let prompts = 0;
  let outputs = 0;
  for (let i = 0; i < trace.length; i++) {
    prompts += trace._prompts[i];
    outputs += trace._outputs[i];
  }
  const count = Math.max(1, trace.length);
  return tokenCostsAt(engine, prompts / count, outputs / count);
}

/**
 * The per-token costs for requests of these mean prompt and output lengths (tokens). Decodes run as many sequences
 * at once as `--max-num-seqs` and the KV cache allow, at the mean mid-generation context; a decode token costs its
 * share of that step. Prompt tokens ride along in the same steps (chunked prefill), so a prompt token costs what a
 * prefill chunk adds to such a step: the weights are streamed once for both.
 */
export function tokenCostsAt(engine: EngineConfig, meanPrompt: number, meanOutput: number): TokenCosts {
  const context = Math.max(1, meanPrompt + meanOutput / 2);
  const batch = Math.max(1, Math.min(engine.maxNumSeqs, Math.floor(engine.kvCapacityTokens / Math.max(1, meanPrompt + meanOutput))));
  return costsAtStep(engine, batch, context, Math.max(1, Math.min(engine.maxNumBatchedTokens - batch, Math.round(meanPrompt))));
}

/** A decode token's share of a step of `batch` sequences of `context` tokens, and a prompt token's share of what a prefill chunk of `chunk` tokens adds to it. */
function costsAtStep(engine: EngineConfig, batch: number, context: number, chunk: number): TokenCosts {
  const decodeWork = { contextTokens: batch * context, batchTokens: batch, attentionPairs: batch * (context + 1) };
  const decode = engineStepTime(engine, decodeWork).stepSeconds;
  const mixed = engineStepTime(engine, {
    contextTokens: decodeWork.contextTokens + chunk,
    batchTokens: decodeWork.batchTokens + chunk,
    attentionPairs: decodeWork.attentionPairs + prefillAttentionPairs(0, chunk),
  }).stepSeconds;
  return { prefillSecondsPerToken: (mixed - decode) / chunk, decodeSecondsPerToken: decode / batch };
}

/** Engine seconds of each request of the trace. */
export function requestWork(trace: Trace, costs: TokenCosts): Float64Array {
  const work = new Float64Array(trace.length);
  for (let i = 0; i < trace.length; i++) {
    work[i] = trace._prompts[i] * costs.prefillSecondsPerToken + trace._outputs[i] * costs.decodeSecondsPerToken;
  }
  return work;
}

/** Engine seconds of work arriving in each period of `periodSeconds` over `[0, horizon)`. */
export function workPerPeriod(trace: Trace, work: Float64Array, periodSeconds: number, horizon: number = trace.durationSeconds): number[] {
  const periods = Math.max(1, Math.ceil(horizon / periodSeconds));
  const sums = new Array<number>(periods).fill(0);
  for (let i = 0; i < trace.length; i++) sums[Math.min(periods - 1, Math.floor(trace._arrivals[i] / periodSeconds))] += work[i];
  return sums;
}

/**
 * The per-token costs a server's autoscaler weighs vLLM's token counters with, independent of the traffic's mix:
 * a decode token costs its share of a step at the full batch (`--max-num-seqs`) with each sequence half-way through its
 * share of the KV cache (at most `--max-model-len`); a prompt token
 * costs what a full prefill chunk (`--max-num-batched-tokens` less the decodes) adds to such a step. A replica serves
 * one engine second per second when it is never idle, so the weighted token rates are the replicas the load keeps busy
 * at full batch; a lighter batch costs more per token, which the utilization target leaves room for.
 */
export function servingTokenCosts(engine: EngineConfig): TokenCosts {
  const kvTokens = Math.max(engine.kvCapacityTokens, 1);
  const fullBatch = Math.max(1, Math.min(engine.maxNumSeqs, engine.maxNumBatchedTokens - 1));
  const context = Math.max(1, Math.min(engine.maxModelLen, kvTokens / fullBatch) / 2);
  return costsAtStep(engine, fullBatch, context, Math.max(1, engine.maxNumBatchedTokens - fullBatch));
}
