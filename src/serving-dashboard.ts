import { createHash } from 'crypto';
import * as dashboardCommon from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ApiObject, Names } from 'cdk8s';
import { Construct } from 'constructs';
import { ServingAlerts } from './alerts';
import { Check, subjectOf } from './errors';
import { bucketNote, DashboardQueries, DeploymentGpus, rateWindow, regexLiteral, TIME_TO_FIRST_TOKEN_BUCKETS } from './promql';
import { QueueAutoscaler } from './queue-autoscaler';
import { registerNames } from './validation/collisions';
import { checkLabels, checkNamespace, checkRenderedMetadata } from './validation/kubernetes-names';
import { VllmService } from './vllm-service';

/** Properties of ServingDashboard. */
export interface ServingDashboardProps {
  /** The servers shown (at least one); the dashboard's `namespace` and `model` variables choose among them. */
  readonly servers: VllmService[];
  /**
   * The servers' queue autoscalers: their HPAs and ScaledObjects fill the scaling row, their targets are drawn on the queue panel.
   * @default - the scaling row shows the Deployments' ready replicas only
   */
  readonly autoscalers?: QueueAutoscaler[];
  /**
   * The servers' alerts: each enabled alert's threshold is drawn on the panel that watches the same series.
   * @default - no alert thresholds drawn
   */
  readonly alerts?: ServingAlerts[];
  /**
   * The dashboard title. Grafana refuses to provision two dashboards of one title in one folder, so the default
   * names the servers.
   * @default - 'vLLM serving: ' and the servers' `namespace/service` names
   */
  readonly title?: string;
  /**
   * The dashboard's uid (at most 40 letters, digits, `-` or `_`): links to the dashboard use it.
   * @default - derived from the construct path and the servers' namespaces and Service names, so two charts (or one
   * chart synthesized for two namespaces) give two uids
   */
  readonly uid?: string;
  /**
   * Namespace of the ConfigMap. kube-prometheus-stack's sidecar searches every namespace (`searchNamespace: ALL`);
   * a Grafana chart installed alone watches only its own unless `sidecar.dashboards.searchNamespace` is set.
   * @default - the first server's namespace
   */
  readonly namespace?: string;
  /**
   * Labels on the ConfigMap that the Grafana dashboard sidecar selects on (with the server's `app.kubernetes.io/*` labels).
   * @default { grafana_dashboard: '1' } (kube-prometheus-stack's `grafana.sidecar.dashboards.label` and `labelValue`)
   */
  readonly sidecarLabels?: { [label: string]: string };
  /**
   * The Grafana folder to file the dashboard in.
   * @default - no folder annotation: the sidecar's default folder
   */
  readonly folder?: string;
  /**
   * The ConfigMap annotation the sidecar reads the folder from: it must equal the Grafana chart's
   * `sidecar.dashboards.folderAnnotation`, which kube-prometheus-stack leaves unset (set it, with
   * `sidecar.dashboards.provider.foldersFromFilesStructure: true`, for folders to apply).
   * @default 'grafana_folder'
   */
  readonly folderAnnotation?: string;
}

const TITLE_PREFIX = 'vLLM serving';
/** The API server's limit on a ConfigMap's data (k8s.io/api core/v1 MaxSecretSize, applied to ConfigMaps too). */
const MAX_CONFIG_MAP_BYTES = 1024 * 1024;
const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
const QUANTILES = [0.5, 0.95, 0.99];
const LEGEND_SERVER = '{{model_name}} ({{namespace}})';
const LEGEND_POD = '{{pod}} ({{model_name}})';

/**
 * A Grafana dashboard of one or several VllmServices, as a ConfigMap that the kube-prometheus-stack Grafana sidecar
 * loads (prometheus-community/helm-charts charts/kube-prometheus-stack/values.yaml, `grafana.sidecar.dashboards`:
 * label `grafana_dashboard`, value "1", `searchNamespace: ALL`).
 *
 * Rows read top to bottom: is it keeping up, is it scaling, is a replica full, what it costs. Built with Grafana's
 * own builders (`@grafana/grafana-foundation-sdk`); every query comes from promql.ts.
 */
export class ServingDashboard extends Construct {
  /** The ConfigMap holding the dashboard JSON. */
  public readonly configMap: ApiObject;
  /** The dashboard's uid. */
  public readonly uid: string;
  /** The key of the dashboard JSON in the ConfigMap's data. */
  public readonly fileName: string;
  /** Every PromQL expression of the dashboard, in panel order (Grafana variables such as `$namespace` unexpanded). */
  public readonly queries: string[];

  private readonly model: unknown;

  public constructor(scope: Construct, id: string, props: ServingDashboardProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'ServingDashboard'));
    check.required(props, ['servers']);
    const servers = props.servers;
    check.that(servers.length > 0, 'servers', servers.length, 'must hold at least one VllmService');
    for (const server of servers) {
      check.that(server.namespace !== undefined, 'servers', server.node.path,
        'must each have a namespace (set one on the Chart or the VllmService): the dashboard selects series by it');
    }
    const autoscalers = props.autoscalers ?? [];
    for (const autoscaler of autoscalers) {
      check.that(servers.includes(autoscaler.server), 'autoscalers', autoscaler.node.path,
        `must each scale one of the servers; it scales '${autoscaler.server.node.path}'`);
    }
    const alerts = props.alerts ?? [];
    for (const alert of alerts) {
      check.that(servers.includes(alert.server), 'alerts', alert.node.path,
        `must each watch one of the servers; it watches '${alert.server.node.path}'`);
    }
    for (const server of servers) {
      check.that(!server.model.servedModelName.includes(','), 'servers', server.node.path,
        `serves the model name '${server.model.servedModelName}', which holds ',': Grafana splits a custom variable's values on ',', and the model variable would match no series`);
    }
    if (props.title !== undefined) {
      check.that(typeof props.title === 'string' && props.title.trim().length > 0, 'title', props.title,
        'must not be empty: Grafana refuses to provision a dashboard without a title');
    }
    // A label value may hold dots, a uid may not.
    const serverSet = unique(servers.map((s) => `${s.namespace}/${s.serviceName}`)).sort();
    this.uid = props.uid ?? `${Names.toLabelValue(this, { maxLen: 29 }).replace(/[^A-Za-z0-9_-]/g, '-')}-`
      + createHash('sha256').update(JSON.stringify(serverSet)).digest('hex').slice(0, 10);
    check.that(/^[A-Za-z0-9_-]{1,40}$/.test(this.uid), 'uid', this.uid, 'must be 1 to 40 letters, digits, - or _');
    const folderAnnotation = props.folderAnnotation ?? 'grafana_folder';
    check.that(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(folderAnnotation), 'folderAnnotation', folderAnnotation,
      'must be a valid Kubernetes annotation key');
    this.fileName = `${this.uid}.json`;

    const queries = new DashboardQueries({
      namespace: '$namespace',
      modelName: '$model',
      service: alternation(servers.map((s) => s.serviceName)),
      hpa: alternation(autoscalers.map((a) => a.hpaName)),
      deployment: alternation(servers.map((s) => s.deployment.name)),
      scaledObject: alternation(autoscalers.map((a) => a.scaledObjectName)),
      rateWindow: rateWindow(maxScrapeInterval(servers)),
    });
    const thresholds = {
      target: autoscalers.map((a) => a.targetQueuePerReplica),
      inFlightTarget: autoscalers.filter((a) => a.capacityEnabled).map((a) => a.targetInFlightPerReplica),
      backlog: defined(alerts.map((a) => a.thresholds.waitingPerReplica)),
      slo: defined(alerts.map((a) => a.thresholds.timeToFirstTokenSeconds)),
      kvCache: defined(alerts.map((a) => a.thresholds.kvCacheUsage)),
      preemptions: defined(alerts.map((a) => a.thresholds.preemptionsPerSecond)),
      maxRunning: servers.map((s) => s.maxRunningPerReplica),
    };
    const gpus: DeploymentGpus[] = servers.map((s) => ({ deployment: s.deployment.name, gpusPerReplica: s.gpuCount }));
    const collected: string[] = [];
    const target = (expr: string, legend: string, refId: string): prometheus.DataqueryBuilder => {
      collected.push(expr);
      return new prometheus.DataqueryBuilder().expr(expr).legendFormat(legend).refId(refId).datasource(DATASOURCE);
    };
    const quantiles = (build: (q: number) => string): prometheus.DataqueryBuilder[] =>
      QUANTILES.map((q, i) => target(build(q), `p${q * 100} ${LEGEND_SERVER}`, String.fromCharCode(65 + i)));

    const builder = new dashboard.DashboardBuilder(props.title ?? `${TITLE_PREFIX}: ${serverSet.join(', ')}`)
      .uid(this.uid)
      .tags(['vllm', 'cdk8s-vllm'])
      .editable()
      .time({ from: 'now-6h', to: 'now' })
      .refresh('30s')
      .timezone('browser')
      .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
      .withVariable(customVariable('namespace', 'Namespace', unique(servers.map((s) => s.namespace!))))
      .withVariable(customVariable('model', 'Model', unique(servers.map((s) => s.model.servedModelName))));

    builder.withRow(new dashboard.RowBuilder('Is it keeping up?'));
    builder.withPanel(graph('Requests waiting per replica', 'short',
      'Requests admitted and not yet scheduled, per scraped replica: what KEDA divides by its target. Lines: the autoscaler target, then the backlog alert.')
      .withTarget(target(queries.waitingPerReplica(), LEGEND_SERVER, 'A'))
      .thresholds(steps([...thresholds.target.map((v) => [v, 'yellow'] as Step), ...thresholds.backlog.map((v) => [v, 'red'] as Step)])));
    builder.withPanel(graph('Requests in flight per replica', 'short',
      'Requests running or waiting, per scraped replica: what the in-flight trigger divides by its target. Line: the in-flight target.')
      .withTarget(target(queries.inFlightPerReplica(), LEGEND_SERVER, 'A'))
      .thresholds(steps(thresholds.inFlightTarget.map((v) => [v, 'yellow'] as Step))));
    const notes = unique(thresholds.slo.map(bucketNote).filter((n) => n !== ''));
    const ttft = graph('Time to first token', 's', ['p50, p95 and p99 over every replica, interpolated inside vLLM\'s histogram buckets '
      + `(${TIME_TO_FIRST_TOKEN_BUCKETS.filter((b) => b >= 0.1 && b <= 10).join(', ')} s, ...). Line: the objective of the time-to-first-token alert.`, ...notes].join(' '));
    quantiles((q) => queries.timeToFirstToken(q)).forEach((t) => ttft.withTarget(t));
    builder.withPanel(ttft.thresholds(steps(thresholds.slo.map((v) => [v, 'red'] as Step))));
    const itl = graph('Inter-token latency', 's', 'p50, p95 and p99 of the time between two output tokens.');
    quantiles((q) => queries.interTokenLatency(q)).forEach((t) => itl.withTarget(t));
    builder.withPanel(itl);
    builder.withPanel(graph('Requests per second', 'reqps', 'Finished requests per second, every finish reason.')
      .withTarget(target(queries.requestsPerSecond(), LEGEND_SERVER, 'A')));
    builder.withPanel(graph('Tokens per second', 'short', 'Prompt tokens processed and tokens generated per second.')
      .withTarget(target(queries.promptTokensPerSecond(), `prompt ${LEGEND_SERVER}`, 'A'))
      .withTarget(target(queries.generationTokensPerSecond(), `generated ${LEGEND_SERVER}`, 'B')));

    builder.withRow(new dashboard.RowBuilder('Is it scaling?'));
    const replicas = graph('Replicas', 'short', autoscalers.length > 0
      ? 'Desired, current and maximum replicas of the HPA KEDA generated, and the ready replicas of the Deployment (kube-state-metrics).'
      : 'Ready replicas of the Deployment (kube-state-metrics).');
    if (autoscalers.length > 0) {
      replicas
        .withTarget(target(queries.hpaReplicas('desired'), 'desired {{horizontalpodautoscaler}}', 'A'))
        .withTarget(target(queries.hpaReplicas('current'), 'current {{horizontalpodautoscaler}}', 'B'))
        .withTarget(target(queries.hpaReplicas('max'), 'max {{horizontalpodautoscaler}}', 'C'));
    }
    builder.withPanel(replicas.withTarget(target(queries.readyReplicas(), 'ready {{deployment}}', 'D')));
    if (autoscalers.length > 0) {
      builder.withPanel(graph('Autoscaler: paused, failed metric reads', 'short',
        'paused: 1 while the ScaledObject carries autoscaling.keda.sh/paused. errors/s: failed reads of the queue metric; KEDA holds its fallback replicas after fallback.failureThreshold failures in a row (KEDA operator metrics).')
        .withTarget(target(queries.scaledObjectPaused(), 'paused {{scaledObject}}', 'A'))
        .withTarget(target(queries.scalerErrorsPerSecond(), 'errors/s {{scaledObject}}', 'B')));
    }

    builder.withRow(new dashboard.RowBuilder('Is a replica full?'));
    builder.withPanel(graph('KV-cache usage per pod', 'percentunit', 'Fraction of each pod\'s KV cache in use. Line: the KV-cache alert.')
      .min(0).max(1)
      .withTarget(target(queries.kvCacheUsagePerPod(), LEGEND_POD, 'A'))
      .thresholds(steps(thresholds.kvCache.map((v) => [v, 'red'] as Step))));
    builder.withPanel(graph('Preemptions per second per pod', 'short', 'Sequences evicted for lack of KV cache. Line: the preemption alert.')
      .withTarget(target(queries.preemptionsPerSecondPerPod(), LEGEND_POD, 'A'))
      .thresholds(steps(thresholds.preemptions.map((v) => [v, 'red'] as Step))));
    builder.withPanel(graph('Running requests per pod', 'short',
      'Requests in each pod\'s running batch. Line: the most a pod runs at once, --max-num-seqs times its data-parallel ranks.')
      .withTarget(target(queries.runningPerPod(), LEGEND_POD, 'A'))
      .thresholds(steps(thresholds.maxRunning.map((v) => [v, 'orange'] as Step))));

    builder.withRow(new dashboard.RowBuilder('What does it cost?'));
    builder.withPanel(graph('GPUs', 'short', 'GPUs held: pods of each Deployment (starting ones too) times the GPUs of one pod.')
      .stacking(new dashboardCommon.StackingConfigBuilder().mode(dashboardCommon.StackingMode.Normal))
      .withTarget(target(queries.gpus(gpus), '{{deployment}}', 'A')));
    builder.withPanel(new stat.PanelBuilder()
      .title('GPU-hours over the time range')
      .description('Mean GPUs held over the dashboard\'s time range (sampled every minute) times its length in hours.')
      .unit('short').decimals(1).span(12).height(8)
      .datasource(DATASOURCE)
      .withTarget(target(queries.gpuHours(gpus, '$__range', '$__range_s'), 'GPU-hours', 'A').instant()));

    this.queries = collected;
    const model = builder.build();
    // Grafana keys panel state (links, edits) on the panel id: number them in reading order.
    (model.panels ?? []).forEach((panel, i) => { panel.id = i + 1; });
    this.model = model;

    const annotations = props.folder !== undefined ? { [folderAnnotation]: props.folder } : undefined;
    this.configMap = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        namespace: props.namespace ?? servers[0].namespace,
        labels: { ...servers[0].labels, ...(props.sidecarLabels ?? { grafana_dashboard: '1' }) },
        annotations,
      },
      data: { [this.fileName]: this.toJson() },
    });
    checkNamespace(check, 'namespace', props.namespace);
    checkLabels(check, 'sidecarLabels', props.sidecarLabels);
    checkRenderedMetadata(check, this);
    const bytes = Buffer.byteLength(this.fileName) + Buffer.byteLength(this.toJson());
    check.that(bytes <= MAX_CONFIG_MAP_BYTES, 'rendered ConfigMap data', `${bytes} bytes`,
      `must total at most ${MAX_CONFIG_MAP_BYTES} bytes (1 MiB, the API server's limit on a ConfigMap): shorten the title or split the servers over several dashboards`);
    registerNames(this, 'ServingDashboard', () => [{ kind: 'dashboard uid', scope: 'Grafana', name: this.uid }]);
  }

  /** The dashboard JSON model, as Grafana imports it. */
  public toJson(): string {
    return JSON.stringify(this.model, undefined, 2);
  }
}

type Step = [number, string];

/** A time series panel, half a row wide, reading the `datasource` variable. */
function graph(title: string, unit: string, description: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .span(12)
    .height(8)
    .datasource(DATASOURCE)
    .fillOpacity(10)
    .legend(new dashboardCommon.VizLegendOptionsBuilder()
      .showLegend(true)
      .displayMode(dashboardCommon.LegendDisplayMode.List)
      .placement(dashboardCommon.LegendPlacement.Bottom))
    .thresholdsStyle(new dashboardCommon.GraphThresholdsStyleConfigBuilder().mode(dashboardCommon.GraphThresholdsStyleMode.Dashed));
}

/** Absolute thresholds drawn as dashed lines: green below the first value, each step's colour from its value on. */
function steps(values: Step[]): dashboard.ThresholdsConfigBuilder {
  const seen = new Set<number>();
  const sorted = values.filter(([v]) => (seen.has(v) ? false : (seen.add(v), true))).sort((a, b) => a[0] - b[0]);
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'green' }, ...sorted.map(([value, color]) => ({ value, color }))]);
}

function customVariable(name: string, label: string, values: string[]): dashboard.CustomVariableBuilder {
  return new dashboard.CustomVariableBuilder(name)
    .label(label)
    .values(values.join(','))
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: 'All', value: '$__all' });
}

/** The names as one regular expression that matches exactly them (`^(?:…)$` is implied by PromQL's `=~`). */
function alternation(names: string[]): string {
  return unique(names).map(regexLiteral).join('|');
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function defined(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

function maxScrapeInterval(servers: VllmService[]) {
  return servers.map((s) => s.scrapeInterval).reduce((a, b) => (b.toSeconds() > a.toSeconds() ? b : a));
}
