import { readServer } from '../../../src/simulation/cluster/manifests';
import { tokenCosts } from '../../../src/simulation/engine/work';
import { clairvoyantSchedule, optimisticReference } from '../../../src/simulation/evidence/references';
import { Trace } from '../../../src/simulation/traffic/trace';
import { testManifests } from '../helpers';

const server = readServer(testManifests());

describe('optimistic reference', () => {
  test('per minute: just enough replicas for the minute\'s engine work with engines never idle, times GPUs per replica', () => {
    const trace = Trace.uniform({ requestsPerSecond: 20, durationSeconds: 180, promptTokens: 1000, outputTokens: 200 });
    const costs = tokenCosts(server.engine, trace);
    const perRequest = 1000 * costs.prefillSecondsPerToken + 200 * costs.decodeSecondsPerToken;
    const bound = optimisticReference(server, trace);
    expect(bound.sustainableRequestsPerSecond).toBeCloseTo(1 / perRequest, 9);
    const perMinute = Math.ceil((20 * 60 * perRequest) / 60);
    expect(bound.replicasPerMinute).toEqual([perMinute, perMinute, perMinute]);
    expect(bound.gpuHours).toBeCloseTo((3 * perMinute * 60 * 1) / 3600, 12);
  });

  test('a minute without arrivals needs no replica; twice the traffic needs about twice the replicas', () => {
    const sparse = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 10 },
      { arrivalSeconds: 150, promptTokens: 100, outputTokens: 10 },
    ]);
    expect(optimisticReference(server, sparse).replicasPerMinute).toEqual([1, 0, 1]);
    const base = Trace.uniform({ requestsPerSecond: 100, durationSeconds: 120, promptTokens: 1000, outputTokens: 200 });
    const one = optimisticReference(server, base).gpuHours;
    const two = optimisticReference(server, base.scaleRate(2)).gpuHours;
    expect(two / one).toBeGreaterThan(1.6);
    expect(two / one).toBeLessThan(2.4);
  });

  test('long prompts weigh by what they cost the engine, not by their count', () => {
    const short = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 60, promptTokens: 500, outputTokens: 100 });
    const long = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 60, promptTokens: 8000, outputTokens: 100 });
    expect(optimisticReference(server, long).workPerMinute[0]).toBeGreaterThan(4 * optimisticReference(server, short).workPerMinute[0]);
  });
});

describe('clairvoyant schedule', () => {
  test('capacity is started one cold start ahead of its minute and kept while needed within one cold start', () => {
    // Needs per minute: 1, 1, 3, 1, 1, 1, 1; cold start 100 s, so the lookahead is 100 + 15 = 115 s.
    const schedule = clairvoyantSchedule([1, 1, 3, 1, 1, 1, 1], 100);
    // At 0 s the window [0, 115] covers minutes 0-1: 1 replica.
    expect(schedule(0)).toBe(1);
    // At 7.5 s the window reaches 122.5 s, minute 2: 3 replicas, ready at 107.5 s, before minute 2 starts at 120 s.
    expect(schedule(7.5)).toBe(3);
    // Minute 2 ends at 180 s; the window [t, t + 115] covers it until t = 179: kept through minute 2.
    expect(schedule(179)).toBe(3);
    expect(schedule(180)).toBe(1);
    // Past the end of the trace nothing is needed.
    expect(schedule(1000)).toBe(0);
  });
});
