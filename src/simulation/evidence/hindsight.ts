import { measureReplay, ReplayStart } from './measure';
import { clairvoyantSchedule, OptimisticReference, ScheduledReplicas } from './references';
import { SimulationResult } from './results';
import { ServerSpec } from '../cluster/manifests';
import { Routing } from '../cluster/replay';
import { ASSUMPTIONS } from '../engine/assumptions';
import { Trace } from '../traffic/trace';

/** What the references with hindsight are replayed under: the same server, trace, ceiling and start as the policies. */
export interface HindsightContext {
  readonly server: ServerSpec;
  readonly trace: Trace;
  readonly sloTtftSeconds: number;
  /** Fraction of requests that must be within the SLO. */
  readonly sloTarget: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly start: ReplayStart;
  readonly optimistic: OptimisticReference;
  readonly routing?: Routing;
  readonly routingSeed?: number;
}

/** A reference replayed through the same engine and cluster model as the policies. */
export interface HindsightReference {
  readonly result: SimulationResult;
  /** Whether it met the SLO target (false: the best it found within the ceiling, which falls short). */
  readonly reachesTarget: boolean;
  /** For the clairvoyant: the capacity factor of its schedule; for static: the replica count. */
  readonly setting: number;
  /** Replays the search ran. */
  readonly replays: number;
}

/**
 * The clairvoyant provisioner: it knows every arrival in advance, but pays the real cold start and readiness,
 * and is replayed through the same engine, routing and drain as the policies. Its schedule runs, in each
 * minute, `ceil(factor x arrivals / (sustainable rate x 60 s))` replicas (at least one when any request
 * arrives; within the ceiling), each started a cold start ahead of its minute (see clairvoyantSchedule).
 * The factor is searched (grown until the target is met, then bisected): the cheapest schedule found that
 * meets the SLO target.
 */
export function clairvoyantReference(context: HindsightContext): HindsightReference {
  const { optimistic, maxReplicas } = context;
  const perReplicaPerMinute = optimistic.sustainableRequestsPerSecond * ASSUMPTIONS.referencePeriodSeconds;
  const needs = (factor: number): number[] => optimistic.arrivalsPerMinute.map((count) =>
    (count === 0 ? 0 : Math.min(maxReplicas, Math.max(1, Math.ceil((factor * count) / perReplicaPerMinute)))));
  const replayFactor = (factor: number): SimulationResult => {
    const schedule = clairvoyantSchedule(needs(factor), context.server.coldStartSeconds);
    const initial = startingReplicas(context, schedule(0));
    return replayReference(context, 'clairvoyant', new ScheduledReplicas((t) => Math.max(context.minReplicas, schedule(t)), context.minReplicas, maxReplicas), initial);
  };
  return search(context, replayFactor, ASSUMPTIONS.clairvoyantFactors, ASSUMPTIONS.clairvoyantBisections);
}

/** Static-N: the fewest fixed replicas (all warm from the start) that meet the SLO target, within the ceiling. */
export function staticReference(context: HindsightContext): HindsightReference {
  const replayCount = (replicas: number): SimulationResult =>
    replayReference(context, `static-${replicas}`, new ScheduledReplicas(() => replicas, context.minReplicas, context.maxReplicas),
      startingReplicas(context, replicas));
  let replays = 0;
  const run = (replicas: number): SimulationResult => {
    replays++;
    return replayCount(replicas);
  };
  const meets = (result: SimulationResult): boolean => result.sloAttainment >= context.sloTarget;
  let best = run(context.maxReplicas);
  if (!meets(best)) return { result: best, reachesTarget: false, setting: context.maxReplicas, replays };
  let low = 1;
  let high = context.maxReplicas;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const result = run(mid);
    if (meets(result)) {
      best = result;
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return { result: best, reachesTarget: true, setting: high, replays };
}

/**
 * The warm replicas a reference starts with: on a warm start all it wants at time 0 (it knew what was coming);
 * on a cold start the same floor as the policies, the rest cold-starting at the first sync.
 */
function startingReplicas(context: HindsightContext, wanted: number): number {
  return context.start === 'cold' ? Math.min(context.minReplicas, wanted) : Math.max(context.minReplicas, wanted);
}

function replayReference(context: HindsightContext, name: string, autoscaler: ScheduledReplicas, initialReplicas: number): SimulationResult {
  return measureReplay({
    server: context.server,
    autoscaler,
    trace: context.trace,
    sloTtftSeconds: context.sloTtftSeconds,
    name,
    optimisticGpuHours: context.optimistic.gpuHours,
    initialReplicas,
    routing: context.routing,
    routingSeed: context.routingSeed,
  });
}

/**
 * The cheapest setting that meets the target: tries `ladder` in order until one does, then bisects between it
 * and the last that did not. Returns the best attainment found when none does.
 */
function search(context: HindsightContext, replay: (setting: number) => SimulationResult, ladder: readonly number[],
  bisections: number): HindsightReference {
  let replays = 0;
  const run = (setting: number): SimulationResult => {
    replays++;
    return replay(setting);
  };
  let failing: number | undefined;
  let passing: { setting: number; result: SimulationResult } | undefined;
  let closest: { setting: number; result: SimulationResult } | undefined;
  for (const setting of ladder) {
    const result = run(setting);
    if (!closest || result.sloAttainment > closest.result.sloAttainment) closest = { setting, result };
    if (result.sloAttainment >= context.sloTarget) {
      passing = { setting, result };
      break;
    }
    failing = setting;
  }
  if (!passing) return { result: closest!.result, reachesTarget: false, setting: closest!.setting, replays };
  let low = failing ?? 0;
  for (let i = 0; i < bisections && failing !== undefined; i++) {
    const mid: number = (low + passing.setting) / 2;
    const result = run(mid);
    if (result.sloAttainment >= context.sloTarget && result.gpuHours <= passing.result.gpuHours) passing = { setting: mid, result };
    else low = mid;
  }
  return { result: passing.result, reachesTarget: true, setting: passing.setting, replays };
}
