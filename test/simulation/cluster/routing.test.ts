import { readServer } from '../../../src/simulation/cluster/manifests';
import { Replay } from '../../../src/simulation/cluster/replay';
import { parseRouting, Router, routingName } from '../../../src/simulation/cluster/routing';
import { ScheduledReplicas } from '../../../src/simulation/evidence/references';
import { Trace } from '../../../src/simulation/traffic/trace';
import { testManifests } from '../helpers';

interface TestPod { readonly index: number; serving: boolean }
const pod = (index: number): TestPod => ({ index, serving: true });

describe('Router', () => {
  test('round-robin spreads requests in turn; random draws per request', () => {
    const pods = [pod(0), pod(1), pod(2)];
    const rr = new Router<TestPod>('round-robin', 1);
    expect([0, 1, 2, 3].map((t) => rr.pick(pods, t).index)).toEqual([0, 1, 2, 0]);
    const random = new Router<TestPod>('random', 1);
    const picks = Array.from({ length: 300 }, (_, t) => random.pick(pods, t).index);
    expect(new Set(picks).size).toBe(3);
  });

  test('a pinned connection keeps its pod until its pod stops serving, then reopens to a ready one', () => {
    const pods = [pod(0), pod(1)];
    const router = new Router<TestPod>({ kind: 'connections', connections: 1 }, 1);
    const first = router.pick(pods, 0);
    // A pod that became ready later receives nothing on the open connection.
    const grown = [...pods, pod(2)];
    for (let t = 1; t < 100; t++) expect(router.pick(grown, t)).toBe(first);
    first.serving = false;
    const rest = grown.filter((p) => p !== first);
    const reopened = router.pick(rest, 100);
    expect(reopened).not.toBe(first);
    for (let t = 101; t < 200; t++) expect(router.pick(rest, t)).toBe(reopened);
  });

  test('a connection with a lifetime reopens once it is that old', () => {
    const pods = Array.from({ length: 8 }, (_, i) => pod(i));
    const router = new Router<TestPod>({ kind: 'connections', connections: 1, lifetimeSeconds: 10 }, 3);
    const picks = Array.from({ length: 100 }, (_, t) => router.pick(pods, t).index);
    // Constant within each 10 s lifetime.
    for (let t = 0; t < 100; t++) expect(picks[t]).toBe(picks[Math.floor(t / 10) * 10]);
    expect(new Set(picks).size).toBeGreaterThan(1);
  });

  test('requests go over the connections in turn', () => {
    const pods = [pod(0), pod(1), pod(2), pod(3)];
    const router = new Router<TestPod>({ kind: 'connections', connections: 2 }, 1);
    const [a, b] = [router.pick(pods, 0), router.pick(pods, 1)];
    expect([2, 3, 4, 5].map((t) => router.pick(pods, t))).toEqual([a, b, a, b]);
  });

  test('reads and writes the --routing spellings', () => {
    expect(parseRouting('connections:50:300')).toEqual({ kind: 'connections', connections: 50, lifetimeSeconds: 300 });
    expect(parseRouting('connections:8')).toEqual({ kind: 'connections', connections: 8, lifetimeSeconds: undefined });
    expect(routingName(parseRouting('connections:50:300'))).toBe('connections:50:300');
    expect(routingName('random')).toBe('random');
    expect(() => parseRouting('least-request')).toThrow("routing 'least-request' must be round-robin, random or connections:N[:LIFETIME_SECONDS]");
    expect(() => parseRouting('connections:0')).toThrow("routing 'connections:0': N (0) must be a whole number from 1 to 100000");
  });
});

describe('Replay with pinned connections', () => {
  test('a replica added later gets no request while the clients keep their connections open', () => {
    const server = readServer(testManifests());
    const trace = Trace.uniform({ requestsPerSecond: 2, durationSeconds: 600, promptTokens: 100, outputTokens: 5 });
    const autoscaler = new ScheduledReplicas((t) => (t >= 7.5 ? 2 : 1), 1, 8);
    const pinned = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 1, routing: { kind: 'connections', connections: 4 } }).run();
    const spread = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 1 }).run();
    // Round-robin sends the second replica half the requests once it is ready; pinned connections send it none.
    expect(pinned.timeline.at(-1)!.readyReplicas).toBe(2);
    expect(pinned.routedPerPod).toEqual([1200, 0]);
    // Round-robin: half of the 2 requests a second that arrive after the second replica is ready.
    const readyAt = 7.5 + server.coldStartSeconds;
    expect(Math.abs(spread.routedPerPod[1] - (600 - readyAt))).toBeLessThanOrEqual(1);
    expect(spread.routedPerPod[0] + spread.routedPerPod[1]).toBe(1200);
  });
});
