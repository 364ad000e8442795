import { findAutoscaler } from './cluster/find-autoscaler';
import { Manifest, readServer } from './cluster/manifests';
import { NodePoolProps, resolveNodePool } from './cluster/node-pool-props';
import { readPlaceholders } from './cluster/placeholders';
import { parseRouting } from './cluster/routing';
import { ASSUMPTIONS } from './engine/assumptions';
import { measureReplay } from './evidence/measure';
import { optimisticReference } from './evidence/references';
import { SimulationResult } from './evidence/results';
import { Trace } from './traffic/trace';

/** Inputs of one replay. */
export interface SimulationProps {
  /**
   * The synthesized objects as plain JSON (`Testing.synth(chart)` or the documents of a YAML file):
   * the vLLM Deployment, its ServiceMonitor, and the ScaledObject or HorizontalPodAutoscaler that targets it.
   * The Service, when present, gives the `service` label of the scraped series.
   */
  readonly manifests: any[];
  /** The traffic to replay. */
  readonly trace: Trace;
  /**
   * The time-to-first-token objective, seconds.
   * @default 2
   */
  readonly sloTtftSeconds?: number;
  /**
   * Name of the policy in reports.
   * @default - the autoscaler's metadata.name
   */
  readonly name?: string;
  /**
   * Name of the Deployment to simulate, when the manifests hold several.
   * @default - the only Deployment that runs `vllm serve`
   */
  readonly deploymentName?: string;
  /**
   * Wall-clock time of the trace's start, seconds since the epoch (cron triggers read it).
   * @default - the trace's first timestamp
   */
  readonly startEpochSeconds?: number;
  /**
   * How the replay starts: `warm` replays the trace's own first 15 minutes from the policy's floor before it
   * and leaves them out of every measure; `cold` starts at the floor with the trace's first request.
   * @default 'warm'
   */
  readonly start?: string;
  /**
   * Start with this many warm replicas instead (kept within the policy's floor and ceiling; a paused
   * ScaledObject keeps its own count), with no lead-in.
   * @default - the start given by `start`
   */
  readonly initialReplicas?: number;
  /**
   * How requests reach the ready pods: `round-robin` (an L7 gateway), `random` (kube-proxy's iptables mode, one
   * connection per request) or `connections:N[:LIFETIME_SECONDS]` (clients that hold N keep-alive connections, each
   * pinned to the pod it opened to, reopened after the lifetime or when its pod goes away).
   * @default 'round-robin'
   */
  readonly routing?: string;
  /**
   * The GPU nodes the pods run on.
   * @default - nodes free: every new pod finds a free GPU node at once
   */
  readonly nodes?: NodePoolProps;
  /**
   * Seed of random routing.
   * @default 1
   */
  readonly seed?: number;
  /**
   * GPU-hours of the optimistic reference, when already computed for this server, trace and SLO.
   * @default - computed
   */
  readonly optimisticGpuHours?: number;
}

/**
 * Replays a traffic trace through the autoscaler, Deployment and ServiceMonitor that the constructs
 * synthesized: a model of KEDA and the Kubernetes HPA driving a model of vLLM replicas.
 *
 * @example
 * const result = Simulation.run({ manifests: Testing.synth(chart), trace: Trace.fromCsvFile('trace.csv').scaleRate(4) });
 */
export class Simulation {
  /** The default time-to-first-token objective, seconds. */
  public static readonly DEFAULT_SLO_TTFT_SECONDS: number = ASSUMPTIONS.defaultSloTtftSeconds;

  /** Replays `props.trace` and measures latency and cost. */
  public static run(props: SimulationProps): SimulationResult {
    return simulate(props);
  }

  /**
   * The GPU-hours of the optimistic reference for the server in `manifests` on `trace`: in each minute just enough
   * replicas for that minute's engine work (prompt and output tokens weighed by the engine model), started
   * instantly and never idle (see docs/simulation.md). Not achievable: a yardstick.
   */
  public static optimisticGpuHours(manifests: any[], trace: Trace): number {
    return optimisticReference(readServer(manifests), trace).gpuHours;
  }

  private constructor() {}
}

/** The replay behind `Simulation.run`, with a progress callback for the command line. */
export function simulate(props: SimulationProps, onProgress?: (fraction: number) => void): SimulationResult {
  const manifests: Manifest[] = props.manifests;
  if (!Array.isArray(manifests)) throw new Error('Simulation: manifests must be an array of objects');
  const slo = props.sloTtftSeconds ?? ASSUMPTIONS.defaultSloTtftSeconds;
  if (!(slo > 0)) throw new Error(`Simulation: sloTtftSeconds (${slo}) must be > 0`);
  const server = readServer(manifests, props.deploymentName);
  const { autoscaler, name } = findAutoscaler(manifests, server);
  const optimistic = props.optimisticGpuHours ?? optimisticReference(server, props.trace).gpuHours;
  const start = props.start ?? 'warm';
  if (start !== 'warm' && start !== 'cold') throw new Error(`Simulation: start ('${start}') must be 'warm' or 'cold'`);
  return measureReplay({
    server,
    autoscaler,
    trace: props.trace,
    sloTtftSeconds: slo,
    name: props.name ?? name,
    optimisticGpuHours: optimistic,
    start,
    initialReplicas: props.initialReplicas,
    startEpochSeconds: props.startEpochSeconds,
    routing: parseRouting(props.routing ?? 'round-robin'),
    routingSeed: props.seed,
    nodes: resolveNodePool(props.nodes, server),
    placeholders: readPlaceholders(manifests, server),
    onProgress,
  });
}
