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
  /** Counter: prompt tokens processed (prefill). */
  promptTokens: 'vllm:prompt_tokens_total',
  /** Counter: tokens generated. */
  generationTokens: 'vllm:generation_tokens_total',
  /** Counter: requests finished (one series per `finished_reason`). */
  requestSuccess: 'vllm:request_success_total',
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
  /** kube-state-metrics: the Deployment's creation time, Unix seconds. */
  deploymentCreated: 'kube_deployment_created',
} as const;

/**
 * The bucket bounds of `vllm:time_to_first_token_seconds`, seconds (vllm-project/vllm vllm/v1/metrics/loggers.py).
 * A quantile between two bounds is interpolated linearly by `histogram_quantile`, not measured.
 */
export const TIME_TO_FIRST_TOKEN_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];

/**
 * How a time-to-first-token objective meets the histogram: '' on a bucket bound (measured), else a sentence naming
 * the two bounds it is interpolated between.
 */
export function bucketNote(objectiveSeconds: number): string {
  if (TIME_TO_FIRST_TOKEN_BUCKETS.includes(objectiveSeconds)) return '';
  const upper = TIME_TO_FIRST_TOKEN_BUCKETS.find((b) => b > objectiveSeconds);
  const lower = [...TIME_TO_FIRST_TOKEN_BUCKETS].reverse().find((b) => b < objectiveSeconds);
  const between = upper === undefined ? `above vLLM's last bucket bound (${lower}s)` : lower === undefined
    ? `below vLLM's first bucket bound (${upper}s)` : `between vLLM's histogram bucket bounds ${lower}s and ${upper}s`;
  return `The objective ${objectiveSeconds}s lies ${between}: the quantile is interpolated there, not measured `
    + '(a bucket bound such as 1s or 2.5s is measured exactly).';
}

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

/** What one token costs a replica's engine, seconds. */
export interface EngineTokenCosts {
  readonly prefillSecondsPerToken: number;
  readonly decodeSecondsPerToken: number;
}

/** The windows of the demand query (`Queries.demandWithBacklog`), seconds. */
export interface DemandQueryOptions {
  /** The `rate()` window of the demand. */
  readonly windowSeconds: number;
  /** How long the peak demand is held (0: not held). */
  readonly holdSeconds: number;
  /** The step of the hold's subquery (the scrape interval). */
  readonly stepSeconds: number;
  /** The window the mean work of a finished request is measured over. */
  readonly backlogWindowSeconds: number;
  /** The waiting requests' work is to be served within this. */
  readonly drainSeconds: number;
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

  /**
   * Engine seconds of work the replicas serve per second: the prompt and generated token rates over `windowSeconds`,
   * each weighted by what one token costs the engine. At one replica's worth per second the replica never idles.
   */
  public engineDemand(costs: EngineTokenCosts, windowSeconds: number): string {
    const rate = (metric: string) => `sum(rate(${metric}${serverSelector(this.scope)}[${promDuration(windowSeconds)}]))`;
    return `${rate(METRIC.promptTokens)} * ${num(costs.prefillSecondsPerToken)} + ${rate(METRIC.generationTokens)} * ${num(costs.decodeSecondsPerToken)}`;
  }

  /**
   * The demand the autoscaler sizes for: the highest engine demand of the last `holdSeconds` (a subquery sampled every
   * `stepSeconds`; the plain demand when 0), plus the backlog: the waiting requests times the mean engine seconds of a
   * request finished over `backlogWindowSeconds` (at most one finished request per window assumed when none finished),
   * to be served within `drainSeconds`. One element while the server has scraped replicas, none without.
   */
  public demandWithBacklog(costs: EngineTokenCosts, options: DemandQueryOptions): string {
    const demand = this.engineDemand(costs, options.windowSeconds);
    const held = options.holdSeconds > 0
      ? `max_over_time((${demand})[${promDuration(options.holdSeconds)}:${promDuration(options.stepSeconds)}])`
      : demand;
    const finished = `sum(rate(${METRIC.requestSuccess}${serverSelector(this.scope)}[${promDuration(options.backlogWindowSeconds)}]))`;
    const secondsPerRequest = `(${this.engineDemand(costs, options.backlogWindowSeconds)}) / clamp_min(${finished}, ${num(Number((1 / options.backlogWindowSeconds).toPrecision(3)))})`;
    return `${held} + ${this.waitingTotal()} * ${secondsPerRequest} / ${num(options.drainSeconds)}`;
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

  /**
   * Replicas of Deployment `deployment` wanted but not ready, when there are any, once the Deployment is older than
   * `firstDeploySeconds` (its first replicas also wait for the weight cache to be filled).
   */
  public replicasNotReady(deployment: string, firstDeploySeconds: number): string {
    const target = objectSelector(this.scope.namespace, LABEL.deployment, deployment);
    const by = `${LABEL.namespace}, ${LABEL.deployment}`;
    const notReady = `(max by (${by}) (${METRIC.deploymentSpecReplicas}${target}) - max by (${by}) (${METRIC.deploymentReadyReplicas}${target})) > 0`;
    return `${notReady} and on (${by}) (time() - max by (${by}) (${METRIC.deploymentCreated}${target}) > ${num(firstDeploySeconds)})`;
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

/** Metric names the dashboard reads besides those in `METRIC`. */
export const DASHBOARD_METRIC = {
  /** vLLM histogram buckets: time between two output tokens, seconds (replaces `time_per_output_token_seconds`). */
  interTokenLatencyBucket: 'vllm:inter_token_latency_seconds_bucket',
  /** vLLM counter: finished requests (label `finished_reason`). */
  requestSuccess: 'vllm:request_success_total',
  /** vLLM counter: prompt tokens processed. */
  promptTokens: 'vllm:prompt_tokens_total',
  /** vLLM counter: tokens generated. */
  generationTokens: 'vllm:generation_tokens_total',
  /** kube-state-metrics: pods of a Deployment that exist and are not terminating (docs/metrics/workload/deployment-metrics.md). */
  deploymentReplicas: 'kube_deployment_status_replicas',
  /** KEDA operator gauge, labels `namespace`, `scaledObject`: 1 while paused (kedacore/keda pkg/metricscollector/prommetrics.go). */
  scaledObjectPaused: 'keda_scaled_object_paused',
  /** KEDA operator counter, labels `namespace`, `scaledObject`, `scaler`, `triggerIndex`, `metric`, `type`: failed metric reads. */
  scalerErrors: 'keda_scaler_detail_errors_total',
} as const;

/** Label names KEDA's operator puts on its own metrics. */
const KEDA_LABEL = { scaledObject: 'scaledObject', type: 'type' } as const;

/**
 * What the dashboard's queries select. Every value is a regular expression (matched with `=~`): a Grafana
 * template variable such as `$namespace` on the dashboard, a literal alternation such as `serving|batch` in tests.
 */
export interface DashboardScope {
  /** Namespaces of the servers. */
  readonly namespace: string;
  /** Services of the servers (the Prometheus Operator's `service` label). */
  readonly service: string;
  /** Served model names (vLLM's `model_name` label). */
  readonly modelName: string;
  /** Names of the HPAs KEDA generated (kube-state-metrics' `horizontalpodautoscaler` label). */
  readonly hpa: string;
  /** Names of the servers' Deployments (kube-state-metrics' `deployment` label). */
  readonly deployment: string;
  /** Names of the ScaledObjects (KEDA's `scaledObject` label). */
  readonly scaledObject: string;
  /** The `rate()` window: `rateWindow(scrapeInterval)` of the slowest-scraped server. */
  readonly rateWindow: string;
}

/** One Deployment and the GPUs each of its pods holds. */
export interface DeploymentGpus {
  readonly deployment: string;
  readonly gpusPerReplica: number;
}

/** A string matched literally inside a PromQL (RE2) regular expression. */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `{label=~"regex",…}`, every value quoted and escaped. */
function regexSelector(matchers: { [label: string]: string }): string {
  return `{${Object.entries(matchers).map(([label, value]) => `${label}=~${quote(value)}`).join(',')}}`;
}

/**
 * The dashboard's queries. vLLM series are grouped by server (namespace, Service, served model), per-pod
 * panels by pod as well; kube-state-metrics series are aggregated by object name (`max by`) so two
 * kube-state-metrics replicas never double a value. KEDA's operator metrics are selected by ScaledObject name
 * only: scraped by a ServiceMonitor without `honorLabels`, their `namespace` label is renamed `exported_namespace`.
 */
export class DashboardQueries {
  public constructor(private readonly scope: DashboardScope) {}

  /** Requests waiting per scraped replica of each server: what KEDA's AverageValue target compares. */
  public waitingPerReplica(): string {
    const waiting = `${METRIC.waiting}${this.vllm()}`;
    return `sum by (${SERVER_LABELS}) (${waiting}) / count by (${SERVER_LABELS}) (count by (${SERVER_LABELS}, ${LABEL.pod}) (${waiting}))`;
  }

  /** Requests in flight (running + waiting) per scraped replica of each server: what the in-flight trigger divides by its target. */
  public inFlightPerReplica(): string {
    const running = `${METRIC.running}${this.vllm()}`;
    const waiting = `${METRIC.waiting}${this.vllm()}`;
    return `(sum by (${SERVER_LABELS}) (${running}) + sum by (${SERVER_LABELS}) (${waiting}))`
      + ` / count by (${SERVER_LABELS}) (count by (${SERVER_LABELS}, ${LABEL.pod}) (${running}))`;
  }

  /** The `quantile` of time to first token of each server, seconds. */
  public timeToFirstToken(quantile: number): string {
    return this.histogramQuantile(METRIC.timeToFirstTokenBucket, quantile);
  }

  /** The `quantile` of the time between output tokens of each server, seconds. */
  public interTokenLatency(quantile: number): string {
    return this.histogramQuantile(DASHBOARD_METRIC.interTokenLatencyBucket, quantile);
  }

  /** Finished requests per second of each server (every `finished_reason`). */
  public requestsPerSecond(): string {
    return this.serverRate(DASHBOARD_METRIC.requestSuccess);
  }

  /** Prompt tokens processed per second of each server. */
  public promptTokensPerSecond(): string {
    return this.serverRate(DASHBOARD_METRIC.promptTokens);
  }

  /** Tokens generated per second of each server. */
  public generationTokensPerSecond(): string {
    return this.serverRate(DASHBOARD_METRIC.generationTokens);
  }

  /** Replicas of each KEDA-generated HPA: `desired` (status), `current` (status) or `max` (spec). */
  public hpaReplicas(which: 'desired' | 'current' | 'max'): string {
    const metric = which === 'desired' ? METRIC.hpaDesiredReplicas : which === 'current' ? METRIC.hpaCurrentReplicas : METRIC.hpaMaxReplicas;
    const by = `${LABEL.namespace}, ${LABEL.hpa}`;
    return `max by (${by}) (${metric}${regexSelector({ [LABEL.namespace]: this.scope.namespace, [LABEL.hpa]: this.scope.hpa })})`;
  }

  /** Ready replicas of each server's Deployment. */
  public readyReplicas(): string {
    return this.deploymentMax(METRIC.deploymentReadyReplicas, this.scope.deployment);
  }

  /** 1 while a ScaledObject is paused (`autoscaling.keda.sh/paused`), 0 otherwise. */
  public scaledObjectPaused(): string {
    return `max by (${KEDA_LABEL.scaledObject}) (${DASHBOARD_METRIC.scaledObjectPaused}${regexSelector({ [KEDA_LABEL.scaledObject]: this.scope.scaledObject })})`;
  }

  /**
   * Failed metric reads per second of each ScaledObject's scalers. KEDA holds its `fallback` replicas once a
   * trigger has failed `fallback.failureThreshold` reads in a row (kedacore/keda pkg/fallback/fallback.go);
   * its operator exports no gauge of that state, so a sustained non-zero rate is the sign the fallback is on.
   */
  public scalerErrorsPerSecond(): string {
    const errors = `${DASHBOARD_METRIC.scalerErrors}${regexSelector({ [KEDA_LABEL.scaledObject]: this.scope.scaledObject, [KEDA_LABEL.type]: 'scaledobject' })}`;
    return `sum by (${KEDA_LABEL.scaledObject}) (rate(${errors}[${this.scope.rateWindow}]))`;
  }

  /** KV-cache fill (0-1) of each pod (its fullest engine). */
  public kvCacheUsagePerPod(): string {
    return `max by (${SERVER_LABELS}, ${LABEL.pod}) (${METRIC.kvCacheUsage}${this.vllm()})`;
  }

  /** Preemptions per second of each pod. */
  public preemptionsPerSecondPerPod(): string {
    return `sum by (${SERVER_LABELS}, ${LABEL.pod}) (rate(${METRIC.preemptions}${this.vllm()}[${this.scope.rateWindow}]))`;
  }

  /** Requests in the running batch of each pod (compare with `--max-num-seqs`). */
  public runningPerPod(): string {
    return `sum by (${SERVER_LABELS}, ${LABEL.pod}) (${METRIC.running}${this.vllm()})`;
  }

  /**
   * GPUs held by each Deployment: its pods (ready or starting, as a starting pod holds its GPUs too) times the
   * GPUs of one pod. One term per Deployment, joined with `or`.
   */
  public gpus(deployments: DeploymentGpus[]): string {
    if (deployments.length === 0) throw new Error('gpus() needs at least one Deployment');
    return deployments
      .map((d) => `${this.deploymentMax(DASHBOARD_METRIC.deploymentReplicas, regexLiteral(d.deployment))} * ${num(d.gpusPerReplica)}`)
      .join(' or ');
  }

  /**
   * GPU-hours over `range` (a Prometheus duration, or Grafana's `$__range`) of `rangeSeconds` seconds (or
   * `$__range_s`): the mean GPU count over the range times its length in hours. The GPU count is sampled
   * every minute by a subquery and divided by the number of sample times, counted with `vector(1)`, so a
   * Deployment that existed for part of the range counts for that part only, and the result does not depend
   * on whether the subquery includes its start (Prometheus 2) or not (Prometheus 3).
   */
  public gpuHours(deployments: DeploymentGpus[], range: string, rangeSeconds: string): string {
    const sampled = `sum(sum_over_time((${this.gpus(deployments)})[${range}:1m]))`;
    const samples = `scalar(count_over_time(vector(1)[${range}:1m]))`;
    return `${sampled} / ${samples} * ${rangeSeconds} / 3600`;
  }

  private deploymentMax(metric: string, deployment: string): string {
    const by = `${LABEL.namespace}, ${LABEL.deployment}`;
    return `max by (${by}) (${metric}${regexSelector({ [LABEL.namespace]: this.scope.namespace, [LABEL.deployment]: deployment })})`;
  }

  private histogramQuantile(bucket: string, quantile: number): string {
    return `histogram_quantile(${num(quantile)}, sum by (${SERVER_LABELS}, le) (rate(${bucket}${this.vllm()}[${this.scope.rateWindow}])))`;
  }

  private serverRate(counter: string): string {
    return `sum by (${SERVER_LABELS}) (rate(${counter}${this.vllm()}[${this.scope.rateWindow}]))`;
  }

  private vllm(): string {
    return regexSelector({ [LABEL.namespace]: this.scope.namespace, [LABEL.service]: this.scope.service, [LABEL.modelName]: this.scope.modelName });
  }
}
