import { Chart, Duration, Testing } from 'cdk8s';
import { Gpu, Model, ModelCache, VllmService } from '../../../src';
import { dataParallel, manifestsOfKind, parseDurationSeconds, readServer } from '../../../src/simulation/cluster/manifests';
import { smallModel, testManifests } from '../helpers';

describe('readServer', () => {
  test('reads the 70B-on-4xH100 example as VllmService synthesized it', () => {
    const chart = new Chart(Testing.app(), 'llama', { namespace: 'inference' });
    const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
    const cache = new ModelCache(chart, 'weights', { model });
    const server = new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100, gpuCount: 4 });
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
    expect(spec.gpu).toBe(Gpu.H100);
    // KV capacity from the library's Sizing: the same figure the construct uses for --max-model-len.
    expect(spec.engine.kvCapacityTokens).toBe(server.sizing.kvCacheTokens);
    // Each GPU streams a quarter of 140 GB of weights at 3.35 TB/s x 0.89 (the fitted bandwidth efficiency).
    expect(spec.engine.weightSecondsPerStep).toBeCloseTo(35e9 / (3.35e12 * 0.89), 12);
    // 80 layers of 37 us of fixed GPU time; attention over 64 heads x 128, a quarter per GPU, at 989 TFLOP/s x 0.71.
    expect(spec.engine.stepOverheadSeconds).toBeCloseTo(80 * 37e-6, 12);
    expect(spec.engine.attentionSecondsPerPair).toBeCloseTo((4 * 80 * 64 * 128) / 4 / (989e12 * 0.71), 20);
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

describe('readServer: custom GPUs, custom architectures and charts with several servers', () => {
  test('a Gpu.custom is replayed with its own figures, and a server is picked by its construct path', () => {
    // GIVEN a chart with two servers, one on a custom GPU with a custom architecture
    const app = Testing.app();
    const chart = new Chart(app, 'two', { namespace: 'inference' });
    const gpu = Gpu.custom({ name: 'MI300X', productLabel: 'AMD-Instinct-MI300X', memoryMib: 196_608, memoryBandwidthTbps: 5.3, bf16Tflops: 1307 });
    const model = Model.huggingFace('acme/house-model-8b', {
      parametersBillions: 8, architecture: { layers: 32, kvHeads: 8, headDim: 128, contextLength: 32_768 },
    });
    new VllmService(chart, 'custom', { model, gpu, gpuCount: 1 });
    new VllmService(chart, 'stock', { model: smallModel(), gpu: Gpu.H100, gpuCount: 1 });
    const manifests = Testing.synth(chart);
    // WHEN the server is picked by construct path
    const custom = readServer(manifests, 'two/custom');
    // THEN its GPU and architecture come from the Deployment's annotations
    expect(custom.gpu).toMatchObject({ name: 'MI300X', memoryMib: 196_608, memoryBandwidthTbps: 5.3, bf16Tflops: 1307 });
    expect(custom.model.kvBytesPerToken).toBe(2 * 32 * 8 * 128 * 2);
    expect(readServer(manifests, 'two/stock').gpu).toBe(Gpu.H100);
    expect(() => readServer(manifests)).toThrow(/expected exactly one Deployment running 'vllm serve', found 2/);
    expect(() => readServer(manifests, 'two/none')).toThrow(/named \(or at construct path\) 'two\/none'/);
  });
});

describe('readServer with data parallelism', () => {
  test('a pod of two data-parallel ranks runs twice --max-num-seqs and twice the KV cache, at the step cost of one rank', () => {
    const manifests = (gpuCount: number) => testManifests({ server: { gpuCount, tensorParallelSize: 1, maxNumSeqs: 64 } });
    const one = readServer(manifests(1));
    const two = readServer(manifests(2));
    expect(two.dataParallelSize).toBe(2);
    expect(two.maxNumSeqs).toBe(64);
    expect(two.engine.maxNumSeqs).toBe(128);
    expect(two.engine.kvCapacityTokens).toBe(2 * one.engine.kvCapacityTokens);
    expect(two.engine.maxModelLen).toBe(one.engine.maxModelLen);
    expect(two.engine.weightSecondsPerStep).toBe(one.engine.weightSecondsPerStep);
    expect(two.engine.kvSecondsPerToken).toBeCloseTo(one.engine.kvSecondsPerToken / 2, 15);
    expect(dataParallel(one.engine, 1)).toBe(one.engine);
  });

  test('any Gpu.custom the library accepts is read back: figures JavaScript prints with an exponent too', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'odd', { namespace: 'inference' });
    const gpu = Gpu.custom({ name: 'Future', productLabel: 'Future-GPU', memoryMib: 1e7, memoryBandwidthTbps: 1e-7, bf16Tflops: 1e21 });
    new VllmService(chart, 'server', { model: smallModel(), gpu, gpuCount: 1 });
    const manifests = Testing.synth(chart);
    expect(manifests.find((m) => m.kind === 'Deployment').metadata.annotations['vllm.cdk8s.io/gpu-spec']).toBe('10000000 MiB, 1e-7 TB/s, 1e+21 TFLOP/s');
    expect(readServer(manifests).gpu).toMatchObject({ memoryMib: 1e7, memoryBandwidthTbps: 1e-7, bf16Tflops: 1e21 });
  });
});
