import { ServerSpec } from '../cluster/manifests';
import { Autoscaler, ClusterView } from '../control/autoscaler';
import { ASSUMPTIONS, SECONDS_PER_HOUR } from '../engine/assumptions';
import { requestWork, tokenCosts, workPerPeriod } from '../engine/work';
import { Trace } from '../traffic/trace';

export interface OptimisticReference {
  /** Requests per second one replica serves at the trace's token mix with its engine never idle (1 / mean work). */
  readonly sustainableRequestsPerSecond: number;
  /** Replicas the instant provisioner runs in each minute. */
  readonly replicasPerMinute: number[];
  /** Arrivals in each minute. */
  readonly arrivalsPerMinute: number[];
  /** Engine seconds of work arriving in each minute. */
  readonly workPerMinute: number[];
  readonly gpuHours: number;
}

/**
 * The optimistic reference: a provisioner that knows each minute's work (prompt and output tokens weighed by what
 * they cost the engine, `tokenCosts`) and gets replicas instantly, so it runs, in each minute, just enough replicas
 * to do that minute's work with their engines never idle. It is not replayed and not achievable (no cold start, no
 * queueing, no burst inside a minute): a yardstick, not a bound, and it cannot exceed what the work needs.
 */
export function optimisticReference(server: ServerSpec, trace: Trace): OptimisticReference {
  const period = ASSUMPTIONS.referencePeriodSeconds;
  const costs = tokenCosts(server.engine, trace);
  const work = requestWork(trace, costs);
  const workPerMinute = workPerPeriod(trace, work, period);
  const replicasPerMinute = workPerMinute.map((seconds) => Math.ceil(seconds / period));
  const replicaSeconds = replicasPerMinute.reduce((a, b) => a + b, 0) * period;
  const totalWork = work.reduce((a, b) => a + b, 0);
  return {
    sustainableRequestsPerSecond: totalWork > 0 ? trace.length / totalWork : Infinity,
    replicasPerMinute,
    arrivalsPerMinute: arrivalsPerPeriod(trace, period),
    workPerMinute,
    gpuHours: (replicaSeconds * server.gpuCount) / SECONDS_PER_HOUR,
  };
}

function arrivalsPerPeriod(trace: Trace, period: number): number[] {
  const periods = Math.max(1, Math.ceil(trace.durationSeconds / period));
  const counts = new Array<number>(periods).fill(0);
  for (let i = 0; i < trace.length; i++) counts[Math.min(periods - 1, Math.floor(trace._arrivals[i] / period))]++;
  return counts;
}

/**
 * A replica count known in advance, applied at every HPA sync: the clairvoyant provisioner's schedule or a
 * static replica count. Time 0 of `desiredAt` is the start of the trace.
 */
export class ScheduledReplicas implements Autoscaler {
  public readonly pinned = false;
  /**
   * `initialReplicas`: the replicas at time 0; `maxReplicas`: the ceiling it is reported against; `syncPeriodSeconds`:
   * how often the count is applied (the HPA's 15 s sync by default; a reference with perfect measurement acts sooner).
   */
  public constructor(private readonly desiredAt: (t: number) => number, public readonly initialReplicas: number,
    public readonly maxReplicas: number, public readonly syncPeriodSeconds?: number) {}

  public warmStart(): void {}

  public poll(): number | undefined {
    return undefined;
  }

  public push(): number | undefined {
    return undefined;
  }

  public hpaSync(view: ClusterView): number | undefined {
    const desired = this.desiredAt(view.now);
    return desired === view.replicas ? undefined : desired;
  }
}

/**
 * The clairvoyant schedule for per-period replica needs: at each sync it runs the most replicas any period
 * needs from now until a pod started now would be ready (its node, image and cold start: `leadSeconds`) and one
 * more sync has passed, so capacity is ready when its period starts, and a replica needed again within that time
 * is kept rather than restarted.
 */
export function clairvoyantSchedule(needPerPeriod: number[], leadSeconds: number,
  period: number = ASSUMPTIONS.referencePeriodSeconds): (t: number) => number {
  const lookahead = leadSeconds + ASSUMPTIONS.hpaSyncPeriodSeconds;
  return (t: number) => {
    const first = Math.max(0, Math.floor(t / period));
    const last = Math.min(needPerPeriod.length - 1, Math.floor((t + lookahead) / period));
    let most = 0;
    for (let m = first; m <= last; m++) most = Math.max(most, needPerPeriod[m]);
    return most;
  };
}
