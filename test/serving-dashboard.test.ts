import { Duration, Testing } from 'cdk8s';
import { Gpu, QueueAutoscaler, ServingAlerts, ServingDashboard, ServingDashboardProps, VllmService } from '../src';
import { DashboardQueries, regexLiteral } from '../src/promql';
import { ExpectedSample, InputSeries, requirePromtool, testRules } from './promql/promtool';
import { expectValidManifests } from './schema/validate';
import { errorOf, findOne, LLAMA_70B, LLAMA_8B, testChart } from './util';

const NAMESPACE = 'inference';
const SERVED = LLAMA_8B.servedModelName;

interface Synthesized {
  readonly server: VllmService;
  readonly autoscaler: QueueAutoscaler;
  readonly dashboard: ServingDashboard;
  readonly configMap: any;
  /** The dashboard JSON model, parsed back from the ConfigMap. */
  readonly model: any;
}

/** A 2-GPU server in namespace `inference`, its queue autoscaler (target 5, max 4), its alerts and a dashboard of them. */
function synthDashboard(props: Partial<ServingDashboardProps> = {}): Synthesized {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 2, maxNumSeqs: 64 });
  const autoscaler = new QueueAutoscaler(chart, 'scaler', { server, maxReplicas: 4, targetQueuePerReplica: 5, capacityTrigger: { enabled: true, utilization: 0.25 }, prometheusAddress: 'http://prometheus.monitoring:9090' });
  const alerts = new ServingAlerts(chart, 'alerts', { server, autoscaler });
  const dashboard = new ServingDashboard(chart, 'dashboard', { servers: [server], autoscalers: [autoscaler], alerts: [alerts], ...props });
  const configMap = findOne(Testing.synth(chart), 'ConfigMap');
  const model = JSON.parse(configMap.data[dashboard.fileName]);
  return { server, autoscaler, dashboard, configMap, model };
}

function panel(model: any, title: string): any {
  const found = model.panels.filter((p: any) => p.title === title);
  if (found.length !== 1) throw new Error(`expected one panel '${title}', found ${found.length}`);
  return found[0];
}

function thresholdValues(p: any): number[] {
  return p.fieldConfig.defaults.thresholds.steps.map((s: any) => s.value).filter((v: any) => v !== null);
}

describe('ServingDashboard ConfigMap', () => {
  test('GIVEN a server WHEN synthesized THEN a schema-valid ConfigMap the Grafana sidecar picks up', () => {
    const { configMap, dashboard, server } = synthDashboard({ folder: 'Inference' });
    expectValidManifests([configMap]);
    expect(configMap.metadata.namespace).toBe(NAMESPACE);
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(configMap.metadata.labels['app.kubernetes.io/name']).toBe(server.labels['app.kubernetes.io/name']);
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Inference' });
    expect(Object.keys(configMap.data)).toEqual([`${dashboard.uid}.json`]);
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
  });

  test('GIVEN custom sidecar labels, folder annotation and namespace THEN they replace the defaults', () => {
    const { configMap } = synthDashboard({ sidecarLabels: { dashboards: 'vllm' }, folder: 'GPU', folderAnnotation: 'k8s-sidecar-target-directory', namespace: 'monitoring' });
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(configMap.metadata.labels.dashboards).toBe('vllm');
    expect(configMap.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(configMap.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'GPU' });
  });

  test('the default uid is a valid Grafana uid even when construct ids hold dots', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    const d = new ServingDashboard(chart, 'llama.v2.dashboard', { servers: [server] });
    expect(d.uid).toMatch(/^t-llama-v2-dashboard-[0-9a-f]{8}-[0-9a-f]{10}$/);
  });

  test('without a folder there is no folder annotation', () => {
    expect(synthDashboard().configMap.metadata.annotations).toBeUndefined();
  });

  test('synthesis is deterministic', () => {
    expect(synthDashboard().configMap).toEqual(synthDashboard().configMap);
  });
});

describe('ServingDashboard model', () => {
  const { model, dashboard, autoscaler, server } = synthDashboard({ title: 'Llama' });

  test('rows read top to bottom: keeping up, scaling, replica full, cost', () => {
    expect(model.title).toBe('Llama');
    expect(model.uid).toBe(dashboard.uid);
    const rows = model.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title);
    expect(rows).toEqual(['Is it keeping up?', 'Is it scaling?', 'Is a replica full?', 'What does it cost?']);
    const ids = model.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const ys = model.panels.map((p: any) => p.gridPos.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
  });

  test('namespace and model variables list the servers, and every vLLM query is scoped by them', () => {
    const vars = Object.fromEntries(model.templating.list.map((v: any) => [v.name, v]));
    expect(vars.datasource.query).toBe('prometheus');
    expect(vars.namespace).toMatchObject({ type: 'custom', query: NAMESPACE, multi: true, includeAll: true });
    expect(vars.model).toMatchObject({ type: 'custom', query: SERVED, multi: true, includeAll: true });
    for (const q of dashboard.queries.filter((e) => e.includes('vllm:'))) {
      expect(q).toContain('namespace=~"$namespace"');
      expect(q).toContain('model_name=~"$model"');
      expect(q).toContain(`service=~"${server.serviceName}"`);
    }
  });

  test('every target is a query from promql.ts, on the datasource variable, with a unique refId per panel', () => {
    const panels = model.panels.filter((p: any) => p.type !== 'row');
    const exprs = panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    expect(exprs).toEqual(dashboard.queries);
    for (const p of panels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const refIds = p.targets.map((t: any) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  test('the scaling row reads the HPA KEDA generated and the ScaledObject by name', () => {
    const replicas = panel(model, 'Replicas').targets.map((t: any) => t.expr).join('\n');
    expect(replicas).toContain(`horizontalpodautoscaler=~"${autoscaler.hpaName}"`);
    expect(autoscaler.hpaName).toBe(`keda-hpa-${autoscaler.scaledObjectName}`);
    const keda = panel(model, 'Autoscaler: paused, failed metric reads').targets.map((t: any) => t.expr).join('\n');
    expect(keda).toContain(`keda_scaled_object_paused{scaledObject=~"${autoscaler.scaledObjectName}"}`);
    expect(keda).toContain('keda_scaler_detail_errors_total');
  });

  test('alert thresholds appear on the panels they watch', () => {
    // target 5, VllmQueueBacklog at 2 x target; TTFT SLO 2 s; KV cache 0.9; preemptions 0.05/s; --max-num-seqs 64
    expect(thresholdValues(panel(model, 'Requests waiting per replica'))).toEqual([5, 10]);
    // the in-flight target: a quarter of --max-num-seqs 64
    expect(thresholdValues(panel(model, 'Requests in flight per replica'))).toEqual([16]);
    expect(thresholdValues(panel(model, 'Time to first token'))).toEqual([2]);
    expect(thresholdValues(panel(model, 'KV-cache usage per pod'))).toEqual([0.9]);
    expect(thresholdValues(panel(model, 'Preemptions per second per pod'))).toEqual([0.05]);
    expect(thresholdValues(panel(model, 'Running requests per pod'))).toEqual([64]);
    expect(panel(model, 'Time to first token').fieldConfig.defaults.custom.thresholdsStyle.mode).toBe('dashed');
  });

  test('a disabled alert draws no threshold', () => {
    const chart = testChart();
    const only = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    const alerts = new ServingAlerts(chart, 'alerts', { server: only, kvCacheSaturated: { enabled: false }, timeToFirstToken: { slo: Duration.millis(1500) } });
    const d = new ServingDashboard(chart, 'dashboard', { servers: [only], alerts: [alerts] });
    const m = JSON.parse(d.toJson());
    expect(thresholdValues(panel(m, 'KV-cache usage per pod'))).toEqual([]);
    expect(thresholdValues(panel(m, 'Time to first token'))).toEqual([1.5]);
  });

  test('without an autoscaler the scaling row shows ready replicas only', () => {
    const chart = testChart();
    const only = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    const d = new ServingDashboard(chart, 'dashboard', { servers: [only] });
    const m = JSON.parse(d.toJson());
    expect(panel(m, 'Replicas').targets.map((t: any) => t.legendFormat)).toEqual(['ready {{deployment}}']);
    expect(m.panels.some((p: any) => p.title.startsWith('Autoscaler'))).toBe(false);
    expect(d.queries.join('\n')).not.toMatch(/horizontalpodautoscaler|keda_/);
  });

  test('a chart of servers: one dashboard lists every namespace and model, and counts each Deployment\'s GPUs', () => {
    const chart = testChart();
    const small = new VllmService(chart, 'small', { model: LLAMA_8B, gpu: Gpu.L4 });
    const large = new VllmService(chart, 'large', { model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 4, namespace: 'large-models' });
    const d = new ServingDashboard(chart, 'dashboard', { servers: [small, large] });
    const m = JSON.parse(d.toJson());
    const vars = Object.fromEntries(m.templating.list.map((v: any) => [v.name, v.query]));
    expect(vars.namespace).toBe(`${NAMESPACE},large-models`);
    expect(vars.model).toBe(`${LLAMA_8B.servedModelName},${LLAMA_70B.servedModelName}`);
    const gpus = panel(m, 'GPUs').targets[0].expr;
    expect(gpus).toContain(`deployment=~"${small.deployment.name}"}) * 1 or `);
    expect(gpus).toContain(`deployment=~"${large.deployment.name}"}) * 4`);
  });
});

describe('ServingDashboard validation', () => {
  test('servers must not be empty', () => {
    const chart = testChart();
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [] })))
      .toBe("ServingDashboard 'test/dashboard': servers (0) must hold at least one VllmService");
  });

  test('every server needs a namespace', () => {
    const chart = testChart({});
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [server] })))
      .toBe("ServingDashboard 'test/dashboard': servers ('test/server') must each have a namespace (set one on the Chart or the VllmService): the dashboard selects series by it");
  });

  test('an autoscaler must scale one of the servers', () => {
    const chart = testChart();
    const a = new VllmService(chart, 'a', { model: LLAMA_8B, gpu: Gpu.L4 });
    const b = new VllmService(chart, 'b', { model: LLAMA_8B, gpu: Gpu.L4 });
    const scaler = new QueueAutoscaler(chart, 'scaler', { server: b, maxReplicas: 2, prometheusAddress: 'http://prometheus:9090' });
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [a], autoscalers: [scaler] })))
      .toBe("ServingDashboard 'test/dashboard': autoscalers ('test/scaler') must each scale one of the servers; it scales 'test/b'");
  });

  test('alerts must watch one of the servers', () => {
    const chart = testChart();
    const a = new VllmService(chart, 'a', { model: LLAMA_8B, gpu: Gpu.L4 });
    const b = new VllmService(chart, 'b', { model: LLAMA_8B, gpu: Gpu.L4 });
    const alerts = new ServingAlerts(chart, 'alerts', { server: b });
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [a], alerts: [alerts] })))
      .toBe("ServingDashboard 'test/dashboard': alerts ('test/alerts') must each watch one of the servers; it watches 'test/b'");
  });

  test('uid must be at most 40 letters, digits, - or _', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [server], uid: 'vllm/serving' })))
      .toBe("ServingDashboard 'test/dashboard': uid ('vllm/serving') must be 1 to 40 letters, digits, - or _");
  });

  test('folderAnnotation must be an annotation key', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(errorOf(() => new ServingDashboard(chart, 'dashboard', { servers: [server], folder: 'x', folderAnnotation: 'grafana folder' })))
      .toBe("ServingDashboard 'test/dashboard': folderAnnotation ('grafana folder') must be a valid Kubernetes annotation key");
  });
});

// --- promtool: every dashboard query evaluated against series shaped as vLLM, the Prometheus Operator,
// kube-state-metrics and KEDA's operator expose them ----------------------------------------------------

const hasPromtool = requirePromtool();
const describePromtool = hasPromtool ? describe : describe.skip;

describePromtool('ServingDashboard queries under promtool', () => {
  const { dashboard, server, autoscaler } = synthDashboard();
  const SVC = server.serviceName;
  const DEPLOYMENT = server.deployment.name;
  const HPA = autoscaler.hpaName;
  const SO = autoscaler.scaledObjectName;
  const podA = `${DEPLOYMENT}-7c9d8f6b5-aaaaa`;
  const podB = `${DEPLOYMENT}-7c9d8f6b5-bbbbb`;
  const POINTS = 'x320'; // 15 s scrapes for 80 minutes

  /** A series as vLLM exposes it and the Prometheus Operator scrapes it (ServiceMonitor target labels). */
  function vllm(metric: string, pod: string, extra = '', opts: { namespace?: string; model?: string } = {}): string {
    const instance = pod.endsWith('b') ? '10.0.0.2:8000' : '10.0.0.1:8000';
    return `${metric}{namespace="${opts.namespace ?? NAMESPACE}",service="${SVC}",pod="${pod}",job="${SVC}",endpoint="http",instance="${instance}",container="vllm",model_name="${opts.model ?? SERVED}",engine="0"${extra}}`;
  }
  /** A kube-state-metrics series (scraped with honorLabels, as kube-prometheus-stack does), from one of two KSM replicas. */
  function ksm(metric: string, label: string, name: string, replica = 'x2x7q'): string {
    return `${metric}{namespace="${NAMESPACE}",${label}="${name}",job="kube-state-metrics",service="kube-prometheus-stack-kube-state-metrics",endpoint="http",container="kube-state-metrics",instance="10.0.9.9:8080",pod="kube-state-metrics-6d9f7c8b5-${replica}"}`;
  }
  /** A KEDA operator series: scraped without honorLabels, its own `namespace` label becomes `exported_namespace`. */
  function keda(metric: string, scaledObject: string, extra = ''): string {
    return `${metric}{exported_namespace="${NAMESPACE}",scaledObject="${scaledObject}"${extra},namespace="keda",service="keda-operator",pod="keda-operator-5d8f9c7b6-k2k2k",job="keda-operator",endpoint="metrics",instance="10.0.8.8:8080",container="keda-operator"}`;
  }
  /** Histogram buckets of one pod: half the observations at or below `low`, all at or below `high`. */
  function buckets(metric: string, pod: string, low: number, high: number): InputSeries[] {
    return [
      { series: vllm(metric, pod, `,le="${low}"`), values: `0+5${POINTS}` },
      { series: vllm(metric, pod, `,le="${high}"`), values: `0+10${POINTS}` },
      { series: vllm(metric, pod, ',le="+Inf"'), values: `0+10${POINTS}` },
    ];
  }

  const series: InputSeries[] = [
    // Keeping up: 6 + 2 requests waiting on two pods; a neighbour namespace and another model must not count.
    { series: vllm('vllm:num_requests_waiting', podA), values: `6${POINTS}` },
    { series: vllm('vllm:num_requests_waiting', podB), values: `2${POINTS}` },
    { series: vllm('vllm:num_requests_waiting', podA, '', { namespace: 'other' }), values: `100${POINTS}` },
    { series: vllm('vllm:num_requests_waiting', podA, '', { model: 'other-model' }), values: `100${POINTS}` },
    ...buckets('vllm:time_to_first_token_seconds_bucket', podA, 0.5, 1),
    ...buckets('vllm:time_to_first_token_seconds_bucket', podB, 0.5, 1),
    ...buckets('vllm:inter_token_latency_seconds_bucket', podA, 0.02, 0.05),
    ...buckets('vllm:inter_token_latency_seconds_bucket', podB, 0.02, 0.05),
    { series: vllm('vllm:request_success_total', podA, ',finished_reason="stop"'), values: `0+15${POINTS}` },
    { series: vllm('vllm:request_success_total', podA, ',finished_reason="length"'), values: `0+15${POINTS}` },
    { series: vllm('vllm:request_success_total', podB, ',finished_reason="stop"'), values: `0+15${POINTS}` },
    { series: vllm('vllm:prompt_tokens_total', podA), values: `0+1500${POINTS}` },
    { series: vllm('vllm:prompt_tokens_total', podB), values: `0+1500${POINTS}` },
    { series: vllm('vllm:generation_tokens_total', podA), values: `0+450${POINTS}` },
    { series: vllm('vllm:generation_tokens_total', podB), values: `0+450${POINTS}` },
    // Scaling: the HPA KEDA generated, seen by two kube-state-metrics replicas; the Deployment has 3 pods, 2 ready.
    ...['x2x7q', 'y3y8r'].flatMap((replica) => [
      { series: ksm('kube_horizontalpodautoscaler_status_desired_replicas', 'horizontalpodautoscaler', HPA, replica), values: `3${POINTS}` },
      { series: ksm('kube_horizontalpodautoscaler_status_current_replicas', 'horizontalpodautoscaler', HPA, replica), values: `2${POINTS}` },
      { series: ksm('kube_horizontalpodautoscaler_spec_max_replicas', 'horizontalpodautoscaler', HPA, replica), values: `4${POINTS}` },
      { series: ksm('kube_deployment_status_replicas_ready', 'deployment', DEPLOYMENT, replica), values: `2${POINTS}` },
      { series: ksm('kube_deployment_status_replicas', 'deployment', DEPLOYMENT, replica), values: `3${POINTS}` },
    ]),
    { series: ksm('kube_horizontalpodautoscaler_status_desired_replicas', 'horizontalpodautoscaler', 'keda-hpa-someone-else'), values: `9${POINTS}` },
    { series: ksm('kube_deployment_status_replicas', 'deployment', 'someone-else'), values: `9${POINTS}` },
    { series: keda('keda_scaled_object_paused', SO), values: `1${POINTS}` },
    { series: keda('keda_scaled_object_paused', 'someone-else'), values: `0${POINTS}` },
    { series: keda('keda_scaler_detail_errors_total', SO, ',scaler="prometheusScaler",triggerIndex="0",metric="s0-prometheus",type="scaledobject"'), values: `0+3${POINTS}` },
    // A replica full: pod A half full and preempting, pod B a quarter full.
    { series: vllm('vllm:kv_cache_usage_perc', podA), values: `0.5${POINTS}` },
    { series: vllm('vllm:kv_cache_usage_perc', podB), values: `0.25${POINTS}` },
    { series: vllm('vllm:num_preemptions_total', podA), values: `0+3${POINTS}` },
    { series: vllm('vllm:num_preemptions_total', podB), values: `0${POINTS}` },
    { series: vllm('vllm:num_requests_running', podA), values: `10${POINTS}` },
    { series: vllm('vllm:num_requests_running', podB), values: `7${POINTS}` },
  ];

  const srv = `namespace="${NAMESPACE}",service="${SVC}",model_name="${SERVED}"`;
  const hpa = `{namespace="${NAMESPACE}",horizontalpodautoscaler="${HPA}"}`;
  const dep = `{namespace="${NAMESPACE}",deployment="${DEPLOYMENT}"}`;
  const gpus = server.gpuCount; // 2
  /** The expected samples of each query, in panel order. */
  const expected: ExpectedSample[][] = [
    [{ labels: `{${srv}}`, value: 4 }], // waiting per replica: (6 + 2) / 2
    [{ labels: `{${srv}}`, value: 12.5 }], // in flight per replica: (10 + 7 running + 6 + 2 waiting) / 2
    [{ labels: `{${srv}}`, value: 0.5 }], // TTFT p50
    [{ labels: `{${srv}}`, value: 0.95 }], // TTFT p95
    [{ labels: `{${srv}}`, value: 0.99 }], // TTFT p99
    [{ labels: `{${srv}}`, value: 0.02 }], // ITL p50
    [{ labels: `{${srv}}`, value: 0.047 }], // ITL p95
    [{ labels: `{${srv}}`, value: 0.0494 }], // ITL p99
    [{ labels: `{${srv}}`, value: 3 }], // requests/s: 1 + 1 (pod A, two reasons) + 1 (pod B)
    [{ labels: `{${srv}}`, value: 200 }], // prompt tokens/s
    [{ labels: `{${srv}}`, value: 60 }], // generated tokens/s
    [{ labels: hpa, value: 3 }], // desired
    [{ labels: hpa, value: 2 }], // current
    [{ labels: hpa, value: 4 }], // max
    [{ labels: dep, value: 2 }], // ready
    [{ labels: `{scaledObject="${SO}"}`, value: 1 }], // paused
    [{ labels: `{scaledObject="${SO}"}`, value: 0.2 }], // failed reads per second
    [{ labels: `{${srv},pod="${podA}"}`, value: 0.5 }, { labels: `{${srv},pod="${podB}"}`, value: 0.25 }],
    [{ labels: `{${srv},pod="${podA}"}`, value: 0.2 }, { labels: `{${srv},pod="${podB}"}`, value: 0 }],
    [{ labels: `{${srv},pod="${podA}"}`, value: 10 }, { labels: `{${srv},pod="${podB}"}`, value: 7 }],
    [{ labels: dep, value: 3 * gpus }], // GPUs: 3 pods x 2
    [{ labels: '{}', value: 3 * gpus }], // GPU-hours over 1 h at 6 GPUs
  ];

  /** The query as Grafana sends it with the variables set to this server and a 1 h range. */
  function expand(query: string): string {
    return query.replace(/\$namespace/g, NAMESPACE).replace(/\$model/g, SERVED).replace(/\$__range_s/g, '3600').replace(/\$__range/g, '1h');
  }

  test('every query has a case (a new query needs one)', () => {
    expect(dashboard.queries).toHaveLength(expected.length);
    expect(gpus).toBe(2);
  });

  test('every query returns exactly the expected samples, none empty', () => {
    for (const samples of expected) expect(samples.length).toBeGreaterThan(0);
    testRules([], [{
      interval: '15s',
      input_series: series,
      promql_expr_test: dashboard.queries.map((q, i) => ({ expr: expand(q), eval_time: '70m', exp_samples: expected[i] })),
    }]);
  });

  test('names are matched literally: a dot in a Deployment name is not a wildcard', () => {
    const queries = new DashboardQueries({ namespace: NAMESPACE, service: '', modelName: '', hpa: '', deployment: '', scaledObject: '', rateWindow: '1m' });
    const gpuSeries = [
      { series: ksm('kube_deployment_status_replicas', 'deployment', 'llama.v2'), values: `2${POINTS}` },
      { series: ksm('kube_deployment_status_replicas', 'deployment', 'llamaxv2'), values: `5${POINTS}` },
    ];
    expect(regexLiteral('llama.v2')).toBe('llama\\.v2');
    testRules([], [{
      interval: '15s',
      input_series: gpuSeries,
      promql_expr_test: [{
        expr: queries.gpus([{ deployment: 'llama.v2', gpusPerReplica: 4 }]),
        eval_time: '10m',
        exp_samples: [{ labels: `{namespace="${NAMESPACE}",deployment="llama.v2"}`, value: 8 }],
      }],
    }]);
  });

  test('a query on a wrong label matches nothing and fails', () => {
    const wrong = expand(dashboard.queries[0]).replace(/model_name=~/g, 'model=~');
    expect(() => testRules([], [{ interval: '15s', input_series: series, promql_expr_test: [{ expr: wrong, eval_time: '70m', exp_samples: expected[0] }] }]))
      .toThrow(/got: \[\]|exp:/);
  });
});

describe('ServingDashboard in one Grafana with others', () => {
  const build = (namespace: string, serviceName: string) => {
    const chart = testChart({ namespace });
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, serviceName });
    return new ServingDashboard(chart, 'dashboard', { servers: [server] });
  };
  const titleOf = (d: ServingDashboard) => JSON.parse(d.toJson()).title;

  test('two charts of the same app in two namespaces get distinct titles and uids', () => {
    const a = build('team-a', 'llama');
    const b = build('team-b', 'llama');
    expect(titleOf(a)).toBe('vLLM serving: team-a/llama');
    expect(titleOf(b)).toBe('vLLM serving: team-b/llama');
    expect(a.uid).not.toBe(b.uid);
    expect(build('team-a', 'qwen').uid).not.toBe(a.uid);
    expect(build('team-a', 'llama').uid).toBe(a.uid);
  });

  test('the running panel draws what a pod runs at once: --max-num-seqs times its data-parallel ranks', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 2, tensorParallelSize: 1, maxNumSeqs: 64 });
    const d = new ServingDashboard(chart, 'dashboard', { servers: [server] });
    expect(thresholdValues(panel(JSON.parse(d.toJson()), 'Running requests per pod'))).toEqual([128]);
  });

  test('an objective between two histogram buckets is said to be interpolated; one on a bucket is not', () => {
    const ttftDescription = (slo: Duration) => {
      const chart = testChart();
      const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
      const alerts = new ServingAlerts(chart, 'alerts', { server, timeToFirstToken: { slo } });
      return panel(JSON.parse(new ServingDashboard(chart, 'dashboard', { servers: [server], alerts: [alerts] }).toJson()), 'Time to first token').description;
    };
    expect(ttftDescription(Duration.seconds(2))).toContain("The objective 2s lies between vLLM's histogram bucket bounds 1s and 2.5s");
    expect(ttftDescription(Duration.millis(2500))).not.toContain('The objective');
  });
});
