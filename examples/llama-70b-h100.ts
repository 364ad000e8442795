import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, QueueAutoscaler, ServingAlerts, ServingDashboard, VllmService, WarmFloor } from 'cdk8s-vllm';

/**
 * Production: Llama 3.1 70B on four H100s per replica, weights pinned to a revision and cached on a
 * ReadWriteMany claim filled once by a Job; scaled on the queue between 2 (spread over nodes) and 8 replicas,
 * with 4 kept warm for the weekday afternoon peak; alerts for a kube-prometheus-stack Prometheus and the dashboard
 * its Grafana loads, filed in an 'Inference' folder.
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
  const server = new VllmService(chart, 'server', {
    model,
    cache,
    gpu: Gpu.H100,
    gpuCount: 4,
    maxModelLen: 32_768,
    drain: { shutdownTimeout: Duration.seconds(180) },
    monitoringLabels: { release: 'kube-prometheus-stack' },
  });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
    server,
    maxReplicas: 8,
    prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
  });
  WarmFloor.highAvailability(chart, 'floor', {
    autoscaler,
    schedules: [{ timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', replicas: 4 }],
  });
  const alerts = new ServingAlerts(chart, 'alerts', { server, autoscaler, ruleLabels: { release: 'kube-prometheus-stack' } });
  new ServingDashboard(chart, 'dashboard', { servers: [server], autoscalers: [autoscaler], alerts: [alerts], folder: 'Inference' });
  return chart;
}
