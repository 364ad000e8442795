/**
 * Every modelling assumption of the simulator, in one place, each with its source.
 *
 * Figures that come from the synthesized manifests (GPU, model, `--max-num-seqs`, scrape interval,
 * grace period, cold start...) are not here: they are read from the objects the constructs emit.
 * What is here is what a manifest does not say: how fast the hardware really runs, how the
 * controllers are timed, and what the simulation does at its edges. docs/simulation.md explains each.
 */
export const ASSUMPTIONS = {
  // ---- GPU physics: the engine step-time model, fitted to measured H100 step times -------------------
  //
  // One step's GPU time is   max(memory, compute) + minorBoundFraction x min(memory, compute) + overhead
  //   memory  = (weights + KV cache read) / (HBM bandwidth x memoryBandwidthEfficiency)
  //   compute = 2 x parameters x tokens / (BF16 FLOP/s x computeEfficiency)
  //           + 4 x layers x attention heads x head dim x attended (query, key) pairs / (BF16 FLOP/s x attentionComputeEfficiency)
  //   overhead = gpuFixedSecondsPerStep + gpuSecondsPerLayer x layers, plus hostSecondsPerStep (not measured)
  // each per GPU (1/TP of the weights, KV heads, attention heads and FLOPs), times the tensor-parallel factor.
  //
  // Fit: data/calibration/fit_engine.py, least squares on log(model / measured) over the 86 fused points of
  // data/calibration/h100-llama-3.1-8b-fused.json (13), h100-llama-3.1-8b-fused-grid.json (53 of 62) and
  // h100-llama-3.1-70b-tp4-shard-fused.json (20 of 25), leaving out the decode-only steps that the reference runs
  // without split-KV (fewer than 33 sequence x KV-head pairs per GPU at 4k+ context: data/calibration/README.md).
  // Errors after rounding: median 2.9 % / max 14.3 % on the 13-point fused set, 2.5 % / 14.9 % on the 8B grid,
  // 2.5 % / 10.2 % on the 70B tensor-parallel shard (docs/simulation.md, "Engine step times").

  /**
   * Fraction of the data-sheet HBM bandwidth a step achieves while it streams weights and KV cache.
   * Fitted: 0.893 (rounded 0.89); a device-to-device copy on the same H100 moved 3.0 of 3.35 TB/s (0.90),
   * recorded in the calibration files.
   */
  memoryBandwidthEfficiency: 0.89,

  /**
   * Fraction of the data-sheet dense BF16 FLOP/s the weight matmuls achieve (2 FLOPs per parameter per token).
   * Fitted: 0.665 (rounded 0.67); an 8192^3 bf16 matmul on the same H100 ran at 791 of 989 TFLOP/s (0.80).
   */
  computeEfficiency: 0.67,

  /**
   * Fraction of the data-sheet dense BF16 FLOP/s attention achieves: QK^T and PV, 4 FLOPs per head dimension
   * per (query token, attended token) pair, causal inside a prefill chunk.
   * Fitted: 0.713 (rounded 0.71), carried by the long prefills (8192 tokens: attention is 12 % of the FLOPs).
   */
  attentionComputeEfficiency: 0.71,

  /**
   * The smaller of memory and compute time adds to the larger at this fraction: a step that both streams
   * the weights and runs large matmuls (a big decode batch, a mixed prefill+decode step) overlaps the two
   * only in part. 0 would be the pure roofline max, 1 the sum.
   * Fitted: 0.285 (rounded 0.28). On the 17 measured mixed steps the pure max would be 3-26 % fast
   * and the sum 2 % fast to 31 % slow; with 0.28 they are 11 % fast to 0.2 % slow.
   */
  minorBoundFraction: 0.28,

  /** FLOPs per parameter per token of a forward pass through the weights: 2 (one multiply and one add per weight). */
  flopsPerParameterPerToken: 2,

  /** FLOPs per head dimension per (query token, attended token) pair of attention: 2 for QK^T and 2 for PV. */
  attentionFlopsPerPair: 4,

  /**
   * Fixed GPU time per step per transformer layer (kernel launches and tails of the ~10 kernels a layer runs
   * inside one CUDA graph), seconds. Fitted: 37 microseconds; with it the 80-layer 70B shard and the 32-layer
   * 8B both fit (without it, fitted on the 8B alone, the 70B shard's decode steps came out 3-17 % fast).
   */
  gpuSecondsPerLayer: 37e-6,

  /** Fixed GPU time per step besides the layers (embedding, final norm, LM head launch, sampling), seconds. Fitted: 0 (bounded at 0). */
  gpuFixedSecondsPerStep: 0,

  /**
   * CPU time between GPU steps that the measurements do not contain (they time CUDA-graph replays):
   * the scheduler, input preparation and output processing of vLLM's engine core, serialised with the GPU
   * unless `--async-scheduling` is on. Assumed: 0.5 ms (not measured here). For scale: vllm-project/vllm#46112
   * measured `Scheduler.update_from_output` alone at 0.14-0.29 ms per step for decode batches of 128-256;
   * `schedule()` and input preparation come on top. (V0 left 5-13 ms GPU bubbles per step, vllm-project/vllm#6854.)
   */
  hostSecondsPerStep: 0.0005,

  /**
   * Tensor parallelism: step time is multiplied by 1 + this x (TP - 1), for the two all-reduces per
   * layer over NVLink. An assumption: one GPU cannot measure an all-reduce, and the calibration's 70B
   * shard measures only the per-GPU work of TP 4. 3% per extra GPU, 9% at TP 4.
   */
  tensorParallelOverheadPerExtraGpu: 0.03,

  // ---- vLLM replica --------------------------------------------------------------------------------

  /**
   * CPU utilisation of a replica, as a fraction of its CPU request: a base plus a share of GPU busy time.
   * Source: reference notes ("CPU idles near 5% even when the pod is saturated").
   */
  cpuUtilizationIdle: 0.04,
  /** Extra CPU utilisation at 100% GPU busy time (tokenizer, detokenizer, scheduler). Assumed. */
  cpuUtilizationAtFullLoad: 0.04,

  // ---- Kubernetes and the metrics pipeline ----------------------------------------------------------

  /** The HPA controller's sync period, seconds (kube-controller-manager `--horizontal-pod-autoscaler-sync-period`). */
  hpaSyncPeriodSeconds: 15,
  /** The HPA tolerance (`--horizontal-pod-autoscaler-tolerance`): no change while |ratio - 1| <= 0.1. */
  hpaTolerance: 0.1,
  /**
   * Phase of HPA syncs and KEDA polls relative to the Prometheus scrapes, seconds: scrapes happen at
   * multiples of the scrape interval, controllers act this long after. Half of a 15 s interval:
   * the average lag of unsynchronised loops, made deterministic.
   */
  controllerPhaseSeconds: 7.5,
  /** Target CPU utilisation of the default-cluster baseline HPA (the common `kubectl autoscale --cpu-percent=80`). */
  cpuTargetUtilizationPercent: 80,
  /** Replica bounds for a configuration that names none. */
  defaultMinReplicas: 1,
  defaultMaxReplicas: 8,

  // ---- GPU nodes (used with nodes autoscaled or fixed; with nodes free every pod finds a free node) --------
  /**
   * Seconds from the node autoscaler's request to a Ready GPU node with its GPUs advertised. 300 s: the middle of
   * vLLM's own estimate ("spinning up a VM with a GPU and installing drivers takes 2-5 minutes",
   * vllm-project/vllm#41893), below one measured AKS A100 node (284 s to the Node object and 126 s more to
   * advertise its GPUs, kaito-project/kaito#2325); cluster-autoscaler gives up on a node after 15 min
   * (`--max-node-provision-time`, cluster-autoscaler/FAQ.md). Its 10 s scan interval is inside this figure.
   */
  nodeProvisioningSeconds: 300,
  /**
   * Seconds to pull the vLLM image onto a node that does not have it: about 9 GB compressed (vllm-project/vllm#7609;
   * 8.6 GB for an image built on v0.32.0 on Docker Hub) at the 55 MB/s that kaito-project/kaito#2325 measured on
   * an AKS GPU node (5.6 GB in 101 s). vllm-project/vllm#41893 puts it at ~5 minutes.
   */
  imagePullSeconds: 160,
  /**
   * Seconds a node stays empty before the node autoscaler removes it: cluster-autoscaler's
   * `--scale-down-unneeded-time` default, 10 min (cluster-autoscaler/FAQ.md). Karpenter's `consolidateAfter`
   * defaults to 0 s (kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go).
   */
  nodeScaleDownSeconds: 600,
  /**
   * GPUs per node for the 80 GB-class GPUs: AWS p5.48xlarge (8 x H100), p4de.24xlarge (8 x A100 80GB), p5e/p5en.48xlarge
   * (8 x H200); GKE a3-highgpu-8g (8 x H100) (Karpenter's instance-type reference, aws/karpenter-provider-aws).
   */
  gpusPerLargeNode: 8,
  /** Node shapes for L4 and A10G (AWS g6 and g5: 1, 4 or 8 GPUs); the smallest that holds one replica is used. */
  smallGpuNodeShapes: [1, 4, 8],
  // ---- Edges of a run ------------------------------------------------------------------------------

  /**
   * A warm start replays the trace's own first this many seconds before it, from the policy's floor, and does not
   * measure them: the cluster meets the trace in the state this traffic and this policy put it in, rather than
   * in one the simulator guesses. 15 minutes is five cold starts of the 70B example, enough for a reactive
   * policy to settle. A cold start begins at the floor with nothing replayed before.
   */
  warmUpSeconds: 900,
  /** After the last arrival, in-flight requests are followed for at most this long, seconds; then they fail. */
  drainHorizonSeconds: 3600,

  /** The default time-to-first-token objective, seconds. */
  defaultSloTtftSeconds: 2,

  // ---- References ------------------------------------------------------------------------------------

  /** The references size capacity per period of this many seconds (a minute). */
  referencePeriodSeconds: 60,
  /** Fraction of requests within the TTFT SLO that the references and the benchmark's verdicts aim for. */
  sloTarget: 0.99,
  /**
   * Capacity factors the clairvoyant search tries in turn, until one meets the SLO target: replicas per engine second
   * of work per second (1: engines never idle; 1e6: the ceiling throughout).
   */
  clairvoyantFactors: [0.8, 1, 1.25, 1.5, 2, 3, 5, 1e6],
  /** Bisection steps of the clairvoyant search between the last factor that missed and the first that met. */
  clairvoyantBisections: 3,
  /** Periods over which the clairvoyant sizes capacity; it keeps the one that makes it cheapest. */
  clairvoyantPeriodsSeconds: [60, 300],
  /** Headrooms the causal reference tries in turn (replicas per engine second of work arrived per second). */
  causalHeadrooms: [1, 1.25, 1.5, 2, 3, 5, 1e6],
  /** Bisection steps of the causal search. */
  causalBisections: 2,
  /** How long the causal reference holds its peak demand before it releases capacity; it keeps the cheapest. */
  causalHoldsSeconds: [0, 300, 900],
} as const;

/** Seconds in an hour. */
export const SECONDS_PER_HOUR = 3600;
