import { ServerSpec } from '../cluster/manifests';
import { Autoscaler, ClusterView } from '../control/autoscaler';
import { ASSUMPTIONS, SECONDS_PER_HOUR } from '../engine/assumptions';
import { EngineReplica } from '../engine/engine';
import { RequestBook } from '../engine/request-book';
import { SeededRandom } from '../traffic/random';
import { Trace, TraceRequest } from '../traffic/trace';

export interface OptimisticReference {
  /** Requests per second one replica sustains at the trace's token mix with the attainment target met. */
  readonly sustainableRequestsPerSecond: number;
  /** Replicas the instant provisioner runs in each minute. */
  readonly replicasPerMinute: number[];
  /** Arrivals in each minute. */
  readonly arrivalsPerMinute: number[];
  readonly gpuHours: number;
}

/**
 * The optimistic reference: a provisioner that knows each minute's arrivals and gets replicas instantly, so it
 * runs, in each minute, the fewest replicas whose sustainable throughput covers that minute's requests. It is
 * not replayed and not achievable (no cold start, no burst inside a minute): a yardstick, not a bound.
 */
export function optimisticReference(server: ServerSpec, trace: Trace, sloTtftSeconds: number): OptimisticReference {
  const mu = sustainableRate(server, trace, sloTtftSeconds);
  const period = ASSUMPTIONS.referencePeriodSeconds;
  const arrivalsPerMinute = arrivalsPerPeriod(trace, period);
  const replicasPerMinute = arrivalsPerMinute.map((count) => Math.ceil(count / (mu * period)));
  const replicaSeconds = replicasPerMinute.reduce((a, b) => a + b, 0) * period;
  return {
    sustainableRequestsPerSecond: mu,
    replicasPerMinute,
    arrivalsPerMinute,
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
  /** `initialReplicas`: the floor; `maxReplicas`: the ceiling it is reported against. */
  public constructor(private readonly desiredAt: (t: number) => number, public readonly initialReplicas: number,
    public readonly maxReplicas: number) {}

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
 * The clairvoyant schedule for per-minute replica needs: at each sync it runs the most replicas any minute
 * needs from now until a pod started now would be ready and one more sync has passed, so capacity is ready
 * when its minute starts, and a replica needed again within one cold start is kept rather than restarted.
 */
export function clairvoyantSchedule(needPerMinute: number[], coldStartSeconds: number): (t: number) => number {
  const period = ASSUMPTIONS.referencePeriodSeconds;
  const lookahead = coldStartSeconds + ASSUMPTIONS.hpaSyncPeriodSeconds;
  return (t: number) => {
    const first = Math.max(0, Math.floor(t / period));
    const last = Math.min(needPerMinute.length - 1, Math.floor((t + lookahead) / period));
    let most = 0;
    for (let m = first; m <= last; m++) most = Math.max(most, needPerMinute[m]);
    return most;
  };
}

/**
 * Binary search for the highest Poisson arrival rate at which one replica, fed requests drawn from
 * the trace (seeded), keeps the attainment target (99% of TTFTs within the SLO) over a steady-state run.
 */
export function sustainableRate(server: ServerSpec, trace: Trace, sloTtftSeconds: number): number {
  let low = 0;
  let high = 1;
  while (meetsSlo(server, trace, sloTtftSeconds, high)) {
    low = high;
    high *= 2;
    if (high > 1e5) throw new Error('sustainable rate: one replica sustains an unbounded rate; the engine model is degenerate');
  }
  for (let i = 0; i < 14; i++) {
    const mid = (low + high) / 2;
    if (meetsSlo(server, trace, sloTtftSeconds, mid)) low = mid;
    else high = mid;
  }
  if (low === 0) throw new Error(`sustainable rate: one replica cannot keep ${ASSUMPTIONS.sloTarget * 100}% of TTFTs within ${sloTtftSeconds} s at any rate`);
  return low;
}

function meetsSlo(server: ServerSpec, trace: Trace, slo: number, rate: number): boolean {
  const random = new SeededRandom(7);
  const duration = Math.min(ASSUMPTIONS.sustainableProbeSeconds, ASSUMPTIONS.sustainableProbeRequests / rate);
  const warmUp = duration / 10;
  const requests: TraceRequest[] = [];
  for (let t = random.exponential(1 / rate); t < duration; t += random.exponential(1 / rate)) {
    const source = Math.floor(random.next() * trace.length);
    requests.push({ arrivalSeconds: t, promptTokens: trace._prompts[source], outputTokens: trace._outputs[source] });
  }
  if (requests.length === 0) return true;
  const probe = Trace.fromRequests(requests, 'probe');
  const book = new RequestBook(probe, server.maxModelLen);
  const engine = new EngineReplica(server.engine, book, 0);
  for (let i = 0; i < book.count; i++) {
    engine.advance(book.arrival[i]);
    engine.enqueue(i, book.arrival[i]);
  }
  engine.advance(duration + 10 * slo);
  let measured = 0;
  let met = 0;
  for (let i = 0; i < book.count; i++) {
    if (book.arrival[i] < warmUp) continue;
    measured++;
    if (book.firstToken[i] - book.arrival[i] <= slo) met++;
  }
  return measured === 0 || met / measured >= ASSUMPTIONS.sloTarget;
}
