import { App, Chart } from 'cdk8s';
import { Gpu, Model, ModelCache, VllmService } from 'cdk8s-vllm';

const app = new App();
const chart = new Chart(app, 'llama', { namespace: 'inference' });
const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
new VllmService(chart, 'server', { model, cache, gpu: Gpu.H100_80GB, gpuCount: 4 });
app.synth();
