import { ASSUMPTIONS } from './assumptions';
import { lowerBound } from './lower-bound';
import { readServer } from './manifests';
import { SimulationResult } from './results';
import { simulate } from './simulate';
import { Trace } from './trace';

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
   * Warm replicas when the replay starts (kept within the policy's floor and ceiling; a paused
   * ScaledObject keeps its own count).
   * @default - the most replicas the ideal provisioner runs in the trace's first 5 minutes: the cluster was already serving that load
   */
  readonly initialReplicas?: number;
  /**
   * GPU-hours of the lower bound, when already computed for this server, trace and SLO.
   * @default - computed
   */
  readonly lowerBoundGpuHours?: number;
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
   * The GPU-hours of the ideal provisioner for the server in `manifests` on `trace` (see docs/simulation.md).
   * @param sloTtftSeconds the time-to-first-token objective; default: `Simulation.DEFAULT_SLO_TTFT_SECONDS` (2 s)
   */
  public static lowerBoundGpuHours(manifests: any[], trace: Trace, sloTtftSeconds?: number): number {
    return lowerBound(readServer(manifests), trace, sloTtftSeconds ?? Simulation.DEFAULT_SLO_TTFT_SECONDS).gpuHours;
  }

  private constructor() {}
}

