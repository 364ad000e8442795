import { Gpu, Model } from '../../src';
import { Benchmark, Trace } from '../../src/simulation';

describe('Benchmark', () => {
  test('runs every policy on the same trace against one lower bound', () => {
    const trace = Trace.uniform({ requestsPerSecond: 5, durationSeconds: 120, promptTokens: 500, outputTokens: 100 });
    const result = Benchmark.run({
      trace,
      deployment: { model: Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }), gpu: Gpu.H100_80GB, gpuCount: 1 },
    });
    expect(result.policies.map((p) => p.name)).toEqual(Benchmark.policyNames());
    expect(new Set(result.policies.map((p) => p.lowerBoundGpuHours))).toEqual(new Set([result.lowerBoundGpuHours]));
    expect(result.trace).toEqual({ file: trace.name, requests: 600, durationSeconds: 120, rateScale: 1 });
    expect(result.sustainableRequestsPerSecond).toBeGreaterThan(5);
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
    expect(scaledObjects[0].spec.triggers.map((t: any) => t.name)).toEqual(['queue']);
  });
});
