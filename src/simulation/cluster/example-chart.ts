import { Chart, Testing } from 'cdk8s';
import { ExampleDeploymentOptions } from './deployment-options';
import { Manifest } from './manifests';
import { Gpu } from '../../gpu';
import { GpuHeadroom } from '../../gpu-headroom';
import { Model } from '../../model';
import { ModelCache, ModelCacheProps } from '../../model-cache';
import { QueueAutoscaler, QueueAutoscalerProps } from '../../queue-autoscaler';
import { VllmService, VllmServiceProps } from '../../vllm-service';
import { WarmFloor } from '../../warm-floor';

export interface ExampleServerOptions extends ExampleDeploymentOptions {
  /** More VllmService props. */
  readonly server?: Partial<VllmServiceProps>;
  /** QueueAutoscaler props other than its defaults (for experiments on the default policy). */
  readonly autoscaler?: Partial<QueueAutoscalerProps>;
  /** More ModelCache props. */
  readonly cache?: Partial<ModelCacheProps>;
  /** A WarmFloor of this many replicas on the autoscaler (none: the floor is 1). */
  readonly floor?: number;
  /** GpuHeadroom placeholders for this many replicas (none by default). */
  readonly headroom?: number;
}

/** The Prometheus the library's examples point KEDA at. */
export const PROMETHEUS_ADDRESS = 'http://prometheus-operated.monitoring.svc:9090';
/** The replica ceiling of the benchmark's example deployment. */
export const EXAMPLE_MAX_REPLICAS = 8;

/**
 * The deployments the command line models by name (`--example`), each served from a ModelCache.
 * `llama-70b-h100` is the README quick start and the default.
 */
export const EXAMPLE_DEPLOYMENTS: { readonly [name: string]: () => ExampleDeploymentOptions } = {
  'llama-70b-h100': () => ({}),
  'llama-8b-l4': () => ({ model: Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 }), gpu: Gpu.L4, gpuCount: 1 }),
  'qwen-7b-a10g': () => ({ model: Model.huggingFace('Qwen/Qwen2.5-7B-Instruct', { parametersBillions: 7.6 }), gpu: Gpu.A10G, gpuCount: 1 }),
};

/** The model of the quick start. */
export function quickStartModel(): Model {
  return Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
}

/**
 * Synthesizes the example chart: ModelCache + VllmService + a QueueAutoscaler with its defaults.
 * Returns the manifests exactly as `Testing.synth` gives them.
 */
export function exampleManifests(options: ExampleServerOptions = {}): Manifest[] {
  const app = Testing.app();
  const chart = new Chart(app, 'llama', { namespace: 'inference' });
  const server = exampleServer(chart, options);
  // The library's default policy, as a user writes it: no WarmFloor (floor 1), at most 8 replicas.
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
    server, maxReplicas: EXAMPLE_MAX_REPLICAS, prometheusAddress: PROMETHEUS_ADDRESS, ...options.autoscaler,
  });
  if (options.floor !== undefined) new WarmFloor(chart, 'floor', { autoscaler, replicas: options.floor });
  if (options.headroom !== undefined) new GpuHeadroom(chart, 'headroom', { server, replicas: options.headroom });
  return Testing.synth(chart);
}

function exampleServer(chart: Chart, options: ExampleServerOptions): VllmService {
  const model = options.model ?? quickStartModel();
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx', ...options.cache });
  return new VllmService(chart, 'server', {
    model,
    cache,
    gpu: options.gpu ?? Gpu.H100,
    gpuCount: options.gpuCount ?? 4,
    maxNumSeqs: options.maxNumSeqs,
    ...options.server,
  });
}
