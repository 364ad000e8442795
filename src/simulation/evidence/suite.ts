import { BenchmarkProps, BenchmarkResult, runBenchmark } from './benchmark';
import { VariantRow } from './variant-row';
import { NodePoolProps } from '../cluster/node-pool-props';
import { TrafficShape, Trace } from '../traffic/trace';

/** One scenario of the suite: a trace, a start, and the seeds it is drawn with. */
export interface Scenario {
  /** A short stable name (`azure-8x`, `crowd-4x-2min`, ...). */
  readonly name: string;
  /** What it tests, in a line. */
  readonly description: string;
  /** The trace of the first seed (the others are drawn with `Trace.withSeed`). */
  readonly trace: Trace;
  /** `warm` or `cold`. */
  readonly start: string;
  /** How many seeds. */
  readonly seeds: number;
  /**
   * The first seed (`BenchmarkProps.firstSeed`): the seeds are `firstSeed`, `firstSeed + 1`, ...
   * @default 1
   */
  readonly firstSeed?: number;
  /** How requests reach the pods (`BenchmarkProps.routing`), when not round-robin. */
  readonly routing?: string;
  /** The GPU nodes, when not free. */
  readonly nodes?: NodePoolProps;
  /** What makes it hard for a reactive policy, in a line (shown where the default misses a goal). */
  readonly challenge: string;
  /**
   * `train` (the sweep tunes the defaults on it) or `evaluation` (held out: never replayed by the sweep).
   * @default 'train'
   */
  readonly part?: string;
}

/** How many seeds each scenario is drawn with. */
export const SUITE_SEEDS = 3;
/** The flat base rate and the peak of the generated days, requests per second (the 70B example sustains about 10.7 per replica). */
const DAY_PEAK = 40;
const CROWD_BASE = 20;
const HOUR = 3600;
const CROWD = 'a step in load larger than the headroom standing when it starts: new replicas serve only a cold start (and a scrape and a sync) later, '
  + 'so what arrives before then meets the capacity already running';

/**
 * The scenarios every default is judged on: the Azure conversation trace at 1x, 4x and 8x (warm), at 8x cold,
 * with its tokens shuffled and with random routing; and generated two-hour days made from a seed with the
 * trace's token mix: a slow diurnal swing, a ramp, and flash crowds of 2x for 10 minutes, 3x for 5 and 4x for 2.
 */
export function standardScenarios(azure: Trace): Scenario[] {
  const day = (shape: TrafficShape, peak: number, crowd?: { multiplier: number; minutes: number }): Trace => Trace.synthetic({
    tokenSource: azure,
    peakRequestsPerSecond: peak,
    durationSeconds: 2 * HOUR,
    shape,
    flashCrowds: crowd ? [{ startSeconds: HOUR, durationSeconds: crowd.minutes * 60, multiplier: crowd.multiplier }] : undefined,
  });
  const seeds = SUITE_SEEDS;
  return [
    { name: 'azure-1x', description: 'the Azure conversation trace as recorded', trace: azure.scaleRate(1), start: 'warm', seeds: 1, challenge: 'light load: one replica nearly suffices, so any extra replica is a large share of the cost' },
    { name: 'azure-4x', description: 'the Azure trace at 4x its rate', trace: azure.scaleRate(4), start: 'warm', seeds, challenge: 'bursts of a few minutes above the mean' },
    { name: 'azure-8x', description: 'the Azure trace at 8x its rate', trace: azure.scaleRate(8), start: 'warm', seeds, challenge: 'bursts near the ceiling\'s capacity' },
    { name: 'azure-8x-cold', description: 'at 8x, starting at the floor with no lead-in', trace: azure.scaleRate(8), start: 'cold', seeds, challenge: 'full load on one replica until the first cold start ends' },
    { name: 'azure-8x-shuffled', description: 'at 8x, (prompt, output) pairs shuffled among the arrivals', trace: azure.scaleRate(8).shuffleTokens(), start: 'warm', seeds, challenge: 'the same load with long prompts spread differently over time' },
    { name: 'azure-8x-random-routing', description: 'at 8x, the Service picks a random ready pod (kube-proxy iptables)', trace: azure.scaleRate(8), start: 'warm', seeds, routing: 'random', challenge: 'uneven load across replicas: one can queue while others idle' },
    { name: 'day-diurnal', description: `2 h: a slow swing from ${0.3 * DAY_PEAK} to ${DAY_PEAK} requests/s and back`, trace: day(TrafficShape.DIURNAL, DAY_PEAK), start: 'warm', seeds, challenge: 'capacity must follow a slow swing down as well as up' },
    { name: 'day-ramp', description: `2 h: a climb from ${0.3 * DAY_PEAK} to ${DAY_PEAK} requests/s`, trace: day(TrafficShape.RAMP, DAY_PEAK), start: 'warm', seeds, challenge: 'a steady climb: capacity must be added ahead of it' },
    { name: 'crowd-2x-10min', description: `2 h at ${CROWD_BASE} requests/s, 2x for 10 min at 1 h`, trace: day(TrafficShape.FLAT, CROWD_BASE, { multiplier: 2, minutes: 10 }), start: 'warm', seeds, challenge: CROWD },
    { name: 'crowd-3x-5min', description: `2 h at ${CROWD_BASE} requests/s, 3x for 5 min at 1 h`, trace: day(TrafficShape.FLAT, CROWD_BASE, { multiplier: 3, minutes: 5 }), start: 'warm', seeds, challenge: CROWD },
    { name: 'crowd-4x-2min', description: `2 h at ${CROWD_BASE} requests/s, 4x for 2 min at 1 h`, trace: day(TrafficShape.FLAT, CROWD_BASE, { multiplier: 4, minutes: 2 }), start: 'warm', seeds, challenge: CROWD },
  ];
}

/**
 * Clients as a gateway holds them: 64 keep-alive upstream connections, each pinned to the pod it opened to and
 * recycled after 5 minutes (an assumption: nginx closes an upstream keep-alive connection after 1,000 requests or
 * an hour, `keepalive_requests` and `keepalive_time`; client pools differ).
 */
export const PINNED_CONNECTIONS = 'connections:64:300';

/**
 * The suite under the cluster a platform engineer runs: every scenario again with autoscaled GPU nodes (provisioned
 * and billed whole, `NodePoolProps` defaults) and again with clients that hold pinned keep-alive connections, one
 * seed each (the nodes-free runs have three).
 */
export function clusterScenarios(scenarios: Scenario[]): Scenario[] {
  return [
    ...scenarios,
    ...scenarios.map((s) => ({ ...s, name: `${s.name}/nodes-autoscaled`, description: `${s.description}; GPU nodes autoscaled`, seeds: 1, nodes: { mode: 'autoscaled' } })),
    ...scenarios.filter((s) => s.routing === undefined).map((s) => ({
      ...s, name: `${s.name}/connections`, description: `${s.description}; ${PINNED_CONNECTIONS} routing`, seeds: 1, routing: PINNED_CONNECTIONS,
    })),
  ];
}

/** A scenario's benchmark. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly result: BenchmarkResult;
}

/** Runs every scenario through the same benchmark settings (server, policies, ceiling, SLO). */
export function runSuite(scenarios: Scenario[], settings: Omit<BenchmarkProps, 'trace' | 'start' | 'seeds' | 'routing' | 'nodes'>,
  onProgress?: (scenario: string, fraction: number) => void, variants: VariantRow[] = []): ScenarioResult[] {
  return scenarios.map((scenario, i) => ({
    scenario,
    result: runBenchmark({
      ...settings,
      trace: scenario.trace,
      start: scenario.start,
      seeds: scenario.seeds,
      firstSeed: scenario.firstSeed ?? settings.firstSeed,
      routing: scenario.routing,
      nodes: scenario.nodes,
    },
    (_, fraction) => onProgress?.(scenario.name, (i + fraction) / scenarios.length), variants),
  }));
}
