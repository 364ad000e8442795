import { causalReference, clairvoyantReference, HindsightContext, HindsightReference, staticReference, widenWith } from './hindsight';
import { measureReplay, ReplayStart } from './measure';
import { optimisticReference } from './references';
import { SimulationResult } from './results';
import type { VariantRow } from './variant-row';
import { ExampleDeploymentOptions } from '../cluster/deployment-options';
import { exampleManifests } from '../cluster/example-chart';
import { findAutoscaler } from '../cluster/find-autoscaler';
import { Manifest, readServer, ServerSpec } from '../cluster/manifests';
import { NodePoolProps, nodeSettings, resolveNodePool } from '../cluster/node-pool-props';
import { readPlaceholders } from '../cluster/placeholders';
import { parseRouting, Routing, routingName } from '../cluster/routing';
import { PEER_POLICIES, policyNames, ReplicaBounds, withPolicy } from '../control/policies';
import { ASSUMPTIONS } from '../engine/assumptions';
import { Trace } from '../traffic/trace';

/** Inputs of a benchmark: one trace through several policies, and the references. */
export interface BenchmarkProps {
  /** The traffic to replay. */
  readonly trace: Trace;
  /**
   * The time-to-first-token objective, seconds.
   * @default 2
   */
  readonly sloTtftSeconds?: number;
  /**
   * The fraction of requests that must be within the objective (the references are sized to it).
   * @default 0.99
   */
  readonly sloTarget?: number;
  /**
   * The server the policies scale, when not the example deployment (ignored with `manifests`).
   * @default - the README quick start: Llama 3.1 70B on 4 x H100 with a ModelCache
   */
  readonly deployment?: ExampleDeploymentOptions;
  /**
   * Your own synthesized chart (plain JSON objects): its autoscaler is the `default` row and its server the one
   * every policy scales.
   * @default - the example deployment with the library's default QueueAutoscaler
   */
  readonly manifests?: any[];
  /**
   * The Deployment to benchmark, when `manifests` holds several servers.
   * @default - the only Deployment that runs `vllm serve`
   */
  readonly deploymentName?: string;
  /**
   * The policies to compare, by name (see `Benchmark.policyNames()`); `static` is the static baseline.
   * @default - all of them and `static`
   */
  readonly policies?: string[];
  /**
   * The replica ceiling of every policy and reference.
   * @default - the default policy's own ceiling
   */
  readonly maxReplicas?: number;
  /**
   * `warm` (a lead-in replays the trace's first 15 minutes and is not measured) or `cold` (every policy starts at its floor).
   * @default 'warm'
   */
  readonly start?: string;
  /**
   * Seeds to draw the trace with (`Trace.withSeed`, and the routing when random): results are the mean over them, with their range.
   * @default 1
   */
  readonly seeds?: number;
  /**
   * The first seed.
   * @default 1
   */
  readonly firstSeed?: number;
  /**
   * How requests reach the ready pods: `round-robin` (an L7 gateway), `random` (kube-proxy's iptables mode, one
   * connection per request) or `connections:N[:LIFETIME_SECONDS]` (clients that hold N keep-alive connections, each
   * pinned to the pod it opened to).
   * @default 'round-robin'
   */
  readonly routing?: string;
  /**
   * The GPU nodes the pods run on.
   * @default - nodes free: every new pod finds a free GPU node at once
   */
  readonly nodes?: NodePoolProps;
}

/** The trace a benchmark replayed. */
export interface BenchmarkTrace {
  /** The trace's name (its file name when read from a file). */
  readonly file: string;
  /** Requests replayed (of the first seed). */
  readonly requests: number;
  /** Length of the trace, seconds. */
  readonly durationSeconds: number;
  /** How many times the original rate the trace runs at. */
  readonly rateScale: number;
}

/** What a benchmark modelled: the server every policy scales. */
export interface BenchmarkSetup {
  /** The served model's id. */
  readonly model: string;
  /** The GPU's name. */
  readonly gpu: string;
  /** GPUs per replica. */
  readonly gpuCount: number;
  /** `--tensor-parallel-size`. */
  readonly tensorParallelSize: number;
  /** The default policy's floor. */
  readonly minReplicas: number;
  /** The ceiling of every policy. */
  readonly maxReplicas: number;
  /** The ServiceMonitor's scrape interval, seconds. */
  readonly scrapeIntervalSeconds: number;
  /** Seconds from pod creation to ready (the Deployment's cold-start estimate). */
  readonly coldStartSeconds: number;
  /** `warm` or `cold`. */
  readonly start: string;
  /** The seeds the trace was drawn with. */
  readonly seeds: number[];
  /** `round-robin`, `random` or `connections:N[:LIFETIME_SECONDS]`. */
  readonly routing: string;
  /** The node mode (`free`, `autoscaled`, `fixed`). */
  readonly nodeMode: string;
}

/** A measure over seeds: the mean and the range. */
export interface SeededValue {
  /** The mean over the seeds. */
  readonly mean: number;
  /** The lowest over the seeds. */
  readonly min: number;
  /** The highest over the seeds. */
  readonly max: number;
}

/** One row of a benchmark: a policy over every seed. */
export interface BenchmarkPolicy {
  /** The policy's name (`default`, a peer, `<peer> (as shipped)`, `static`). */
  readonly name: string;
  /** Where it comes from: repository, file and version, or doc page. */
  readonly source: string;
  /** One line on what it is. */
  readonly description: string;
  /** Fraction of requests within the SLO, over the seeds. */
  readonly sloAttainment: SeededValue;
  /** Pod GPU-hours, over the seeds. */
  readonly gpuHours: SeededValue;
  /** GPU-hours the cluster bills (the nodes' when autoscaled, else the pods'), over the seeds. */
  readonly billedGpuHours: SeededValue;
  /** Seconds the server's pods waited for a node, mean over the seeds. */
  readonly pendingSeconds: number;
  /** One result per seed. */
  readonly results: SimulationResult[];
}

/** A reference replayed with hindsight. */
export interface BenchmarkReference {
  /** Fraction of requests within the SLO, over the seeds. */
  readonly sloAttainment: SeededValue;
  /** Pod GPU-hours, over the seeds. */
  readonly gpuHours: SeededValue;
  /** GPU-hours the cluster bills, over the seeds. */
  readonly billedGpuHours: SeededValue;
  /** Seconds the server's pods waited for a node, mean over the seeds. */
  readonly pendingSeconds: number;
  /** Whether it met the SLO target on every seed. */
  readonly reachesTarget: boolean;
  /** The setting found on each seed: the capacity factor of the clairvoyant, the headroom of the causal reference. */
  readonly settings: number[];
  /** The member of its family chosen on each seed, in words. */
  readonly chosen: string[];
}

/** The outcome of a benchmark. */
export interface BenchmarkResult {
  /** The trace replayed. */
  readonly trace: BenchmarkTrace;
  /** The time-to-first-token objective, seconds. */
  readonly sloTtftSeconds: number;
  /** The fraction of requests that must be within it. */
  readonly sloTarget: number;
  /** The server and the conditions of the replay. */
  readonly setup: BenchmarkSetup;
  /** Requests per second one replica sustains within the SLO at the trace's token mix (first seed). */
  readonly sustainableRequestsPerSecond: number;
  /** GPU-hours of the optimistic reference (instant replicas sized per minute; not replayed), mean over seeds. */
  readonly optimisticGpuHours: number;
  /** The clairvoyant provisioner: the cheapest schedule found with hindsight that meets the target, cold starts paid. */
  readonly clairvoyant: BenchmarkReference;
  /** The causal reference: the cheapest reactive provisioner with perfect measurement that meets the target. */
  readonly causal: BenchmarkReference;
  /** The GPU nodes, every figure resolved (with nodes free, only the mode). */
  readonly nodes: NodePoolProps;
  /** One row per policy, in the order asked. */
  readonly policies: BenchmarkPolicy[];
}

/**
 * Compares autoscaling policies on one trace: the library's default (read from its synthesized ScaledObject, or
 * your chart's autoscaler) against peer policies as their sources ship them and a static baseline, all under the
 * same floor and ceiling and through the same controller and engine models, with two references: the
 * clairvoyant provisioner (replayed) and the optimistic one (instant replicas, not replayed).
 */
export class Benchmark {
  /** Runs the benchmark. */
  public static run(props: BenchmarkProps): BenchmarkResult {
    return runBenchmark(props);
  }

  /** The names of the policies a benchmark can compare (`default` first, the peers, then `static`). */
  public static policyNames(): string[] {
    return [...policyNames(), STATIC];
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

const STATIC = 'static';

/** The benchmark behind `Benchmark.run`, with progress reporting for the command line. */
export function runBenchmark(props: BenchmarkProps, onProgress?: (step: string, fraction: number) => void,
  variants: VariantRow[] = []): BenchmarkResult {
  const slo = props.sloTtftSeconds ?? ASSUMPTIONS.defaultSloTtftSeconds;
  if (!(slo > 0)) throw new Error(`Benchmark: sloTtftSeconds (${slo}) must be > 0`);
  const target = props.sloTarget ?? ASSUMPTIONS.sloTarget;
  if (!(target > 0 && target <= 1)) throw new Error(`Benchmark: sloTarget (${target}) must be > 0 and <= 1`);
  const start = (props.start ?? 'warm') as ReplayStart;
  if (start !== 'warm' && start !== 'cold') throw new Error(`Benchmark: start ('${props.start}') must be 'warm' or 'cold'`);
  const seedCount = props.seeds ?? 1;
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new Error(`Benchmark: seeds (${props.seeds}) must be a whole number >= 1`);
  const firstSeed = props.firstSeed ?? 1;
  const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i);
  const chart: Manifest[] = props.manifests ?? exampleManifests(props.deployment);
  const server = readServer(chart, props.deploymentName);
  const own = replicaBounds(chart, server);
  if (props.maxReplicas !== undefined && !(Number.isInteger(props.maxReplicas) && props.maxReplicas >= Math.max(1, own.minReplicas))) {
    throw new Error(`Benchmark: maxReplicas (${props.maxReplicas}) must be a whole number >= the default policy's floor (${Math.max(1, own.minReplicas)})`);
  }
  const bounds: ReplicaBounds = { minReplicas: own.minReplicas, maxReplicas: props.maxReplicas ?? own.maxReplicas };
  const names = props.policies ?? Benchmark.policyNames();
  for (const name of names) {
    if (!Benchmark.policyNames().includes(name)) throw new Error(`Benchmark: unknown policy '${name}'; choose from ${Benchmark.policyNames().join(', ')}`);
  }
  const routing: Routing = parseRouting(props.routing ?? 'round-robin');
  const nodes = resolveNodePool(props.nodes, server);
  const placeholders = readPlaceholders(chart, server);
  const traces = seeds.map((seed) => props.trace.withSeed(seed));
  const steps = seeds.length * (names.length + variants.length + 1);
  let step = 0;
  const progress = (label: string) => (fraction: number) => onProgress?.(label, (step + fraction) / steps);

  const perSeed = traces.map((trace, s) => {
    const optimistic = optimisticReference(server, trace);
    const context: HindsightContext = {
      server,
      trace,
      sloTtftSeconds: slo,
      sloTarget: target,
      minReplicas: Math.max(1, bounds.minReplicas),
      maxReplicas: bounds.maxReplicas,
      start,
      optimistic,
      routing,
      routingSeed: seeds[s],
      nodes,
      placeholders,
    };
    progress('clairvoyant')(0);
    let clairvoyant = clairvoyantReference(context);
    const causal = causalReference(context);
    step++;
    const rows = new Map<string, SimulationResult>();
    const replayPolicy = (name: string, manifests: Manifest[], label: string): SimulationResult => {
      const result = measureReplay({
        server: readServer(manifests, server.deploymentName),
        autoscaler: findAutoscaler(manifests, server).autoscaler,
        trace,
        sloTtftSeconds: slo,
        name: label,
        optimisticGpuHours: optimistic.gpuHours,
        start,
        routing,
        routingSeed: seeds[s],
        nodes,
        placeholders: readPlaceholders(manifests, server),
        coldFloor: context.minReplicas,
        onProgress: progress(name),
      });
      return result;
    };
    for (const variant of variants) {
      const variantBounds = { ...bounds, minReplicas: variant.minReplicas ?? bounds.minReplicas };
      rows.set(variant.name, replayPolicy(variant.name, withPolicy(variant.manifests, 'default', variantBounds, server.deploymentName), variant.name));
      step++;
    }
    for (const name of names) {
      if (name === STATIC) {
        rows.set(STATIC, { ...staticReference(context).result, name: STATIC });
      } else {
        rows.set(name, replayPolicy(name, withPolicy(chart, name, bounds, server.deploymentName), name));
        const shipped = shippedRow(name, bounds);
        if (shipped) rows.set(shipped.label, replayPolicy(name, withPolicy(chart, name, undefined, server.deploymentName), shipped.label));
      }
      step++;
    }
    // The clairvoyant is never beaten: a row that meets the target more cheaply becomes a schedule it replays.
    for (const row of rows.values()) clairvoyant = widenWith(context, clairvoyant, row);
    return { optimistic, clairvoyant, causal, rows };
  });

  // The default first, then its variants, then the peers and static.
  const first = ['default', ...variants.map((v) => v.name)];
  const rank = (label: string): number => (first.includes(label) ? first.indexOf(label) : first.length);
  const labels = [...perSeed[0].rows.keys()].sort((a, b) => rank(a) - rank(b));
  return {
    trace: { file: traces[0].name, requests: traces[0].length, durationSeconds: traces[0].durationSeconds, rateScale: traces[0].rateScale },
    sloTtftSeconds: slo,
    sloTarget: target,
    setup: {
      model: server.model.id,
      gpu: server.gpu.name,
      gpuCount: server.gpuCount,
      tensorParallelSize: server.tensorParallelSize,
      minReplicas: bounds.minReplicas,
      maxReplicas: bounds.maxReplicas,
      scrapeIntervalSeconds: server.scrapeIntervalSeconds,
      coldStartSeconds: server.coldStartSeconds,
      start,
      seeds,
      routing: routingName(routing),
      nodeMode: nodes?.mode ?? 'free',
    },
    nodes: nodeSettings(nodes),
    sustainableRequestsPerSecond: perSeed[0].optimistic.sustainableRequestsPerSecond,
    optimisticGpuHours: seeded(perSeed.map((p) => p.optimistic.gpuHours)).mean,
    clairvoyant: reference(perSeed.map((p) => p.clairvoyant)),
    causal: reference(perSeed.map((p) => p.causal)),
    policies: labels.map((label) => {
      const results = perSeed.map((p) => p.rows.get(label)!);
      const variant = variants.find((v) => v.name === label);
      const info = variant ? { source: 'this library: the default policy with the setting named', description: variant.description } : describe(label, server);
      return {
        name: label,
        source: info.source,
        description: info.description,
        sloAttainment: seeded(results.map((r) => r.sloAttainment)),
        gpuHours: seeded(results.map((r) => r.gpuHours)),
        billedGpuHours: seeded(results.map((r) => r.billedGpuHours)),
        pendingSeconds: seeded(results.map((r) => r.pendingSeconds)).mean,
        results,
      };
    }),
  };
}

/** A second row for a peer whose source ships other bounds than the benchmark's. */
function shippedRow(name: string, bounds: ReplicaBounds): { label: string } | undefined {
  const peer = PEER_POLICIES.find((p) => p.name === name);
  const shipped = peer?.shipped;
  if (!shipped) return undefined;
  const differs = (shipped.maxReplicas !== undefined && shipped.maxReplicas !== bounds.maxReplicas)
    || (shipped.minReplicas !== undefined && shipped.minReplicas !== bounds.minReplicas);
  return differs ? { label: `${name} (as shipped)` } : undefined;
}

function describe(label: string, server: ServerSpec): { source: string; description: string } {
  if (label === 'default') return { source: 'this library: the QueueAutoscaler of the benchmarked chart', description: `the chart's own autoscaler (${server.deploymentName})` };
  if (label === STATIC) {
    return { source: 'hindsight: the fewest fixed replicas that meet the SLO target on this trace', description: 'a fixed replica count, all warm' };
  }
  const peer = PEER_POLICIES.find((p) => p.name === label.replace(/ \(as shipped\)$/, ''))!;
  return { source: peer.source, description: label.endsWith('(as shipped)') ? `${peer.description}; its shipped floor and ceiling` : peer.description };
}

/** The floor and ceiling of the chart's own autoscaler (a ScaledObject's, an HPA's, or a fixed count). */
function replicaBounds(chart: Manifest[], server: ServerSpec): ReplicaBounds {
  const { autoscaler } = findAutoscaler(chart, server);
  return { minReplicas: autoscaler.initialReplicas, maxReplicas: autoscaler.maxReplicas };
}

function reference(found: HindsightReference[]): BenchmarkReference {
  return {
    sloAttainment: seeded(found.map((f) => f.result.sloAttainment)),
    gpuHours: seeded(found.map((f) => f.result.gpuHours)),
    billedGpuHours: seeded(found.map((f) => f.result.billedGpuHours)),
    pendingSeconds: seeded(found.map((f) => f.result.pendingSeconds)).mean,
    reachesTarget: found.every((f) => f.reachesTarget),
    settings: found.map((f) => f.setting),
    chosen: found.map((f) => f.chosen),
  };
}

function seeded(values: number[]): SeededValue {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}
