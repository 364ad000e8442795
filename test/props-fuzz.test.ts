import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import fc from 'fast-check';
import { Gpu, Model, ModelCache, Precision, QueueAutoscaler, ServingAlerts, VllmService, WarmFloor } from '../src';
import { ValidationError } from '../src/errors';
import { expectValidManifests } from './schema/validate';
import { testChart } from './util';

// Mostly plausible values, with every boundary the constructs check and values beyond it.
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const count = (max: number) => mostly(fc.integer({ min: 1, max }), fc.constantFrom(-1, 0, 0.5, NaN, Infinity, 1000));
const seconds = mostly(fc.integer({ min: 0, max: 600 }), fc.constantFrom(0.5, 4000));

const scenario = fc.record({
  modelId: mostly(fc.constantFrom('meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.1-70B-Instruct', 'org/custom-model'), fc.constant('not a model')),
  parametersBillions: mostly(fc.constantFrom(1, 3, 7, 8, 13, 70), fc.constantFrom(-1, 0, NaN, 500)),
  precision: fc.constantFrom(...Object.values(Precision)),
  revision: optional(mostly(fc.constantFrom('main', 'v1.0', 'abc123'), fc.constantFrom('../etc', ''))),
  gpu: fc.constantFrom(...Gpu.presets()),
  gpuCount: optional(count(8)),
  tensorParallelSize: optional(count(8)),
  gpuMemoryUtilization: optional(mostly(fc.double({ min: 0.5, max: 0.95, noNaN: true }), fc.constantFrom(-0.1, 0, 1.5, NaN))),
  maxModelLen: optional(mostly(fc.integer({ min: 512, max: 32_768 }), fc.constantFrom(-1, 0, 300_000))),
  maxNumSeqs: optional(count(512)),
  replicas: optional(mostly(fc.integer({ min: 0, max: 8 }), fc.constantFrom(-1, 0.5))),
  preStop: optional(seconds),
  shutdown: optional(seconds),
  grace: optional(seconds),
  scrape: optional(mostly(fc.constantFrom(5, 15, 30), fc.constantFrom(0, 0.5))),
  cache: fc.boolean(),
  cacheSizeGi: optional(mostly(fc.integer({ min: 200, max: 2000 }), fc.constantFrom(0, 1))),
  existingClaim: optional(mostly(fc.constant('weights'), fc.constant('Bad_Name'))),
  cacheNamespace: optional(fc.constantFrom('inference', 'models')),
  cacheAccessMode: optional(fc.constantFrom(...Object.values(kplus.PersistentVolumeAccessMode))),
  autoscale: fc.boolean(),
  maxReplicas: mostly(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, -1, 2.5)),
  target: optional(mostly(fc.double({ min: 0.5, max: 20, noNaN: true }), fc.constantFrom(0, -1, NaN))),
  kvThreshold: optional(mostly(fc.double({ min: 0.1, max: 1, noNaN: true }), fc.constantFrom(0, 1.5))),
  floor: optional(mostly(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 20))),
  scaleToZero: fc.boolean(),
  schedule: optional(mostly(
    fc.record({ timezone: fc.constantFrom('Europe/Paris', 'UTC'), start: fc.constant('30 13 * * 1-5'), end: fc.constant('0 22 * * 1-5'), replicas: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ timezone: fc.constantFrom('Mars/Base'), start: fc.constant('61 * * * *'), end: fc.constant('0 22 * * 1-5'), replicas: fc.constant(0) }))),
  alerts: fc.boolean(),
});

test('random props either synthesize schema-valid manifests or throw a ValidationError', () => {
  const synthesized: any[] = [];
  let refused = 0;
  fc.assert(fc.property(scenario, (s) => {
    try {
      const chart = testChart();
      const model = Model.huggingFace(s.modelId, { parametersBillions: s.parametersBillions, precision: s.precision, revision: s.revision });
      const cache = s.cache
        ? new ModelCache(chart, 'weights', {
          model,
          existingClaimName: s.existingClaim,
          namespace: s.cacheNamespace,
          accessMode: s.existingClaim ? undefined : s.cacheAccessMode,
          size: s.cacheSizeGi === undefined || s.existingClaim ? undefined : Size.gibibytes(s.cacheSizeGi),
        })
        : undefined;
      const server = new VllmService(chart, 'server', {
        model,
        cache,
        gpu: s.gpu,
        gpuCount: s.gpuCount,
        tensorParallelSize: s.tensorParallelSize,
        gpuMemoryUtilization: s.gpuMemoryUtilization,
        maxModelLen: s.maxModelLen,
        maxNumSeqs: s.maxNumSeqs,
        replicas: s.replicas,
        scrapeInterval: s.scrape === undefined ? undefined : Duration.millis(s.scrape * 1000),
        drain: {
          preStopPause: s.preStop === undefined ? undefined : Duration.millis(s.preStop * 1000),
          shutdownTimeout: s.shutdown === undefined ? undefined : Duration.millis(s.shutdown * 1000),
          terminationGracePeriod: s.grace === undefined ? undefined : Duration.millis(s.grace * 1000),
        },
      });
      if (s.autoscale) {
        const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
          server,
          maxReplicas: s.maxReplicas,
          prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
          targetQueuePerReplica: s.target,
          kvCacheTrigger: s.kvThreshold === undefined ? undefined : { threshold: s.kvThreshold },
        });
        if (s.floor !== undefined) {
          new WarmFloor(chart, 'floor', {
            autoscaler,
            replicas: s.floor,
            scaleToZero: s.scaleToZero ? {} : undefined,
            schedules: s.schedule ? [s.schedule] : undefined,
          });
        }
        if (s.alerts) new ServingAlerts(chart, 'alerts', { server, autoscaler });
      }
      synthesized.push(...Testing.synth(chart));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      refused++;
    }
  }), { numRuns: 1000, seed: 20261122 });
  // Both outcomes occur, and everything emitted is valid against the upstream schemas (one batch).
  expect(refused).toBeGreaterThan(0);
  const kinds = new Set(synthesized.map((o) => o.kind));
  for (const kind of ['Deployment', 'Job', 'ScaledObject', 'HTTPScaledObject', 'PrometheusRule']) expect(kinds).toContain(kind);
  expectValidManifests(synthesized);
});
