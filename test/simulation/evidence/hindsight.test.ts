import { readServer } from '../../../src/simulation/cluster/manifests';
import { requestWork, tokenCosts } from '../../../src/simulation/engine/work';
import { causalReference, causalSchedule, clairvoyantReference, HindsightContext, staticReference, widenWith } from '../../../src/simulation/evidence/hindsight';
import { optimisticReference } from '../../../src/simulation/evidence/references';
import { Trace } from '../../../src/simulation/traffic/trace';
import { testManifests } from '../helpers';

const server = readServer(testManifests());

function context(trace: Trace, maxReplicas = 8): HindsightContext {
  return {
    server,
    trace,
    sloTtftSeconds: 2,
    sloTarget: 0.99,
    minReplicas: 1,
    maxReplicas,
    start: 'warm',
    optimistic: optimisticReference(server, trace),
  };
}

describe('references with hindsight', () => {
  // Steady traffic at 2.5 times what one replica serves with its engine never idle.
  const mu = optimisticReference(server, Trace.uniform({ requestsPerSecond: 1, durationSeconds: 60, promptTokens: 1000, outputTokens: 200 }))
    .sustainableRequestsPerSecond;
  const steady = Trace.uniform({ requestsPerSecond: 2.5 * mu, durationSeconds: 600, promptTokens: 1000, outputTokens: 200 });

  test('static: the fewest fixed replicas that meet the target, and one fewer misses it', () => {
    const found = staticReference(context(steady));
    expect(found.reachesTarget).toBe(true);
    expect(found.result.sloAttainment).toBeGreaterThanOrEqual(0.99);
    // 2.5 x what a replica serves at full utilisation needs at least 3 replicas; the search found the smallest count that works.
    expect(found.setting).toBeGreaterThanOrEqual(3);
    const fewer = staticReference(context(steady, found.setting - 1));
    expect(fewer.reachesTarget).toBe(false);
    expect(fewer.result.sloAttainment).toBeLessThan(0.99);
    // Fixed replicas all the time: GPU-hours = replicas x GPUs x the trace's 10 minutes.
    expect(found.result.gpuHours).toBeCloseTo((found.setting * server.gpuCount * 600) / 3600, 6);
  });

  test('clairvoyant: meets the target, is replayed with cold starts, and costs no more than static on steady traffic', () => {
    const clairvoyant = clairvoyantReference(context(steady));
    expect(clairvoyant.reachesTarget).toBe(true);
    expect(clairvoyant.result.sloAttainment).toBeGreaterThanOrEqual(0.99);
    expect(clairvoyant.result.gpuHours).toBeLessThanOrEqual(staticReference(context(steady)).result.gpuHours + 1e-9);
    expect(clairvoyant.replays).toBeGreaterThan(1);
  });

  test('a burst the ceiling cannot hold: neither reference reaches the target, and they say so', () => {
    const burst = Trace.uniform({ requestsPerSecond: 6 * mu, durationSeconds: 300, promptTokens: 1000, outputTokens: 200 });
    const clairvoyant = clairvoyantReference(context(burst, 2));
    expect(clairvoyant.reachesTarget).toBe(false);
    expect(clairvoyant.result.sloAttainment).toBeLessThan(0.99);
    expect(staticReference(context(burst, 2)).reachesTarget).toBe(false);
  });

  test('causal: meets the target on steady traffic with perfect measurement, and never knows the future', () => {
    const causal = causalReference(context(steady));
    expect(causal.reachesTarget).toBe(true);
    expect(causal.chosen).toMatch(/^headroom [0-9.]+, hold \d+ s$/);
    // A static count is a causal policy too, but its family may be cheaper: it is at most the ceiling's cost.
    expect(causal.result.billedGpuHours).toBeLessThanOrEqual((8 * server.gpuCount * 600) / 3600 + 1e-9);
  });

  test('a burst shorter than a cold start: the clairvoyant starts replicas ahead of it, the causal reference can only hold standing capacity', () => {
    const base = Trace.uniform({ requestsPerSecond: 0.5 * mu, durationSeconds: 1800, promptTokens: 1000, outputTokens: 200 });
    const burst = Trace.uniform({ requestsPerSecond: 3 * mu, durationSeconds: 60, promptTokens: 1000, outputTokens: 200 });
    const requests = [
      ...Array.from({ length: base.length }, (_, i) => base.request(i)),
      ...Array.from({ length: burst.length }, (_, i) => ({ ...burst.request(i), arrivalSeconds: burst.request(i).arrivalSeconds + 1200 })),
    ].sort((a, b) => a.arrivalSeconds - b.arrivalSeconds);
    const trace = Trace.fromRequests(requests, 'burst');
    const clairvoyant = clairvoyantReference(context(trace));
    const causal = causalReference(context(trace));
    expect(clairvoyant.reachesTarget).toBe(true);
    // Reacting to the burst brings replicas a cold start too late: the causal reference pays for standing capacity.
    expect(causal.result.billedGpuHours).toBeGreaterThan(clairvoyant.result.billedGpuHours);
  });

  test('widening: a row that meets the target below the clairvoyant becomes the clairvoyant\'s schedule', () => {
    const ctx = context(steady);
    const found = clairvoyantReference(ctx);
    const rival = staticReference(ctx).result;
    const cheaper = { ...rival, billedGpuHours: found.result.billedGpuHours / 2 };
    const widened = widenWith(ctx, found, cheaper);
    expect(widened.replays).toBe(found.replays + 1);
    // The rival's replica counts were replayed as a schedule; the clairvoyant keeps the cheaper of the two that meet the target.
    expect(widened.reachesTarget).toBe(true);
    expect(widened.result.billedGpuHours).toBeLessThanOrEqual(found.result.billedGpuHours);
    // A row that does not meet the target never widens it.
    expect(widenWith(ctx, found, { ...cheaper, sloAttainment: 0.5 })).toBe(found);
  });

  test('the causal schedule reads only the seconds that have ended: two traces alike until 600 s ask for the same replicas until then', () => {
    const steadyPart = Array.from({ length: 600 }, (_, i) => ({ arrivalSeconds: i, promptTokens: 1000, outputTokens: 200 }));
    const calm = Trace.fromRequests([...steadyPart, { arrivalSeconds: 1200, promptTokens: 1000, outputTokens: 200 }], 'calm');
    const crowd = Array.from({ length: 3000 }, (_, i) => ({ arrivalSeconds: 600 + i / 100, promptTokens: 1000, outputTokens: 200 }));
    const burst = Trace.fromRequests([...steadyPart, ...crowd, { arrivalSeconds: 1200, promptTokens: 1000, outputTokens: 200 }], 'burst');
    const costs = tokenCosts(server.engine, calm);
    const setting = { headroom: 1.5, holdSeconds: 300, minReplicas: 1, maxReplicas: 8 };
    const before = causalSchedule(calm, requestWork(calm, costs), setting);
    const after = causalSchedule(burst, requestWork(burst, costs), setting);
    for (let t = 0; t <= 600; t += 0.5) expect(after(t)).toBe(before(t));
    // Once the burst's work is known it asks for more; the hold keeps that for 300 s after the last minute's work fell.
    expect(after(640)).toBeGreaterThan(before(640));
    expect(after(900)).toBeGreaterThan(before(900));
    expect(after(1100)).toBe(before(1100));
  });
});
