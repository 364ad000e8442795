import { readServer } from '../../../src/simulation/cluster/manifests';
import { defaultGpusPerNode, parseNodeMode, resolveNodePool } from '../../../src/simulation/cluster/node-pool-props';
import { NodePool, NodePoolSpec, PodPriority } from '../../../src/simulation/cluster/nodes';
import { Replay } from '../../../src/simulation/cluster/replay';
import { ScheduledReplicas } from '../../../src/simulation/evidence/references';
import { Trace } from '../../../src/simulation/traffic/trace';
import { testManifests } from '../helpers';

const AUTOSCALED: NodePoolSpec = {
  mode: 'autoscaled', gpusPerNode: 8, provisioningSeconds: 300, imagePullSeconds: 160, scaleDownSeconds: 600, minNodes: 0, maxNodes: 100,
};
const { SERVER, PLACEHOLDER } = PodPriority;

describe('NodePool', () => {
  test('two 4-GPU pods share an 8-GPU node; a third waits for a second node, ordered at once', () => {
    const pool = new NodePool({ ...AUTOSCALED, minNodes: 1 }, 0, 10_000);
    const first = pool.request(0, 4, SERVER, 10);
    const second = pool.request(1, 4, SERVER, 20);
    expect(first.placed).toEqual([{ pod: 0, node: 0, runnableAt: 10 }]);
    expect(second.placed).toEqual([{ pod: 1, node: 0, runnableAt: 20 }]);
    expect(pool.request(2, 4, SERVER, 30).placed).toEqual([]);
    expect(pool.isPending(2)).toBe(true);
    expect(pool.nodeCount).toBe(2);
    // The new node is Ready 300 s after the order; the pod starts its containers once the image is pulled (160 s).
    expect(pool.nextEventAt).toBe(330);
    expect(pool.fire(330).placed).toEqual([{ pod: 2, node: 1, runnableAt: 490 }]);
    expect(pool.pendingSecondsUntil(10_000)).toBe(300);
  });

  test('pods placed on a fresh node while its image downloads wait for the same pull', () => {
    const pool = new NodePool(AUTOSCALED, 0, 10_000);
    pool.request(0, 4, SERVER, 0);
    pool.request(1, 4, SERVER, 100);
    // One node holds both: the second pod orders nothing more.
    expect(pool.nodeCount).toBe(1);
    expect(pool.fire(300).placed).toEqual([{ pod: 0, node: 0, runnableAt: 460 }, { pod: 1, node: 0, runnableAt: 460 }]);
    expect(pool.request(2, 8, SERVER, 500).placed).toEqual([]);
    expect(pool.nodeCount).toBe(2);
  });

  test('an empty node is removed after the scale-down delay and not before; a pod that comes back in time keeps it', () => {
    const pool = new NodePool(AUTOSCALED, 0, 100_000);
    pool.request(0, 8, SERVER, 0);
    pool.fire(300);
    pool.release(0, 1000);
    pool.fire(1000);
    expect(pool.nextEventAt).toBe(1600);
    pool.fire(1599.9);
    expect(pool.nodeCount).toBe(1);
    pool.fire(1600);
    expect(pool.nodeCount).toBe(0);
    // Billed: the node from its order (0) to its removal (1600), 8 GPUs.
    expect(pool.nodeGpuSeconds()).toBe(1600 * 8);

    const kept = new NodePool(AUTOSCALED, 0, 100_000);
    kept.request(0, 8, SERVER, 0);
    kept.fire(300);
    kept.release(0, 1000);
    kept.fire(1000);
    expect(kept.request(1, 8, SERVER, 1500).placed).toEqual([{ pod: 1, node: 0, runnableAt: 1500 }]);
    kept.fire(1600);
    expect(kept.nodeCount).toBe(1);
  });

  test('the nodes that exist from the start are never removed; fixed nodes never grow', () => {
    const pool = new NodePool({ ...AUTOSCALED, minNodes: 2 }, 0, 100_000);
    pool.fire(50_000);
    expect(pool.nodeCount).toBe(2);
    const fixed = new NodePool({ ...AUTOSCALED, mode: 'fixed', minNodes: 1 }, 0, 100_000);
    fixed.request(0, 8, SERVER, 0);
    expect(fixed.request(1, 8, SERVER, 0).placed).toEqual([]);
    expect(fixed.nodeCount).toBe(1);
    fixed.release(0, 100);
    // A fixed node is never removed, and the Pending pod takes the freed GPUs.
    expect(fixed.fire(100).placed).toEqual([{ pod: 1, node: 0, runnableAt: 100 }]);
  });

  test('a server pod preempts a placeholder on a Ready node; the placeholder is Pending and orders the next node', () => {
    const pool = new NodePool(AUTOSCALED, 0, 100_000);
    const start = pool.placeAtStart([{ pod: 0, gpus: 4, priority: SERVER }, { pod: -1, gpus: 4, priority: PLACEHOLDER }]);
    expect(start.placed.map((p) => p.node)).toEqual([0, 0]);
    expect(pool.nodeCount).toBe(1);
    const scaleOut = pool.request(1, 4, SERVER, 100);
    // The node has the image (it ran the server from the start): the new replica starts at once.
    expect(scaleOut.placed).toEqual([{ pod: 1, node: 0, runnableAt: 100 }]);
    expect(scaleOut.evicted).toEqual([-1]);
    expect(pool.isPending(-1)).toBe(true);
    expect(pool.nodeCount).toBe(2);
    expect(pool.fire(400).placed).toEqual([{ pod: -1, node: 1, runnableAt: 560 }]);
    // Placeholders wait without counting as server time Pending.
    expect(pool.pendingSecondsUntil(100_000)).toBe(0);
  });

  test('a placeholder never preempts a server pod, and servers go first when a node becomes Ready', () => {
    const pool = new NodePool({ ...AUTOSCALED, minNodes: 1 }, 0, 100_000);
    pool.request(0, 8, SERVER, 0);
    expect(pool.request(-1, 8, PLACEHOLDER, 10).placed).toEqual([]);
    expect(pool.request(1, 8, SERVER, 20).placed).toEqual([]);
    // Two nodes on their way (one for each Pending pod); the first Ready one goes to the server pod.
    expect(pool.nodeCount).toBe(3);
    expect(pool.fire(310).placed).toEqual([{ pod: 1, node: 1, runnableAt: 470 }]);
    expect(pool.fire(320).placed).toEqual([{ pod: -1, node: 2, runnableAt: 480 }]);
  });
});

describe('node pool settings', () => {
  const server = readServer(testManifests());

  test('defaults come from the GPU and the cited figures', () => {
    expect(resolveNodePool(parseNodeMode('autoscaled'), server)).toEqual({ ...AUTOSCALED, maxNodes: 1000 });
    expect(resolveNodePool({ mode: 'free' }, server)).toBeUndefined();
    expect(parseNodeMode('fixed:3')).toEqual({ mode: 'fixed', minNodes: 3 });
    expect(defaultGpusPerNode({ ...server, gpu: { ...server.gpu, memoryMib: 23_000 } as any, gpuCount: 2 })).toBe(4);
  });

  test('refuses what no replica could use', () => {
    expect(() => parseNodeMode('fixed')).toThrow("nodes 'fixed' must be free, autoscaled or fixed:N");
    expect(() => resolveNodePool({ mode: 'autoscaled', gpusPerNode: 0 }, server)).toThrow('nodes: gpusPerNode (0) must be a whole number from 1 to 64');
    expect(() => resolveNodePool({ mode: 'autoscaled', gpusPerNode: 4 }, { ...server, gpuCount: 8 })).toThrow(
      "nodes: gpusPerNode (4) must be >= the server's GPUs per replica (8): no replica would fit a node");
    expect(() => resolveNodePool({ mode: 'fixed' }, server)).toThrow('nodes: fixed needs minNodes, the number of nodes');
    expect(() => resolveNodePool({ mode: 'spot' }, server)).toThrow("nodes: mode ('spot') must be one of free, autoscaled, fixed");
  });
});

describe('Replay on autoscaled nodes', () => {
  test('a scale-out that needs a node is ready after provisioning + image pull + cold start, and nodes are billed whole', () => {
    const manifests = testManifests();
    const server = readServer(manifests);
    const trace = Trace.uniform({ requestsPerSecond: 1, durationSeconds: 3600, promptTokens: 100, outputTokens: 10 });
    // One replica from the start; two from the HPA sync at 7.5 s.
    const autoscaler = new ScheduledReplicas((t) => (t >= 7.5 ? 2 : 1), 1, 8);
    const nodes: NodePoolSpec = { ...AUTOSCALED, gpusPerNode: 1 };
    const outcome = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 1, nodes }).run();
    const readyAt = 7.5 + 300 + 160 + server.coldStartSeconds;
    const before = outcome.timeline.filter((p) => p.time < readyAt);
    const after = outcome.timeline.filter((p) => p.time >= readyAt);
    expect(before.every((p) => p.replicas === 2 && p.readyReplicas === 1)).toBe(true);
    expect(after.every((p) => p.readyReplicas === 2)).toBe(true);
    // Pending for the node's 300 s; the pod holds its GPU from its placement at 307.5 s.
    expect(outcome.pendingSeconds).toBeCloseTo(300, 9);
    expect(outcome.podSeconds).toBeCloseTo(3600 + (3600 - 307.5), 9);
    // Billed: the start node all hour, the new one from its order at 7.5 s.
    expect(outcome.billedGpuSeconds).toBeCloseTo(3600 + (3600 - 7.5), 9);

    const free = new Replay({ server, autoscaler, trace, startEpochSeconds: 0, initialReplicas: 1 }).run();
    expect(free.pendingSeconds).toBe(0);
    expect(free.billedGpuSeconds).toBeCloseTo(free.podSeconds, 9);
    // With nodes free the same replica is ready after its cold start alone.
    const freeReadyAt = 7.5 + server.coldStartSeconds;
    expect(free.timeline.filter((p) => p.time >= freeReadyAt).every((p) => p.readyReplicas === 2)).toBe(true);
    expect(free.timeline.filter((p) => p.time < freeReadyAt).every((p) => p.readyReplicas === 1)).toBe(true);
  });
});
