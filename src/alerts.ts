import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Check, subjectOf } from './errors';
import { PrometheusRule, PrometheusRuleSpecGroupsRules, PrometheusRuleSpecGroupsRulesExpr } from './imports/prometheus-rule-monitoring.coreos.com';
import { MonitoringSelection } from './monitoring-selection';
import { AlertQueries, bucketNote, promDuration, TIME_TO_FIRST_TOKEN_BUCKETS } from './promql';
import { ColdStart } from './sizing';
import { checkLabels, checkRenderedMetadata } from './validation/kubernetes-names';
import { checkPrometheusLabels, templateLiteral } from './validation/prometheus';
import { durationSeconds } from './validation/quantities';
import { VllmService } from './vllm-service';

/** The `severity` label of an alert, which Alertmanager routes on. */
export class AlertSeverity {
  /** Someone must act now. */
  public static readonly CRITICAL = new AlertSeverity('critical');
  /** Needs attention soon; users are not yet, or only mildly, affected. */
  public static readonly WARNING = new AlertSeverity('warning');
  /** For dashboards and tickets. */
  public static readonly INFO = new AlertSeverity('info');

  /** Any other value your Alertmanager routes on (e.g. `page`). */
  public static of(value: string): AlertSeverity {
    new Check('AlertSeverity').that(typeof value === 'string' && value.length > 0 && value.length <= 1024, 'value', value,
      'must be a non-empty label value of at most 1024 characters');
    return new AlertSeverity(value);
  }

  /** The label value. */
  public readonly value: string;

  private constructor(value: string) {
    this.value = value;
  }
}

/**
 * What ServingAlerts needs from a queue autoscaler. `QueueAutoscaler` provides it.
 */
export interface IAutoscalerTarget {
  /** The server the autoscaler scales. */
  readonly server: VllmService;
  /** Name of the HPA KEDA generates (`keda-hpa-<ScaledObject name>`), as kube-state-metrics labels it. */
  readonly hpaName: string;
  /** The replica ceiling. */
  readonly maxReplicas: number;
  /** Requests waiting per replica the autoscaler aims for. */
  readonly targetQueuePerReplica: number;
  /**
   * The namespace the server's series carry, when the chart sets none (QueueAutoscaler's `queryNamespace`).
   * @default - the server's namespace
   */
  readonly queryNamespace?: string;
}

/** Options common to every alert. */
export interface AlertOptions {
  /**
   * Emit the alert.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The `severity` label.
   * @default - per alert, see docs/alerts.md
   */
  readonly severity?: AlertSeverity;
  /**
   * How long the condition must hold before the alert fires (the rule's `for`), in whole seconds.
   * @default - per alert, see docs/alerts.md
   */
  readonly pendingFor?: Duration;
  /**
   * The `runbook_url` annotation.
   * @default - `<runbookBaseUrl>#<alert name in lower case>` when `runbookBaseUrl` is set, else none
   */
  readonly runbookUrl?: string;
}

/** Options of an alert that compares a value with a threshold. */
export interface ThresholdAlertOptions extends AlertOptions {
  /**
   * The threshold; its unit depends on the alert.
   * @default - per alert, see docs/alerts.md
   */
  readonly threshold?: number;
}

/** Options of the time-to-first-token alert. */
export interface LatencyAlertOptions extends AlertOptions {
  /**
   * The objective: the alert fires when the quantile of time to first token exceeds it. vLLM's histogram has bucket
   * bounds at 1 s and 2.5 s and none between (`ServingAlerts.TIME_TO_FIRST_TOKEN_BUCKETS`): an objective between two
   * bounds, such as the default 2 s, is compared with a quantile interpolated linearly between them, which the
   * alert's description says; an objective on a bound (1 s, 2.5 s, 5 s) is measured.
   * @default Duration.seconds(2)
   */
  readonly slo?: Duration;
  /**
   * The quantile compared with the objective, in (0, 1).
   * @default 0.95
   */
  readonly quantile?: number;
  /**
   * The `rate()` window of the histogram; at least 4 x the scrape interval, in whole seconds.
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;
}

/** Properties of ServingAlerts. */
export interface ServingAlertsProps {
  /** The server watched. Its namespace (or its chart's) must be set. */
  readonly server: VllmService;
  /**
   * The queue autoscaler of the server: sets the backlog threshold and enables the at-ceiling alert.
   * @default - no at-ceiling alert; the backlog threshold is `queueBacklog.threshold`
   */
  readonly autoscaler?: IAutoscalerTarget;
  /**
   * Labels on the PrometheusRule, for the Prometheus `ruleSelector`, besides the chart's MonitoringSelection (which sets
   * them in one place for the ServiceMonitor and the PrometheusRule).
   * @default - the server's `app.kubernetes.io/*` labels and the chart's MonitoringSelection
   */
  readonly ruleLabels?: { [label: string]: string };
  /**
   * Labels added to every alert (e.g. `{ team: 'inference' }`); `severity` is set per alert.
   * @default - none
   */
  readonly alertLabels?: { [label: string]: string };
  /**
   * Base URL of the runbook; each alert links to `<base>#<alert name in lower case>`.
   * @default - no `runbook_url` annotation
   */
  readonly runbookBaseUrl?: string;
  /**
   * VllmPreemptions: `threshold` is preemptions per second of one pod.
   * @default - threshold 0.05, for 30 s, warning
   */
  readonly preemptions?: ThresholdAlertOptions;
  /**
   * VllmKvCacheSaturated: `threshold` is the fraction (0, 1] of one pod's KV cache in use.
   * @default - threshold 0.9, for 5 min, warning
   */
  readonly kvCacheSaturated?: ThresholdAlertOptions;
  /**
   * VllmQueueBacklog: `threshold` is requests waiting per replica; must exceed the autoscaler's target.
   * @default - threshold 2 x the autoscaler's target (10 without an autoscaler), for a scale-up (cold start + 2 min, at least 5 min), warning
   */
  readonly queueBacklog?: ThresholdAlertOptions;
  /**
   * VllmAutoscalerAtCeiling (only with an autoscaler): the HPA at its maximum while the queue is above target.
   * @default - for a scale-up (cold start + 2 min, at least 5 min), critical
   */
  readonly autoscalerAtCeiling?: AlertOptions;
  /**
   * VllmScaleUpStalled: replicas wanted but not ready for longer than the startup window. Silent while the Deployment
   * is younger than its first bring-up can take (the cache fill from the hub plus the startup window), so a first deploy
   * does not fire it (needs kube-state-metrics' `kube_deployment_created`).
   * @default - for the startup window rounded up to a minute, warning
   */
  readonly scaleUpStalled?: AlertOptions;
  /**
   * VllmTimeToFirstTokenHigh: a quantile of time to first token above the objective.
   * @default - p95 over 5 min above 2 s, for 5 min, critical
   */
  readonly timeToFirstToken?: LatencyAlertOptions;
  /**
   * VllmMetricsAbsent: no vLLM series of this server while its Deployment has ready replicas.
   * @default - for 5 min, critical
   */
  readonly metricsAbsent?: AlertOptions;
}

/** The thresholds of the emitted alerts, for the panels that watch the same series. */
export interface ServingAlertThresholds {
  /**
   * VllmPreemptions: preemptions per second of one pod.
   * @default - none: the alert is disabled
   */
  readonly preemptionsPerSecond?: number;
  /**
   * VllmKvCacheSaturated: fraction (0-1) of one pod's KV cache in use.
   * @default - none: the alert is disabled
   */
  readonly kvCacheUsage?: number;
  /**
   * VllmQueueBacklog: requests waiting per replica.
   * @default - none: the alert is disabled
   */
  readonly waitingPerReplica?: number;
  /**
   * VllmTimeToFirstTokenHigh: the objective, in seconds.
   * @default - none: the alert is disabled
   */
  readonly timeToFirstTokenSeconds?: number;
  /**
   * VllmTimeToFirstTokenHigh: the quantile compared with the objective.
   * @default - none: the alert is disabled
   */
  readonly timeToFirstTokenQuantile?: number;
}

interface AlertDefaults {
  readonly severity: AlertSeverity;
  readonly pendingSeconds: number;
}

/**
 * Prometheus alerts for one VllmService: one PrometheusRule (`monitoring.coreos.com/v1`) with a rule group
 * scoped to the server's namespace, Service and served model (see docs/alerts.md).
 */
export class ServingAlerts extends Construct {
  /**
   * The bucket bounds of vLLM's time-to-first-token histogram, seconds (vllm/v1/metrics/loggers.py): objectives on
   * one of them are measured, objectives between two are interpolated.
   */
  public static readonly TIME_TO_FIRST_TOKEN_BUCKETS: number[] = [...TIME_TO_FIRST_TOKEN_BUCKETS];

  /** The alert names, in the order of the rule group. */
  public readonly alertNames: string[];
  /** The PrometheusRule (`monitoring.coreos.com/v1`). */
  public readonly rule: ApiObject;
  /** The server these alerts watch. */
  public readonly server: VllmService;
  /** The thresholds of the enabled alerts. */
  public readonly thresholds: ServingAlertThresholds;

  private readonly check: Check;
  private readonly rules: PrometheusRuleSpecGroupsRules[] = [];
  private readonly alertLabels: { [label: string]: string };

  public constructor(scope: Construct, id: string, props: ServingAlertsProps) {
    super(scope, id);
    this.check = new Check(subjectOf(this, 'ServingAlerts'));
    this.check.required(props, ['server']);
    const check = this.check;
    const server = props.server;
    this.server = server;
    const existing = server.node.tryFindChild(ALERTS_MARK) as AlertsMark | undefined;
    if (existing) {
      throw check.error('server', server.node.path,
        `is already watched by ServingAlerts '${existing.alertsPath}': two rule sets on one server fire every alert twice; keep one`);
    }
    const namespace = server.namespace ?? props.autoscaler?.queryNamespace;
    check.that(namespace !== undefined, 'server.namespace', namespace,
      `must be set (give VllmService '${server.node.path}' or its chart a namespace, or its QueueAutoscaler a queryNamespace): every alert is scoped by it`);
    if (props.runbookBaseUrl !== undefined) {
      check.that(/^https?:\/\/\S+$/.test(props.runbookBaseUrl), 'runbookBaseUrl', props.runbookBaseUrl, 'must be an http(s) URL');
    }
    checkLabels(check, 'ruleLabels', props.ruleLabels);
    checkPrometheusLabels(check, 'alertLabels', props.alertLabels);
    this.alertLabels = { ...props.alertLabels };
    check.that(this.alertLabels.severity === undefined, 'alertLabels', this.alertLabels, 'must not set severity (set it per alert)');
    check.that(this.alertLabels.alertname === undefined, 'alertLabels', this.alertLabels, 'must not set alertname: Prometheus sets it to the rule\'s name and would overwrite it');
    const autoscaler = props.autoscaler;
    if (autoscaler) {
      check.integer('autoscaler.maxReplicas', autoscaler.maxReplicas, 1);
      check.positive('autoscaler.targetQueuePerReplica', autoscaler.targetQueuePerReplica);
      if (autoscaler.server !== server) {
        throw check.problem(`autoscaler scales VllmService '${autoscaler.server.node.path}', not the server '${server.node.path}' these alerts watch`);
      }
    }

    const queries = new AlertQueries({
      namespace: namespace as string,
      service: server.serviceName,
      modelName: server.model.servedModelName,
    }, server.scrapeInterval);
    const deployment = server.deployment.name;
    // A scale-up takes the cold start plus metric lag, KEDA polling and the HPA sync.
    const scaleUpSeconds = Math.max(300, roundUpToMinute(server.coldStart.totalSeconds + 120));
    const startupWindowSeconds = roundUpToMinute(server.coldStart.startupWindowSeconds);
    // A first deploy also waits for the cache to be filled from the hub: no alert before that could have happened.
    const cacheFill = server.cache?.populateJob ? ColdStart.estimate(server.model, false).weightLoadSeconds : 0;
    const firstDeploySeconds = roundUpToMinute(Math.ceil(cacheFill) + server.coldStart.startupWindowSeconds);

    const preemptions = props.preemptions ?? {};
    const preemptionThreshold = preemptions.threshold ?? 0.05;
    this.add('VllmPreemptions', 'preemptions', preemptions, { severity: AlertSeverity.WARNING, pendingSeconds: 30 },
      () => {
        check.that(Number.isFinite(preemptionThreshold) && preemptionThreshold >= 0, 'preemptions.threshold', preemptionThreshold, 'must be a number >= 0');
        return queries.preemptionRateAbove(preemptionThreshold);
      },
      'vLLM pod {{ $labels.pod }} is preempting requests',
      `Pod {{ $labels.pod }} serving {{ $labels.model_name }} in {{ $labels.namespace }} preempts {{ printf "%.2f" $value }} sequences/s (threshold ${preemptionThreshold}): its KV cache is full and requests are being evicted and recomputed; tail latency rises next.`,
      props.runbookBaseUrl);

    const kv = props.kvCacheSaturated ?? {};
    const kvThreshold = kv.threshold ?? 0.9;
    this.add('VllmKvCacheSaturated', 'kvCacheSaturated', kv, { severity: AlertSeverity.WARNING, pendingSeconds: 300 },
      () => {
        check.inHalfOpenRange('kvCacheSaturated.threshold', kvThreshold, 0, 1);
        return queries.kvCacheUsageAtLeast(kvThreshold);
      },
      'vLLM pod {{ $labels.pod }} has a full KV cache',
      `Pod {{ $labels.pod }} serving {{ $labels.model_name }} in {{ $labels.namespace }} uses {{ $value | humanizePercentage }} of its KV cache (threshold ${round(kvThreshold * 100)}%): it cannot admit more work without preempting.`,
      props.runbookBaseUrl);

    const backlog = props.queueBacklog ?? {};
    const target = autoscaler?.targetQueuePerReplica;
    const backlogThreshold = backlog.threshold ?? (target !== undefined ? 2 * target : 10);
    this.add('VllmQueueBacklog', 'queueBacklog', backlog, { severity: AlertSeverity.WARNING, pendingSeconds: scaleUpSeconds },
      () => {
        check.positive('queueBacklog.threshold', backlogThreshold);
        if (target !== undefined) {
          check.that(backlogThreshold > target, 'queueBacklog.threshold', backlogThreshold,
            `must exceed the autoscaler's targetQueuePerReplica (${target}), or it fires in normal operation`);
        }
        return queries.waitingPerReplicaAbove(backlogThreshold);
      },
      'vLLM requests for {{ $labels.model_name }} are queueing',
      `{{ printf "%.1f" $value }} requests wait per replica of {{ $labels.model_name }} (Service {{ $labels.service }} in {{ $labels.namespace }}), above ${backlogThreshold}, for longer than a scale-up takes.`,
      props.runbookBaseUrl);

    if (autoscaler) {
      this.add('VllmAutoscalerAtCeiling', 'autoscalerAtCeiling', props.autoscalerAtCeiling ?? {},
        { severity: AlertSeverity.CRITICAL, pendingSeconds: scaleUpSeconds },
        () => queries.waitingAboveTargetAtMaxReplicas(autoscaler.hpaName, autoscaler.targetQueuePerReplica),
        'vLLM autoscaler for {{ $labels.model_name }} is at its maximum replicas',
        `HPA ${autoscaler.hpaName} in {{ $labels.namespace }} runs its maximum replicas (${autoscaler.maxReplicas}) and still {{ printf "%.1f" $value }} requests wait per replica of {{ $labels.model_name }} (target ${autoscaler.targetQueuePerReplica}): raise maxReplicas or add GPU capacity.`,
        props.runbookBaseUrl);
    }

    this.add('VllmScaleUpStalled', 'scaleUpStalled', props.scaleUpStalled ?? {},
      { severity: AlertSeverity.WARNING, pendingSeconds: startupWindowSeconds },
      () => queries.replicasNotReady(deployment, firstDeploySeconds),
      'vLLM Deployment {{ $labels.deployment }} is not scaling up',
      `{{ $value }} replica(s) of Deployment {{ $labels.deployment }} in {{ $labels.namespace }} (model ${templateLiteral(server.model.servedModelName)}) have not become ready within the startup window (${promDuration(startupWindowSeconds)}): pods are pending (no GPU node) or failing to start.`,
      props.runbookBaseUrl);

    const ttft = props.timeToFirstToken ?? {};
    const slo = ttft.slo ?? Duration.seconds(2);
    const sloSeconds = durationSeconds(check, 'timeToFirstToken.slo', slo);
    const quantile = ttft.quantile ?? 0.95;
    // The default window widens with a long scrape interval, so it never fails on a value the user did not set.
    const window = ttft.window ?? Duration.seconds(Math.max(300, 4 * server.scrapeInterval.toSeconds()));
    this.add('VllmTimeToFirstTokenHigh', 'timeToFirstToken', ttft, { severity: AlertSeverity.CRITICAL, pendingSeconds: 300 },
      () => {
        check.positive('timeToFirstToken.slo', sloSeconds);
        check.that(Number.isFinite(quantile) && quantile > 0 && quantile < 1, 'timeToFirstToken.quantile', quantile, 'must be in (0, 1)');
        check.wholeSeconds('timeToFirstToken.window', window, 4 * server.scrapeInterval.toSeconds(), 86_400);
        return queries.timeToFirstTokenAbove(quantile, sloSeconds, window);
      },
      `vLLM time to first token for {{ $labels.model_name }} is above ${sloSeconds}s`,
      `The p${round(quantile * 100)} time to first token of {{ $labels.model_name }} (Service {{ $labels.service }} in {{ $labels.namespace }}) is {{ humanizeDuration $value }}, above the objective of ${sloSeconds}s.${sloNote(sloSeconds)}`,
      props.runbookBaseUrl);

    this.add('VllmMetricsAbsent', 'metricsAbsent', props.metricsAbsent ?? {}, { severity: AlertSeverity.CRITICAL, pendingSeconds: 300 },
      () => queries.metricsAbsentWhileReady(deployment),
      'No vLLM metrics for {{ $labels.model_name }}',
      'Prometheus has no vLLM series for {{ $labels.model_name }} (Service {{ $labels.service }} in {{ $labels.namespace }}) while {{ $value }} replica(s) are ready: the queue autoscaler is blind (KEDA holds its fallback) and the other serving alerts cannot fire.',
      props.runbookBaseUrl);

    this.alertNames = this.rules.map((r) => r.alert!);
    const on = (options: AlertOptions): boolean => options.enabled !== false;
    this.thresholds = {
      preemptionsPerSecond: on(preemptions) ? preemptionThreshold : undefined,
      kvCacheUsage: on(kv) ? kvThreshold : undefined,
      waitingPerReplica: on(backlog) ? backlogThreshold : undefined,
      timeToFirstTokenSeconds: on(ttft) ? sloSeconds : undefined,
      timeToFirstTokenQuantile: on(ttft) ? quantile : undefined,
    };
    this.rule = new PrometheusRule(this, 'Resource', {
      metadata: { namespace: server.namespace, labels: { ...server.labels, ...props.ruleLabels } },
      spec: {
        groups: [{ name: `vllm-serving.${namespace}.${server.serviceName}`, rules: this.rules }],
      },
    });
    MonitoringSelection._select(this.rule);
    checkRenderedMetadata(check, this);
    new AlertsMark(server, this.node.path);
  }

  private add(
    name: string,
    prop: string,
    options: AlertOptions,
    defaults: AlertDefaults,
    expr: () => string,
    summary: string,
    description: string,
    runbookBaseUrl: string | undefined,
  ): void {
    const pendingSeconds = options.pendingFor !== undefined
      ? this.check.wholeSeconds(`${prop}.pendingFor`, options.pendingFor, 0, 7 * 86_400)
      : defaults.pendingSeconds;
    // Validated even when disabled, so a bad value never waits to surface until the alert is switched on.
    const expression = expr();
    if (options.enabled === false) return;
    if (options.runbookUrl !== undefined) {
      this.check.that(typeof options.runbookUrl === 'string' && /^https?:\/\/\S+$/.test(options.runbookUrl), `${prop}.runbookUrl`, options.runbookUrl, 'must be an http(s) URL');
    }
    const runbookUrl = options.runbookUrl ?? (runbookBaseUrl !== undefined ? `${runbookBaseUrl}#${name.toLowerCase()}` : undefined);
    this.rules.push({
      alert: name,
      expr: PrometheusRuleSpecGroupsRulesExpr.fromString(expression),
      for: promDuration(pendingSeconds),
      labels: Object.fromEntries(Object.entries({ ...this.alertLabels, severity: (options.severity ?? defaults.severity).value })
        .map(([label, value]) => [label, templateLiteral(value)])),
      annotations: {
        summary,
        description,
        ...(runbookUrl !== undefined ? { runbook_url: templateLiteral(runbookUrl) } : {}),
      },
    });
  }
}

function roundUpToMinute(seconds: number): number {
  return Math.ceil(seconds / 60) * 60;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function sloNote(seconds: number): string {
  const note = bucketNote(seconds);
  return note === '' ? '' : ` ${note}`;
}

const ALERTS_MARK = 'ServingAlertsMark';

/** Marks a server as watched, so a second ServingAlerts on it is refused. */
class AlertsMark extends Construct {
  public constructor(server: Construct, public readonly alertsPath: string) {
    super(server, ALERTS_MARK);
  }
}
