import { argValue, container, defaultTriggerNames, findAll, findOne, synthApp } from './util';
import { llama70bOnH100 } from '../examples/llama-70b-h100';
import { llama8bOnL4 } from '../examples/llama-8b-l4';
import { qwen7bScaleToZero } from '../examples/qwen-7b-scale-to-zero';
import { SWEPT_DEFAULTS } from '../src/autoscaling-defaults';
import { checkRules, requirePromtool } from './promql/promtool';
import { expectValidManifests } from './schema/validate';

describe('example: Llama 3.1 8B on one L4', () => {
  const manifests = synthApp(llama8bOnL4);
  const deployment = findOne(manifests, 'Deployment');
  const vllm = container(deployment, 'vllm');

  test('one L4, a context that fits its KV cache, weights from the hub with a Secret token', () => {
    expect(vllm.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-L4' });
    expect(argValue(vllm.args, '--max-model-len')).toBe('23296');
    expect(argValue(vllm.args, '--revision')).toBe('main');
    expect(vllm.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } });
  });

  test('development profile: one warm replica, up to two on the queue', () => {
    const scaledObject = findOne(manifests, 'ScaledObject');
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(scaledObject.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 2 });
    expect(scaledObject.spec.triggers.map((t: any) => t.name)).toEqual(defaultTriggerNames());
  });

  test('drain timings and probes', () => {
    expect(vllm.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    expect(argValue(vllm.args, '--shutdown-timeout')).toBe('120');
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(140);
    // 8B from the hub: 16 GB at 100 MB/s; the window allows three times that, plus twice 30 s of engine start-up and 40 s of compile.
    expect(vllm.startupProbe.failureThreshold * vllm.startupProbe.periodSeconds).toBe(620);
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
    expect(vllm.args[0]).toBe('/models/meta-llama/Llama-3.1-70B-Instruct/1605565b47bb9346c5515c34102e054115b4f98b');
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

  test('the ServiceMonitor and PrometheusRule carry the Prometheus release label', () => {
    expect(findOne(manifests, 'ServiceMonitor').metadata.labels.release).toBe('kube-prometheus-stack');
    expect(findOne(manifests, 'PrometheusRule').metadata.labels.release).toBe('kube-prometheus-stack');
  });

  test('high-availability profile: 2 replicas spread over nodes, 4 for the weekday peak, up to 8 on the queue', () => {
    const scaledObject = findOne(manifests, 'ScaledObject');
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(deployment.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(scaledObject.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 8 });
    expect(scaledObject.spec.triggers.find((t: any) => t.type === 'cron').metadata)
      .toEqual({ timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', desiredReplicas: '4' });
    expect(findOne(manifests, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('the alert rules pass promtool', () => {
    if (!requirePromtool()) return;
    checkRules(findOne(manifests, 'PrometheusRule').spec.groups);
  });

  test('the dashboard ConfigMap for the Grafana sidecar, filed in its folder, with the alert thresholds', () => {
    const configMap = findOne(manifests, 'ConfigMap');
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Inference' });
    const dashboard = JSON.parse(Object.values(configMap.data)[0] as string);
    const queue = dashboard.panels.find((p: any) => p.title === 'Requests waiting per replica');
    // the autoscaler's default target and the VllmQueueBacklog threshold (2 x target)
    const target = SWEPT_DEFAULTS.targetQueuePerReplica;
    expect(queue.fieldConfig.defaults.thresholds.steps.map((s: any) => s.value)).toEqual([null, target, 2 * target]);
  });

  test('schema-valid and unchanged', () => {
    expectValidManifests(manifests);
    expect(manifests).toMatchSnapshot();
  });
});

describe('example: Qwen 2.5 7B on an A10G that scales to zero', () => {
  const manifests = synthApp(qwen7bScaleToZero);
  const scaledObject = findOne(manifests, 'ScaledObject');

  test('cost profile: floor 0, woken by the HTTP add-on, queue-scaled above', () => {
    expect(scaledObject.spec.minReplicaCount).toBe(0);
    expect(scaledObject.spec.triggers.map((t: any) => t.name)).toEqual([...defaultTriggerNames(), 'http-requests']);
    const route = findOne(manifests, 'InterceptorRoute');
    expect(route.spec.rules[0].hosts).toContain('qwen.batch.example.com');
    const push = scaledObject.spec.triggers.find((t: any) => t.type === 'external-push');
    expect(push.metadata.interceptorRoute).toBe(route.metadata.name);
    expect(findAll(manifests, 'Service').map((s) => s.spec.type).sort()).toEqual(['ClusterIP', 'ExternalName']);
  });

  test('schema-valid and unchanged', () => {
    expectValidManifests(manifests);
    expect(manifests).toMatchSnapshot();
  });
});
