import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { Gpu, Model, VllmService } from '../src';
import { AlertSeverity, IAutoscalerTarget, ServingAlerts, ServingAlertsProps } from '../src/alerts';
import { AlertRuleTest, checkRules, InputSeries, PromtoolTest, requirePromtool, testRules } from './promql/promtool';
import { expectValidManifests } from './schema/validate';
import { errorOf, findAll, findOne, LLAMA_8B, testChart } from './util';

const NAMESPACE = 'inference';
const SERVED = LLAMA_8B.servedModelName;
const HPA = 'keda-hpa-llama-scaler';

interface Synthesized {
  readonly server: VllmService;
  readonly alerts: ServingAlerts;
  readonly manifests: any[];
  readonly rule: any;
  readonly groups: any[];
  /** Rules by alert name. */
  readonly byName: Record<string, any>;
}

/** A server in namespace `inference`, its alerts and (unless `autoscaler: undefined`) a queue autoscaler. */
function synthAlerts(props: Partial<ServingAlertsProps> = {}, serverScrape?: Duration): Synthesized {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, scrapeInterval: serverScrape });
  const autoscaler: IAutoscalerTarget = { server, hpaName: HPA, maxReplicas: 4, targetQueuePerReplica: 5 };
  const alerts = new ServingAlerts(chart, 'alerts', { server, autoscaler, ...props });
  const manifests = Testing.synth(chart);
  const rule = findOne(manifests, 'PrometheusRule');
  const groups = rule.spec.groups;
  const byName = Object.fromEntries(groups.flatMap((g: any) => g.rules).map((r: any) => [r.alert, r]));
  return { server, alerts, manifests, rule, groups, byName };
}

describe('ServingAlerts PrometheusRule', () => {
  test('GIVEN a server and its autoscaler WHEN synthesized THEN one schema-valid PrometheusRule with every alert', () => {
    // GIVEN / WHEN
    const { manifests, rule, alerts } = synthAlerts({ ruleLabels: { release: 'kube-prometheus-stack' } });
    // THEN
    expect(findAll(manifests, 'PrometheusRule')).toHaveLength(1);
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.namespace).toBe(NAMESPACE);
    expect(alerts.alertNames).toEqual([
      'VllmPreemptions', 'VllmKvCacheSaturated', 'VllmQueueBacklog', 'VllmAutoscalerAtCeiling',
      'VllmScaleUpStalled', 'VllmTimeToFirstTokenHigh', 'VllmMetricsAbsent',
    ]);
    expectValidManifests([rule]);
    expectValidManifests(manifests);
  });

  test('GIVEN ruleLabels WHEN synthesized THEN the rule carries them with the server labels, for a ruleSelector', () => {
    const { rule, server } = synthAlerts({ ruleLabels: { release: 'kube-prometheus-stack' } });
    expect(rule.metadata.labels).toEqual({ ...server.labels, release: 'kube-prometheus-stack' });
    expect(rule.metadata.labels['app.kubernetes.io/instance']).toBe(server.labels['app.kubernetes.io/instance']);
  });

  test('GIVEN defaults WHEN synthesized THEN a small snapshot of the rule group', () => {
    const { groups } = synthAlerts();
    const summary = groups.map((g: any) => ({
      name: g.name,
      rules: g.rules.map((r: any) => ({ alert: r.alert, for: r.for, labels: r.labels, expr: r.expr })),
    }));
    expect(summary).toMatchSnapshot();
  });

  test('the PrometheusRule is the default child, so JSON patches reach it', () => {
    const { alerts } = synthAlerts();
    expect(alerts.node.defaultChild).toBe(alerts.rule);
  });

  test('GIVEN defaults THEN the documented thresholds, durations and severities', () => {
    const { byName } = synthAlerts();
    expect(byName.VllmPreemptions.expr).toMatch(/\[1m\]\)\) > 0\.05$/);
    expect(byName.VllmPreemptions.for).toBe('30s');
    expect(byName.VllmKvCacheSaturated.expr).toMatch(/ >= 0\.9$/);
    expect(byName.VllmKvCacheSaturated.for).toBe('5m');
    // 2 x the autoscaler's target of 5.
    expect(byName.VllmQueueBacklog.expr).toMatch(/ > 10$/);
    // Llama 8B from the hub: a 190 s cold start + 2 min, rounded up to 6 min.
    expect(byName.VllmQueueBacklog.for).toBe('6m');
    expect(byName.VllmAutoscalerAtCeiling.for).toBe('6m');
    // The startup window (620 s) rounded up to a minute.
    expect(byName.VllmScaleUpStalled.for).toBe('11m');
    expect(byName.VllmTimeToFirstTokenHigh.expr).toMatch(/^histogram_quantile\(0\.95, .*\[5m\]\)\)\) > 2$/);
    expect(Object.fromEntries(Object.entries(byName).map(([name, r]) => [name, r.labels.severity]))).toEqual({
      VllmPreemptions: 'warning',
      VllmKvCacheSaturated: 'warning',
      VllmQueueBacklog: 'warning',
      VllmAutoscalerAtCeiling: 'critical',
      VllmScaleUpStalled: 'warning',
      VllmTimeToFirstTokenHigh: 'critical',
      VllmMetricsAbsent: 'critical',
    });
  });

  test('every vLLM series is scoped to the server and every kube-state-metrics series to its objects', () => {
    const { byName, server } = synthAlerts();
    const vllmSelector = `{namespace="${NAMESPACE}",service="${server.serviceName}",model_name="${SERVED}"}`;
    for (const r of Object.values(byName)) {
      for (const [, metric, selector] of (r.expr as string).matchAll(/(vllm:[a-z_]+|kube_[a-z_]+)(\{[^}]*\})?/g)) {
        if (metric.startsWith('vllm:')) expect(selector).toBe(vllmSelector);
        else if (metric.startsWith('kube_horizontalpodautoscaler')) expect(selector).toBe(`{namespace="${NAMESPACE}",horizontalpodautoscaler="${HPA}"}`);
        else expect(selector).toBe(`{namespace="${NAMESPACE}",deployment="${server.deployment.name}"}`);
      }
    }
  });

  test('GIVEN a 30 s scrape interval WHEN synthesized THEN the preemption rate window is 2m (4 x scrape)', () => {
    const { byName } = synthAlerts({}, Duration.seconds(30));
    expect(byName.VllmPreemptions.expr).toContain('[2m]');
  });

  test('GIVEN every alert tuned WHEN synthesized THEN thresholds, pending durations, severities and runbooks follow', () => {
    const { byName } = synthAlerts({
      alertLabels: { team: 'inference' },
      runbookBaseUrl: 'https://runbooks.example.com/vllm',
      preemptions: { threshold: 0.2, pendingFor: Duration.minutes(2), severity: AlertSeverity.CRITICAL },
      kvCacheSaturated: { threshold: 0.95, severity: AlertSeverity.of('page') },
      queueBacklog: { threshold: 12, pendingFor: Duration.seconds(90) },
      timeToFirstToken: { slo: Duration.millis(500), quantile: 0.99, window: Duration.minutes(10), runbookUrl: 'https://slo.example.com/ttft' },
    });
    expect(byName.VllmPreemptions).toMatchObject({ for: '2m', labels: { severity: 'critical', team: 'inference' } });
    expect(byName.VllmPreemptions.expr).toMatch(/ > 0\.2$/);
    expect(byName.VllmPreemptions.annotations.runbook_url).toBe('https://runbooks.example.com/vllm#vllmpreemptions');
    expect(byName.VllmKvCacheSaturated).toMatchObject({ labels: { severity: 'page' } });
    expect(byName.VllmKvCacheSaturated.expr).toMatch(/ >= 0\.95$/);
    expect(byName.VllmQueueBacklog.for).toBe('90s');
    expect(byName.VllmQueueBacklog.expr).toMatch(/ > 12$/);
    expect(byName.VllmTimeToFirstTokenHigh.expr).toMatch(/^histogram_quantile\(0\.99, .*\[10m\]\)\)\) > 0\.5$/);
    expect(byName.VllmTimeToFirstTokenHigh.annotations.runbook_url).toBe('https://slo.example.com/ttft');
  });

  test('GIVEN no runbook base URL THEN no runbook_url annotation', () => {
    const { byName } = synthAlerts();
    for (const r of Object.values(byName)) expect(r.annotations).not.toHaveProperty('runbook_url');
  });

  test('GIVEN alerts switched off WHEN synthesized THEN they are not emitted', () => {
    const { alerts } = synthAlerts({ preemptions: { enabled: false }, metricsAbsent: { enabled: false } });
    expect(alerts.alertNames).not.toContain('VllmPreemptions');
    expect(alerts.alertNames).not.toContain('VllmMetricsAbsent');
    expect(alerts.alertNames).toContain('VllmKvCacheSaturated');
  });

  test('GIVEN no autoscaler WHEN synthesized THEN no at-ceiling alert and the backlog threshold defaults to 10', () => {
    const { alerts, byName } = synthAlerts({ autoscaler: undefined });
    expect(alerts.alertNames).not.toContain('VllmAutoscalerAtCeiling');
    expect(byName.VllmQueueBacklog.expr).toMatch(/ > 10$/);
    const tuned = synthAlerts({ autoscaler: undefined, queueBacklog: { threshold: 3 } });
    expect(tuned.byName.VllmQueueBacklog.expr).toMatch(/ > 3$/);
  });
});

describe('ServingAlerts validation', () => {
  const subject = "ServingAlerts 'test/alerts'";

  test('a server without a namespace', () => {
    const chart = testChart({});
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(errorOf(() => new ServingAlerts(chart, 'alerts', { server }))).toBe(
      `${subject}: server.namespace (undefined) must be set (give VllmService 'test/server' or its chart a namespace, or its QueueAutoscaler a queryNamespace): every alert is scoped by it`);
  });

  test('an alertname label is refused: Prometheus would overwrite it with the rule name', () => {
    expect(errorOf(() => synthAlerts({ alertLabels: { alertname: 'Mine' } })))
      .toBe(`${subject}: alertLabels ({"alertname":"Mine"}) must not set alertname: Prometheus sets it to the rule's name and would overwrite it`);
  });

  test('{{ in a served model name, a runbook URL or a label reaches the rules as literal text, and promtool accepts the file', () => {
    // GIVEN values that Go's text/template would read as actions
    const chart = testChart();
    const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, servedModelName: 'llama-{{.x}}' });
    const server = new VllmService(chart, 'server', { model, gpu: Gpu.L4 });
    new ServingAlerts(chart, 'alerts', {
      server,
      alertLabels: { team: 'inf{{ra' },
      runbookBaseUrl: 'https://wiki.example.com/{{page}}',
      scaleUpStalled: { runbookUrl: 'https://wiki.example.com/{{stalled' },
    });
    // WHEN synthesized
    const rules: any[] = findOne(Testing.synth(chart), 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules);
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    // THEN every {{ of the user's values prints itself
    expect(byName.VllmScaleUpStalled.annotations.description).toContain('(model llama-{{ "{{" }}.x}})');
    expect(byName.VllmScaleUpStalled.annotations.runbook_url).toBe('https://wiki.example.com/{{ "{{" }}stalled');
    expect(byName.VllmPreemptions.annotations.runbook_url).toBe('https://wiki.example.com/{{ "{{" }}page}}#vllmpreemptions');
    expect(byName.VllmPreemptions.labels).toEqual({ team: 'inf{{ "{{" }}ra', severity: 'warning' });
    if (requirePromtool()) expect(() => checkRules(findOne(Testing.synth(chart), 'PrometheusRule').spec.groups)).not.toThrow();
  });

  test('a negative preemption threshold', () => {
    expect(errorOf(() => synthAlerts({ preemptions: { threshold: -0.1 } })))
      .toBe(`${subject}: preemptions.threshold (-0.1) must be a number >= 0`);
  });

  test('a KV-cache fraction outside (0, 1]', () => {
    expect(errorOf(() => synthAlerts({ kvCacheSaturated: { threshold: 90 } })))
      .toBe(`${subject}: kvCacheSaturated.threshold (90) must be in (0, 1]`);
    expect(errorOf(() => synthAlerts({ kvCacheSaturated: { threshold: 0 } })))
      .toBe(`${subject}: kvCacheSaturated.threshold (0) must be in (0, 1]`);
  });

  test('a backlog threshold that is not positive', () => {
    expect(errorOf(() => synthAlerts({ autoscaler: undefined, queueBacklog: { threshold: -1 } })))
      .toBe(`${subject}: queueBacklog.threshold (-1) must be a number > 0`);
  });

  test('a backlog threshold at or below the autoscaler target', () => {
    expect(errorOf(() => synthAlerts({ queueBacklog: { threshold: 5 } })))
      .toBe(`${subject}: queueBacklog.threshold (5) must exceed the autoscaler's targetQueuePerReplica (5), or it fires in normal operation`);
  });

  test('an SLO that is not a positive duration', () => {
    expect(errorOf(() => synthAlerts({ timeToFirstToken: { slo: Duration.seconds(0) } })))
      .toBe(`${subject}: timeToFirstToken.slo (0) must be a number > 0`);
  });

  test('a quantile outside (0, 1)', () => {
    expect(errorOf(() => synthAlerts({ timeToFirstToken: { quantile: 95 } })))
      .toBe(`${subject}: timeToFirstToken.quantile (95) must be in (0, 1)`);
  });

  test('a latency window shorter than 4 scrape intervals', () => {
    expect(errorOf(() => synthAlerts({ timeToFirstToken: { window: Duration.seconds(30) } })))
      .toBe(`${subject}: timeToFirstToken.window ('30s') must be a whole number of seconds from 60 to 86400`);
  });

  test('a pending duration that is not whole seconds', () => {
    expect(errorOf(() => synthAlerts({ preemptions: { pendingFor: Duration.millis(1500) } })))
      .toBe(`${subject}: preemptions.pendingFor ('1.5s') must be a whole number of seconds from 0 to 604800`);
  });

  test('a disabled alert is still validated', () => {
    expect(errorOf(() => synthAlerts({ kvCacheSaturated: { enabled: false, threshold: 2 } })))
      .toBe(`${subject}: kvCacheSaturated.threshold (2) must be in (0, 1]`);
  });

  test('an autoscaler with no replicas or no target', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(errorOf(() => new ServingAlerts(chart, 'alerts', { server, autoscaler: { server, hpaName: HPA, maxReplicas: 0, targetQueuePerReplica: 5 } })))
      .toBe(`${subject}: autoscaler.maxReplicas (0) must be a whole number >= 1`);
    expect(errorOf(() => new ServingAlerts(chart, 'alerts2', { server, autoscaler: { server, hpaName: HPA, maxReplicas: 2, targetQueuePerReplica: 0 } })))
      .toBe('ServingAlerts \'test/alerts2\': autoscaler.targetQueuePerReplica (0) must be a number > 0');
  });

  test('an autoscaler of another server is refused', () => {
    // GIVEN two servers
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    const other = new VllmService(chart, 'other', { model: LLAMA_8B, gpu: Gpu.L4 });
    // WHEN the alerts watch one and the autoscaler scales the other
    const alerts = () => new ServingAlerts(chart, 'alerts', { server, autoscaler: { server: other, hpaName: HPA, maxReplicas: 2, targetQueuePerReplica: 5 } });
    // THEN
    expect(errorOf(alerts)).toContain(
      `${subject}: autoscaler scales VllmService 'test/other', not the server 'test/server' these alerts watch`);
  });

  test('a runbook base URL that is not a URL', () => {
    expect(errorOf(() => synthAlerts({ runbookBaseUrl: 'wiki/vllm' })))
      .toBe(`${subject}: runbookBaseUrl ('wiki/vllm') must be an http(s) URL`);
  });

  test('alert labels that set severity', () => {
    expect(errorOf(() => synthAlerts({ alertLabels: { severity: 'page' } })))
      .toBe(`${subject}: alertLabels ({"severity":"page"}) must not set severity (set it per alert)`);
  });
});

describe('docs/alerts.md', () => {
  test('the wiring example synthesizes a schema-valid rule that promtool accepts', () => {
    // GIVEN the first TypeScript block of the page, which imports 'cdk8s-vllm'
    const markdown = fs.readFileSync(path.join(__dirname, '..', 'docs', 'alerts.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const library = { ...require('../src'), ...require('../src/alerts') };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = (id: string) => id === 'cdk8s-vllm' ? library : require(id);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-doc-'));
    process.env.CDK8S_OUTDIR = outdir;
    try {
      // WHEN it runs
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      new Function('require', 'exports', js)(load, {});
      // THEN one PrometheusRule, labelled for the ruleSelector, valid, without the alert it switched off
      const manifests = parseAllDocuments(fs.readFileSync(path.join(outdir, 'llama.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const rule = findOne(manifests, 'PrometheusRule');
      expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
      expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).not.toContain('VllmScaleUpStalled');
      expectValidManifests(manifests);
      if (requirePromtool()) checkRules(rule.spec.groups);
    } finally {
      delete process.env.CDK8S_OUTDIR;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

// --- promtool: the rules evaluated by a Prometheus engine against realistic series -----------------

const hasPromtool = requirePromtool();
const describePromtool = hasPromtool ? describe : describe.skip;

describePromtool('ServingAlerts under promtool', () => {
  const { groups, server, byName } = synthAlerts({ runbookBaseUrl: 'https://runbooks.example.com/vllm' });
  const SVC = server.serviceName;
  const DEPLOYMENT = server.deployment.name;
  const KSM = 'job="kube-state-metrics",service="kube-prometheus-stack-kube-state-metrics",endpoint="http",instance="10.0.9.9:8080",container="kube-state-metrics",pod="kube-state-metrics-6d9f7c8b5-x2x7q"';

  /** A series exactly as vLLM exposes it and the Prometheus Operator scrapes it. */
  function vllm(metric: string, pod: string, opts: { namespace?: string; service?: string; model?: string; extra?: string } = {}): string {
    const service = opts.service ?? SVC;
    const instance = pod.endsWith('b') ? '10.0.0.2:8000' : '10.0.0.1:8000';
    return `${metric}{namespace="${opts.namespace ?? NAMESPACE}",service="${service}",pod="${pod}",job="${service}",endpoint="http",instance="${instance}",container="vllm",model_name="${opts.model ?? SERVED}",engine="0"${opts.extra ?? ''}}`;
  }
  /** A kube-state-metrics series about `label`=`name`. */
  function ksm(metric: string, label: string, name: string, namespace = NAMESPACE): string {
    return `${metric}{namespace="${namespace}",${label}="${name}",${KSM}}`;
  }
  const podA = `${DEPLOYMENT}-7c9d8f6b5-aaaaa`;
  const podB = `${DEPLOYMENT}-7c9d8f6b5-bbbbb`;

  /** The labels of one of this server's aggregated vLLM alerts. */
  const serverLabels = { namespace: NAMESPACE, service: SVC, model_name: SERVED };
  const runbook = (alert: string) => `https://runbooks.example.com/vllm#${alert.toLowerCase()}`;

  /** One promtool case: series scraped every 15 s (the ServiceMonitor's interval) and the expected alerts. */
  function run(series: InputSeries[], alertTests: AlertRuleTest[]): void {
    const t: PromtoolTest = { interval: '15s', input_series: series, alert_rule_test: alertTests };
    testRules(groups, [t], { evaluationInterval: '15s' });
  }

  test('promtool check rules accepts the emitted groups', () => {
    expect(() => checkRules(groups)).not.toThrow();
  });

  describe('VllmPreemptions', () => {
    const alertname = 'VllmPreemptions';
    const expected = (value: string) => [{
      exp_labels: { ...serverLabels, pod: podA, severity: 'warning' },
      exp_annotations: {
        summary: `vLLM pod ${podA} is preempting requests`,
        description: `Pod ${podA} serving ${SERVED} in ${NAMESPACE} preempts ${value} sequences/s (threshold 0.05): its KV cache is full and requests are being evicted and recomputed; tail latency rises next.`,
        runbook_url: runbook(alertname),
      },
    }];
    // 3 preemptions per 15 s scrape: 0.2/s, held from the start.
    const preempting = (metric = 'vllm:num_preemptions_total', opts = {}) => ({ series: vllm(metric, podA, opts), values: '0+3x40' });
    const quiet = { series: vllm('vllm:num_preemptions_total', podB), values: '0x40' };

    test('fires after 30 s above 0.05/s for the preempting pod only', () => {
      expect(() => run([preempting(), quiet], [
        { alertname, eval_time: '15s', exp_alerts: [] }, // first rate over two samples: pending
        { alertname, eval_time: '1m', exp_alerts: expected('0.20') },
      ])).not.toThrow();
    });

    test('does not fire at 0.03/s, nor for another namespace or another model', () => {
      expect(() => run([
        { series: vllm('vllm:num_preemptions_total', podA), values: '0+0.45x40' }, // 0.03/s
        preempting('vllm:num_preemptions_total', { namespace: 'other' }),
        preempting('vllm:num_preemptions_total', { model: 'mistralai/Mistral-7B-Instruct-v0.3' }),
        quiet,
      ], [{ alertname, eval_time: '5m', exp_alerts: [] }])).not.toThrow();
    });

    test('a misspelt counter (no _total) or a `model` label never fires', () => {
      const misspelt = [preempting('vllm:num_preemptions')];
      expect(() => run(misspelt, [{ alertname, eval_time: '3m', exp_alerts: [] }])).not.toThrow();
      expect(() => run(misspelt, [{ alertname, eval_time: '3m', exp_alerts: expected('0.20') }])).toThrow(/alertname: VllmPreemptions/);
      const wrongLabel = [{ series: vllm('vllm:num_preemptions_total', podA).replace('model_name=', 'model='), values: '0+3x40' }];
      expect(() => run(wrongLabel, [{ alertname, eval_time: '3m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmKvCacheSaturated', () => {
    const alertname = 'VllmKvCacheSaturated';
    const expected = [{
      exp_labels: { ...serverLabels, pod: podA, severity: 'warning' },
      exp_annotations: {
        summary: `vLLM pod ${podA} has a full KV cache`,
        description: `Pod ${podA} serving ${SERVED} in ${NAMESPACE} uses 95% of its KV cache (threshold 90%): it cannot admit more work without preempting.`,
        runbook_url: runbook(alertname),
      },
    }];

    test('fires for the one full pod after 5 min, even while the other is idle', () => {
      expect(() => run([
        { series: vllm('vllm:kv_cache_usage_perc', podA), values: '0.95x40' },
        { series: vllm('vllm:kv_cache_usage_perc', podB), values: '0.1x40' },
      ], [
        { alertname, eval_time: '4m', exp_alerts: [] },
        { alertname, eval_time: '6m', exp_alerts: expected },
      ])).not.toThrow();
    });

    test('does not fire below 0.9, for a short spike, or for another model', () => {
      expect(() => run([
        { series: vllm('vllm:kv_cache_usage_perc', podA), values: '0.85x40' },
        // 2 minutes full, then back to 50%.
        { series: vllm('vllm:kv_cache_usage_perc', podB), values: '0.99x8 0.5x32' },
        { series: vllm('vllm:kv_cache_usage_perc', podA, { model: 'other-model' }), values: '1x40' },
        // The deprecated name is not queried.
        { series: vllm('vllm:gpu_cache_usage_perc', podA), values: '1x40' },
      ], [{ alertname, eval_time: '8m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmQueueBacklog', () => {
    const alertname = 'VllmQueueBacklog';
    const expected = [{
      exp_labels: { ...serverLabels, severity: 'warning' },
      exp_annotations: {
        summary: `vLLM requests for ${SERVED} are queueing`,
        description: `25.0 requests wait per replica of ${SERVED} (Service ${SVC} in ${NAMESPACE}), above 10, for longer than a scale-up takes.`,
        runbook_url: runbook(alertname),
      },
    }];

    test('fires when waiting per replica stays above 2 x target for longer than a scale-up (6 min)', () => {
      expect(() => run([
        { series: vllm('vllm:num_requests_waiting', podA), values: '30x40' },
        { series: vllm('vllm:num_requests_waiting', podB), values: '20x40' },
      ], [
        { alertname, eval_time: '5m', exp_alerts: [] },
        { alertname, eval_time: '7m', exp_alerts: expected },
      ])).not.toThrow();
    });

    test('does not fire at the target, nor for another namespace', () => {
      expect(() => run([
        { series: vllm('vllm:num_requests_waiting', podA), values: '12x40' },
        { series: vllm('vllm:num_requests_waiting', podB), values: '6x40' }, // 9 per replica
        { series: vllm('vllm:num_requests_waiting', podA, { namespace: 'other' }), values: '100x40' },
      ], [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmAutoscalerAtCeiling', () => {
    const alertname = 'VllmAutoscalerAtCeiling';
    const hpa = (current: number, max = 4, name = HPA, namespace = NAMESPACE) => [
      { series: ksm('kube_horizontalpodautoscaler_status_current_replicas', 'horizontalpodautoscaler', name, namespace), values: `${current}x40` },
      { series: ksm('kube_horizontalpodautoscaler_spec_max_replicas', 'horizontalpodautoscaler', name, namespace), values: `${max}x40` },
    ];
    const waiting = (perPod: number) => [
      { series: vllm('vllm:num_requests_waiting', podA), values: `${perPod}x40` },
      { series: vllm('vllm:num_requests_waiting', podB), values: `${perPod}x40` },
    ];

    test('fires when the HPA is at maxReplicas and the queue stays above target', () => {
      expect(() => run([...hpa(4), ...waiting(8)], [
        { alertname, eval_time: '5m', exp_alerts: [] },
        {
          alertname,
          eval_time: '7m',
          exp_alerts: [{
            exp_labels: { ...serverLabels, severity: 'critical' },
            exp_annotations: {
              summary: `vLLM autoscaler for ${SERVED} is at its maximum replicas`,
              description: `HPA ${HPA} in ${NAMESPACE} runs its maximum replicas (4) and still 8.0 requests wait per replica of ${SERVED} (target 5): raise maxReplicas or add GPU capacity.`,
              runbook_url: runbook(alertname),
            },
          }],
        },
      ])).not.toThrow();
    });

    test('does not fire below the ceiling, at the ceiling with the queue at target, or for another HPA', () => {
      expect(() => run([...hpa(3), ...waiting(8)], [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
      expect(() => run([...hpa(4), ...waiting(5)], [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
      expect(() => run([...hpa(3), ...hpa(4, 4, 'keda-hpa-other'), ...hpa(4, 4, HPA, 'other'), ...waiting(8)],
        [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmScaleUpStalled', () => {
    const alertname = 'VllmScaleUpStalled';
    /** A Deployment created an hour before the test starts (`created` overrides its creation time, Unix seconds). */
    const deployment = (spec: string, ready: string, name = DEPLOYMENT, namespace = NAMESPACE, created = '-3600+0x160') => [
      { series: ksm('kube_deployment_spec_replicas', 'deployment', name, namespace), values: spec },
      { series: ksm('kube_deployment_status_replicas_ready', 'deployment', name, namespace), values: ready },
      { series: ksm('kube_deployment_created', 'deployment', name, namespace), values: created },
    ];

    test('does not fire during a first deploy until its bring-up allowance (startup window, 11 min) is spent', () => {
      // Created at the start of the test, one replica wanted, none ready: silent for 11 + 11 minutes, then it fires.
      expect(() => run(deployment('1x160', '0x160', DEPLOYMENT, NAMESPACE, '0x160'), [
        { alertname, eval_time: '20m', exp_alerts: [] },
        {
          alertname,
          eval_time: '24m',
          exp_alerts: [{
            exp_labels: { namespace: NAMESPACE, deployment: DEPLOYMENT, severity: 'warning' },
            exp_annotations: {
              summary: `vLLM Deployment ${DEPLOYMENT} is not scaling up`,
              description: `1 replica(s) of Deployment ${DEPLOYMENT} in ${NAMESPACE} (model ${SERVED}) have not become ready within the startup window (11m): pods are pending (no GPU node) or failing to start.`,
              runbook_url: runbook(alertname),
            },
          }],
        },
      ])).not.toThrow();
    });

    test('fires when wanted replicas stay unready longer than the startup window (11 min)', () => {
      expect(() => run(deployment('3x160', '1x160'), [
        { alertname, eval_time: '10m', exp_alerts: [] },
        {
          alertname,
          eval_time: '12m',
          exp_alerts: [{
            exp_labels: { namespace: NAMESPACE, deployment: DEPLOYMENT, severity: 'warning' },
            exp_annotations: {
              summary: `vLLM Deployment ${DEPLOYMENT} is not scaling up`,
              description: `2 replica(s) of Deployment ${DEPLOYMENT} in ${NAMESPACE} (model ${SERVED}) have not become ready within the startup window (11m): pods are pending (no GPU node) or failing to start.`,
              runbook_url: runbook(alertname),
            },
          }],
        },
      ])).not.toThrow();
    });

    test('does not fire for a cold start inside the window, nor for another Deployment', () => {
      // 1 -> 3 replicas at 0; ready after 5 minutes (a normal cold start).
      expect(() => run([
        ...deployment('3x160', '1x20 3x140'),
        ...deployment('5x160', '0x160', 'another-server'),
        ...deployment('5x160', '0x160', DEPLOYMENT, 'other'),
      ], [{ alertname, eval_time: '30m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmTimeToFirstTokenHigh', () => {
    const alertname = 'VllmTimeToFirstTokenHigh';
    const LE = ['0.001', '0.005', '0.01', '0.02', '0.04', '0.06', '0.08', '0.1', '0.25', '0.5', '0.75', '1.0', '2.5', '5.0', '7.5', '10.0', '20.0', '40.0', '80.0', '160.0', '640.0', '2560.0', '+Inf'];
    /** Cumulative buckets of `perScrape` requests per scrape, each with a TTFT just under `upperLe`. */
    const histogram = (upperLe: string, pod: string, perScrape: number, opts: { model?: string } = {}) => LE.map((le) => ({
      series: vllm('vllm:time_to_first_token_seconds_bucket', pod, { ...opts, extra: `,le="${le}"` }),
      values: LE.indexOf(le) >= LE.indexOf(upperLe) ? `0+${perScrape}x60` : '0x60',
    }));

    test('fires when p95 over every replica stays above 2 s for 5 min', () => {
      // Every request in (2.5, 5] s: p95 interpolates to 4.875 s.
      expect(() => run([...histogram('5.0', podA, 2), ...histogram('5.0', podB, 2)], [
        { alertname, eval_time: '4m', exp_alerts: [] }, // pending for 5m
        {
          alertname,
          eval_time: '11m',
          exp_alerts: [{
            exp_labels: { ...serverLabels, severity: 'critical' },
            exp_annotations: {
              summary: `vLLM time to first token for ${SERVED} is above 2s`,
              description: `The p95 time to first token of ${SERVED} (Service ${SVC} in ${NAMESPACE}) is 4.875s, above the objective of 2s. `
                + "The objective 2s lies between vLLM's histogram bucket bounds 1s and 2.5s: the quantile is interpolated there, not measured "
                + '(a bucket bound such as 1s or 2.5s is measured exactly).',
              runbook_url: runbook(alertname),
            },
          }],
        },
      ])).not.toThrow();
    });

    test('does not fire when p95 is under the objective, nor for a slow model next door', () => {
      expect(() => run([
        ...histogram('0.75', podA, 2),
        ...histogram('0.75', podB, 2),
        ...histogram('40.0', podA, 5, { model: 'other-model' }),
      ], [{ alertname, eval_time: '14m', exp_alerts: [] }])).not.toThrow();
    });
  });

  describe('VllmMetricsAbsent', () => {
    const alertname = 'VllmMetricsAbsent';
    const ready = (values: string) => [
      { series: ksm('kube_deployment_spec_replicas', 'deployment', DEPLOYMENT), values: '2x40' },
      { series: ksm('kube_deployment_status_replicas_ready', 'deployment', DEPLOYMENT), values },
    ];
    // Another model in the same namespace is scraped fine.
    const neighbour = { series: vllm('vllm:num_requests_waiting', podA, { model: 'other-model', service: 'other-service' }), values: '1x40' };

    test('fires when ready replicas have no vLLM series', () => {
      expect(() => run([...ready('2x40'), neighbour], [
        { alertname, eval_time: '4m', exp_alerts: [] },
        {
          alertname,
          eval_time: '6m',
          exp_alerts: [{
            exp_labels: { ...serverLabels, severity: 'critical' },
            exp_annotations: {
              summary: `No vLLM metrics for ${SERVED}`,
              description: `Prometheus has no vLLM series for ${SERVED} (Service ${SVC} in ${NAMESPACE}) while 2 replica(s) are ready: the queue autoscaler is blind (KEDA holds its fallback) and the other serving alerts cannot fire.`,
              runbook_url: runbook(alertname),
            },
          }],
        },
      ])).not.toThrow();
    });

    test('does not fire at zero (or no ready) replicas, nor while the series are scraped', () => {
      // Scaled to zero: no vLLM series, and that is normal.
      expect(() => run([
        { series: ksm('kube_deployment_spec_replicas', 'deployment', DEPLOYMENT), values: '0x40' },
        { series: ksm('kube_deployment_status_replicas_ready', 'deployment', DEPLOYMENT), values: '0x40' },
        neighbour,
      ], [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
      // Scraped: the series exist.
      expect(() => run([
        ...ready('2x40'),
        { series: vllm('vllm:num_requests_waiting', podA), values: '0x40' },
        { series: vllm('vllm:num_requests_waiting', podB), values: '0x40' },
      ], [{ alertname, eval_time: '9m', exp_alerts: [] }])).not.toThrow();
    });

    test('the expression carries the server labels from absent()', () => {
      expect(byName[alertname].expr).toMatch(/^absent\(vllm:num_requests_waiting\{.*\}\) \* on \(\) group_left \(\) \(max\(kube_deployment_status_replicas_ready\{.*\}\) > 0\)$/);
    });
  });
});

test('a time-to-first-token objective on a vLLM bucket bound is measured, so its description adds no interpolation note', () => {
  const describeAlert = (slo: Duration) => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    new ServingAlerts(chart, 'alerts', { server, timeToFirstToken: { slo } });
    const rules = findOne(Testing.synth(chart), 'PrometheusRule').spec.groups[0].rules;
    return rules.find((r: any) => r.alert === 'VllmTimeToFirstTokenHigh').annotations.description;
  };
  expect(ServingAlerts.TIME_TO_FIRST_TOKEN_BUCKETS).toContain(2.5);
  expect(ServingAlerts.TIME_TO_FIRST_TOKEN_BUCKETS).not.toContain(2);
  expect(describeAlert(Duration.millis(2500))).not.toContain('interpolated');
  expect(describeAlert(Duration.seconds(2))).toContain('between vLLM\'s histogram bucket bounds 1s and 2.5s');
});
