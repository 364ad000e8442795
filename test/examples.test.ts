import { llama70bOnH100 } from '../examples/llama-70b-h100';
import { llama8bOnL4 } from '../examples/llama-8b-l4';
import { expectValidManifests } from './schema/validate';
import { argValue, container, findOne, synthApp } from './util';

describe('example: Llama 3.1 8B on one L4', () => {
  const manifests = synthApp(llama8bOnL4);
  const deployment = findOne(manifests, 'Deployment');
  const vllm = container(deployment, 'vllm');

  test('one L4, a context that fits its KV cache, weights from the hub with a Secret token', () => {
    expect(vllm.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-L4' });
    expect(argValue(vllm.args, '--max-model-len')).toBe('26112');
    expect(argValue(vllm.args, '--revision')).toBe('main');
    expect(vllm.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } });
  });

  test('drain timings and probes', () => {
    expect(vllm.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    expect(argValue(vllm.args, '--shutdown-timeout')).toBe('120');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(140);
    // 8B from the hub: 16 GB at 100 MB/s + 30 s = 190 s; the window is twice that.
    expect(vllm.startupProbe.failureThreshold * vllm.startupProbe.periodSeconds).toBe(380);
  });

  test('schema-valid and unchanged', () => {
    expectValidManifests(manifests);
    expect(manifests).toMatchSnapshot();
  });
});

describe('example: Llama 3.1 70B on four H100s with a cache', () => {
  const manifests = synthApp(llama70bOnH100);
  const deployment = findOne(manifests, 'Deployment');
  const vllm = container(deployment, 'vllm');

  test('four H100s, tensor parallel 4, served from the cache read-only', () => {
    expect(vllm.resources.limits['nvidia.com/gpu']).toBe(4);
    expect(argValue(vllm.args, '--tensor-parallel-size')).toBe('4');
    expect(argValue(vllm.args, '--model')).toBe('/models/meta-llama/Llama-3.1-70B-Instruct/1605565b47bb9346c5515c34102e054115b4f98b');
    expect(argValue(vllm.args, '--max-model-len')).toBe('32768');
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/models', name: 'weights', readOnly: true });
    expect(deployment.spec.template.spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-weights']);
  });

  test('a longer drain for long generations', () => {
    expect(argValue(vllm.args, '--shutdown-timeout')).toBe('180');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(200);
  });

  test('claim and populate Job ordered before the Deployment', () => {
    const kinds = manifests.map((o) => o.kind);
    expect(kinds.indexOf('PersistentVolumeClaim')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(kinds.indexOf('Job')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  test('the ServiceMonitor carries the Prometheus release label', () => {
    expect(findOne(manifests, 'ServiceMonitor').metadata.labels.release).toBe('kube-prometheus-stack');
  });

  test('schema-valid and unchanged', () => {
    expectValidManifests(manifests);
    expect(manifests).toMatchSnapshot();
  });
});
