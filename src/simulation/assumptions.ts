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
  /**
   * The steady-state run that measures one replica's sustainable throughput: this many seconds or this
   * many requests, whichever is shorter; its first tenth is a warm-up and is not measured.
   */
  sustainableProbeSeconds: 600,
  sustainableProbeRequests: 5000,
  /** Fraction of requests within the TTFT SLO that the references and the benchmark's verdicts aim for. */
  sloTarget: 0.99,
  /** Capacity factors the clairvoyant search tries in turn, until one meets the SLO target. */
  clairvoyantFactors: [0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 1e6],
  /** Bisection steps of the clairvoyant search between the last factor that missed and the first that met. */
  clairvoyantBisections: 4,
} as const;

/** Seconds in an hour. */
export const SECONDS_PER_HOUR = 3600;
