import { Chart, Testing } from 'cdk8s';
import { Gpu, Model, QueueAutoscaler, VllmService } from '../../../src';
import { Benchmark, Trace } from '../../../src/simulation';
import { defaultTriggerNames } from '../../util';

describe('Benchmark', () => {
  const small = { model: Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }), gpu: Gpu.H100, gpuCount: 1 };

  test('runs every policy and static under one floor and ceiling, against the clairvoyant and optimistic references', () => {
    const trace = Trace.uniform({ requestsPerSecond: 5, durationSeconds: 120, promptTokens: 500, outputTokens: 100 });
    const result = Benchmark.run({ trace, deployment: small, maxReplicas: 3 });
    const names = result.policies.map((p) => p.name);
    expect(names.filter((n) => !n.endsWith('(as shipped)'))).toEqual(Benchmark.policyNames());
    expect(names).toContain('static');
    // Same ceiling for every row except those marked as shipped.
    for (const p of result.policies.filter((row) => !row.name.endsWith('(as shipped)'))) {
      expect(Math.max(...p.results.map((r) => r.maxReplicas))).toBeLessThanOrEqual(3);
      expect(p.source.length).toBeGreaterThan(0);
    }
    expect(result.setup).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct', gpuCount: 1, maxReplicas: 3, minReplicas: 1, start: 'warm', seeds: [1] });
    expect(result.sloTarget).toBe(0.99);
    expect(result.clairvoyant.reachesTarget).toBe(true);
    expect(result.clairvoyant.sloAttainment.mean).toBeGreaterThanOrEqual(0.99);
    expect(result.optimisticGpuHours).toBeGreaterThan(0);
    expect(result.trace).toEqual({ file: trace.name, requests: 600, durationSeconds: 120, rateScale: 1 });
    expect(result.sustainableRequestsPerSecond).toBeGreaterThan(5);
  });

  test('seeds: each seed redraws the trace; the row reports the mean and range', () => {
    const trace = Trace.uniform({ requestsPerSecond: 5, durationSeconds: 120, promptTokens: 500, outputTokens: 100 }).scaleRate(1.5);
    const result = Benchmark.run({ trace, deployment: small, policies: ['default'], seeds: 3, maxReplicas: 2 });
    const row = result.policies[0];
    expect(row.results).toHaveLength(3);
    // Each seed draws a different number of copies (1.5x: one extra copy with probability one half).
    expect(new Set(row.results.map((r) => r.requests)).size).toBeGreaterThan(1);
    const attainments = row.results.map((r) => r.sloAttainment);
    expect(row.sloAttainment.mean).toBeCloseTo(attainments.reduce((a, b) => a + b, 0) / 3, 12);
    expect(row.sloAttainment.min).toBe(Math.min(...attainments));
    expect(row.sloAttainment.max).toBe(Math.max(...attainments));
    expect(result.setup.seeds).toEqual([1, 2, 3]);
  });

  test('your own chart is the default row; a bad ceiling is refused', () => {
    const trace = Trace.uniform({ requestsPerSecond: 5, durationSeconds: 120, promptTokens: 500, outputTokens: 100 });
    const manifests = Benchmark.exampleManifests(small);
    const result = Benchmark.run({ trace, manifests, policies: ['default'] });
    expect(result.setup.maxReplicas).toBe(8);
    expect(() => Benchmark.run({ trace, manifests, maxReplicas: 0 })).toThrow("Benchmark: maxReplicas (0) must be a whole number >= the default policy's floor (1)");
    expect(() => Benchmark.run({ trace, manifests, policies: ['magic'] })).toThrow(/Benchmark: unknown policy 'magic'/);
  });

  test('the example manifests are the README quick start with the default autoscaler', () => {
    const manifests = Benchmark.exampleManifests();
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.annotations?.['vllm.cdk8s.io/model']);
    expect(deployment.metadata.annotations['vllm.cdk8s.io/model']).toBe('meta-llama/Llama-3.1-70B-Instruct');
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    // The library's QueueAutoscaler with its defaults, at most 8 replicas, no WarmFloor.
    const scaledObjects = manifests.filter((m) => m.kind === 'ScaledObject');
    expect(scaledObjects).toHaveLength(1);
    expect(scaledObjects[0].spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 8 });
    expect(scaledObjects[0].spec.triggers.map((t: any) => t.name)).toEqual(defaultTriggerNames());
  });
});

test('a chart of two autoscaled servers is benchmarked for the one named, as simulate does', () => {
  const chart = new Chart(Testing.app(), 'two', { namespace: 'inference' });
  const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 });
  const prometheusAddress = 'http://prometheus.monitoring:9090';
  const servers = ['a', 'b'].map((id) => new VllmService(chart, id, { model, gpu: Gpu.H100 }));
  servers.forEach((server, i) => new QueueAutoscaler(chart, `scaler-${i}`, { server, maxReplicas: 2 + i, prometheusAddress }));
  const manifests = Testing.synth(chart);
  const trace = Trace.uniform({ requestsPerSecond: 2, durationSeconds: 60, promptTokens: 500, outputTokens: 50 });
  const result = Benchmark.run({ trace, manifests, deploymentName: servers[1].deployment.name, policies: ['default'] });
  expect(result.policies[0].description).toContain(servers[1].deployment.name);
  expect(result.setup.maxReplicas).toBe(3);
});
