import { adapterMetricName, ClusterView, FixedAutoscaler, HpaAutoscaler, parseQuantity, podMetric } from '../../../src/simulation/control/autoscaler';

function hpa(metrics: any[], spec: any = {}): HpaAutoscaler {
  return new HpaAutoscaler({ kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { minReplicas: 1, maxReplicas: 10, metrics, ...spec } });
}

function view(samples: { cpu: number; gpu: number; waiting: number }[], notReady = 0): ClusterView {
  const scrape = samples.map((s) => ({
    'vllm:num_requests_waiting': s.waiting,
    'vllm:num_requests_running': 0,
    'vllm:kv_cache_usage_perc': 0,
    'vllm:prompt_tokens_total': 0,
    'vllm:generation_tokens_total': 0,
    'vllm:request_success_total': 0,
    'gpuUtilPercent': s.gpu,
    'cpuUtilization': s.cpu,
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
    const metric = [{ type: 'External', external: { metric: { name: 'vllm:num_requests_waiting' }, target: { type: 'AverageValue', averageValue: '10' } } }];
    // 60 waiting / 10 = 6 wanted. With behavior {} (defaults: max(+100%, +4 pods) per 15 s from 2 = 6) it gets 6.
    expect(hpa(metric, { behavior: {} }).hpaSync(view([{ cpu: 0, gpu: 0, waiting: 30 }, { cpu: 0, gpu: 0, waiting: 30 }]))).toBe(6);
    // Without behavior the legacy path caps a sync at max(2 x 2, 4) = 4.
    expect(hpa(metric).hpaSync(view([{ cpu: 0, gpu: 0, waiting: 30 }, { cpu: 0, gpu: 0, waiting: 30 }]))).toBe(4);
  });

  test('no metrics: the API server default, cpu at 80%', () => {
    // 2 pods at 100% CPU: ratio 100 / 80 = 1.25 -> ceil(1.25 x 2) = 3.
    expect(hpa([]).hpaSync(view([{ cpu: 1, gpu: 0, waiting: 0 }, { cpu: 1, gpu: 0, waiting: 0 }]))).toBe(3);
  });

  test('a Managed Prometheus adapter name reads the vLLM series behind it', () => {
    expect(adapterMetricName('prometheus.googleapis.com|vllm:num_requests_waiting|gauge')).toBe('vllm:num_requests_waiting');
    expect(adapterMetricName('vllm:num_requests_waiting')).toBe('vllm:num_requests_waiting');
    const gke = hpa([{ type: 'Pods', pods: { metric: { name: 'prometheus.googleapis.com|vllm:num_requests_waiting|gauge' }, target: { type: 'AverageValue', averageValue: '10' } } }]);
    // 2 pods, 25 waiting each: 25 / 10 = 2.5 -> ceil(2.5 x 2) = 5, inside the legacy cap max(4, 4) = 4 -> 4.
    expect(gke.hpaSync(view([{ cpu: 0, gpu: 0, waiting: 25 }, { cpu: 0, gpu: 0, waiting: 25 }]))).toBe(4);
  });

  test('a Deployment nothing scales keeps its replicas', () => {
    const fixed = new FixedAutoscaler(3);
    expect([fixed.initialReplicas, fixed.maxReplicas]).toEqual([3, 3]);
    expect([fixed.poll(), fixed.hpaSync(), fixed.push()]).toEqual([undefined, undefined, undefined]);
    expect(() => new FixedAutoscaler(-1)).toThrow('Deployment: spec.replicas (-1) must be a whole number from 0 to 1000, the most replicas one replay models');
  });

  test('quantities and errors', () => {
    expect(parseQuantity('500m', 'x')).toBe(0.5);
    expect(parseQuantity('2k', 'x')).toBe(2000);
    expect(() => parseQuantity('lots', 'target')).toThrow("target: 'lots' is not a number or Kubernetes quantity");
    expect(() => hpa([{ type: 'Pods', pods: { metric: { name: 'http_requests' }, target: { type: 'AverageValue', averageValue: '1' } } }]))
      .toThrow("HorizontalPodAutoscaler 'h' spec.metrics[0]: metric 'http_requests' is not modelled");
    // Counters are scraped, but a per-pod HPA metric reads a gauge (a counter's value alone is no load).
    expect(() => hpa([{ type: 'Pods', pods: { metric: { name: 'vllm:generation_tokens_total' }, target: { type: 'AverageValue', averageValue: '1' } } }]))
      .toThrow("metric 'vllm:generation_tokens_total' is not modelled; use one of DCGM_FI_DEV_GPU_UTIL, vllm:num_requests_waiting, "
        + 'vllm:num_requests_running, vllm:kv_cache_usage_perc');
    expect(podMetric(view([{ cpu: 0, gpu: 42, waiting: 0 }]).scrape[0], 'DCGM_FI_DEV_GPU_UTIL')).toBe(42);
  });
});
