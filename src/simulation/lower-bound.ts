import { ASSUMPTIONS, SECONDS_PER_HOUR } from './assumptions';
import { EngineReplica } from './engine';
import { ServerSpec } from './manifests';
import { SeededRandom } from './random';
import { RequestBook } from './request-book';
import { Trace, TraceRequest } from './trace';

export interface LowerBoundOutcome {
  /** Requests per second one replica sustains at the trace's token mix with the attainment target met. */
  readonly sustainableRequestsPerSecond: number;
  /** Replicas the ideal provisioner runs in each minute. */
  readonly replicasPerMinute: number[];
  readonly gpuHours: number;
  /** The replicas a replay starts with (see ASSUMPTIONS.warmStartMinutes). */
  readonly warmStartReplicas: number;
}

/**
 * The GPU-hours of an ideal provisioner: it knows each minute's arrivals and starts replicas instantly,
 * so it runs, in each minute, the fewest replicas whose sustainable throughput covers that minute's requests.
 */
export function lowerBound(server: ServerSpec, trace: Trace, sloTtftSeconds: number): LowerBoundOutcome {
  const mu = sustainableRate(server, trace, sloTtftSeconds);
  const period = ASSUMPTIONS.lowerBoundPeriodSeconds;
  const minutes = Math.max(1, Math.ceil(trace.durationSeconds / period));
  const counts = new Array<number>(minutes).fill(0);
  for (let i = 0; i < trace.length; i++) counts[Math.min(minutes - 1, Math.floor(trace._arrivals[i] / period))]++;
  const replicasPerMinute = counts.map((count) => Math.ceil(count / (mu * period)));
  const replicaSeconds = replicasPerMinute.reduce((a, b) => a + b, 0) * period;
  return {
    sustainableRequestsPerSecond: mu,
    replicasPerMinute,
    gpuHours: (replicaSeconds * server.gpuCount) / SECONDS_PER_HOUR,
    warmStartReplicas: Math.max(1, ...replicasPerMinute.slice(0, ASSUMPTIONS.warmStartMinutes)),
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
    if (high > 1e5) throw new Error('lower bound: one replica sustains an unbounded rate; the engine model is degenerate');
  }
  for (let i = 0; i < 14; i++) {
    const mid = (low + high) / 2;
    if (meetsSlo(server, trace, sloTtftSeconds, mid)) low = mid;
    else high = mid;
  }
  if (low === 0) throw new Error(`lower bound: one replica cannot keep ${ASSUMPTIONS.lowerBoundAttainment * 100}% of TTFTs within ${sloTtftSeconds} s at any rate`);
  return low;
}

function meetsSlo(server: ServerSpec, trace: Trace, slo: number, rate: number): boolean {
  const random = new SeededRandom(7);
  const duration = Math.min(ASSUMPTIONS.lowerBoundProbeSeconds, ASSUMPTIONS.lowerBoundProbeRequests / rate);
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
  return measured === 0 || met / measured >= ASSUMPTIONS.lowerBoundAttainment;
}
