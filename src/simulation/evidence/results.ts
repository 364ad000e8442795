/** One point of a replay's time series, taken at each scrape. */
export interface TimelinePoint {
  /** Seconds from the start of the trace. */
  readonly time: number;
  /** Pods that exist and are not terminating (`spec.replicas`). */
  readonly replicas: number;
  /** Pods ready to serve. */
  readonly readyReplicas: number;
  /** Requests waiting: in the replicas' queues and at the Service. */
  readonly queued: number;
  /** Requests running on the replicas. */
  readonly running: number;
  /** The highest `vllm:kv_cache_usage_perc` of the ready replicas (0-1). */
  readonly maxKvCacheUsage: number;
}

/** What one replay measured. Times in seconds, fractions 0-1, GPU-hours in hours. */
export interface SimulationResult {
  /** The policy's name. */
  readonly name: string;
  /** Requests in the trace. */
  readonly requests: number;
  /** Median time to first token of the requests that got one. */
  readonly ttftP50: number;
  /** 95th percentile of the time to first token of the requests that got one. */
  readonly ttftP95: number;
  /** 99th percentile of the time to first token of the requests that got one (NaN, JSON null, when none did). */
  readonly ttftP99: number;
  /** Fraction of all requests that completed with a time to first token within the SLO (cold starts included). */
  readonly sloAttainment: number;
  /**
   * Pod GPU-hours: replica-hours from the pod's placement on a node (its creation, with nodes free) to its
   * termination, cold start included, times GPUs per replica.
   */
  readonly gpuHours: number;
  /**
   * GPU-hours the cluster bills: the nodes' from their order to their removal when nodes are autoscaled; otherwise
   * the pods' (the server's and any GpuHeadroom placeholders').
   */
  readonly billedGpuHours: number;
  /** Seconds the server's pods spent Pending, waiting for a GPU node (0 with nodes free). */
  readonly pendingSeconds: number;
  /** GPU-hours of the optimistic reference: instant replicas sized per minute (see docs/simulation.md). */
  readonly optimisticGpuHours: number;
  /**
   * How the replay started: `warm` (a lead-in replays the trace's first minutes from the policy's floor and is
   * not measured), `cold` (at the floor, measured from the first request), or `given` (a given number of warm replicas).
   */
  readonly start: string;
  /** Seconds the replica count sat at the policy's ceiling (within the measured trace). */
  readonly secondsAtCeiling: number;
  /** Whether the autoscaler was paused (a paused ScaledObject holds its replica count). */
  readonly paused: boolean;
  /** Times the replica count went up. */
  readonly scaleUps: number;
  /** Times the replica count went down. */
  readonly scaleDowns: number;
  /** The most replicas asked for at once. */
  readonly maxReplicas: number;
  /** Preemptions over all replicas (`vllm:num_preemptions_total`). */
  readonly preemptions: number;
  /** Requests lost: cut off by a shutdown timeout, rejected, or never served. */
  readonly failed: number;
  /** The highest `vllm:kv_cache_usage_perc` any replica reported at a scrape (0-1). */
  readonly peakKvCacheUsage: number;
  /** GPUs per replica. */
  readonly gpusPerReplica: number;
  /** Replicas, readiness and queue at each scrape. */
  readonly timeline: TimelinePoint[];
  /** 95th percentile TTFT of the requests arriving in each minute (seconds; -1 for a minute with none). */
  readonly ttftP95ByMinute: number[];
}

