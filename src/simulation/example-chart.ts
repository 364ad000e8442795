import { ApiObject, Chart, Testing } from 'cdk8s';
import { Gpu } from '../gpu';
import { Model } from '../model';
import { ModelCache } from '../model-cache';
import { VllmService, VllmServiceProps } from '../vllm-service';
import { ExampleDeploymentOptions } from './deployment-options';
import { Manifest } from './manifests';

interface ExampleServerOptions extends ExampleDeploymentOptions {
  readonly server?: Partial<VllmServiceProps>;
}

/** The Prometheus the library's examples point KEDA at. */
export const PROMETHEUS_ADDRESS = 'http://prometheus-operated.monitoring.svc:9090';
/** The replica ceiling of the benchmark's example deployment. */
export const EXAMPLE_MAX_REPLICAS = 8;

/** The model of the quick start. */
export function quickStartModel(): Model {
  return Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
}

/**
 * Synthesizes the example chart: ModelCache + VllmService + the library's default autoscaler.
 * Returns the manifests exactly as `Testing.synth` gives them.
 */
export function exampleManifests(options: ExampleServerOptions = {}): Manifest[] {
  const app = Testing.app();
  const chart = new Chart(app, 'llama', { namespace: 'inference' });
  const server = exampleServer(chart, options);
  server.markHasAutoscaler();
  defaultAutoscaler(chart, server);
  return Testing.synth(chart);
}

function exampleServer(chart: Chart, options: ExampleServerOptions): VllmService {
  const model = options.model ?? quickStartModel();
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
  return new VllmService(chart, 'server', {
    model,
    cache,
    gpu: options.gpu ?? Gpu.H100_80GB,
    gpuCount: options.gpuCount ?? 4,
    maxNumSeqs: options.maxNumSeqs,
    ...options.server,
  });
}

/**
 * The library's default autoscaler for `server`.
 *
 * Stand-in until the QueueAutoscaler construct lands on the main branch: this emits the ScaledObject that
 * the construct is specified to synthesize with its defaults (no WarmFloor, maxReplicas 8). Once it lands,
 * this function becomes `new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress })`.
 */
function defaultAutoscaler(chart: Chart, server: VllmService): void {
  new ApiObject(chart, 'autoscaler', {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { namespace: server.namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: server.deployment.name },
      pollingInterval: 15,
      cooldownPeriod: 300,
      initialCooldownPeriod: 400,
      minReplicaCount: 1,
      maxReplicaCount: EXAMPLE_MAX_REPLICAS,
      fallback: { failureThreshold: 3, replicas: 1, behavior: 'currentReplicasIfHigher' },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
            scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
          },
        },
      },
      triggers: [{
        type: 'prometheus',
        name: 'queue',
        metricType: 'AverageValue',
        metadata: {
          serverAddress: PROMETHEUS_ADDRESS,
          query: `sum(vllm:num_requests_waiting{namespace="${server.namespace}",service="${server.serviceName}",model_name="${server.model.servedModelName}"})`,
          threshold: '5',
          activationThreshold: '0',
          ignoreNullValues: 'false',
        },
      }],
    },
  });
}

