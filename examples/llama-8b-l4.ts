import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, QueueAutoscaler, VllmService, WarmFloor } from 'cdk8s-vllm';

/**
 * Development: Llama 3.1 8B on one L4, downloading its weights from the hub at start with a token from
 * the Secret `hf-token`. The 128k context does not fit the L4's KV cache, so the served context is derived
 * from the sizing. One replica stays warm; the queue adds a second one under load.
 */
export function llama8bOnL4(app: App): Chart {
  const chart = new Chart(app, 'llama-8b-l4', { namespace: 'dev-inference' });
  const token = kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token');
  const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', {
    parametersBillions: 8,
    token: { secret: token, key: 'token' },
  });
  const server = new VllmService(chart, 'server', { model, gpu: Gpu.L4 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
    server,
    maxReplicas: 2,
    prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
  });
  WarmFloor.development(chart, 'floor', { autoscaler });
  return chart;
}
