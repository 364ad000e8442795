import { existsSync } from 'fs';
import { posix } from 'path';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import fc from 'fast-check';
import {
  AlertSeverity, ColdStart, Gpu, Model, ModelCache, Precision, QueueAutoscaler, ServingAlerts, ServingDashboard, Sizing, Trace,
  VllmService, WarmFloor,
} from '../src';
import { ValidationError } from '../src/errors';
import { checkRuleFiles, requirePromtool } from './promql/promtool';
import { validateManifests } from './schema/validate';

/*
 * Random props over the whole public API. Every run ends in exactly one of two outcomes:
 * - refused: a ValidationError (any other exception fails the property at once, and fast-check shrinks it);
 * - emitted: manifests that pass the upstream schemas (one batch), Kubernetes naming rules, promtool (one batch
 *   over every PrometheusRule) and the semantic rules below, checked independently of the library's own code.
 * Values are mostly plausible, with the invalid and adversarial values of every input class mixed in.
 */

const RUNS = 5000;
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<any>, invalidWeight = 1): fc.Arbitrary<T> =>
  fc.oneof({ weight: 60, arbitrary: valid }, { weight: invalidWeight, arbitrary: invalid as fc.Arbitrary<T> });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
// Negative amounts are refused by cdk8s's Duration itself, in the caller's code, before any construct sees them.
const seconds = (valid: fc.Arbitrary<number>) => mostly(valid, fc.constantFrom(NaN, Infinity, 0.5, 1e7));
const duration = (valid: fc.Arbitrary<number>) => optional(seconds(valid).map((s) => ({ s })));
const toDuration = (d: { s: number } | undefined) => (d === undefined ? undefined : Duration.millis(d.s * 1000));

const BAD_IDS = ['my_server', '9server', 'srv.v1', 'Server', 'a'.repeat(70)];

/*
 * Values drawn from the grammars of the programs that consume them, not from the shapes the props expect.
 */
// Kubernetes object names: any mix of the characters names are made of, at any length around the limits.
const OBJECT_NAME_LIKE = fc.stringMatching(/^[a-zA-Z0-9._-]{0,70}$/);
// Go's net/url (KEDA parses serverAddress with it): schemes, separators, hosts, ports and escapes at their edges.
const GO_URL = fc.tuple(
  fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'h-t', ''),
  fc.constantFrom('://', ':', ':/', ':\\\\', ':///'),
  fc.constantFrom('prometheus', 'prom.monitoring.svc', '[::1]', '10.0.0.1', '', 'a%zz', 'p\\q', 'u:p@p', 'xn--80ak6aa92e'),
  fc.constantFrom('', ':9090', ':0', ':65535', ':65536', ':-1', ':x', ':'),
  fc.constantFrom('', '/', '/prometheus', '/a%2', '/?q', '/#f', '/api/v1/query', ' '),
).map((parts) => parts.join(''));
// vLLM's argparse takes any unambiguous prefix of a flag (allow_abbrev): the guarded flags cut at every length.
const GUARDED_FLAGS = ['--api-key', '--max-num-seqs', '--gpu-memory-utilization', '--tensor-parallel-size', '--max-model-len', '--port',
  '--served-model-name', '--model', '--shutdown-timeout', '--hf-token', '--load-format'];
const ARGPARSE_ABBREVIATION = fc.constantFrom(...GUARDED_FLAGS)
  .chain((flag) => fc.tuple(fc.integer({ min: 5, max: flag.length }).map((n) => flag.slice(0, n)), fc.constantFrom('=', ' ')))
  .map(([prefix, separator]) => (separator === '=' ? [`${prefix}=1`] : [prefix, '1']));
// Go templates (Prometheus expands alert labels and annotations with text/template) and Grafana's variable syntax.
const TEMPLATE_TEXT = fc.tuple(fc.constantFrom('', 'llama', 'team'), fc.constantFrom('{{', '}}', '{{ .Labels.x }}', '{{/*', '{{-', '$__all', ','),
  fc.constantFrom('', 'x', '}}')).map((parts) => parts.join(''));
const labelMap = optional(mostly(
  fc.dictionary(fc.constantFrom('release', 'team', 'example.com/tier'), fc.constantFrom('a', 'kube-prometheus-stack', 'x.y_z'), { maxKeys: 2 }),
  fc.constantFrom<Record<string, string>>({ 'bad key': 'x' }, { team: 'has space' }, { team: 'x'.repeat(64) }, { 'Bad_Prefix.io/x': 'y' }, { '': 'x' })));
const MODEL_IDS = ['meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-3.1-70B-Instruct', 'Qwen/Qwen2.5-7B-Instruct', 'mistralai/Mistral-7B-Instruct-v0.3', 'org/custom-model'];

const scenario = fc.record({
  chartId: mostly(fc.constantFrom('test', 'prod-llm'), fc.constantFrom('my_chart', '1chart', 'a.b', 'Prod')),
  serverId: mostly(fc.constantFrom('server', 'llama'), fc.oneof(fc.constantFrom(...BAD_IDS), OBJECT_NAME_LIKE.filter((id) => id !== '' && !id.includes('/')))),
  chartNamespace: mostly(fc.constantFrom('inference', 'ml-serving', 'inference'), fc.constantFrom('', 'Inference', 'n'.repeat(64), 'ns_1', undefined)),
  namespace: optional(mostly(fc.constantFrom('inference'), fc.constantFrom('', 'Inference', 'ns_1'))),
  modelId: mostly(fc.constantFrom(...MODEL_IDS), fc.constantFrom('not a model', 'org/..', 'org/a--b', 'org/name.', `org/${'x'.repeat(97)}`, '-org/x', 'org/x/y')),
  parametersBillions: mostly(fc.constantFrom(1, 3, 7, 8, 8, 70), fc.constantFrom(-1, 0, NaN, Infinity, 1e6)),
  precision: mostly(fc.constantFrom(...Object.values(Precision)), fc.constantFrom('fp4' as Precision, undefined as unknown as Precision)),
  revision: optional(mostly(fc.constantFrom('main', 'v1.0', 'refs/pr/1'), fc.constantFrom('../etc', '', 'a//b', 'a/./b', 'x'.repeat(200)))),
  servedModelName: optional(mostly(fc.constantFrom('llama', 'org/m'), fc.oneof(fc.constantFrom('', 'has space', 'x'.repeat(201)), TEMPLATE_TEXT))),
  token: optional(mostly(fc.constant({ secret: 'hf', key: 'token' }), fc.constantFrom<unknown>('hf_abcdefghijklmnopqrstuvwxyz', {}, { secret: 'hf' }, null))),
  architecture: optional(mostly(
    fc.record({
      layers: fc.integer({ min: 1, max: 80 }),
      kvHeads: fc.constantFrom(1, 2, 4, 8),
      headDim: fc.constantFrom(64, 128),
      contextLength: fc.constantFrom(4096, 32_768),
      attentionHeads: optional(fc.constantFrom(8, 16, 24, 32)),
    }),
    fc.constantFrom({ layers: 0, kvHeads: 8, headDim: 128, contextLength: 4096 },
      { layers: 8, kvHeads: 3, headDim: 64, contextLength: 4096, attentionHeads: 16 },
      { layers: 8, kvHeads: 8, headDim: NaN, contextLength: 4096 }))),
  gpu: fc.constantFrom(Gpu.L4, Gpu.A10G, Gpu.A100, Gpu.H100, Gpu.H100, Gpu.H200, Gpu.H200),
  gpuCount: optional(mostly(fc.constantFrom(1, 2, 4, 8), fc.constantFrom(-1, 0, 0.5, NaN, 3, 6, 9, 16, 1000))),
  // 'gpus' and 'half' are the GPU count and half of it; numbers are used as given.
  tensorParallelSize: optional(mostly(fc.constantFrom<number | 'gpus' | 'half'>('gpus', 'half', 1), fc.constantFrom(0, 3, 6, NaN, 8))),
  gpuMemoryUtilization: optional(mostly(fc.double({ min: 0.5, max: 0.95, noNaN: true }), fc.constantFrom(-0.1, 0, 1.5, NaN))),
  maxModelLen: optional(mostly(fc.constantFrom(1024, 2048, 4096, 8192), fc.constantFrom(-1, 0, 32_768, 300_000, 2 ** 40))),
  maxNumSeqs: optional(mostly(fc.integer({ min: 1, max: 512 }), fc.constantFrom(0, 4096, 0.5, 2 ** 40))),
  maxNumBatchedTokens: optional(mostly(fc.constantFrom(2048, 8192, 16_384), fc.constantFrom(0, 16, 128, 2 ** 40))),
  replicas: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: mostly(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 0.5, 2 ** 31, 5000)) }),
  image: optional(mostly(fc.constantFrom('vllm/vllm-openai:v0.18.0', 'vllm/vllm-openai:v0.19.1', 'registry.example.com:5000/team/vllm:v1'),
    fc.constantFrom('', ' vllm/vllm-openai:v0.18.0', 'vllm/vllm-openai:v0.17.1', 'Vllm/Upper:1', 'a b'))),
  skipImageVersionCheck: optional(fc.boolean()),
  extraArgs: optional(mostly(fc.constantFrom<string[]>(['--enable-prefix-caching'], ['--max-log-len', '100'], []),
    fc.oneof(fc.constantFrom(['--port', '9000'], ['--served-model-name', 'x'], ['--tensor-parallel-size=2'], ['--model', 'x'], ['--shutdown-timeout', '0'],
      ['--max_model_len=4096'], ['--api-key', 'sk-1'], ['--hf_token', 'x'], ['--hf-token=hf_abcdefghijklmnopqrstuvwxyz']), ARGPARSE_ABBREVIATION))),
  env: optional(mostly(fc.constantFrom<Record<string, string>>({ VLLM_LOGGING_LEVEL: 'DEBUG' }, { HOME: '/tmp/home' }, { TOKENIZERS_PARALLELISM: 'false' }, {}),
    fc.constantFrom<Record<string, string>>({ HOME: '/root' }, { OPENAI_API_KEY: 'sk-1' }, { HF_TOKEN: 'x' }, { '1BAD': 'x' }, { 'A B': 'x' },
      { XDG_CACHE_HOME: '/tmp/../etc' }, { DB_PASSWORD: 'p' }))),
  cpu: optional(mostly(fc.constantFrom('2', '500m', '16'), fc.constantFrom('-1', 'NaN', '0', 'NaNm'))),
  memoryMi: optional(mostly(fc.integer({ min: 40_000, max: 200_000 }), fc.constantFrom(NaN, 1, 0))),
  sharedMemoryMi: optional(mostly(fc.integer({ min: 512, max: 8192 }), fc.constantFrom(NaN, 0))),
  nodeSelector: optional(mostly(fc.constantFrom<Record<string, string>>({ pool: 'gpu' }, {}), fc.constantFrom<Record<string, string>>(
    { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' }, { 'nvidia.com/gpu.product': 'NVIDIA-L4' }, { pool: 'bad value!' }, { 'bad key': 'x' }), 2)),
  monitoringLabels: labelMap,
  loadBandwidthMBps: optional(mostly(fc.constantFrom(100, 1000, 5000), fc.constantFrom(0, 1e-9, NaN, Infinity, 1e7))),
  engineStartup: duration(fc.integer({ min: 0, max: 600 })),
  preStop: duration(fc.integer({ min: 0, max: 600 })),
  shutdown: duration(fc.integer({ min: 0, max: 3600 })),
  grace: duration(mostly(fc.constantFrom(4200, 7200), fc.constantFrom(0, 30))),
  scrape: duration(mostly(fc.constantFrom(5, 15, 30, 120, 299), fc.constantFrom(300, 600))),
  cache: fc.boolean(),
  cacheSizeMi: optional(mostly(fc.integer({ min: 200_000, max: 2_000_000 }), fc.constantFrom(NaN, 1, 40_000))),
  existingClaim: optional(mostly(fc.constant('weights'), fc.constantFrom('Bad_Name', '', 'x.'))),
  storageClassName: optional(mostly(fc.constantFrom('nfs', 'efs.sc'), fc.constantFrom('Fast_NFS', '', 'a b'))),
  cacheNamespace: optional(mostly(fc.constantFrom('inference', 'ml-serving'), fc.constantFrom('models', 'Bad'))),
  cacheAccessMode: optional(fc.constantFrom(...Object.values(kplus.PersistentVolumeAccessMode))),
  cacheImage: optional(mostly(fc.constant('python:3.12-slim'), fc.constantFrom('', 'a b'))),
  downloadDeadline: duration(mostly(fc.constantFrom(7200, 86_400), fc.constantFrom(60))),
  autoscale: fc.boolean(),
  autoscalerId: mostly(fc.constant('autoscaler'), fc.constantFrom(...BAD_IDS)),
  maxReplicas: mostly(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, -1, 2.5, 2 ** 31)),
  prometheusAddress: mostly(fc.constantFrom('http://prometheus-operated.monitoring.svc:9090', 'https://prom.example.com/prometheus'),
    fc.oneof(fc.constantFrom('not a url', 'http://p:9090/?x=1', 'http://p:9090/#f', ' http://p:9090', 'http://p:9090/api/v1/query', 'http://u:p@p:9090', 'ftp://p', ''),
      GO_URL), 6),
  target: optional(mostly(fc.double({ min: 0.5, max: 20, noNaN: true }), fc.constantFrom(0, -1, NaN, Infinity))),
  kvThreshold: optional(mostly(fc.double({ min: 0.1, max: 1, noNaN: true }), fc.constantFrom(0, 1.5, NaN))),
  pollingInterval: duration(fc.constantFrom(5, 15, 30)),
  authentication: optional(mostly(fc.constant('prom-auth'), fc.constantFrom('Bad_Name', ''))),
  floor: optional(mostly(fc.integer({ min: 0, max: 4 }), fc.constantFrom(-1, 20, NaN))),
  floorId: mostly(fc.constant('floor'), fc.constantFrom(...BAD_IDS)),
  scaleToZero: fc.boolean(),
  acceptColdStartFailures: optional(fc.boolean()),
  hosts: optional(mostly(fc.constantFrom<string[]>(['llm.example.com'], ['*.example.com', 'api.internal:8080']),
    fc.constantFrom(['https://llm.example.com/v1'], ['has space'], [''], ['x:99999']))),
  coldStartTimeout: duration(fc.constantFrom(60, 900, 3600)),
  schedule: optional(mostly(
    fc.record({
      timezone: fc.constantFrom<string>('Europe/Paris', 'UTC', 'America/New_York'),
      start: fc.constantFrom('30 13 * * 1-5', '0 8 * * *'),
      end: fc.constantFrom('0 22 * * 1-5', '0 20 * * *'),
      replicas: fc.integer({ min: 1, max: 6 }),
    }),
    fc.record({
      timezone: fc.constantFrom('utc', 'europe/paris', 'Mars/Base', 'Local', ''),
      start: fc.constantFrom('61 * * * *', '0 0 31 2 *', '0 8 * * 1-5'),
      end: fc.constantFrom('0 8 * * MON-FRI', '00 08 * * 1-5', 'x'),
      replicas: fc.constantFrom(0, 1, 99),
    }), 3)),
  alerts: fc.boolean(),
  alertsId: mostly(fc.constant('alerts'), fc.constantFrom(...BAD_IDS)),
  alertLabels: optional(mostly(fc.constantFrom<Record<string, string>>({ team: 'inference' }, { page: 'yes', team: 'ml' }),
    fc.oneof(fc.constantFrom({ 'team-name': 'x' }, { '1x': 'y' }, { __name__: 'z' }, { severity: 'x' }, { team: '' }, { alertname: 'x' }),
      TEMPLATE_TEXT.map((value) => ({ team: value }))))),
  ruleLabels: labelMap,
  severity: optional(mostly(fc.constantFrom('page', 'ticket'), fc.constantFrom(''))),
  runbookBaseUrl: optional(mostly(fc.constant('https://runbooks.example.com/vllm'),
    fc.oneof(fc.constantFrom('not a url', 'https://x y'), TEMPLATE_TEXT.map((text) => `https://runbooks.example.com/${text}`)))),
  ttftWindow: duration(fc.constantFrom(60, 300, 900)),
  ttftSlo: duration(fc.constantFrom(1, 2, 5)),
  ttftQuantile: optional(mostly(fc.constantFrom(0.5, 0.95, 0.99), fc.constantFrom(0, 1, NaN))),
  pendingFor: duration(fc.constantFrom(0, 60, 600)),
  dashboard: fc.boolean(),
  dashboardId: mostly(fc.constant('dashboard'), fc.constantFrom(...BAD_IDS)),
  dashboardNamespace: optional(mostly(fc.constantFrom('monitoring'), fc.constantFrom('', 'Bad', 'ns_1'))),
  sidecarLabels: labelMap,
  folder: optional(fc.constantFrom('LLM', 'Serving / vLLM')),
  folderAnnotation: optional(mostly(fc.constantFrom('grafana_folder', 'example.com/folder'), fc.constantFrom('bad key!', ''))),
  uid: optional(mostly(fc.constantFrom('vllm', 'vllm-serving_1'), fc.constantFrom('has space', 'x'.repeat(41), ''))),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): Chart {
  const app = new App({ outdir: '/tmp/cdk8s-vllm-fuzz' });
  const chart = new Chart(app, s.chartId, { namespace: s.chartNamespace });
  const token = s.token && typeof s.token === 'object' && 'secret' in s.token && s.token.secret === 'hf'
    ? { secret: kplus.Secret.fromSecretName(chart, 'HfSecret', 'hf'), key: 'token' } : s.token;
  const model = Model.huggingFace(s.modelId, {
    parametersBillions: s.parametersBillions,
    precision: s.precision,
    revision: s.revision,
    servedModelName: s.servedModelName,
    token: token as kplus.SecretValue | undefined,
    architecture: s.architecture,
  });
  const cache = s.cache
    ? new ModelCache(chart, 'weights', {
      model,
      existingClaimName: s.existingClaim,
      storageClassName: s.existingClaim ? undefined : s.storageClassName,
      namespace: s.cacheNamespace,
      accessMode: s.existingClaim ? undefined : s.cacheAccessMode,
      size: s.cacheSizeMi === undefined || s.existingClaim ? undefined : Size.mebibytes(s.cacheSizeMi),
      image: s.cacheImage,
      downloadDeadline: toDuration(s.downloadDeadline),
    })
    : undefined;
  const env = s.env === undefined ? undefined : Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]));
  const server = new VllmService(chart, s.serverId, {
    model,
    cache,
    gpu: s.gpu,
    gpuCount: s.gpuCount,
    gpuMemoryUtilization: s.gpuMemoryUtilization,
    tensorParallelSize: s.tensorParallelSize === 'gpus' ? s.gpuCount : s.tensorParallelSize === 'half' ? (s.gpuCount ?? 1) / 2 : s.tensorParallelSize,
    maxModelLen: s.maxModelLen,
    maxNumSeqs: s.maxNumSeqs,
    maxNumBatchedTokens: s.maxNumBatchedTokens,
    replicas: s.replicas,
    image: s.image,
    skipImageVersionCheck: s.skipImageVersionCheck,
    extraArgs: s.extraArgs,
    env,
    namespace: s.namespace,
    cpu: s.cpu === undefined ? undefined : (s.cpu.endsWith('m') ? kplus.Cpu.millis(Number(s.cpu.slice(0, -1))) : kplus.Cpu.units(Number(s.cpu))),
    memory: s.memoryMi === undefined ? undefined : Size.mebibytes(s.memoryMi),
    sharedMemory: s.sharedMemoryMi === undefined ? undefined : Size.mebibytes(s.sharedMemoryMi),
    nodeSelector: s.nodeSelector,
    monitoringLabels: s.monitoringLabels,
    coldStart: { loadBandwidthMBps: s.loadBandwidthMBps, engineStartup: toDuration(s.engineStartup) },
    drain: { preStopPause: toDuration(s.preStop), shutdownTimeout: toDuration(s.shutdown), terminationGracePeriod: toDuration(s.grace) },
    scrapeInterval: toDuration(s.scrape),
  });
  let autoscaler: QueueAutoscaler | undefined;
  if (s.autoscale) {
    autoscaler = new QueueAutoscaler(chart, s.autoscalerId, {
      server,
      maxReplicas: s.maxReplicas,
      prometheusAddress: s.prometheusAddress,
      targetQueuePerReplica: s.target,
      kvCacheTrigger: s.kvThreshold === undefined ? undefined : { threshold: s.kvThreshold },
      pollingInterval: toDuration(s.pollingInterval),
      authentication: s.authentication === undefined ? undefined : { name: s.authentication },
    });
    if (s.floor !== undefined) {
      new WarmFloor(chart, s.floorId, {
        autoscaler,
        replicas: s.floor,
        acceptColdStartFailures: s.acceptColdStartFailures,
        scaleToZero: s.scaleToZero ? { hosts: s.hosts, coldStartTimeout: toDuration(s.coldStartTimeout) } : undefined,
        schedules: s.schedule ? [s.schedule] : undefined,
      });
    }
  }
  let alerts: ServingAlerts | undefined;
  if (s.alerts) {
    alerts = new ServingAlerts(chart, s.alertsId, {
      server,
      autoscaler,
      alertLabels: s.alertLabels,
      ruleLabels: s.ruleLabels,
      runbookBaseUrl: s.runbookBaseUrl,
      preemptions: s.severity === undefined ? undefined : { severity: AlertSeverity.of(s.severity) },
      timeToFirstToken: {
        window: toDuration(s.ttftWindow), slo: toDuration(s.ttftSlo), quantile: s.ttftQuantile, pendingFor: toDuration(s.pendingFor),
      },
    });
  }
  if (s.dashboard) {
    new ServingDashboard(chart, s.dashboardId, {
      servers: [server],
      autoscalers: autoscaler ? [autoscaler] : undefined,
      alerts: alerts ? [alerts] : undefined,
      namespace: s.dashboardNamespace,
      sidecarLabels: s.sidecarLabels,
      folder: s.folder,
      folderAnnotation: s.folderAnnotation,
      uid: s.uid,
    });
  }
  return chart;
}

// ---- Independent oracles: Kubernetes naming, hub ids, KEDA, Go time zones, vLLM flags ----

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const isSubdomain = (v: string) => v.length <= 253 && v.split('.').every((p) => DNS_LABEL.test(p));
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const isLabelKey = (k: string) => {
  const i = k.lastIndexOf('/');
  const name = i >= 0 ? k.slice(i + 1) : k;
  return (i < 0 || isSubdomain(k.slice(0, i))) && /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/.test(name);
};
const TYPED_FLAGS = ['--model', '--revision', '--served-model-name', '--host', '--port', '--tensor-parallel-size', '--data-parallel-size',
  '--gpu-memory-utilization', '--max-model-len', '--max-num-seqs', '--max-num-batched-tokens', '--shutdown-timeout'];
const INT32 = 2 ** 31 - 1;
// Go's time.LoadLocation: "UTC" is built in; other names are files of the zone database, case-sensitive.
const goLoadsZone = (zone: string) => zone === 'UTC' || (zone !== '' && zone !== 'Local' && !zone.includes('..') && existsSync(`/usr/share/zoneinfo/${zone}`));

function semanticProblems(s: Scenario, manifests: any[]): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(what);
  for (const o of manifests) {
    const { name, namespace, labels = {}, annotations = {} } = o.metadata ?? {};
    const nameOk = o.kind === 'Service' ? DNS_1035.test(name) : isSubdomain(name ?? '');
    if (!nameOk) fail(`${o.kind} name '${name}'`);
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) fail(`${o.kind} namespace '${namespace}'`);
    for (const [k, v] of Object.entries(labels)) if (!isLabelKey(k) || !LABEL_VALUE.test(v as string)) fail(`${o.kind} label ${k}=${v}`);
    const annotationBytes = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
    if (annotationBytes > 256 * 1024) fail(`${o.kind} annotations ${annotationBytes} bytes`);
  }
  for (const d of manifests.filter((o) => o.kind === 'Deployment')) {
    const pod = d.spec.template.spec;
    const vllm = pod.containers.find((c: any) => c.name === 'vllm');
    const args: string[] = vllm.args;
    const flags = args.filter((a) => a.startsWith('--')).map((a) => `--${a.slice(2).split('=')[0].replace(/_/g, '-')}`);
    for (const flag of TYPED_FLAGS) if (flags.filter((f) => f === flag).length > 1) fail(`flag ${flag} given twice`);
    if (flags.includes('--api-key') || flags.includes('--hf-token')) fail('credential on the command line');
    const value = (flag: string) => Number(args[args.indexOf(flag) + 1]);
    const gpus = vllm.resources.limits['nvidia.com/gpu'];
    const tp = value('--tensor-parallel-size');
    if (!(gpus >= 1 && gpus <= 8) || gpus % tp !== 0) fail(`${gpus} GPUs with tensor parallel ${tp}`);
    const arch = Model.huggingFace(s.modelId, { parametersBillions: 1, architecture: s.architecture }).architecture;
    if (arch?.attentionHeads !== undefined && arch.attentionHeads % tp !== 0) fail(`tp ${tp} does not divide ${arch.attentionHeads} heads`);
    if (arch && (arch.kvHeads >= tp ? arch.kvHeads % tp !== 0 : tp % arch.kvHeads !== 0)) fail(`tp ${tp} against ${arch.kvHeads} KV heads`);
    if (value('--max-num-batched-tokens') < value('--max-num-seqs')) fail('batched tokens below sequences');
    const modelArg = args[args.indexOf('--model') + 1];
    if (modelArg.startsWith('/')) {
      if (modelArg !== posix.normalize(modelArg) || !modelArg.startsWith('/models/')) fail(`weights path ${modelArg}`);
    } else if (!/^[A-Za-z0-9_][\w.-]*[A-Za-z0-9_]\/[A-Za-z0-9_][\w.-]*[A-Za-z0-9_]$/.test(modelArg) || /--|\.\./.test(modelArg) || modelArg.split('/').some((p) => p.length > 96)) {
      fail(`hub id ${modelArg}`);
    }
    const gpu = s.gpu.productLabel;
    const product = pod.nodeSelector?.['nvidia.com/gpu.product'];
    if (product !== undefined && product !== gpu) fail(`nodeSelector ${product} for ${gpu}`);
    for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) if (!isLabelKey(k) || !LABEL_VALUE.test(v as string)) fail(`nodeSelector ${k}=${v}`);
    for (const e of vllm.env ?? []) {
      if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(e.name)) fail(`env name ${e.name}`);
      if (e.value !== undefined && /(^|_)(TOKEN|SECRET|PASSWORD|API_?KEY|CREDENTIALS?)(_|$)/i.test(e.name)) fail(`literal credential ${e.name}`);
      if (['HOME', 'XDG_CACHE_HOME', 'HF_HOME'].includes(e.name) && !/^\/(tmp|var\/cache\/vllm)(\/|$)/.test(e.value ?? '') || (e.value ?? '').includes('/../')) fail(`${e.name}=${e.value}`);
    }
    if (!vllm.image || /\s/.test(vllm.image)) fail(`image '${vllm.image}'`);
    const tag = /vllm-openai:v?(\d+)\.(\d+)/.exec(vllm.image);
    if (tag && Number(tag[1]) === 0 && Number(tag[2]) < 18 && !s.skipImageVersionCheck) fail(`old image ${vllm.image}`);
    const cpu = vllm.resources.requests.cpu;
    if (!/^(\d+(\.\d+)?|\.\d+)m?$/.test(String(cpu)) || !(parseFloat(String(cpu)) > 0)) fail(`cpu ${cpu}`);
    const startup = vllm.startupProbe;
    for (const n of [startup.failureThreshold, d.spec.progressDeadlineSeconds, pod.terminationGracePeriodSeconds, d.spec.replicas ?? 0]) {
      if (!Number.isInteger(n) || n < 0 || n > INT32) fail(`int32 field ${n}`);
    }
  }
  for (const sm of manifests.filter((o) => o.kind === 'ServiceMonitor')) {
    const interval = parseInt(sm.spec.endpoints[0].interval, 10);
    if (!(interval < 300)) fail(`scrape interval ${interval}s beyond the lookback`);
  }
  for (const so of manifests.filter((o) => o.kind === 'ScaledObject')) {
    for (const t of so.spec.triggers) {
      if (t.type === 'prometheus') {
        const address: string = t.metadata.serverAddress;
        const url = new URL(address);
        if (address.trim() !== address || url.search || url.hash || url.username || url.password || /\/api\/v1\/query\/?$/.test(url.pathname)) fail(`KEDA address ${address}`);
      }
      if (t.type === 'cron') {
        if (!goLoadsZone(t.metadata.timezone)) fail(`time zone ${t.metadata.timezone}`);
        if (t.metadata.start.replace(/\s+/g, ' ') === t.metadata.end.replace(/\s+/g, ' ')) fail('window opens and closes at once');
        if (Number(t.metadata.desiredReplicas) <= so.spec.minReplicaCount) fail('window does not raise the floor');
        if (/^\S+ \S+ (30|31) 0?2 /.test(t.metadata.start)) fail(`window never opens: ${t.metadata.start}`);
      }
    }
  }
  for (const h of manifests.filter((o) => o.kind === 'HTTPScaledObject')) {
    for (const host of h.spec.hosts) if (!/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/i.test(host)) fail(`host '${host}'`);
    const deployment = manifests.find((o) => o.kind === 'Deployment');
    const probe = deployment.spec.template.spec.containers.find((c: any) => c.name === 'vllm').startupProbe;
    if (parseInt(h.spec.timeouts.conditionWait, 10) < probe.failureThreshold * probe.periodSeconds - 10) fail('cold start timeout below the startup window');
  }
  for (const job of manifests.filter((o) => o.kind === 'Job')) {
    const model = Model.huggingFace(s.modelId, { parametersBillions: s.parametersBillions, precision: s.precision });
    if (job.spec.activeDeadlineSeconds < ColdStart.estimate(model, false).weightLoadSeconds) fail('download deadline below the download estimate');
  }
  for (const map of manifests.filter((o) => o.kind === 'ConfigMap')) {
    const bytes = Object.entries(map.data ?? {}).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(String(v)), 0);
    if (bytes > 1024 * 1024) fail(`ConfigMap data ${bytes} bytes`);
    for (const json of Object.values(map.data ?? {})) if (!/^[A-Za-z0-9_-]{1,40}$/.test(JSON.parse(json as string).uid)) fail('dashboard uid');
  }
  for (const rule of manifests.filter((o) => o.kind === 'PrometheusRule')) {
    for (const r of rule.spec.groups[0].rules) {
      for (const k of Object.keys(r.labels ?? {})) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k.startsWith('__')) fail(`alert label ${k}`);
    }
  }
  return problems;
}

/** The prop a refusal names: `Kind 'path': prop (value) rule` -> `Kind.prop`, the class of the outcome. */
function refusalClass(message: string): string {
  const m = /^(\w+)(?: '[^']*')?: ([\w.[\]' -]+?) \(/.exec(message);
  return m ? `${m[1]}.${m[2].replace(/\[\d+\]/g, '[]').replace(/\['[^']*'\]/g, '[]')}` : `${message.split(':')[0]}: <combination>`;
}

test('random props over the whole public API: every outcome is a ValidationError or valid, correct manifests', () => {
  const outcomes = new Map<string, number>();
  const emitted: any[][] = [];
  const ruleFiles: object[][] = [];
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const started = Date.now();
  fc.assert(fc.property(scenario, (s) => {
    let manifests: any[];
    try {
      manifests = Testing.synth(build(s));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      // Every refusal names its subject and prop, the value and the rule.
      expect(e.message).toMatch(/^\w+( '[^']*')?: /);
      count(`refused ${refusalClass(e.message)}`);
      return;
    }
    const problems = semanticProblems(s, manifests);
    if (problems.length > 0) throw new Error(`emitted but wrong: ${problems.join('; ')}`);
    count('emitted');
    emitted.push(manifests);
    for (const rule of manifests.filter((o) => o.kind === 'PrometheusRule')) ruleFiles.push(rule.spec.groups);
  }), { numRuns: RUNS, seed: 20261123 });
  const propertySeconds = (Date.now() - started) / 1000;
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_REPORT) {
    console.log(`${RUNS} runs in ${propertySeconds.toFixed(1)} s\n`
    + [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(5)}  ${k}`).join('\n'));
  }

  // Schema: one batch of distinct objects.
  const distinct = [...new Map(emitted.flat().map((o) => [JSON.stringify(o), o])).values()];
  const invalid = validateManifests(distinct).filter((r) => !r.valid)
    .map((r) => `${r.kind}/${r.name}: ${r.errors.map((e) => `${e.path} ${e.message}`).join(', ')}`);
  expect(invalid).toEqual([]);
  // promtool: one process over every distinct rule file.
  if (requirePromtool()) checkRuleFiles([...new Map(ruleFiles.map((g) => [JSON.stringify(g), g])).values()]);

  // Both outcomes are common, and the refusals span the input classes.
  const emittedRuns = outcomes.get('emitted') ?? 0;
  expect(emittedRuns).toBeGreaterThan(RUNS * 0.1);
  expect(RUNS - emittedRuns).toBeGreaterThan(RUNS * 0.3);
  const refusedClasses = [...outcomes.keys()].filter((k) => k.startsWith('refused'));
  expect(refusedClasses.length).toBeGreaterThan(40);
  const kinds = new Set(emitted.flat().map((o) => o.kind));
  for (const kind of ['Deployment', 'Job', 'PersistentVolumeClaim', 'ScaledObject', 'InterceptorRoute', 'PrometheusRule', 'ServiceMonitor', 'ConfigMap']) expect(kinds).toContain(kind);
});

test('random value-class inputs: Gpu.custom, Sizing.of, ColdStart.estimate, AlertSeverity.of refuse with a ValidationError or compute finite figures', () => {
  const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -1, 0, 1e300));
  fc.assert(fc.property(
    fc.record({
      name: fc.oneof(fc.string(), fc.constant(undefined as unknown as string)),
      productLabel: fc.oneof(fc.constant('NVIDIA-X'), fc.string()),
      memoryMib: anyNumber,
      memoryMbps: anyNumber,
      tflops: anyNumber,
      gpuCount: anyNumber,
      utilization: anyNumber,
      bandwidth: anyNumber,
      severity: fc.string(),
    }),
    (v) => {
      for (const compute of [
        () => Gpu.custom({
          name: v.name, productLabel: v.productLabel, memoryMib: v.memoryMib, memoryBandwidthTbps: v.memoryMbps, bf16Tflops: v.tflops,
        }).memoryGib,
        () => Sizing.of({ model: Model.huggingFace('org/m', { parametersBillions: 7 }), gpu: Gpu.L4, gpuCount: v.gpuCount, gpuMemoryUtilization: v.utilization }).budgetGib,
        () => ColdStart.estimate(Model.huggingFace('org/m', { parametersBillions: 7 }), true, { loadBandwidthMBps: v.bandwidth }).totalSeconds,
        () => (AlertSeverity.of(v.severity).value.length),
      ]) {
        try {
          expect(Number.isFinite(compute())).toBe(true);
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
        }
      }
    }), { numRuns: 1000, seed: 7 });
});

test('random trace text: a ValidationError or a trace within the replay budget, quickly', () => {
  const stamp = fc.oneof(fc.integer({ min: 0, max: 1e6 }).map(String), fc.constantFrom('2023-11-16 18:15:46.5', '2023-02-30 10:00:00', '9999-12-31 23:59:59',
    '1e300', '-5', 'NaN', '2023-11-16T18:15:47', ''));
  const tokens = fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), fc.constantFrom('0', '2147483648', '1e3', '-1', 'x', ' 12 ', '99999999999'));
  const line = fc.tuple(stamp, tokens, tokens).map((f) => f.join(','));
  fc.assert(fc.property(fc.array(fc.oneof(line, fc.constantFrom('', 'a,b', '1,2,3,4', '\u0000')), { maxLength: 30 }), fc.constantFrom(0.5, 1, 3, 1000, 1e7), (lines, scale) => {
    const started = Date.now();
    try {
      const trace = Trace.parseCsv(['TIMESTAMP,ContextTokens,GeneratedTokens', ...lines].join('\n')).scaleRate(scale);
      expect(trace.length).toBeLessThanOrEqual(Trace.MAX_REQUESTS);
      expect(trace.durationSeconds).toBeLessThanOrEqual(Trace.MAX_DURATION_SECONDS);
      let badTokens = 0;
      for (let i = 0; i < trace.length; i++) {
        const r = trace.request(i);
        const max = Trace.MAX_TOKENS_PER_REQUEST;
        if (!(r.promptTokens >= 1 && r.outputTokens >= 1 && r.promptTokens <= max && r.outputTokens <= max)) badTokens++;
      }
      expect(badTokens).toBe(0);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
    }
    expect(Date.now() - started).toBeLessThan(1000);
  }), { numRuns: 1000, seed: 11 });
});
