import { ClusterView, HpaAutoscaler, parseQuantity, podMetric } from '../../src/simulation/autoscaler';

function hpa(metrics: any[], spec: any = {}): HpaAutoscaler {
  return new HpaAutoscaler({ kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { minReplicas: 1, maxReplicas: 10, metrics, ...spec } });
}

function view(samples: { cpu: number; gpu: number; waiting: number }[], notReady = 0): ClusterView {
  const scrape = samples.map((s) => ({
    'vllm:num_requests_waiting': s.waiting, 'vllm:num_requests_running': 0, 'vllm:kv_cache_usage_perc': 0, 'gpuUtilPercent': s.gpu, 'cpuUtilization': s.cpu,
  }));
  const pods = [...scrape.map((sample) => ({ ready: true, sample })), ...Array.from({ length: notReady }, () => ({ ready: false }))];
  return { now: 15, epoch: 0, replicas: pods.length, pods, readyPods: scrape.length, scrape, labels: { model_name: 'm', engine: '0' }, pendingAtService: 0 };
}

describe('HpaAutoscaler', () => {
  test('cpu Utilization: a GPU-bound server at 5% CPU never scales out', () => {
    const cpu = hpa([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(cpu.hpaSync(view([{ cpu: 0.05, gpu: 100, waiting: 50 }, { cpu: 0.06, gpu: 100, waiting: 50 }]))).toBe(1);
  });

  test('Pods metrics: GPU utilisation and vLLM gauges per pod', () => {
    const gpu = hpa([{ type: 'Pods', pods: { metric: { name: 'DCGM_FI_DEV_GPU_UTIL' }, target: { type: 'AverageValue', averageValue: '80' } } }]);
    expect(gpu.hpaSync(view([{ cpu: 0, gpu: 100, waiting: 0 }, { cpu: 0, gpu: 100, waiting: 0 }]))).toBe(3); // ratio 1.25 -> ceil(2.5)
    const waiting = hpa([{ type: 'Pods', pods: { metric: { name: 'vllm:num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '5' } } }]);
    // One pod not ready (no series): missing, counted as 0 on a scale-up: 20 / 2 pods / 5 = 2 -> 4.
    expect(waiting.hpaSync(view([{ cpu: 0, gpu: 0, waiting: 20 }], 1))).toBe(4);
  });

  test('External metrics sum the gauge over pods', () => {
    const external = hpa([{ type: 'External', external: { metric: { name: 'vllm:num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '10' } } }]);
    expect(external.hpaSync(view([{ cpu: 0, gpu: 0, waiting: 30 }, { cpu: 0, gpu: 0, waiting: 30 }]))).toBe(6);
  });

  test('quantities and errors', () => {
    expect(parseQuantity('500m', 'x')).toBe(0.5);
    expect(parseQuantity('2k', 'x')).toBe(2000);
    expect(() => parseQuantity('lots', 'target')).toThrow("target: 'lots' is not a number or Kubernetes quantity");
    expect(() => hpa([{ type: 'Pods', pods: { metric: { name: 'http_requests' }, target: { type: 'AverageValue', averageValue: '1' } } }]))
      .toThrow("HorizontalPodAutoscaler 'h' spec.metrics[0]: metric 'http_requests' is not modelled");
    expect(() => hpa([])).toThrow("HorizontalPodAutoscaler 'h': spec.metrics is empty");
    expect(podMetric(view([{ cpu: 0, gpu: 42, waiting: 0 }]).scrape[0], 'DCGM_FI_DEV_GPU_UTIL')).toBe(42);
  });
});
