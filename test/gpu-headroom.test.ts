import { Testing } from 'cdk8s';
import { Gpu, GpuHeadroom, GpuHeadroomProps, QueueAutoscaler, VllmService } from '../src';
import { expectValidManifests } from './schema/validate';
import { container, errorOf, findAll, findOne, LLAMA_8B, testChart } from './util';
import { readServer } from '../src/simulation/cluster/manifests';
import { readPlaceholders } from '../src/simulation/cluster/placeholders';
import { Replay } from '../src/simulation/cluster/replay';
import { KedaAutoscaler } from '../src/simulation/control/keda';
import { Trace } from '../src/simulation/traffic/trace';

function withHeadroom(props: Omit<GpuHeadroomProps, 'server'> = {}) {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.H100, nodeSelector: { pool: 'gpu' } });
  new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: 'http://prometheus:9090' });
  const headroom = new GpuHeadroom(chart, 'headroom', { server, ...props });
  const manifests = Testing.synth(chart);
  const placeholders = findAll(manifests, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'gpu-headroom');
  const serverDeployment = findAll(manifests, 'Deployment').find((d) => d !== placeholders);
  return { chart, server, headroom, manifests, placeholders, serverDeployment };
}

describe('GpuHeadroom', () => {
  test('placeholders the size of one replica, placed like it, at a negative priority that still asks for nodes', () => {
    const { manifests, placeholders, serverDeployment } = withHeadroom({ replicas: 2 });
    expectValidManifests(manifests);
    const priorityClass = findOne(manifests, 'PriorityClass');
    expect(priorityClass).toMatchObject({ value: -10, globalDefault: false, preemptionPolicy: 'Never' });
    expect(priorityClass.metadata.namespace).toBeUndefined();
    const pod = placeholders.spec.template.spec;
    expect(placeholders.spec.replicas).toBe(2);
    expect(pod.priorityClassName).toBe(priorityClass.metadata.name);
    expect(pod.terminationGracePeriodSeconds).toBe(0);
    const serverPod = serverDeployment.spec.template.spec;
    expect(pod.nodeSelector).toEqual(serverPod.nodeSelector);
    expect(pod.nodeSelector.pool).toBe('gpu');
    expect(pod.tolerations).toEqual(serverPod.tolerations);
    const vllm = container(serverDeployment, 'vllm');
    expect(pod.containers[0].resources).toEqual(vllm.resources);
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
    // The server's image, so the node holds it when a replica preempts the placeholder.
    expect(pod.containers[0].image).toBe(vllm.image);
    expect(pod.containers[0].command).toEqual(['sleep', 'infinity']);
    expect(placeholders.metadata.annotations['vllm.cdk8s.io/headroom-for']).toBe(serverDeployment.metadata.name);
  });

  test('schedules raise the placeholders through a cron ScaledObject on their Deployment, which then owns the count', () => {
    const { manifests, placeholders } = withHeadroom({
      replicas: 1,
      schedules: [{ timezone: 'Europe/Paris', start: '0 8 * * 1-5', end: '0 18 * * 1-5', replicas: 3 }],
    });
    expectValidManifests(manifests);
    expect(placeholders.spec).not.toHaveProperty('replicas');
    const scaledObject = findAll(manifests, 'ScaledObject').find((s) => s.spec.scaleTargetRef.name === placeholders.metadata.name);
    expect(scaledObject.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3 });
    expect(scaledObject.spec.triggers).toEqual([{
      type: 'cron', name: 'headroom-window-0', metadata: { timezone: 'Europe/Paris', start: '0 8 * * 1-5', end: '0 18 * * 1-5', desiredReplicas: '3' },
    }]);
  });

  test('bad input names the construct, the prop, the value and what is allowed', () => {
    expect(errorOf(() => withHeadroom({ priority: 0 }))).toBe("GpuHeadroom 'test/headroom': priority (0) must be a whole number from -1000000000 to -1");
    expect(errorOf(() => withHeadroom({ replicas: 1.5 }))).toBe("GpuHeadroom 'test/headroom': replicas (1.5) must be a whole number from 0 to 1000");
    expect(errorOf(() => withHeadroom({ replicas: 0 }))).toBe("GpuHeadroom 'test/headroom': replicas (0) of 0 holds nothing: give a schedule, or at least 1");
    expect(errorOf(() => withHeadroom({ schedules: [{ timezone: 'utc', start: '0 8 * * *', end: '0 9 * * *', replicas: 2 }] })))
      .toMatch(/^GpuHeadroom 'test\/headroom': schedules\[0\]\.timezone \('utc'\)/);
  });

  test('the replay reads the placeholders; a scale-out preempts one and starts on a node that is up, the evicted one orders the next node', () => {
    const { manifests } = withHeadroom({ replicas: 1 });
    const server = readServer(manifests);
    const placeholders = readPlaceholders(manifests, server)!;
    expect(placeholders.gpus).toBe(1);
    expect(placeholders.replicasAt(0)).toBe(1);
    const autoscaler = new KedaAutoscaler(findOne(manifests, 'ScaledObject'));
    // A load that needs a second replica soon after the start.
    const trace = Trace.uniform({ requestsPerSecond: 40, durationSeconds: 1800, promptTokens: 2000, outputTokens: 300 });
    const nodes = { mode: 'autoscaled' as const, gpusPerNode: 1, provisioningSeconds: 300, imagePullSeconds: 160, scaleDownSeconds: 600, minNodes: 0, maxNodes: 100 };
    const run = (withPlaceholders: boolean) => new Replay({
      server,
      autoscaler: new KedaAutoscaler(findOne(manifests, 'ScaledObject')),
      trace,
      startEpochSeconds: 0,
      initialReplicas: 1,
      nodes,
      placeholders: withPlaceholders ? placeholders : undefined,
    }).run();
    expect(autoscaler.maxReplicas).toBe(8);
    const held = run(true);
    const bare = run(false);
    const firstTwoReady = (outcome: ReturnType<typeof run>) => outcome.timeline.find((p) => p.readyReplicas >= 2)!.time;
    const firstTwoAsked = (outcome: ReturnType<typeof run>) => outcome.timeline.find((p) => p.replicas >= 2)!.time;
    // With headroom the second replica waits only for its cold start; without, also for a node and the image.
    expect(firstTwoReady(held) - firstTwoAsked(held)).toBeLessThanOrEqual(server.coldStartSeconds + 15);
    expect(firstTwoReady(bare) - firstTwoAsked(bare)).toBeGreaterThanOrEqual(300 + 160 + server.coldStartSeconds - 15);
    expect(held.pendingSeconds).toBeLessThan(bare.pendingSeconds);
    // The held slot is billed: the placeholder's node exists from the start.
    expect(held.billedGpuSeconds).toBeGreaterThan(bare.billedGpuSeconds * 0.9);
  });
});
