import { Duration } from 'cdk8s';

/**
 * Every metric name, label name and query the library emits. No PromQL is written anywhere else.
 *
 * Names are those vLLM's V1 engine exposes (vllm/v1/metrics/loggers.py), the Prometheus Operator adds
 * to scraped series, and kube-state-metrics exports for HPAs and Deployments.
 */
export const METRIC = {
  /** Gauge: requests admitted and not yet scheduled. */
  waiting: 'vllm:num_requests_waiting',
  /** Gauge: requests in the running batch. */
  running: 'vllm:num_requests_running',
  /** Gauge: fraction (0-1) of the KV cache in use. */
  kvCacheUsage: 'vllm:kv_cache_usage_perc',
  /** Counter: sequences preempted for lack of KV cache. */
  preemptions: 'vllm:num_preemptions_total',
  /** Histogram buckets: time to first token, seconds. */
  timeToFirstTokenBucket: 'vllm:time_to_first_token_seconds_bucket',
  /** kube-state-metrics: replicas of an HPA. */
  hpaCurrentReplicas: 'kube_horizontalpodautoscaler_status_current_replicas',
  hpaDesiredReplicas: 'kube_horizontalpodautoscaler_status_desired_replicas',
  hpaMaxReplicas: 'kube_horizontalpodautoscaler_spec_max_replicas',
  /** kube-state-metrics: replicas of a Deployment. */
  deploymentSpecReplicas: 'kube_deployment_spec_replicas',
  deploymentReadyReplicas: 'kube_deployment_status_replicas_ready',
} as const;

/** Label names on the series. */
export const LABEL = {
  /** vLLM: the served model name (not `model`). */
  modelName: 'model_name',
  /** Prometheus Operator: the namespace of the scraped pod. */
  namespace: 'namespace',
  /** Prometheus Operator: the Service the ServiceMonitor selected. */
  service: 'service',
  /** Prometheus Operator: the scraped pod. */
  pod: 'pod',
  /** kube-state-metrics: the HPA's name. */
  hpa: 'horizontalpodautoscaler',
  /** kube-state-metrics: the Deployment's name. */
  deployment: 'deployment',
} as const;

/** The series of one VllmService: its namespace, its Service and its served model. */
export interface ServerScope {
  readonly namespace: string;
  readonly service: string;
  readonly modelName: string;
}

/** A label value inside double quotes, escaped as PromQL requires. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `{label="value",…}` with every value quoted and escaped, in the order given. */
export function selector(matchers: { [label: string]: string }): string {
  return `{${Object.entries(matchers).map(([label, value]) => `${label}=${quote(value)}`).join(',')}}`;
}

/** `{namespace="…",service="…",model_name="…"}`: the selector every vLLM query of one server uses. */
export function serverSelector(scope: ServerScope): string {
  return selector(serverMatchers(scope));
}

function serverMatchers(scope: ServerScope): { [label: string]: string } {
  return { [LABEL.namespace]: scope.namespace, [LABEL.service]: scope.service, [LABEL.modelName]: scope.modelName };
}

/** `sum(metric{…})` or `avg(metric{…})`: one element, as KEDA's Prometheus scaler requires. */
export function aggregate(aggregation: 'sum' | 'avg', metric: string, matchers: { [label: string]: string }): string {
  return `${aggregation}(${metric}${selector(matchers)})`;
}

/** Query builders. Aggregated queries return exactly one element, as KEDA's Prometheus scaler requires. */
export class Queries {
  public constructor(private readonly scope: ServerScope) {}

  /** Requests waiting over every replica of the server: KEDA's scale-out signal. */
  public waitingTotal(): string {
    return aggregate('sum', METRIC.waiting, this.matchers());
  }

  /** Requests in flight over every replica: those running plus those waiting. */
  public inFlightTotal(): string {
    return `${aggregate('sum', METRIC.running, this.matchers())} + ${aggregate('sum', METRIC.waiting, this.matchers())}`;
  }

  /**
   * The in-flight total extrapolated `horizonSeconds` ahead by the straight line that fits it over `windowSeconds`
   * (a subquery sampled every `stepSeconds`), never below 0: one element, or none until two points exist.
   */
  public inFlightForecast(windowSeconds: number, stepSeconds: number, horizonSeconds: number): string {
    const series = `(${this.inFlightTotal()})[${promDuration(windowSeconds)}:${promDuration(stepSeconds)}]`;
    return `clamp_min(predict_linear(${series}, ${num(horizonSeconds)}), 0)`;
  }

  /** Mean KV-cache fill over the replicas (0-1). */
  public kvCacheAverage(): string {
    return aggregate('avg', METRIC.kvCacheUsage, this.matchers());
  }

  /** A metric of this server, unaggregated (one series per pod and engine). */
  public perPod(metric: string): string {
    return `${metric}${serverSelector(this.scope)}`;
  }

  private matchers(): { [label: string]: string } {
    return serverMatchers(this.scope);
  }
}

/** The shortest `rate()` window that holds enough samples: 4 x the scrape interval, at least one minute. */
export function rateWindow(scrapeInterval: Duration): string {
  const seconds = Math.max(60, 4 * scrapeInterval.toSeconds());
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/** A Prometheus duration for a whole number of seconds: `30s`, `5m`, `2h`, `90s`. */
export function promDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A number as a PromQL literal. */
function num(value: number): string {
  return String(value);
}

/** `{namespace="…",<label>="…"}`: a kube-state-metrics selector for one named object. */
export function objectSelector(namespace: string, label: string, name: string): string {
  return selector({ [LABEL.namespace]: namespace, [label]: name });
}

/** The labels that identify one server on its vLLM series. */
const SERVER_LABELS = `${LABEL.namespace}, ${LABEL.service}, ${LABEL.modelName}`;

/**
 * The expressions of the serving alerts. vLLM series are scoped to one server (namespace, Service,
 * served model); kube-state-metrics series to one Deployment or HPA in that namespace. Every
 * kube-state-metrics series is aggregated by name first, so two kube-state-metrics replicas never
 * produce duplicate matches.
 */
export class AlertQueries {
  public constructor(private readonly scope: ServerScope, private readonly scrapeInterval: Duration) {}

  /** Preemptions per second of each pod, over `rateWindow`, above `threshold`. */
  public preemptionRateAbove(threshold: number): string {
    const rate = `rate(${METRIC.preemptions}${serverSelector(this.scope)}[${rateWindow(this.scrapeInterval)}])`;
    return `sum by (${SERVER_LABELS}, ${LABEL.pod}) (${rate}) > ${num(threshold)}`;
  }

  /** KV-cache fill (0-1) of each pod (its fullest engine), at or above `fraction`. */
  public kvCacheUsageAtLeast(fraction: number): string {
    return `max by (${SERVER_LABELS}, ${LABEL.pod}) (${METRIC.kvCacheUsage}${serverSelector(this.scope)}) >= ${num(fraction)}`;
  }

  /** Requests waiting per scraped replica (pod), as the HPA sees the queue. */
  public waitingPerReplica(): string {
    const waiting = `${METRIC.waiting}${serverSelector(this.scope)}`;
    const pods = `count by (${SERVER_LABELS}) (count by (${SERVER_LABELS}, ${LABEL.pod}) (${waiting}))`;
    return `sum by (${SERVER_LABELS}) (${waiting}) / ${pods}`;
  }

  /** Requests waiting per replica above `threshold`. */
  public waitingPerReplicaAbove(threshold: number): string {
    return `(${this.waitingPerReplica()}) > ${num(threshold)}`;
  }

  /** Waiting per replica above `target` while the HPA `hpaName` runs at its maximum. */
  public waitingAboveTargetAtMaxReplicas(hpaName: string, target: number): string {
    const hpa = objectSelector(this.scope.namespace, LABEL.hpa, hpaName);
    const by = `${LABEL.namespace}, ${LABEL.hpa}`;
    const atMax = `max by (${by}) (${METRIC.hpaCurrentReplicas}${hpa}) >= max by (${by}) (${METRIC.hpaMaxReplicas}${hpa})`;
    return `${this.waitingPerReplicaAbove(target)} and on (${LABEL.namespace}) (${atMax})`;
  }

  /** Replicas of Deployment `deployment` wanted but not ready, when there are any. */
  public replicasNotReady(deployment: string): string {
    const target = objectSelector(this.scope.namespace, LABEL.deployment, deployment);
    const by = `${LABEL.namespace}, ${LABEL.deployment}`;
    return `(max by (${by}) (${METRIC.deploymentSpecReplicas}${target}) - max by (${by}) (${METRIC.deploymentReadyReplicas}${target})) > 0`;
  }

  /** The `quantile` of time to first token over every replica, over `window`, above `sloSeconds`. */
  public timeToFirstTokenAbove(quantile: number, sloSeconds: number, window: Duration): string {
    const rate = `rate(${METRIC.timeToFirstTokenBucket}${serverSelector(this.scope)}[${promDuration(window.toSeconds())}])`;
    return `histogram_quantile(${num(quantile)}, sum by (${SERVER_LABELS}, le) (${rate})) > ${num(sloSeconds)}`;
  }

  /**
   * The ready replicas of Deployment `deployment` while this server's vLLM series are absent. `absent()`
   * carries the selector's labels (namespace, service, model_name). A plain `* on ()` would keep only the
   * (no) matching labels; `group_left ()` keeps the left side's and takes the value of the single-element
   * right side, which is empty (no alert) at zero ready replicas.
   */
  public metricsAbsentWhileReady(deployment: string): string {
    const ready = `max(${METRIC.deploymentReadyReplicas}${objectSelector(this.scope.namespace, LABEL.deployment, deployment)}) > 0`;
    return `absent(${METRIC.waiting}${serverSelector(this.scope)}) * on () group_left () (${ready})`;
  }
}
