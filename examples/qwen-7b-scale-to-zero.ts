import { App, Chart } from 'cdk8s';
import { Gpu, Model, ModelCache, QueueAutoscaler, VllmService, WarmFloor } from 'cdk8s-vllm';

/**
 * Cost: Qwen 2.5 7B on one A10G that scales to zero when idle. Requests go through the KEDA HTTP add-on's
 * interceptor, which holds them while the first replica starts (about 45 s from the cache).
 */
export function qwen7bScaleToZero(app: App): Chart {
  const chart = new Chart(app, 'qwen-7b-scale-to-zero', { namespace: 'batch-inference' });
  const model = Model.huggingFace('Qwen/Qwen2.5-7B-Instruct', { parametersBillions: 7.6 });
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
  const server = new VllmService(chart, 'server', { model, cache, gpu: Gpu.A10G });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
    server,
    maxReplicas: 4,
    prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
  });
  WarmFloor.cost(chart, 'floor', { autoscaler, scaleToZero: { hosts: ['qwen.batch.example.com'] } });
  return chart;
}
