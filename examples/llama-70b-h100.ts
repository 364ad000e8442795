import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, VllmService } from 'cdk8s-vllm';

/**
 * Production: Llama 3.1 70B on four H100s per replica, weights pinned to a revision and cached on a
 * ReadWriteMany claim filled once by a Job, scraped by a kube-prometheus-stack Prometheus.
 */
export function llama70bOnH100(app: App): Chart {
  const chart = new Chart(app, 'llama-70b-h100', { namespace: 'inference' });
  const token = kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token');
  const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', {
    parametersBillions: 70,
    revision: '1605565b47bb9346c5515c34102e054115b4f98b',
    token: { secret: token, key: 'token' },
  });
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
  new VllmService(chart, 'server', {
    model,
    cache,
    gpu: Gpu.H100_80GB,
    gpuCount: 4,
    maxModelLen: 32_768,
    drain: { shutdownTimeout: Duration.seconds(180) },
    monitoringLabels: { release: 'kube-prometheus-stack' },
  });
  return chart;
}
