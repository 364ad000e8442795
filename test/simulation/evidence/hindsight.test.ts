import { readServer } from '../../../src/simulation/cluster/manifests';
import { clairvoyantReference, HindsightContext, staticReference } from '../../../src/simulation/evidence/hindsight';
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
    optimistic: optimisticReference(server, trace, 2),
  };
}

describe('references with hindsight', () => {
  // Steady traffic at 2.5 times what one replica sustains within the SLO.
  const mu = optimisticReference(server, Trace.uniform({ requestsPerSecond: 1, durationSeconds: 60, promptTokens: 1000, outputTokens: 200 }), 2)
    .sustainableRequestsPerSecond;
  const steady = Trace.uniform({ requestsPerSecond: 2.5 * mu, durationSeconds: 600, promptTokens: 1000, outputTokens: 200 });

  test('static: the fewest fixed replicas that meet the target, and one fewer misses it', () => {
    const found = staticReference(context(steady));
    expect(found.reachesTarget).toBe(true);
    expect(found.result.sloAttainment).toBeGreaterThanOrEqual(0.99);
    // 2.5 x the sustainable rate needs at least 3 replicas; the search found the smallest count that works.
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
});
