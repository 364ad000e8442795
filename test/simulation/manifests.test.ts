import { Chart, Duration, Testing } from 'cdk8s';
import { testManifests } from './helpers';
import { Gpu, Model, ModelCache, VllmService } from '../../src';
import { manifestsOfKind, parseDurationSeconds, readServer } from '../../src/simulation/manifests';

describe('readServer', () => {
  test('reads the 70B-on-4xH100 example as VllmService synthesized it', () => {
    const chart = new Chart(Testing.app(), 'llama', { namespace: 'inference' });
    const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
    const cache = new ModelCache(chart, 'weights', { model });
    const server = new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100_80GB, gpuCount: 4 });
    const spec = readServer(Testing.synth(chart));
    expect(spec).toMatchObject({
      deploymentName: server.deployment.name,
      namespace: 'inference',
      serviceName: server.serviceName,
      servedModelName: 'meta-llama/Llama-3.1-70B-Instruct',
      gpuCount: 4,
      tensorParallelSize: 4,
      maxNumSeqs: server.maxNumSeqs,
      maxNumBatchedTokens: server.maxNumBatchedTokens,
      maxModelLen: server.maxModelLen,
      coldStartSeconds: server.coldStart.totalSeconds,
      preStopSeconds: 10,
      shutdownTimeoutSeconds: 120,
      terminationGraceSeconds: server.terminationGracePeriod.toSeconds(),
      scrapeIntervalSeconds: 15,
    });
    expect(spec.gpu).toBe(Gpu.H100_80GB);
    // KV capacity from the library's Sizing: the same figure the construct uses for --max-model-len.
    expect(spec.engine.kvCapacityTokens).toBe(server.sizing.kvCacheTokens);
    // Each GPU streams a quarter of 140 GB of weights at 3.35 TB/s x 0.8.
    expect(spec.engine.weightSecondsPerStep).toBeCloseTo(35e9 / 2.68e12, 12);
    expect(spec.engine.parallelFactor).toBeCloseTo(1.09, 12);
  });

  test('the ServiceMonitor interval and the drain settings come from the manifests', () => {
    const spec = readServer(testManifests({
      server: { scrapeInterval: Duration.seconds(30), drain: { preStopPause: Duration.seconds(5), shutdownTimeout: Duration.seconds(60) } },
    }));
    expect(spec.scrapeIntervalSeconds).toBe(30);
    expect(spec.preStopSeconds).toBe(5);
    expect(spec.shutdownTimeoutSeconds).toBe(60);
    expect(spec.terminationGraceSeconds).toBe(75);
  });

  test('errors name what is missing', () => {
    const manifests = testManifests();
    const deployment = manifestsOfKind(manifests, 'Deployment')[0];
    const withoutAnnotation = JSON.parse(JSON.stringify(manifests));
    delete manifestsOfKind(withoutAnnotation, 'Deployment')[0].metadata.annotations['vllm.cdk8s.io/cold-start-seconds'];
    expect(() => readServer(withoutAnnotation)).toThrow(`Deployment '${deployment.metadata.name}': annotation 'vllm.cdk8s.io/cold-start-seconds' is missing`);
    expect(() => readServer([])).toThrow("Manifests: expected exactly one Deployment running 'vllm serve', found 0");
    expect(() => readServer(manifests.filter((m) => m.kind !== 'ServiceMonitor'))).toThrow('no ServiceMonitor selects Deployment');
  });

  test('durations', () => {
    expect(parseDurationSeconds('15s', 'x')).toBe(15);
    expect(parseDurationSeconds('1m30s', 'x')).toBe(90);
    expect(parseDurationSeconds('500ms', 'x')).toBe(0.5);
    expect(() => parseDurationSeconds('soon', 'ServiceMonitor interval')).toThrow("ServiceMonitor interval: 'soon' is not a duration like '15s' or '1m'");
  });
});
