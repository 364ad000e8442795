/**
 * The engine step-time model: how long one vLLM engine step takes on the GPUs of a replica, and the closed-form
 * sums of decode-only runs. The constants are fitted to measured H100 step times (assumptions.ts, data/calibration).
 */

/** What one vLLM replica can do, from the Deployment's arguments and the GPU's physics. */
export interface EngineConfig {
  /** `--max-num-seqs`. */
  readonly maxNumSeqs: number;
  /** `--max-num-batched-tokens`: tokens one step processes (decodes + prefill chunks). */
  readonly maxNumBatchedTokens: number;
  /** Tokens the KV cache holds over all sequences. */
  readonly kvCapacityTokens: number;
  /** `--max-model-len`. */
  readonly maxModelLen: number;
  /** Seconds to stream one GPU's share of the weights from HBM. */
  readonly weightSecondsPerStep: number;
  /** Seconds to stream one token of context (its KV) from HBM, per GPU share. */
  readonly kvSecondsPerToken: number;
  /** Seconds of compute for one token through the model, per GPU share. */
  readonly computeSecondsPerToken: number;
  /**
   * Seconds of compute per attended (query token, key token) pair of attention, per GPU share.
   * @default 0
   */
  readonly attentionSecondsPerPair?: number;
  /**
   * Fraction of the smaller of memory and compute time that adds to the larger (0: the roofline max; 1: the sum).
   * @default 0
   */
  readonly minorBoundFraction?: number;
  /** Multiplier for tensor-parallel communication (1 for one GPU). */
  readonly parallelFactor: number;
  /** Fixed GPU seconds per step (launches, per-layer kernel tails). */
  readonly stepOverheadSeconds: number;
  /**
   * Host seconds per step that do not overlap the GPU (scheduler, input preparation).
   * @default 0
   */
  readonly hostSecondsPerStep?: number;
}

/** The work in one engine step, as the step-time model sees it. */
export interface StepWork {
  /** Tokens of KV cache the step reads or writes (decoding sequences' context plus prefill chunks). */
  readonly contextTokens: number;
  /** Tokens the step computes (one per decoding sequence plus every prefill token). */
  readonly batchTokens: number;
  /** Attended (query token, key token) pairs: each decode token attends to its context and itself, a prefill chunk causally. */
  readonly attentionPairs: number;
}

/** One step's time and its parts, seconds. */
export interface StepTime {
  /** Streaming weights and KV cache from HBM, per GPU. */
  readonly memorySeconds: number;
  /** Weight matmuls, per GPU. */
  readonly matmulSeconds: number;
  /** Attention arithmetic, per GPU. */
  readonly attentionSeconds: number;
  /** GPU time: parallelFactor x (max(memory, compute) + minorBoundFraction x min(memory, compute)) + stepOverheadSeconds. */
  readonly gpuSeconds: number;
  /** The whole step: GPU time plus host time. */
  readonly stepSeconds: number;
}

/** Attended pairs of a prefill chunk of `chunk` tokens after `before` tokens of the same sequence: chunk x before + chunk (chunk + 1) / 2. */
export function prefillAttentionPairs(before: number, chunk: number): number {
  return chunk * before + (chunk * (chunk + 1)) / 2;
}

/**
 * The work of a step that holds `decodeBatch` decoding sequences of `context` tokens each and one prefill chunk of
 * `prefillTokens` tokens of a new prompt: what `EngineReplica` computes for that step, and what the calibration measured.
 */
export function uniformStepWork(decodeBatch: number, context: number, prefillTokens: number): StepWork {
  return {
    contextTokens: decodeBatch * context + prefillTokens,
    batchTokens: decodeBatch + prefillTokens,
    attentionPairs: decodeBatch * (context + 1) + prefillAttentionPairs(0, prefillTokens),
  };
}

/**
 * The step-time model: a roofline whose memory and compute times overlap only in part.
 * `EngineReplica` takes every step's time from here; the closed-form decode runs are its exact sums.
 */
export function engineStepTime(config: EngineConfig, work: StepWork): StepTime {
  const memorySeconds = config.weightSecondsPerStep + config.kvSecondsPerToken * work.contextTokens;
  const matmulSeconds = config.computeSecondsPerToken * work.batchTokens;
  const attentionSeconds = (config.attentionSecondsPerPair ?? 0) * work.attentionPairs;
  const gpuSeconds = config.parallelFactor * combineBounds(memorySeconds, matmulSeconds + attentionSeconds, config.minorBoundFraction ?? 0)
    + config.stepOverheadSeconds;
  return { memorySeconds, matmulSeconds, attentionSeconds, gpuSeconds, stepSeconds: gpuSeconds + (config.hostSecondsPerStep ?? 0) };
}

function combineBounds(memory: number, compute: number, fraction: number): number {
  return memory >= compute ? memory + fraction * compute : compute + fraction * memory;
}

/**
 * The step times of a decode-only run: step k (from 0) takes `first + slope x k` seconds for k < `switchAt`,
 * then `first2 + slope2 x k` (the larger of memory and compute changed sides).
 */
export interface DecodeSeries {
  readonly first: number;
  readonly slope: number;
  readonly switchAt: number;
  readonly first2: number;
  readonly slope2: number;
}

/** The decode-only steps of `batch` sequences holding `k0` tokens of KV, as two linear pieces of `engineStepTime`. */
export function decodeSeries(c: EngineConfig, k0: number, batch: number): DecodeSeries {
  const p = c.parallelFactor;
  const f = c.minorBoundFraction ?? 0;
  const fixed = c.stepOverheadSeconds + (c.hostSecondsPerStep ?? 0);
  const attention = c.attentionSecondsPerPair ?? 0;
  // memory(k) = m0 + mg k, compute(k) = c0 + cg k (engineStepTime's terms with K0 + k x batch tokens of context)
  const m0 = c.weightSecondsPerStep + c.kvSecondsPerToken * k0;
  const mg = c.kvSecondsPerToken * batch;
  const c0 = c.computeSecondsPerToken * batch + attention * (k0 + batch);
  const cg = attention * batch;
  const memoryBound = { first: p * (m0 + f * c0) + fixed, slope: p * (mg + f * cg) };
  const computeBound = { first: p * (c0 + f * m0) + fixed, slope: p * (cg + f * mg) };
  // d(k) = memory(k) - compute(k) changes sign at most once.
  const d0 = m0 - c0;
  const dg = mg - cg;
  const startsMemoryBound = d0 >= 0;
  let switchAt = Infinity;
  if (startsMemoryBound && dg < 0) switchAt = Math.floor(-d0 / dg) + 1;
  else if (!startsMemoryBound && dg > 0) switchAt = Math.ceil(-d0 / dg);
  const [a, b] = startsMemoryBound ? [memoryBound, computeBound] : [computeBound, memoryBound];
  return { first: a.first, slope: a.slope, switchAt, first2: b.first, slope2: b.slope };
}

/** Seconds of steps [from, to) of a linear piece. */
function pieceSeconds(first: number, slope: number, from: number, to: number): number {
  const n = to - from;
  return n <= 0 ? 0 : n * first + (slope * (from + to - 1) * n) / 2;
}

/** Seconds of the first `n` steps of a decode run. */
export function seriesSeconds(s: DecodeSeries, n: number): number {
  const split = Math.min(n, s.switchAt);
  return pieceSeconds(s.first, s.slope, 0, split) + pieceSeconds(s.first2, s.slope2, split, n);
}

/** The fewest steps whose total time reaches `remaining` seconds. */
export function stepsToReach(remaining: number, s: DecodeSeries): number {
  if (remaining <= 0) return 1;
  const firstPiece = s.switchAt === Infinity ? Infinity : pieceSeconds(s.first, s.slope, 0, s.switchAt);
  let n: number;
  if (firstPiece >= remaining) {
    n = stepsInPiece(s.first, s.slope, 0, remaining);
  } else {
    n = s.switchAt + stepsInPiece(s.first2, s.slope2, s.switchAt, remaining - firstPiece);
  }
  n = Math.max(1, n);
  // Rounding of the square root: settle on the exact answer.
  while (n > 1 && seriesSeconds(s, n - 1) >= remaining) n--;
  while (seriesSeconds(s, n) < remaining) n++;
  return n;
}

/** Steps from step `from` of a linear piece until their time reaches `rest`: the root of m alpha + slope m (m - 1) / 2 = rest. */
function stepsInPiece(first: number, slope: number, from: number, rest: number): number {
  const alpha = first + slope * from;
  if (slope <= 0) return Math.max(1, Math.ceil(rest / alpha));
  const b = alpha - slope / 2;
  return Math.max(1, Math.ceil((-b + Math.sqrt(b * b + 2 * slope * rest)) / slope));
}
