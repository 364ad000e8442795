import { App, Chart } from 'cdk8s';
import { Gpu, Model, ModelCache, QueueAutoscaler, ServingAlerts, ServingDashboard, VllmService, WarmFloor } from 'cdk8s-vllm';

const app = new App();
const chart = new Chart(app, 'llama-autoscaled', { namespace: 'inference' });
const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
const server = new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100_80GB, gpuCount: 4 });
const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
  server,
  maxReplicas: 8,
  prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
});
new WarmFloor(chart, 'floor', { autoscaler, replicas: 2 });
const alerts = new ServingAlerts(chart, 'alerts', { server, autoscaler });
new ServingDashboard(chart, 'dashboard', { servers: [server], autoscalers: [autoscaler], alerts: [alerts] });
app.synth();
