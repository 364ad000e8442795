import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, MonitoringSelection, VllmService } from 'cdk8s-vllm';

const app = new App();
const chart = new Chart(app, 'llama', { namespace: 'inference' });
// Your Prometheus finds ServiceMonitors and PrometheusRules by these labels (kube-prometheus-stack: its Helm release).
new MonitoringSelection(chart, 'monitoring', { labels: { release: 'kube-prometheus-stack' } });
// Llama is gated: a token with access to it, in the Secret `hf-token` (key `token`) of the namespace.
const token = { secret: kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token'), key: 'token' };
const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70, token });
const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100, gpuCount: 4, serviceName: 'llama' });
app.synth();
