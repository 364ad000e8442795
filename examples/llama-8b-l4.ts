import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, VllmService } from 'cdk8s-vllm';

/**
 * A development server: Llama 3.1 8B on one L4, downloading its weights from the hub at start
 * with a token from the Secret `hf-token`. The 128k context does not fit the L4's KV cache,
 * so the served context is derived from the sizing.
 */
export function llama8bOnL4(app: App): Chart {
  const chart = new Chart(app, 'llama-8b-l4', { namespace: 'dev-inference' });
  const token = kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token');
  const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', {
    parametersBillions: 8,
    token: { secret: token, key: 'token' },
  });
  new VllmService(chart, 'server', { model, gpu: Gpu.L4 });
  return chart;
}
