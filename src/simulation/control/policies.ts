import { METRIC } from '../../promql';
import { Manifest, parseDurationSeconds, readServer, ServerSpec } from '../cluster/manifests';
import { ASSUMPTIONS } from '../engine/assumptions';

/**
 * The peer policies the benchmark compares with the library's default. Each is written as the objects its
 * source ships (autoscaler, and a ServiceMonitor interval when the source scrapes at another interval), so it goes
 * through the same controller model as the library's own ScaledObject, errors included. `default` is not written
 * here: it is the ScaledObject the library synthesized.
 */
export interface ReplicaBounds { readonly minReplicas: number; readonly maxReplicas: number }

export interface PeerPolicy {
  readonly name: string;
  /** Where it comes from: repository, file and version, or doc page. */
  readonly source: string;
  /** One line for tables. */
  readonly description: string;
  /** The floor and ceiling its source ships, when it ships them. */
  readonly shipped?: Partial<ReplicaBounds>;
  /** The objects as shipped (autoscaler; a ServiceMonitor interval override if the source scrapes at another interval), with the given bounds. */
  manifests(server: ServerSpec, bounds: ReplicaBounds): Manifest[];
}

/** vllm-project/production-stack at a6c01db (chart version 0.1.12). */
const PRODUCTION_STACK = 'vllm-project/production-stack@a6c01db (helm chart 0.1.12)';

export const PEER_POLICIES: readonly PeerPolicy[] = [
  {
    name: 'cpu-hpa',
    source: 'kubectl autoscale deployment <name> --cpu-percent=80 --max=<n> (kubernetes.io/docs/reference/kubectl/generated/kubectl_autoscale); '
      + 'no behavior, so the controller takes its legacy path',
    description: 'HPA on pod CPU utilisation, 80% of the request',
    manifests: (server, bounds) => [hpa('cpu-hpa', server, bounds, [{
      type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: ASSUMPTIONS.cpuTargetUtilizationPercent } },
    }])],
  },
  {
    name: 'gpu-util-hpa',
    source: 'Alibaba Cloud ACK, "Implement auto scaling based on GPU metrics" '
      + '(alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/enable-auto-scaling-based-on-gpu-metrics-1): '
      + 'HPA on the DCGM exporter\'s GPU utilisation through a metrics adapter, the guide\'s example target of 20%',
    description: 'HPA on DCGM_FI_DEV_GPU_UTIL per pod, 20% target',
    manifests: (server, bounds) => [hpa('gpu-util-hpa', server, bounds, [podsMetric('DCGM_FI_DEV_GPU_UTIL', '20')])],
  },
  {
    name: 'gke-queue10',
    source: 'Google Cloud, "Serve an LLM using TPU Trillium on GKE with vLLM", section Deploy HPA '
      + '(cloud.google.com/kubernetes-engine/docs/tutorials/serve-vllm-tpu#deploy-hpa): Pods metric '
      + 'prometheus.googleapis.com|vllm:num_requests_waiting|gauge, averageValue 10, minReplicas 1, maxReplicas 2, no behavior',
    description: 'HPA on waiting requests per pod, 10 each, legacy controller path',
    shipped: { minReplicas: 1, maxReplicas: 2 },
    manifests: (server, bounds) => [hpa('gke-queue10', server, bounds, [podsMetric(`prometheus.googleapis.com|${METRIC.waiting}|gauge`, '10')])],
  },
  {
    name: 'production-stack',
    source: `${PRODUCTION_STACK}: tutorials/20-keda-autoscaling.md, the ScaledObject it applies (tutorials/assets/keda-scaled-object.yaml: `
      + 'min 1, max 2, pollingInterval 15, cooldownPeriod 360, query vllm:num_requests_waiting, threshold 5, no fallback, no behavior); '
      + 'helm/values.yaml servingEngineSpec.serviceMonitor.interval 30s',
    description: 'KEDA on the unsummed waiting-queue query (an error at 2+ pods, no fallback), 30 s scrape',
    shipped: { minReplicas: 1, maxReplicas: 2 },
    manifests: (server, bounds) => productionStack(server, bounds),
  },
];

/** 'default' first, then the peers. */
export function policyNames(): string[] {
  return ['default', ...PEER_POLICIES.map((p) => p.name)];
}

/**
 * The manifests with the autoscaler replaced by the named peer (with `bounds`, or as shipped when omitted);
 * 'default' keeps the synthesized autoscaler (bounds then override its min/max), or the Deployment's fixed count
 * when the chart has none. A peer that ships its own scrape interval gets the chart's ServiceMonitors with their
 * endpoints' interval changed (selector, port and labels kept).
 */
export function withPolicy(manifests: Manifest[], policy: string, bounds?: Partial<ReplicaBounds>, deploymentName?: string): Manifest[] {
  const all = manifests.filter(isAutoscaler);
  // A chart of several autoscalers (several servers, or GpuHeadroom's schedules): the replayed server's is replaced.
  const replayed = all.length > 1 ? readServer(manifests, deploymentName).deploymentName : undefined;
  const isOwn = (m: Manifest): boolean => isAutoscaler(m) && (replayed === undefined || m.spec?.scaleTargetRef?.name === replayed);
  const others = manifests.filter((m) => !isOwn(m));
  if (policy === 'default') {
    const own = manifests.filter(isOwn);
    if (own.length === 0) return manifests; // a fixed-replica chart: its own count, nothing to bound
    if (own.length > 1) throw new Error(`policy 'default': the synthesized manifests hold ${own.length} autoscalers, expected at most 1`);
    return [...others, bounds ? withBounds(own[0], bounds) : own[0]];
  }
  const peer = PEER_POLICIES.find((p) => p.name === policy);
  if (!peer) throw new Error(`unknown policy '${policy}': choose one of ${policyNames().join(', ')}`);
  const server = readServer(manifests, deploymentName);
  const resolved: ReplicaBounds = {
    minReplicas: bounds?.minReplicas ?? peer.shipped?.minReplicas ?? ASSUMPTIONS.defaultMinReplicas,
    maxReplicas: bounds?.maxReplicas ?? peer.shipped?.maxReplicas ?? ASSUMPTIONS.defaultMaxReplicas,
  };
  const objects = peer.manifests(server, resolved);
  const interval = objects.find((m) => m.kind === 'ServiceMonitor')?.spec?.endpoints?.[0]?.interval;
  const rescraped = interval === undefined ? others : others.map((m) => (m.kind !== 'ServiceMonitor' ? m : {
    ...m,
    spec: { ...m.spec, endpoints: (m.spec?.endpoints ?? []).map((e: Manifest) => withInterval(e, interval)) },
  }));
  return [...rescraped, ...objects.filter((m) => m.kind !== 'ServiceMonitor')];
}

/**
 * The chart's manifests with every autoscaler removed and the Deployment's `spec.replicas` set: a fixed
 * replica count (the `static-N` baselines).
 */
export function staticManifests(manifests: Manifest[], replicas: number): Manifest[] {
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`staticManifests: replicas (${replicas}) must be a whole number >= 0`);
  const server = readServer(manifests);
  return manifests.filter((m) => !isAutoscaler(m) && m.kind !== 'HTTPScaledObject' && m.kind !== 'InterceptorRoute').map((m) =>
    (m.kind === 'Deployment' && m.metadata?.name === server.deploymentName ? { ...m, spec: { ...m.spec, replicas } } : m));
}

/** An endpoint scraped at `interval`; a scrape timeout longer than the new interval is shortened to it. */
function withInterval(endpoint: Manifest, interval: string): Manifest {
  const out: Manifest = { ...endpoint, interval };
  if (endpoint.scrapeTimeout !== undefined
    && parseDurationSeconds(endpoint.scrapeTimeout, 'scrapeTimeout') > parseDurationSeconds(interval, 'interval')) out.scrapeTimeout = interval;
  return out;
}

function isAutoscaler(m: Manifest): boolean {
  return m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler';
}

function withBounds(m: Manifest, bounds: Partial<ReplicaBounds>): Manifest {
  if (m.kind === 'ScaledObject') {
    const minReplicaCount = bounds.minReplicas ?? m.spec?.minReplicaCount;
    const spec = { ...m.spec, minReplicaCount, maxReplicaCount: bounds.maxReplicas ?? m.spec?.maxReplicaCount };
    return { ...m, spec };
  }
  const min = bounds.minReplicas === undefined ? m.spec?.minReplicas : Math.max(1, bounds.minReplicas);
  return { ...m, spec: { ...m.spec, minReplicas: min, maxReplicas: bounds.maxReplicas ?? m.spec?.maxReplicas } };
}

function target(server: ServerSpec) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: server.deploymentName };
}

/** An autoscaling/v2 HPA without behavior, as the sources ship it (an HPA has no zero floor: at least 1). */
function hpa(name: string, server: ServerSpec, bounds: ReplicaBounds, metrics: Manifest[]): Manifest {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, ...(server.namespace === undefined ? {} : { namespace: server.namespace }) },
    spec: { scaleTargetRef: target(server), minReplicas: Math.max(1, bounds.minReplicas), maxReplicas: bounds.maxReplicas, metrics },
  };
}

function podsMetric(name: string, averageValue: string): Manifest {
  return { type: 'Pods', pods: { metric: { name }, target: { type: 'AverageValue', averageValue } } };
}

/**
 * The ScaledObject of production-stack's autoscaling tutorial (tutorials/20-keda-autoscaling.md, which applies
 * tutorials/assets/keda-scaled-object.yaml): min 1, max 2, polling 15 s, cooldown 360 s, no idleReplicaCount, no
 * fallback, no HPA behavior (the HPA's legacy path), and the query `vllm:num_requests_waiting` with threshold 5.
 * The query has no `sum`, so KEDA's Prometheus scaler gets one element per pod and errors from two pods on
 * ("returned multiple elements"); without a fallback the HPA then holds its replica count. The tutorial installs the
 * chart, whose ServiceMonitor scrapes every 30 s (helm/values.yaml servingEngineSpec.serviceMonitor.interval).
 * `metricName` is left out: KEDA ignores it for the Prometheus scaler and the CRD schema has no such field. The
 * chart's values.yaml example block (idleReplicaCount 0, fallback 2, `triggers` written as a map the KEDA CRD
 * refuses) is not deployed by default and is not modelled.
 */
function productionStack(server: ServerSpec, bounds: ReplicaBounds): Manifest[] {
  return [{
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'production-stack', ...(server.namespace === undefined ? {} : { namespace: server.namespace }) },
    spec: {
      scaleTargetRef: target(server),
      minReplicaCount: bounds.minReplicas,
      maxReplicaCount: bounds.maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: 360,
      triggers: [{
        type: 'prometheus',
        metadata: { serverAddress: 'http://prometheus-operated.monitoring.svc:9090', query: METRIC.waiting, threshold: '5' },
      }],
    },
  }, scrapeEvery('30s')];
}

/**
 * A ServiceMonitor that only names a scrape interval: `withPolicy` applies it to the chart's ServiceMonitor
 * (selector, port and labels kept), since the simulator reads the interval from there.
 */
function scrapeEvery(interval: string): Manifest {
  return { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', spec: { endpoints: [{ interval }] } };
}
