import { ASSUMPTIONS } from './assumptions';
import { ExampleDeploymentOptions } from './deployment-options';
import { exampleManifests } from './example-chart';
import { lowerBound } from './lower-bound';
import { readServer } from './manifests';
import { POLICY_NAMES, withPolicy } from './policies';
import { SimulationResult } from './results';
import { simulate } from './simulate';
import { Trace } from './trace';

/** Inputs of a benchmark: one trace through several policies. */
export interface BenchmarkProps {
  /** The traffic to replay. */
  readonly trace: Trace;
  /**
   * The time-to-first-token objective, seconds.
   * @default 2
   */
  readonly sloTtftSeconds?: number;
  /**
   * The server the policies scale, when not the example deployment.
   * @default - the README quick start: Llama 3.1 70B on 4 x H100 with a ModelCache
   */
  readonly deployment?: ExampleDeploymentOptions;
  /**
   * The policies to compare, by name (see `Benchmark.policyNames()`).
   * @default - all of them
   */
  readonly policies?: string[];
}

/** The trace a benchmark replayed. */
export interface BenchmarkTrace {
  /** The trace's name (its file name when read from a file). */
  readonly file: string;
  /** Requests replayed. */
  readonly requests: number;
  /** Length of the trace, seconds. */
  readonly durationSeconds: number;
  /** How many times the original rate the trace runs at. */
  readonly rateScale: number;
}

/** The outcome of a benchmark. */
export interface BenchmarkResult {
  /** The trace replayed. */
  readonly trace: BenchmarkTrace;
  /** Requests per second one replica sustains within the SLO at the trace's token mix (used by the lower bound). */
  readonly sustainableRequestsPerSecond: number;
  /** GPU-hours of the ideal provisioner. */
  readonly lowerBoundGpuHours: number;
  /** One result per policy, in the order asked. */
  readonly policies: SimulationResult[];
}

/**
 * Compares autoscaling policies on one trace: the library's default (read from its synthesized
 * ScaledObject) against the baselines, all through the same controller and engine models.
 */
export class Benchmark {
  /** Runs the benchmark. */
  public static run(props: BenchmarkProps): BenchmarkResult {
    return runBenchmark(props);
  }

  /** The names of the policies a benchmark can compare. */
  public static policyNames(): string[] {
    return [...POLICY_NAMES];
  }

  /**
   * The example chart's manifests (Deployment, Service, ServiceMonitor, ScaledObject, ...), as `Testing.synth` gives them.
   * @param deployment the server to model; default: the README quick start (Llama 3.1 70B on 4 x H100 from a ModelCache)
   */
  public static exampleManifests(deployment?: ExampleDeploymentOptions): any[] {
    return exampleManifests(deployment);
  }

  private constructor() {}
}

/** The benchmark behind `Benchmark.run`, with progress reporting for the command line. */
export function runBenchmark(props: BenchmarkProps, onProgress?: (policy: string, fraction: number) => void): BenchmarkResult {
  const slo = props.sloTtftSeconds ?? ASSUMPTIONS.defaultSloTtftSeconds;
  const manifests = exampleManifests(props.deployment);
  const bound = lowerBound(readServer(manifests), props.trace, slo);
  const policies = props.policies ?? [...POLICY_NAMES];
  const results = policies.map((policy) => simulate({
    manifests: withPolicy(manifests, policy),
    trace: props.trace,
    sloTtftSeconds: slo,
    name: policy,
    lowerBoundGpuHours: bound.gpuHours,
    initialReplicas: bound.warmStartReplicas,
  }, onProgress ? (fraction) => onProgress(policy, fraction) : undefined));
  return {
    trace: { file: props.trace.name, requests: props.trace.length, durationSeconds: props.trace.durationSeconds, rateScale: props.trace.rateScale },
    sustainableRequestsPerSecond: bound.sustainableRequestsPerSecond,
    lowerBoundGpuHours: bound.gpuHours,
    policies: results,
  };
}
