import { SimulationResult } from './results';
import { ServerSpec } from '../cluster/manifests';
import { NodePoolSpec } from '../cluster/nodes';
import { PlaceholderSpec, Replay, Routing } from '../cluster/replay';
import { Autoscaler } from '../control/autoscaler';
import { ASSUMPTIONS, SECONDS_PER_HOUR } from '../engine/assumptions';
import { RequestStatus } from '../engine/request-book';
import { Trace } from '../traffic/trace';

/** How a replay starts (see SimulationResult.start). */
export type ReplayStart = 'warm' | 'cold';

/** One replay of a server and an autoscaler, measured. */
export interface MeasuredReplay {
  readonly server: ServerSpec;
  readonly autoscaler: Autoscaler;
  readonly trace: Trace;
  readonly sloTtftSeconds: number;
  readonly name: string;
  readonly optimisticGpuHours: number;
  /** `warm` (default): lead-in from the floor; `cold`: at the floor. Ignored when `initialReplicas` is given. */
  readonly start?: ReplayStart;
  /** Warm replicas at the start, no lead-in (a provisioner that knew the past). */
  readonly initialReplicas?: number;
  readonly startEpochSeconds?: number;
  readonly routing?: Routing;
  readonly routingSeed?: number;
  /** The GPU nodes (default: free, every pod finds a node at once). */
  readonly nodes?: NodePoolSpec;
  /** GpuHeadroom placeholders of the chart. */
  readonly placeholders?: PlaceholderSpec;
  /**
   * On a cold start, at most this many of the replicas the autoscaler starts with are warm; the others are created
   * at time 0 and cold-start (a fixed chart of 8 replicas starts like an autoscaler that asks for 8 at once).
   * Default: all of them are warm.
   */
  readonly coldFloor?: number;
  readonly onProgress?: (fraction: number) => void;
}

/** Replays and measures: SLO attainment and latency over the trace's requests, GPU-hours over its horizon. */
export function measureReplay(run: MeasuredReplay): SimulationResult {
  const { server, autoscaler, sloTtftSeconds: slo } = run;
  const given = run.initialReplicas !== undefined;
  const start = given ? 'given' : run.start ?? 'warm';
  const leadIn = start === 'warm' && !autoscaler.pinned
    ? run.trace._withLeadIn(ASSUMPTIONS.warmUpSeconds) : { trace: run.trace, leadInRequests: 0 };
  const leadInSeconds = leadIn.trace.durationSeconds - run.trace.durationSeconds;
  const outcome = new Replay({
    server,
    autoscaler,
    trace: leadIn.trace,
    onProgress: run.onProgress,
    initialReplicas: run.initialReplicas ?? autoscaler.initialReplicas,
    measureFromSeconds: leadInSeconds,
    startEpochSeconds: (run.startEpochSeconds ?? run.trace.startEpochSeconds) - leadInSeconds,
    routing: run.routing,
    routingSeed: run.routingSeed,
    nodes: run.nodes,
    placeholders: run.placeholders,
    warmAtMost: start === 'cold' ? run.coldFloor : undefined,
  }).run();
  const book = outcome.book;
  const ttfts: number[] = [];
  let met = 0;
  for (let i = leadIn.leadInRequests; i < book.count; i++) {
    const ttft = book.firstToken[i] - book.arrival[i];
    if (Number.isNaN(ttft)) continue;
    ttfts.push(ttft);
    if (ttft <= slo && book.status[i] === RequestStatus.DONE) met++;
  }
  const requests = book.count - leadIn.leadInRequests;
  const sorted = Float64Array.from(ttfts).sort();
  const timeline = outcome.timeline;
  const scrapeInterval = server.scrapeIntervalSeconds;
  return {
    name: run.name,
    requests,
    ttftP50: percentile(sorted, 0.5),
    ttftP95: percentile(sorted, 0.95),
    ttftP99: percentile(sorted, 0.99),
    sloAttainment: met / requests,
    gpuHours: (outcome.podSeconds * server.gpuCount) / SECONDS_PER_HOUR,
    billedGpuHours: outcome.billedGpuSeconds / SECONDS_PER_HOUR,
    pendingSeconds: outcome.pendingSeconds,
    optimisticGpuHours: run.optimisticGpuHours,
    start,
    secondsAtCeiling: timeline.filter((p) => p.replicas >= autoscaler.maxReplicas).length * scrapeInterval,
    paused: autoscaler.pinned === true,
    scaleUps: outcome.scaleUps,
    scaleDowns: outcome.scaleDowns,
    maxReplicas: outcome.maxReplicas,
    preemptions: outcome.preemptions,
    failed: countFailed(book.status, leadIn.leadInRequests),
    peakKvCacheUsage: timeline.reduce((peak, p) => Math.max(peak, p.maxKvCacheUsage), 0),
    gpusPerReplica: server.gpuCount,
    timeline,
    ttftP95ByMinute: ttftByMinute(book.arrival, book.firstToken, leadIn.leadInRequests, leadInSeconds, run.trace.durationSeconds),
  };
}

function countFailed(status: Uint8Array | number[], from: number): number {
  let failed = 0;
  for (let i = from; i < status.length; i++) if (status[i] === RequestStatus.FAILED) failed++;
  return failed;
}

/** Nearest-rank percentile of sorted values (NaN when there are none: no request got a first token). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function ttftByMinute(arrivals: Float64Array, firstTokens: Float64Array, from: number, offset: number, horizon: number): number[] {
  const minutes = Math.max(1, Math.ceil(horizon / 60));
  const buckets: number[][] = Array.from({ length: minutes }, () => []);
  for (let i = from; i < arrivals.length; i++) {
    const ttft = firstTokens[i] - arrivals[i];
    buckets[Math.min(minutes - 1, Math.max(0, Math.floor((arrivals[i] - offset) / 60)))].push(Number.isNaN(ttft) ? Infinity : ttft);
  }
  return buckets.map((b) => {
    if (b.length === 0) return -1;
    const p = percentile(Float64Array.from(b).sort(), 0.95);
    return Number.isFinite(p) ? p : -1;
  });
}
