import { Chart, Testing } from 'cdk8s';
import { smallModel, testManifests } from './helpers';
import { Gpu, QueueAutoscaler, QueueAutoscalerProps, VllmService } from '../../src';
import { Simulation, Trace } from '../../src/simulation';

/** Llama 3.1 8B on one H100 scaled by a QueueAutoscaler with `targetQueuePerReplica`, synthesized. */
function withQueueAutoscaler(props: Partial<QueueAutoscalerProps> = {}): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'inference' });
  const server = new VllmService(chart, 'server', { model: smallModel(), gpu: Gpu.H100 });
  new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: 'http://prometheus:9090', ...props });
  return Testing.synth(chart);
}

// Five minutes of 40 requests/s on Llama 3.1 8B with 500-token prompts and 100-token answers: one replica carries it.
const trace = Trace.uniform({ requestsPerSecond: 40, durationSeconds: 300, promptTokens: 500, outputTokens: 100 });
// 64 requests/s: more than one replica can carry (one carries about 60 at this token mix).
const heavy = Trace.uniform({ requestsPerSecond: 64, durationSeconds: 300, promptTokens: 500, outputTokens: 100 });
const fixed = { trace, optimisticGpuHours: 1, initialReplicas: 1 };

describe('Simulation', () => {
  test('reports latency, cost and scaling for the synthesized objects', () => {
    const result = Simulation.run({ manifests: testManifests(), ...fixed });
    expect(result.name).toBe('test-autoscaler');
    expect(result.requests).toBe(12_000);
    expect(result.gpusPerReplica).toBe(1);
    expect(result.sloAttainment).toBeGreaterThan(0);
    expect(result.sloAttainment).toBeLessThanOrEqual(1);
    expect(result.ttftP50).toBeLessThanOrEqual(result.ttftP95);
    expect(result.ttftP95).toBeLessThanOrEqual(result.ttftP99);
    expect(result.sloAttainment).toBe(1);
    expect(result.gpuHours).toBeCloseTo(300 / 3600, 9);
    expect(result.scaleUps).toBe(0);
    expect(result.timeline.length).toBe(20);
    expect(result.ttftP95ByMinute.length).toBe(5);
  });

  test('a change to a construct default shows up: VllmService maxNumSeqs', () => {
    const wide = Simulation.run({ manifests: testManifests({ server: { maxNumSeqs: 256 } }), ...fixed });
    const narrow = Simulation.run({ manifests: testManifests({ server: { maxNumSeqs: 8 } }), ...fixed });
    // Eight sequences at a time cannot carry 40 requests/s: the queue grows and KEDA scales out.
    expect(narrow.ttftP95).toBeGreaterThan(wide.ttftP95);
    expect(narrow.gpuHours).toBeGreaterThan(wide.gpuHours);
  });

  test('a change to the ScaledObject shows up: the waiting threshold', () => {
    const five = Simulation.run({ manifests: testManifests(), ...fixed, trace: heavy });
    const fifty = Simulation.run({ manifests: testManifests({ scaledObject: (spec) => { spec.triggers[0].metadata.threshold = '50'; } }), ...fixed, trace: heavy });
    expect(fifty.gpuHours).toBeLessThan(five.gpuHours);
    expect(fifty.sloAttainment).toBeLessThan(five.sloAttainment);
  });

  test('a change to a QueueAutoscaler prop shows up: the in-flight target', () => {
    const queueOnly = { targetQueuePerReplica: 1000 };
    const inFlight = (target: number) => withQueueAutoscaler({ ...queueOnly, capacityTrigger: { enabled: true, targetInFlightPerReplica: target } });
    const tight = Simulation.run({ manifests: inFlight(8), ...fixed, trace: heavy });
    const lax = Simulation.run({ manifests: inFlight(250), ...fixed, trace: heavy });
    expect(tight.name).toMatch(/^test-autoscaler-/);
    expect(lax.gpuHours).toBeLessThan(tight.gpuHours);
    expect(lax.sloAttainment).toBeLessThan(tight.sloAttainment);
  });

  test('a change to a QueueAutoscaler prop shows up: targetQueuePerReplica, with the in-flight trigger off', () => {
    const queueOnly = { capacityTrigger: { enabled: false } };
    const tight = Simulation.run({ manifests: withQueueAutoscaler({ ...queueOnly, targetQueuePerReplica: 2 }), ...fixed, trace: heavy });
    const lax = Simulation.run({ manifests: withQueueAutoscaler({ ...queueOnly, targetQueuePerReplica: 50 }), ...fixed, trace: heavy });
    expect(lax.gpuHours).toBeLessThan(tight.gpuHours);
    expect(lax.sloAttainment).toBeLessThan(tight.sloAttainment);
  });

  test('a plain HorizontalPodAutoscaler is replayed too', () => {
    const result = Simulation.run({
      manifests: testManifests({
        server: { maxNumSeqs: 8 },
        autoscaler: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'waiting' },
          spec: { minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Pods', pods: { metric: { name: 'vllm:num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '5' } } }] },
        },
      }),
      ...fixed,
    });
    expect(result.name).toBe('waiting');
    expect(result.maxReplicas).toBe(4);
  });

  test('errors name the problem', () => {
    const own = testManifests();
    const twice = [...own, { ...own.find((m) => m.kind === 'ScaledObject'), metadata: { name: 'second', namespace: 'inference' } }];
    expect(() => Simulation.run({ manifests: twice, ...fixed }))
      .toThrow(/expected at most one ScaledObject or HorizontalPodAutoscaler with scaleTargetRef '.*', found 2 ScaledObject\(s\) and 0/);
    expect(() => Simulation.run({ manifests: testManifests(), trace, sloTtftSeconds: 0 })).toThrow('Simulation: sloTtftSeconds (0) must be > 0');
  });

  test('the optimistic reference is computed when not given', () => {
    const small = Trace.uniform({ requestsPerSecond: 10, durationSeconds: 120, promptTokens: 500, outputTokens: 100 });
    const result = Simulation.run({ manifests: testManifests(), trace: small });
    expect(result.optimisticGpuHours).toBeCloseTo(2 / 60, 9); // one replica for each of the 2 minutes
    expect(Simulation.optimisticGpuHours(testManifests(), small)).toBeCloseTo(2 / 60, 9);
  });
});
