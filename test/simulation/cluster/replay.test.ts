import { Duration } from 'cdk8s';
import { readServer } from '../../../src/simulation/cluster/manifests';
import { Replay } from '../../../src/simulation/cluster/replay';
import { ClusterView } from '../../../src/simulation/control/autoscaler';
import { KedaAutoscaler } from '../../../src/simulation/control/keda';
import { evaluateAt, evaluateQuery, parsePromQL, ScrapeHistory } from '../../../src/simulation/control/promql-eval';
import { RequestStatus } from '../../../src/simulation/engine/request-book';
import { ScheduledReplicas } from '../../../src/simulation/evidence/references';
import { Trace } from '../../../src/simulation/traffic/trace';
import { testManifests } from '../helpers';

// Llama 3.1 8B on one H100: a step over a 100-token prompt is memory-bound (assumptions.ts, engine step time):
// memory (16e9 B + 100 x 131072 B) / (3.35e12 B/s x 0.89) = 5.371 ms, plus 0.28 x compute (100 x 2 x 8e9 FLOP at
// 989e12 x 0.67 FLOP/s, and 4 x 32 x 4096 x 5050 attended pairs at 989e12 x 0.71) = 0.677 ms, plus 32 layers x 37 us
// and 0.5 ms of host time: 7.732 ms.
const MEMORY = (16e9 + 100 * 131072) / (3.35e12 * 0.89);
const COMPUTE = (100 * 2 * 8e9) / (989e12 * 0.67) + (4 * 32 * 4096 * ((100 * 101) / 2)) / (989e12 * 0.71);
const STEP = MEMORY + 0.28 * COMPUTE + 32 * 37e-6 + 0.0005;

/** Replicas from a schedule applied at every HPA sync: `before` until 7.5 s, `after` from then on. */
function switchAt75(floor: number, before: number, after: number): ScheduledReplicas {
  return new ScheduledReplicas((t) => (t >= 7.5 ? after : before), floor, 8);
}

/** 46 s in all, the figure the timings below are worked out from. */
const COLD_START = { loadBandwidthMBps: 1000, compileCachePersisted: true, engineStartup: Duration.seconds(20) };

describe('Replay', () => {
  test('end to end: a queue builds on one replica, KEDA adds 2 pods per 60 s, they serve after the cold start', () => {
    // One sequence at a time, 1 output token: one 7.732 ms step per request, 129 requests/s; 200 arrive per second.
    const manifests = testManifests({ server: { maxNumSeqs: 1, coldStart: COLD_START } });
    const server = readServer(manifests);
    expect(server.coldStartSeconds).toBe(46); // 16 GB at 1 GB/s + 10 s compile from a kept cache + 20 s engine start-up
    const trace = Trace.uniform({ requestsPerSecond: 200, durationSeconds: 120, promptTokens: 100, outputTokens: 1 });
    const autoscaler = new KedaAutoscaler(manifests.find((m) => m.kind === 'ScaledObject'));
    const outcome = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 1 }).run();
    const at = (t: number) => outcome.timeline.find((p) => p.time === t)!;

    // First request: one step. The engine is never idle afterwards.
    expect(outcome.book.firstToken[0]).toBeCloseTo(STEP, 9);
    // Scrape at 15 s: it reads the statistics of the last step that had ended, step 1,939 (ends at 1,939 x step
    // = 14.992 s; step 1,940 ends after 15 s). That step was scheduled at 1,938 x step = 14.985 s, when 2,997
    // requests had arrived (one per 5 ms from 0) and 1,939 had been taken: 1,058 left waiting.
    expect(Math.floor(15 / STEP)).toBe(1939);
    expect(Math.floor((1938 * STEP) / 0.005) + 1).toBe(2997);
    expect(at(15)).toEqual({ time: 15, replicas: 1, readyReplicas: 1, queued: 2997 - 1939, running: 0, maxKvCacheUsage: 0 });
    // HPA sync at 7.5 s: no series yet (an error, failure 1). At 22.5 s: ceil(1058 / 5) = 212 wanted, +2 pods per 60 s allowed -> 3.
    expect(at(30)).toMatchObject({ replicas: 3, readyReplicas: 1 });
    // Ready 46 s later, at 68.5 s.
    expect(at(60)).toMatchObject({ replicas: 3, readyReplicas: 1 });
    expect(at(75)).toMatchObject({ replicas: 3, readyReplicas: 3 });
    // The +2 event at 22.5 s leaves the 60 s period at 82.5 s (the cutoff is strict): 3 -> 5.
    expect(at(75).replicas).toBe(3);
    expect(at(90)).toMatchObject({ replicas: 5, readyReplicas: 3 });
    // Pod-seconds inside the 120 s horizon: 120 + 2 x 97.5 + 2 x 37.5 = 390.
    expect(outcome.podSeconds).toBeCloseTo(390, 9);
    expect(outcome.scaleUps).toBe(2);
    expect(outcome.maxReplicas).toBe(5);
    expect(outcome.failed).toBe(0);
    expect(Array.from(outcome.book.status).every((s) => s === RequestStatus.DONE)).toBe(true);
  });

  test('a pod removed while busy drains within the shutdown timeout; what is left then is lost', () => {
    const manifests = testManifests({ server: { drain: { preStopPause: Duration.seconds(0), shutdownTimeout: Duration.seconds(5) } } });
    const server = readServer(manifests);
    // Two long generations (~16 s each), one per pod (round-robin), and a late one that ends the trace at 30 s.
    const trace = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 2000 },
      { arrivalSeconds: 0.001, promptTokens: 100, outputTokens: 2000 },
      { arrivalSeconds: 30, promptTokens: 100, outputTokens: 1 },
    ]);
    const autoscaler = switchAt75(2, 2, 1);
    const outcome = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 2 }).run();
    const statuses = Array.from(outcome.book.status);
    expect(statuses.filter((s) => s === RequestStatus.FAILED)).toHaveLength(1);
    expect(outcome.failed).toBe(1);
    // The failed request was cut at 7.5 + 5 s.
    const lost = statuses.indexOf(RequestStatus.FAILED);
    expect(outcome.book.finish[lost]).toBe(12.5);
    // One pod for the whole 30 s, the other until its shutdown deadline at 12.5 s.
    expect(outcome.podSeconds).toBeCloseTo(42.5, 9);
    expect(outcome.scaleDowns).toBe(1);
  });

  test('with no ready pod, requests wait at the Service and count that wait in their TTFT', () => {
    const manifests = testManifests({ server: { coldStart: COLD_START } });
    const server = readServer(manifests);
    const trace = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 1 },
      { arrivalSeconds: 60, promptTokens: 100, outputTokens: 1 },
    ]);
    // Starts at zero replicas; the script asks for one at the first sync (7.5 s); it is ready at 53.5 s.
    const autoscaler = switchAt75(0, 0, 1);
    const outcome = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 0 }).run();
    expect(outcome.book.firstToken[0] - outcome.book.arrival[0]).toBeCloseTo(53.5 + STEP, 9);
    expect(outcome.book.firstToken[1] - outcome.book.arrival[1]).toBeCloseTo(STEP, 9);
  });

  test('the scrapes carry the engines\' counters: rate() over them reads the load the pods served', () => {
    const manifests = testManifests();
    const server = readServer(manifests);
    // Two warm pods, 10 requests/s spread round-robin: each pod serves one request (100 prompt tokens, 1 output
    // token, one 7.7 ms step) every 0.2 s, so by every scrape at 15 s x k it has finished 75 k of them.
    const trace = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 120, promptTokens: 100, outputTokens: 1 });
    let history: ScrapeHistory | undefined;
    const autoscaler = new (class extends ScheduledReplicas {
      public hpaSync(view: ClusterView): number | undefined {
        history = view.history;
        return super.hpaSync(view);
      }
    })(() => 2, 2, 8);
    new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 2 }).run();
    const sel = `{namespace="${server.namespace}",service="${server.serviceName}",model_name="${server.servedModelName}"}`;
    const at = (query: string, t: number) => evaluateAt(parsePromQL(query, 'q'), history!, t);
    expect(at(`vllm:prompt_tokens_total${sel}`, 60)).toEqual(new Map([['pod=0', 30_000], ['pod=1', 30_000]]));
    expect(at(`vllm:request_success_total${sel}`, 60)).toEqual(new Map([['pod=0', 300], ['pod=1', 300]]));
    // A KEDA poll at 67.5 s: the 1m range holds the scrapes at 15 ... 60 s, 7.5 s from either end: 500 prompt
    // tokens/s per pod, 5 generated, 5 finished.
    expect(at(`rate(vllm:prompt_tokens_total${sel}[1m])`, 67.5)).toEqual(new Map([['pod=0', expect.closeTo(500, 9)], ['pod=1', expect.closeTo(500, 9)]]));
    const demand = (range: string): string => `(sum(rate(vllm:prompt_tokens_total${sel}[${range}])) * 0.00012 `
      + `+ sum(rate(vllm:generation_tokens_total${sel}[${range}])) * 0.004)`;
    const query = `max_over_time(${demand('1m')}[900s:15s]) + sum(vllm:num_requests_waiting${sel}) * ${demand('15m')}`
      + ` / clamp_min(sum(rate(vllm:request_success_total${sel}[15m])), 0.001) / 60`;
    // The peak demand of the subquery's points (at 60 s, the first with a full minute of scrapes): 1,000 prompt
    // tokens x 0.00012 + 10 generated x 0.004 = 0.16 engine-seconds per second; nothing waits.
    expect(evaluateQuery(parsePromQL(query, 'q'), history!, 67.5).value).toBeCloseTo(0.16, 9);
  });
});
