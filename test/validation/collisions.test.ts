import { Chart, Testing } from 'cdk8s';
import { Gpu, Model, ModelCache, QueueAutoscaler, VllmService, WarmFloor } from '../../src';
import { LLAMA_8B } from '../util';

// Names that must be unique across every chart of one app, found when the app (or any of its charts) is synthesized.
// GIVEN two owners of one name, WHEN synthesized, THEN one error naming both paths.

const PROM = 'http://prometheus-operated.monitoring.svc:9090';

function validationError(chart: Chart): string {
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the app to be refused');
}

const failed = (path: string, message: string) => `Validation failed with the following errors:\n  [${path}] ${message}`;

describe('Services with one name in one namespace', () => {
  test('two servers with one serviceName in one chart', () => {
    const chart = new Chart(Testing.app(), 'a', { namespace: 'inference' });
    new VllmService(chart, 'one', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    new VllmService(chart, 'two', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    expect(validationError(chart)).toBe(failed('a/two', "VllmService 'a/two': Service name ('llama') in namespace 'inference' is also a Service of VllmService 'a/one': "
      + 'two Services with one name in one namespace replace each other when applied; give one of them another name (serviceName)'));
  });

  test('across two charts of one app, and not across namespaces', () => {
    const app = Testing.app();
    const first = new Chart(app, 'first', { namespace: 'inference' });
    const second = new Chart(app, 'second', { namespace: 'inference' });
    const third = new Chart(app, 'third', { namespace: 'other' });
    new VllmService(first, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    new VllmService(third, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    expect(() => Testing.synth(third)).not.toThrow();
    new VllmService(second, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    expect(validationError(first)).toBe(failed('second/server', "VllmService 'second/server': Service name ('llama') in namespace 'inference' is also a Service of VllmService 'first/server': "
      + 'two Services with one name in one namespace replace each other when applied; give one of them another name (serviceName)'));
  });

  test("a server's serviceName equal to the scale-to-zero Service's", () => {
    const chart = new Chart(Testing.app(), 'a', { namespace: 'inference' });
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'llama' });
    const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 4, prometheusAddress: PROM });
    new WarmFloor(chart, 'floor', { autoscaler, replicas: 0, scaleToZero: { hosts: ['llama.example.com'], serviceName: 'llama' } });
    expect(validationError(chart)).toBe(failed('a/floor', "WarmFloor 'a/floor': Service name ('llama') in namespace 'inference' is also a Service of VllmService 'a/server': "
      + 'two Services with one name in one namespace replace each other when applied; give one of them another name (serviceName)'));
  });

  test("a Service named 'kubernetes' in 'default'", () => {
    const chart = new Chart(Testing.app(), 'a', { namespace: 'default' });
    new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'kubernetes' });
    expect(validationError(chart)).toBe(failed('a/server', "VllmService 'a/server': Service name ('kubernetes') in namespace 'default' is the API server's own Service: "
      + 'applying it would break every client in the cluster; choose another name or namespace'));
    const elsewhere = new Chart(Testing.app(), 'b', { namespace: 'inference' });
    new VllmService(elsewhere, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName: 'kubernetes' });
    expect(() => Testing.synth(elsewhere)).not.toThrow();
  });
});

describe('cache directories on a shared claim', () => {
  const model = (revision: string) => Model.huggingFace('org/m', { parametersBillions: 1, revision });

  test('two revisions that map to one directory', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'inference' });
    const b = new Chart(app, 'b', { namespace: 'inference' });
    new ModelCache(a, 'cache', { model: model('release/v1'), existingClaimName: 'weights' });
    new ModelCache(b, 'cache', { model: model('release_v1'), existingClaimName: 'weights' });
    expect(validationError(a)).toBe(failed('b/cache', "ModelCache 'b/cache': cache directory ('/models/org/m/release_v1') on claim 'weights' in namespace 'inference' holds org/m@release_v1, "
      + "and ModelCache 'a/cache' downloads org/m@release/v1 to the same directory: the revisions would overwrite each other; give them different claims"));
  });

  test('one revision twice, or two revisions on new claims, pass', () => {
    const chart = new Chart(Testing.app(), 'a', { namespace: 'inference' });
    new ModelCache(chart, 'one', { model: model('release/v1'), existingClaimName: 'weights' });
    new ModelCache(chart, 'two', { model: model('release/v1'), existingClaimName: 'weights' });
    new ModelCache(chart, 'three', { model: model('release/v1') });
    new ModelCache(chart, 'four', { model: model('release_v1') });
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});
