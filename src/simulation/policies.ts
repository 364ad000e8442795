import { aggregate, LABEL, METRIC } from '../promql';
import { ASSUMPTIONS } from './assumptions';
import { Manifest, manifestsOfKind, readServer, ServerSpec } from './manifests';

/**
 * The policies the benchmark compares. Each is a ScaledObject or HorizontalPodAutoscaler written as the
 * object a cluster would hold, so it goes through the same controller model as the library's own.
 * `default` is not written here: it is the ScaledObject the library synthesized.
 */
export const POLICY_NAMES = ['default', 'cpu-hpa', 'gpu-util-hpa', 'keda-queue10-kv', 'hpa-waiting5', 'hpa-running5', 'production-stack'] as const;
export type PolicyName = typeof POLICY_NAMES[number];

export interface ReplicaBounds { readonly minReplicas: number; readonly maxReplicas: number }
export interface PeerPolicy {
  readonly name: string;
  readonly source: string;
  readonly description: string;
  readonly shipped?: Partial<ReplicaBounds>;
  manifests(server: ServerSpec, bounds: ReplicaBounds): Manifest[];
}
export const PEER_POLICIES: readonly PeerPolicy[] = POLICY_NAMES.filter((n) => n !== 'default').map((name) => ({
  name,
  source: 'unsourced',
  description: name,
  shipped: name === 'production-stack' ? { maxReplicas: 5 } : undefined,
  manifests: (server: ServerSpec, bounds: ReplicaBounds) => [withBounds(baseline(name, server), bounds)],
}));
export function policyNames(): string[] {
  return [...POLICY_NAMES];
}
function withBounds(m: Manifest, bounds: ReplicaBounds): Manifest {
  if (m.kind === 'ScaledObject') return { ...m, spec: { ...m.spec, minReplicaCount: bounds.minReplicas, maxReplicaCount: bounds.maxReplicas } };
  return { ...m, spec: { ...m.spec, minReplicas: Math.max(1, bounds.minReplicas), maxReplicas: bounds.maxReplicas } };
}

const MIN = ASSUMPTIONS.defaultMinReplicas;
const MAX = ASSUMPTIONS.defaultMaxReplicas;

/** The example manifests with the autoscaler replaced by the named policy (`default` keeps the synthesized one). */
export function withPolicy(manifests: Manifest[], policy: string, bounds?: ReplicaBounds): Manifest[] {
  const server = readServer(manifests);
  const others = manifests.filter((m) => m.kind !== 'ScaledObject' && m.kind !== 'HorizontalPodAutoscaler');
  if (policy === 'default') {
    const own = manifestsOfKind(manifests, 'ScaledObject');
    if (own.length !== 1) throw new Error(`policy 'default': the synthesized manifests hold ${own.length} ScaledObjects, expected 1`);
    return [...others, bounds ? withBounds(own[0], bounds) : own[0]];
  }
  return [...others, bounds ? withBounds(baseline(policy, server), bounds) : baseline(policy, server)];
}

/** The waiting-queue query the library emits, for a baseline that should read the same series. */
/** The write-ups' queries select a server by namespace and served model. */
function vllmQuery(aggregation: 'sum' | 'avg', gauge: string, server: ServerSpec): string {
  const matchers: { [label: string]: string } = {};
  if (server.namespace !== undefined) matchers[LABEL.namespace] = server.namespace;
  matchers[LABEL.modelName] = server.servedModelName;
  return aggregate(aggregation, gauge, matchers);
}

function target(server: ServerSpec) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: server.deploymentName };
}

function hpa(name: string, server: ServerSpec, spec: Manifest): Manifest {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: server.namespace },
    spec: { scaleTargetRef: target(server), minReplicas: MIN, maxReplicas: MAX, ...spec },
  };
}

function podsMetric(name: string, averageValue: string): Manifest {
  return { type: 'Pods', pods: { metric: { name }, target: { type: 'AverageValue', averageValue } } };
}

function baseline(policy: string, server: ServerSpec): Manifest {
  switch (policy) {
    case 'cpu-hpa':
      // What a default cluster does: `kubectl autoscale --cpu-percent=80`.
      return hpa(policy, server, {
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: ASSUMPTIONS.cpuTargetUtilizationPercent } } }],
      });
    case 'gpu-util-hpa':
      // DCGM exporter's GPU utilisation through a metrics adapter, 80% per pod.
      return hpa(policy, server, { metrics: [podsMetric('DCGM_FI_DEV_GPU_UTIL', '80')] });
    case 'hpa-waiting5':
      return hpa(policy, server, {
        minReplicas: 2,
        metrics: [podsMetric(METRIC.waiting, '5')],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }] },
          scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
        },
      });
    case 'hpa-running5':
      return hpa(policy, server, {
        metrics: [podsMetric(METRIC.running, '5')],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
      });
    case 'keda-queue10-kv':
      return scaledObject(policy, server, {
        minReplicaCount: MIN,
        maxReplicaCount: MAX,
        cooldownPeriod: 300,
        triggers: [
          prometheus('waiting', vllmQuery('sum', METRIC.waiting, server), '10', 'AverageValue'),
          prometheus('kv-cache', vllmQuery('avg', METRIC.kvCacheUsage, server), '0.8', 'Value'),
        ],
      });
    case 'production-stack':
      // The vLLM production-stack Helm chart's KEDA defaults; its unsummed query is summed here so it works with 2+ replicas.
      return scaledObject(policy, server, {
        pollingInterval: 15,
        cooldownPeriod: 360,
        minReplicaCount: 1,
        maxReplicaCount: 5,
        triggers: [prometheus('waiting', aggregate('sum', METRIC.waiting, { [LABEL.modelName]: server.servedModelName }), '5', 'AverageValue')],
      });
    default:
      throw new Error(`unknown policy '${policy}': choose one of ${POLICY_NAMES.join(', ')}`);
  }
}

function scaledObject(name: string, server: ServerSpec, spec: Manifest): Manifest {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, namespace: server.namespace },
    spec: { scaleTargetRef: target(server), ...spec },
  };
}

function prometheus(name: string, query: string, threshold: string, metricType: string): Manifest {
  return {
    type: 'prometheus',
    name,
    metricType,
    metadata: { serverAddress: 'http://prometheus-operated.monitoring.svc:9090', query, threshold },
  };
}
