import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, MonitoringSelection, QueueAutoscaler, ServingAlerts, ServingDashboard, VllmService, WarmFloor } from 'cdk8s-vllm';

const app = new App();
const chart = new Chart(app, 'llama-autoscaled', { namespace: 'inference' });
new MonitoringSelection(chart, 'monitoring', { labels: { release: 'kube-prometheus-stack' } });
const token = { secret: kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token'), key: 'token' };
const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70, token });
const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
const server = new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100, gpuCount: 4, serviceName: 'llama' });
const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
  server,
  maxReplicas: 8,
  prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
});
new WarmFloor(chart, 'floor', { autoscaler, replicas: 2 });
const alerts = new ServingAlerts(chart, 'alerts', { server, autoscaler });
new ServingDashboard(chart, 'dashboard', { servers: [server], autoscalers: [autoscaler], alerts: [alerts] });
app.synth();
