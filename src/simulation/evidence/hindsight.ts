import { measureReplay, ReplayStart } from './measure';
import { clairvoyantSchedule, OptimisticReference, ScheduledReplicas } from './references';
import { SimulationResult } from './results';
import { ServerSpec } from '../cluster/manifests';
import { NodePoolSpec } from '../cluster/nodes';
import { PlaceholderSpec, Routing } from '../cluster/replay';
import { ASSUMPTIONS } from '../engine/assumptions';
import { requestWork, tokenCosts, workPerPeriod } from '../engine/work';
import { Trace } from '../traffic/trace';

/** What the references are replayed under: the same server, trace, nodes, routing, ceiling and start as the policies. */
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
  readonly nodes?: NodePoolSpec;
  readonly placeholders?: PlaceholderSpec;
}

/** A reference replayed through the same engine and cluster model as the policies. */
export interface HindsightReference {
  readonly result: SimulationResult;
  /** Whether it met the SLO target (false: the best it found within the ceiling, which falls short). */
  readonly reachesTarget: boolean;
  /**
   * The setting it chose: for the clairvoyant the capacity factor of its schedule, for the causal reference its
   * headroom, for static the replica count.
   */
  readonly setting: number;
  /** In words: the family member it chose (`work per 60 s x 1.25`, `headroom 1.5, hold 300 s`, `8 replicas`). */
  readonly chosen: string;
  /** Replays the search ran. */
  readonly replays: number;
}

/** A candidate of a reference's family: its name, the setting reported, and the replica count it asks for at replay time t. */
interface Candidate {
  readonly chosen: string;
  readonly setting: number;
  readonly desiredAt: (t: number) => number;
  readonly syncPeriodSeconds?: number;
}

/**
 * The clairvoyant provisioner: it knows every arrival in advance and sizes capacity by work (prompt and output
 * tokens weighed by the engine model), but pays the real cold start, node provisioning and image pull, and is
 * replayed through the same engine, routing, nodes and drain as the policies. In each period it runs
 * `ceil(factor x work / period)` replicas, started (and, with autoscaled nodes, their nodes ordered) one lead time
 * ahead. It searches the period (`ASSUMPTIONS.clairvoyantPeriodsSeconds`) and the factor (a ladder, then
 * bisection), and keeps the cheapest member by billed GPU-hours that meets the target.
 */
export function clairvoyantReference(context: HindsightContext): HindsightReference {
  const { server, maxReplicas } = context;
  const replayed = replayedTrace(context);
  const work = requestWork(replayed, tokenCosts(server.engine, context.trace));
  const lead = leadSeconds(context);
  const families = ASSUMPTIONS.clairvoyantPeriodsSeconds.map((period) => {
    const perPeriod = workPerPeriod(replayed, work, period);
    return (factor: number): Candidate => {
      const needs = perPeriod.map((seconds) => (seconds === 0 ? 0 : Math.min(maxReplicas, Math.ceil((factor * seconds) / period))));
      const schedule = clairvoyantSchedule(needs, lead, period);
      return { chosen: factor >= CEILING ? `the ceiling whenever work arrives within ${period} s` : `work per ${period} s x ${round(factor)}`, setting: factor, desiredAt: (t) => Math.max(context.minReplicas, schedule(t)) };
    };
  });
  return cheapest(families.map((family) => search(context, family, ASSUMPTIONS.clairvoyantFactors, ASSUMPTIONS.clairvoyantBisections)));
}

/**
 * The causal reference: the best reactive provisioner with perfect measurement. At every second it knows exactly
 * the work that has arrived so far (no scrape, poll or sync delay) and nothing of the future; it asks at once for
 * `ceil(headroom x work of the last minute / 60 s)` replicas, pays the real cold start and node wait, and releases
 * capacity only when the demand of the last `hold` seconds allows. It searches headroom and hold and keeps the
 * cheapest member that meets the target. Where even it misses, no reactive autoscaler meets the target with this
 * cold start on this traffic.
 */
export function causalReference(context: HindsightContext): HindsightReference {
  const replayed = replayedTrace(context);
  const work = requestWork(replayed, tokenCosts(context.server.engine, context.trace));
  const families = ASSUMPTIONS.causalHoldsSeconds.map((hold) => (headroom: number): Candidate => ({
    chosen: `${headroom >= CEILING ? 'the ceiling' : `headroom ${round(headroom)}`}, hold ${hold} s`,
    setting: headroom,
    desiredAt: causalSchedule(replayed, work, { headroom, holdSeconds: hold, minReplicas: context.minReplicas, maxReplicas: context.maxReplicas }),
    syncPeriodSeconds: 1,
  }));
  return cheapest(families.map((family) => search(context, family, ASSUMPTIONS.causalHeadrooms, ASSUMPTIONS.causalBisections)));
}

/** A member of the causal reference's family. */
export interface CausalSetting {
  readonly headroom: number;
  readonly holdSeconds: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/**
 * The causal reference's replica count at replay time t: `ceil(headroom x work arrived in the last 60 s / 60 s)`,
 * held at its peak over the last `holdSeconds`, from the arrivals of the seconds that have ended by t only.
 */
export function causalSchedule(trace: Trace, work: Float64Array, setting: CausalSetting): (t: number) => number {
  const window = ASSUMPTIONS.referencePeriodSeconds;
  const perSecond = workPerPeriod(trace, work, 1);
  const wanted = new Int32Array(perSecond.length);
  let sum = 0;
  for (let s = 0; s < perSecond.length; s++) {
    sum += perSecond[s] - (s >= window ? perSecond[s - window] : 0);
    const rate = sum / window;
    wanted[s] = Math.min(setting.maxReplicas, Math.ceil(setting.headroom * rate - 1e-9));
  }
  const held = trailingMax(wanted, setting.holdSeconds);
  return (t) => {
    const known = Math.floor(t) - 1;
    return Math.max(setting.minReplicas, known < 0 ? 0 : held[Math.min(held.length - 1, known)]);
  };
}

/**
 * Widens the clairvoyant's search with what a row of the benchmark did: a provisioner that knew the trace could
 * have run the same replica counts at the same times. Returns the row's schedule replayed as a reference member
 * when it meets the target below `best`'s billed GPU-hours, else `best`.
 */
export function widenWith(context: HindsightContext, best: HindsightReference, row: SimulationResult): HindsightReference {
  if (!(row.sloAttainment >= context.sloTarget && row.billedGpuHours < best.result.billedGpuHours) || row.timeline.length === 0) return best;
  const offset = replayedTrace(context).durationSeconds - context.trace.durationSeconds;
  const times = row.timeline.map((p) => p.time);
  const counts = row.timeline.map((p) => p.replicas);
  const desiredAt = (t: number): number => {
    // The replica count the row had at the next scrape: the decision its controllers took by then.
    const measured = t - offset;
    let low = 0;
    let high = times.length - 1;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (times[mid] < measured) low = mid + 1;
      else high = mid;
    }
    return Math.max(context.minReplicas, counts[low]);
  };
  const candidate = replayCandidate(context, { chosen: `the schedule of ${row.name}`, setting: NaN, desiredAt });
  const widened: HindsightReference = {
    result: candidate,
    reachesTarget: candidate.sloAttainment >= context.sloTarget,
    setting: NaN,
    chosen: `the schedule of ${row.name}`,
    replays: best.replays + 1,
  };
  return widened.reachesTarget && candidate.billedGpuHours < best.result.billedGpuHours ? widened : { ...best, replays: best.replays + 1 };
}

/** Static-N: the fewest fixed replicas that meet the SLO target, within the ceiling; started like every other row. */
export function staticReference(context: HindsightContext): HindsightReference {
  let replays = 0;
  const run = (replicas: number): SimulationResult => {
    replays++;
    return { ...replayCandidate(context, { chosen: `${replicas} replicas`, setting: replicas, desiredAt: () => replicas }), name: `static-${replicas}` };
  };
  const meets = (result: SimulationResult): boolean => result.sloAttainment >= context.sloTarget;
  let best = run(context.maxReplicas);
  if (!meets(best)) return { result: best, reachesTarget: false, setting: context.maxReplicas, chosen: `${context.maxReplicas} replicas`, replays };
  let low = Math.max(1, context.minReplicas);
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
  return { result: best, reachesTarget: true, setting: high, chosen: `${high} replicas`, replays };
}

/** The trace as the references' replay runs it: with the warm start's lead-in, so their schedules cover it too. */
function replayedTrace(context: HindsightContext): Trace {
  return context.start === 'warm' ? context.trace._withLeadIn(ASSUMPTIONS.warmUpSeconds).trace : context.trace;
}

/** Seconds from asking for a replica to its being ready: node provisioning and image pull (autoscaled nodes) and the cold start. */
function leadSeconds(context: HindsightContext): number {
  const nodes = context.nodes?.mode === 'autoscaled' ? context.nodes.provisioningSeconds + context.nodes.imagePullSeconds : 0;
  return context.server.coldStartSeconds + nodes;
}

/** Every row starts the same way: what it asks for at time 0, warm after the lead-in, or at most the floor warm on a cold start. */
function replayCandidate(context: HindsightContext, candidate: Candidate): SimulationResult {
  const initial = Math.min(context.maxReplicas, Math.max(context.minReplicas, candidate.desiredAt(0)));
  return measureReplay({
    server: context.server,
    autoscaler: new ScheduledReplicas(candidate.desiredAt, initial, context.maxReplicas, candidate.syncPeriodSeconds),
    trace: context.trace,
    sloTtftSeconds: context.sloTtftSeconds,
    name: candidate.chosen,
    optimisticGpuHours: context.optimistic.gpuHours,
    start: context.start,
    coldFloor: context.minReplicas,
    routing: context.routing,
    routingSeed: context.routingSeed,
    nodes: context.nodes,
    placeholders: context.placeholders,
  });
}

/**
 * The cheapest member of one family that meets the target: tries `ladder` in order until one does, then bisects
 * between it and the last that did not. Returns the best attainment found when none does.
 */
function search(context: HindsightContext, family: (setting: number) => Candidate, ladder: readonly number[],
  bisections: number): HindsightReference {
  let replays = 0;
  const run = (setting: number): { setting: number; result: SimulationResult; chosen: string } => {
    replays++;
    const candidate = family(setting);
    return { setting, result: replayCandidate(context, candidate), chosen: candidate.chosen };
  };
  let failing: number | undefined;
  let passing: ReturnType<typeof run> | undefined;
  let closest: ReturnType<typeof run> | undefined;
  for (const setting of ladder) {
    const tried = run(setting);
    if (!closest || tried.result.sloAttainment > closest.result.sloAttainment) closest = tried;
    if (tried.result.sloAttainment >= context.sloTarget) {
      passing = tried;
      break;
    }
    failing = setting;
  }
  if (!passing) return { result: closest!.result, reachesTarget: false, setting: closest!.setting, chosen: closest!.chosen, replays };
  let low = failing ?? ladder[0] / 2;
  for (let i = 0; i < bisections; i++) {
    const tried = run((low + passing.setting) / 2);
    if (tried.result.sloAttainment >= context.sloTarget && tried.result.billedGpuHours <= passing.result.billedGpuHours) passing = tried;
    else low = tried.setting;
  }
  return { result: passing.result, reachesTarget: true, setting: passing.setting, chosen: passing.chosen, replays };
}

/** Of several searches: the cheapest that meets the target, else the one closest to it. */
function cheapest(found: HindsightReference[]): HindsightReference {
  const replays = found.reduce((sum, f) => sum + f.replays, 0);
  const meeting = found.filter((f) => f.reachesTarget).sort((a, b) => a.result.billedGpuHours - b.result.billedGpuHours);
  const best = meeting[0] ?? [...found].sort((a, b) => b.result.sloAttainment - a.result.sloAttainment)[0];
  return { ...best, replays };
}

/** The largest value over the trailing `window` seconds at each second. */
function trailingMax(values: Int32Array, window: number): Int32Array {
  if (window <= 0) return values;
  const out = new Int32Array(values.length);
  const deque: number[] = [];
  for (let s = 0; s < values.length; s++) {
    while (deque.length > 0 && values[deque[deque.length - 1]] <= values[s]) deque.pop();
    deque.push(s);
    if (deque[0] <= s - window) deque.shift();
    out[s] = values[deque[0]];
  }
  return out;
}

/** A factor or headroom this large asks for the ceiling whenever any work arrives. */
const CEILING = 1000;

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
