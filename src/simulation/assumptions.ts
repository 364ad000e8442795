/**
 * Every modelling assumption of the simulator, in one place, each with its source.
 *
 * Figures that come from the synthesized manifests (GPU, model, `--max-num-seqs`, scrape interval,
 * grace period, cold start...) are not here: they are read from the objects the constructs emit.
 * What is here is what a manifest does not say: how fast the hardware really runs, how the
 * controllers are timed, and what the simulation does at its edges. docs/simulation.md explains each.
 */
export const ASSUMPTIONS = {
  // ---- GPU physics (roofline) -------------------------------------------------------------------

  /**
   * Fraction of the data-sheet HBM bandwidth a decode step achieves while it streams weights and KV cache.
   * Source: device copies reach ~3.0 of 3.35 TB/s on an H100 (0.9, reference notes); the GEMV and
   * paged-attention kernels of a decode step reach less, so 0.8.
   */
  memoryBandwidthEfficiency: 0.8,

  /**
   * Fraction of the data-sheet dense BF16 FLOP/s a prefill achieves (model FLOPs utilisation).
   * Source: a bf16 8192^3 matmul runs at ~798 of 989 TFLOP/s on an H100 (0.81, reference notes);
   * a whole forward pass adds attention, norms and launch gaps, so 0.6.
   */
  computeEfficiency: 0.6,

  /**
   * FLOPs per parameter per token of a forward pass: 2 (one multiply and one add per weight).
   * Attention FLOPs over the context are left out (small next to the weights at the trace's context lengths).
   */
  flopsPerParameterPerToken: 2,

  /**
   * Tensor parallelism: step time is multiplied by 1 + this x (TP - 1), for the two all-reduces per
   * layer over NVLink. Assumed (no measurement in the reference notes): 3% per extra GPU, 9% at TP 4.
   */
  tensorParallelOverheadPerExtraGpu: 0.03,

  /** Fixed cost of one engine step (scheduling, sampling, launch), seconds. Assumed: 2 ms. */
  stepOverheadSeconds: 0.002,

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

  // ---- Edges of a run ------------------------------------------------------------------------------

  /**
   * Replicas at time 0 are warm, and as many as the ideal provisioner runs at the busiest of the first
   * this many minutes (within the policy's floor and ceiling): the trace starts in the middle of a day,
   * on a cluster already sized for it, and no reactive policy can add capacity faster than a cold start
   * (about 3 minutes for the example), so the first minutes would otherwise measure the unknown past.
   */
  warmStartMinutes: 5,
  /** After the last arrival, in-flight requests are followed for at most this long, seconds; then they fail. */
  drainHorizonSeconds: 3600,

  /** The default time-to-first-token objective, seconds. */
  defaultSloTtftSeconds: 2,

  // ---- Lower bound ---------------------------------------------------------------------------------

  /** The lower bound's provisioning period, seconds: the ideal provisioner re-sizes every minute. */
  lowerBoundPeriodSeconds: 60,
  /**
   * The steady-state run that measures one replica's sustainable throughput: this many seconds or this
   * many requests, whichever is shorter; its first tenth is a warm-up and is not measured.
   */
  lowerBoundProbeSeconds: 600,
  lowerBoundProbeRequests: 5000,
  /** Fraction of requests within the TTFT SLO that counts as sustainable. */
  lowerBoundAttainment: 0.99,
} as const;

/** Seconds in an hour. */
export const SECONDS_PER_HOUR = 3600;
