import { externalAverageValueReplicas, externalValueReplicas, HpaController, perPodReplicas, PodSample, resolveBehavior } from './hpa';
import { ScrapeHistory } from './promql-eval';
import { GAUGES, PodGauges, PodMetrics, SeriesLabels } from './queries';
import { replicaCount } from '../cluster/limits';
import { Manifest } from '../cluster/manifests';
import { ASSUMPTIONS } from '../engine/assumptions';

/**
 * One pod's series in the latest Prometheus scrape, gauges and counters (and the resource metrics of the same
 * instant). Per-pod HPA metrics read only its gauges.
 */
export interface ScrapedPod extends PodMetrics {
  /** `DCGM_FI_DEV_GPU_UTIL`: percent of the scrape interval a kernel ran. */
  readonly gpuUtilPercent: number;
  /** CPU usage over the CPU request, as metrics-server reports it (0-1). */
  readonly cpuUtilization: number;
}

/** A pod of the scale target (terminating pods excluded), with its latest scraped sample if it was scraped. */
export interface PodView {
  readonly ready: boolean;
  readonly sample?: ScrapedPod;
}

/** What a controller sees at one instant. */
export interface ClusterView {
  readonly now: number;
  /** Wall-clock time, seconds since the epoch (for cron windows). */
  readonly epoch: number;
  /** The scale target's replica count (`spec.replicas`). */
  readonly replicas: number;
  readonly pods: PodView[];
  readonly readyPods: number;
  /** Series of the latest scrape (ready pods at that scrape). */
  readonly scrape: ScrapedPod[];
  readonly labels: SeriesLabels;
  /** Requests waiting at the Service because no pod is ready. */
  readonly pendingAtService: number;
  /** Every scrape so far, for queries over time (subqueries). */
  readonly history?: ScrapeHistory;
}

/** A replica controller: KEDA + its HPA, or a plain HPA. */
export interface Autoscaler {
  /** The floor: replicas at the start of a replay at least. */
  readonly initialReplicas: number;
  /** Whether the replica count is pinned (a paused ScaledObject): the replay starts with exactly `initialReplicas`. */
  readonly pinned?: boolean;
  readonly maxReplicas: number;
  /** KEDA's polling interval; undefined for a plain HPA. */
  readonly pollingIntervalSeconds?: number;
  /** How often `hpaSync` runs, seconds; the HPA controller's sync period when undefined (a reference may act sooner). */
  readonly syncPeriodSeconds?: number;
  /** Called once before the replay with the warm replica count at time 0. */
  warmStart(replicas: number): void;
  /** KEDA's own loop (activation, cooldown to zero): a new replica count, or undefined for no change. */
  poll(view: ClusterView): number | undefined;
  /** One HPA sync: a new replica count, or undefined for no change. */
  hpaSync(view: ClusterView): number | undefined;
  /** A push from an external scaler when a request arrives at zero replicas: a new replica count, or undefined. */
  push(view: ClusterView): number | undefined;
}

/** Parses a Kubernetes quantity (`5`, `500m`, `2k`, `1Gi`). */
export function parseQuantity(raw: unknown, subject: string): number {
  const text = String(raw).trim();
  const match = /^([0-9.]+(?:[eE][-+]?\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(text);
  if (!match || !Number.isFinite(Number(match[1]))) throw new Error(`${subject}: '${text}' is not a number or Kubernetes quantity`);
  const scale: { [suffix: string]: number } = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(match[1]) * (match[2] ? scale[match[2]] : 1);
}

type PodMetricName = 'DCGM_FI_DEV_GPU_UTIL' | keyof PodGauges;
const POD_METRICS: PodMetricName[] = ['DCGM_FI_DEV_GPU_UTIL', ...GAUGES];

/** The value of a per-pod metric in a scraped sample. */
export function podMetric(sample: ScrapedPod, name: PodMetricName): number {
  return name === 'DCGM_FI_DEV_GPU_UTIL' ? sample.gpuUtilPercent : sample[name];
}

type MetricEvaluator = (view: ClusterView) => number | undefined;

/** The cpu target the API server fills in for an HPA without metrics (pkg/apis/autoscaling/v2/defaults.go). */
const DEFAULT_CPU_UTILIZATION = 80;

/**
 * The Prometheus series behind a custom-metrics adapter's name. Google Cloud Managed Service for Prometheus,
 * through the Custom Metrics Stackdriver Adapter, names a series `prometheus.googleapis.com|<series>|<kind>`
 * (GKE: "Configure autoscaling for LLM workloads on GPUs"); prometheus-adapter keeps the series name.
 */
export function adapterMetricName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const match = /^prometheus\.googleapis\.com\|(.+)\|(?:gauge|counter|summary|histogram)$/.exec(name);
  return match ? match[1] : name;
}

/**
 * A Deployment nothing scales: `spec.replicas` pods for the whole replay (1 when the field is missing,
 * the Deployment default).
 */
export class FixedAutoscaler implements Autoscaler {
  public readonly pinned = false;
  public readonly maxReplicas: number;

  public constructor(public readonly initialReplicas: number) {
    this.maxReplicas = replicaCount(initialReplicas, 'Deployment: spec.replicas', 0);
  }

  public warmStart(): void {}

  public poll(): number | undefined {
    return undefined;
  }

  public hpaSync(): number | undefined {
    return undefined;
  }

  public push(): number | undefined {
    return undefined;
  }
}

/**
 * A plain `autoscaling/v2` HorizontalPodAutoscaler: Resource (cpu Utilization), Pods (vLLM gauges or
 * `DCGM_FI_DEV_GPU_UTIL`, AverageValue) and External (a vLLM gauge summed over pods) metrics.
 */
export class HpaAutoscaler implements Autoscaler {
  public readonly initialReplicas: number;
  public readonly maxReplicas: number;
  private readonly controller: HpaController;
  private readonly metrics: MetricEvaluator[];

  public constructor(hpa: Manifest) {
    const subject = `HorizontalPodAutoscaler '${hpa.metadata?.name}'`;
    const spec = hpa.spec ?? {};
    const minReplicas = replicaCount(spec.minReplicas ?? ASSUMPTIONS.defaultMinReplicas, `${subject}: spec.minReplicas`, 1);
    const maxReplicas = replicaCount(spec.maxReplicas ?? ASSUMPTIONS.defaultMaxReplicas, `${subject}: spec.maxReplicas`, 1);
    this.controller = new HpaController({ minReplicas, maxReplicas, behavior: resolveBehavior(spec.behavior, subject) });
    this.initialReplicas = minReplicas;
    this.maxReplicas = maxReplicas;
    // Without metrics the API server fills in a cpu target of 80% (pkg/apis/autoscaling/v2/defaults.go).
    const metrics: any[] = spec.metrics === undefined || spec.metrics.length === 0
      ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }]
      : spec.metrics;
    this.metrics = metrics.map((m, i) => this.evaluator(m, `${subject} spec.metrics[${i}]`));
  }

  public warmStart(replicas: number): void {
    this.controller.warmStart(0, replicas);
  }

  public poll(): number | undefined {
    return undefined;
  }

  public push(): number | undefined {
    return undefined;
  }

  public hpaSync(view: ClusterView): number | undefined {
    const next = this.controller.sync(view.now, view.replicas, this.metrics.map((m) => m(view)));
    return next === view.replicas ? undefined : next;
  }

  private evaluator(metric: any, subject: string): MetricEvaluator {
    if (metric.type === 'Resource') {
      const utilization = metric.resource?.target?.averageUtilization;
      if (metric.resource?.name !== 'cpu' || metric.resource?.target?.type !== 'Utilization' || !(utilization > 0)) {
        throw new Error(`${subject}: only a cpu Utilization target is modelled for Resource metrics`);
      }
      return (view) => perPodReplicas(view.replicas, view.pods.map((p): PodSample => ({
        ready: p.ready, value: p.sample ? p.sample.cpuUtilization * 100 : undefined,
      })), utilization, true, ASSUMPTIONS.hpaTolerance, 100);
    }
    const name = adapterMetricName(metric.pods?.metric?.name ?? metric.external?.metric?.name);
    const known = POD_METRICS.find((n) => n === name);
    if (!known) throw new Error(`${subject}: metric '${name}' is not modelled; use one of ${POD_METRICS.join(', ')}`);
    if (metric.type === 'Pods') {
      const target = parseQuantity(metric.pods?.target?.averageValue, `${subject} target.averageValue`);
      return (view) => perPodReplicas(view.replicas, view.pods.map((p): PodSample => ({
        ready: p.ready, value: p.sample ? podMetric(p.sample, known) : undefined,
      })), target, false);
    }
    if (metric.type === 'External') {
      const target = metric.external?.target ?? {};
      const total = (view: ClusterView): number => view.scrape.reduce((sum, s) => sum + podMetric(s, known), 0);
      if (target.type === 'Value') {
        const value = parseQuantity(target.value, `${subject} target.value`);
        return (view) => externalValueReplicas(view.replicas, view.readyPods, total(view), value);
      }
      const average = parseQuantity(target.averageValue, `${subject} target.averageValue`);
      return (view) => externalAverageValueReplicas(view.replicas, total(view), average);
    }
    throw new Error(`${subject}: metric type '${metric.type}' is not modelled (Resource, Pods, External)`);
  }
}
