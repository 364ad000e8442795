import { testManifests } from './helpers';
import { lowerBound, sustainableRate } from '../../src/simulation/lower-bound';
import { readServer } from '../../src/simulation/manifests';
import { Trace } from '../../src/simulation/trace';

const server = readServer(testManifests());

describe('lower bound', () => {
  test('per minute: the fewest replicas whose sustainable rate covers the arrivals, times GPUs per replica', () => {
    const trace = Trace.uniform({ requestsPerSecond: 20, durationSeconds: 180, promptTokens: 1000, outputTokens: 200 });
    const mu = sustainableRate(server, trace, 2);
    const bound = lowerBound(server, trace, 2);
    expect(bound.sustainableRequestsPerSecond).toBe(mu);
    const perMinute = Math.ceil((20 * 60) / (mu * 60));
    expect(bound.replicasPerMinute).toEqual([perMinute, perMinute, perMinute]);
    expect(bound.gpuHours).toBeCloseTo((3 * perMinute * 60 * 1) / 3600, 12);
  });

  test('a minute without arrivals needs no replica; twice the traffic needs about twice the replicas', () => {
    const sparse = Trace.fromRequests([
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 10 },
      { arrivalSeconds: 150, promptTokens: 100, outputTokens: 10 },
    ]);
    expect(lowerBound(server, sparse, 2).replicasPerMinute).toEqual([1, 0, 1]);
    const base = Trace.uniform({ requestsPerSecond: 100, durationSeconds: 120, promptTokens: 1000, outputTokens: 200 });
    const one = lowerBound(server, base, 2).gpuHours;
    const two = lowerBound(server, base.scaleRate(2), 2).gpuHours;
    expect(two / one).toBeGreaterThan(1.6);
    expect(two / one).toBeLessThan(2.4);
  });

  test('a tighter SLO sustains fewer requests per second', () => {
    const trace = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 60, promptTokens: 2000, outputTokens: 300 });
    expect(sustainableRate(server, trace, 0.2)).toBeLessThan(sustainableRate(server, trace, 2));
  });
});
