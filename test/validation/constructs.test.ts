import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AlertSeverity, Gpu, Model, ModelCache, Precision, QueueAutoscaler, ServingAlerts, VllmService, VllmServiceProps, WarmFloor, WarmFloorProps } from '../../src';
import { ServingDashboard } from '../../src/serving-dashboard';
import { ColdStart, Sizing } from '../../src/sizing';
import { findOne, LLAMA_70B, LLAMA_8B, refusal, testChart } from '../util';

// One exact-message test per input rule, through the public constructs. GIVEN props, WHEN constructed, THEN the message.

const SERVER = "VllmService 'test/server'";
const PROM = 'http://prometheus-operated.monitoring.svc:9090';

function server(props: Partial<VllmServiceProps> = {}, chart: Chart = testChart()): VllmService {
  return new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, ...props });
}

function floor(props: Omit<WarmFloorProps, 'autoscaler'>): unknown[] {
  const chart = testChart();
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server: server({}, chart), maxReplicas: 8, prometheusAddress: PROM });
  new WarmFloor(chart, 'floor', { autoscaler, ...props });
  return Testing.synth(chart);
}

describe('rendered names and metadata', () => {
  test.each([
    ['my_chart', "VllmService 'my_chart/server': rendered Deployment name ('my_chart-server-c82e009c') must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain); it is derived from the construct path 'my_chart/server/Resource/Resource': use chart and construct ids of lower-case letters, digits and '-', starting with a letter"],
    ['1chart', "VllmService '1chart/server': rendered Service name ('1chart-server-service-c8f8feaf') must start with a lower-case letter (RFC 1035 label: a Service name); it is derived from the construct path '1chart/server/Service/Resource'"],
    ['my.chart', "VllmService 'my.chart/server': rendered Service name ('my.chart-server-service-c8256d40') must be lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)"],
  ])('chart id %s gives names Kubernetes refuses', (id, message) => {
    expect(refusal(() => server({}, new Chart(Testing.app(), id, { namespace: 'inference' })))).toContain(message);
  });

  test.each([
    ['Inference', "must be lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)"],
    ['', 'must not be empty'],
    ['a'.repeat(64), 'must be at most 63 characters (has 64)'],
  ])('namespace %j', (namespace, rule) => {
    expect(refusal(() => server({ namespace }))).toBe(`${SERVER}: namespace (${JSON.stringify(namespace).replace(/"/g, "'")}) ${rule}`);
  });

  test('label keys and values: monitoringLabels, nodeSelector, ruleLabels', () => {
    expect(refusal(() => server({ monitoringLabels: { 'release name': 'x' } })))
      .toBe(`${SERVER}: monitoringLabels key ('release name') must be a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, with an optional DNS-subdomain prefix and '/'`);
    expect(refusal(() => server({ nodeSelector: { pool: 'gpu nodes' } })))
      .toBe(`${SERVER}: nodeSelector['pool'] ('gpu nodes') must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
    const chart = testChart();
    const s = server({}, chart);
    expect(refusal(() => new ServingAlerts(chart, 'alerts', { server: s, ruleLabels: { 'Bad_Prefix.example.com/x': 'y' } })))
      .toBe("ServingAlerts 'test/alerts': ruleLabels key ('Bad_Prefix.example.com/x') has a prefix 'Bad_Prefix.example.com' that is not a DNS subdomain");
  });

  test('storage class names are DNS subdomains', () => {
    expect(refusal(() => new ModelCache(testChart(), 'cache', { model: LLAMA_8B, storageClassName: 'Fast_NFS' })))
      .toBe("ModelCache 'test/cache': storageClassName ('Fast_NFS') must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain)");
  });
});

describe('values cdk8s cannot convert', () => {
  test('a Size that is not a whole number of GiB is accepted; a NaN one is refused with the prop', () => {
    const chart = testChart();
    server({ memory: Size.mebibytes(40000) }, chart);
    expect(findOne(Testing.synth(chart), 'Deployment').spec.template.spec.containers[0].resources.limits.memory).toBe('40000Mi');
    expect(refusal(() => server({ sharedMemory: Size.gibibytes(NaN) }))).toBe(`${SERVER}: sharedMemory ('NaNGi') must be a finite size >= 0`);
    expect(refusal(() => new ModelCache(testChart(), 'cache', { model: LLAMA_70B, size: Size.mebibytes(40000) })))
      .toBe("ModelCache 'test/cache': size ('39.06Gi') must hold the weights: at least 131Gi");
  });

  test('NaN and Infinity durations name the prop', () => {
    expect(refusal(() => server({ drain: { preStopPause: Duration.seconds(NaN) } })))
      .toBe(`${SERVER}: drain.preStopPause ('NaNs') must be a whole number of seconds from 0 to 3600`);
    expect(refusal(() => server({ coldStart: { engineStartup: Duration.seconds(Infinity) } })))
      .toBe(`${SERVER}: coldStart.engineStartup ('Infinitys') must be a whole number of seconds from 0 to 86400`);
    const chart = testChart();
    const s = server({}, chart);
    expect(refusal(() => new ServingAlerts(chart, 'alerts', { server: s, timeToFirstToken: { slo: Duration.seconds(NaN) } })))
      .toBe("ServingAlerts 'test/alerts': timeToFirstToken.slo ('NaNs') must be a finite duration >= 0");
  });

  test('CPU requests must be positive quantities', () => {
    expect(refusal(() => server({ cpu: kplus.Cpu.units(-1) }))).toBe(`${SERVER}: cpu ('-1') must be a positive CPU quantity such as '4' or '500m'`);
    expect(refusal(() => server({ cpu: kplus.Cpu.millis(NaN) }))).toBe(`${SERVER}: cpu ('NaNm') must be a positive CPU quantity such as '4' or '500m'`);
  });

  test('replicas stay within what a cluster can run', () => {
    expect(refusal(() => server({ replicas: 2 ** 31 }))).toBe(`${SERVER}: replicas (2147483648) must be a whole number from 0 to 1000`);
  });
});

describe('model ids, precision, tokens', () => {
  test.each([
    ['org/..', "must be a Hugging Face id 'organisation/name': the hub refuses '--' and '..'"],
    ['org/a--b', "must be a Hugging Face id 'organisation/name': the hub refuses '--' and '..'"],
    ['org/name.', "must be a Hugging Face id 'organisation/name' of letters, digits, '-', '_' and '.', each part not starting or ending with '-' or '.'"],
    [`org/${'x'.repeat(97)}`, "must be a Hugging Face id 'organisation/name' with each part at most 96 characters"],
  ])('modelId %s', (id, rule) => {
    expect(refusal(() => Model.huggingFace(id, { parametersBillions: 1 }))).toBe(`Model '${id}': modelId ('${id}') ${rule}`);
  });

  test('an unknown precision from JavaScript, a token given as a string', () => {
    expect(refusal(() => Model.huggingFace('org/m', { parametersBillions: 1, precision: 'fp4' as Precision })))
      .toBe("Model 'org/m': precision ('fp4') must be one of bf16, fp16, fp8, int4");
    expect(refusal(() => Model.huggingFace('org/m', { parametersBillions: 1, token: 'hf_abc' as unknown as kplus.SecretValue })))
      .toBe("Model 'org/m': token ('<redacted>') must be a Secret reference { secret, key }, not a literal string: store the credential in a Kubernetes Secret");
  });

  test('tensor parallelism must divide the attention and KV heads', () => {
    expect(refusal(() => server({ model: LLAMA_70B, gpu: Gpu.H100, gpuCount: 6 })))
      .toBe(`${SERVER}: tensorParallelSize (6) must divide the model's 64 attention heads (vLLM refuses to start otherwise)`);
    const custom = Model.huggingFace('org/m', { parametersBillions: 1, architecture: { layers: 8, kvHeads: 6, headDim: 64, contextLength: 4096 } });
    expect(refusal(() => server({ model: custom, gpuCount: 4 })))
      .toBe(`${SERVER}: tensorParallelSize (4) must divide the model's 6 KV heads, or be a multiple of them (vLLM refuses to start otherwise)`);
  });

  test('no more GPUs in one pod than a node holds', () => {
    expect(refusal(() => server({ gpuCount: 9 }))).toBe(`${SERVER}: gpuCount (9) must be <= 8: one pod runs on one node, and no L4 node holds more`);
  });

  test('the batch token budget covers the sequences', () => {
    expect(refusal(() => server({ maxNumBatchedTokens: 128, maxNumSeqs: 256 })))
      .toBe(`${SERVER}: maxNumBatchedTokens (128) must be >= maxNumSeqs (256): vLLM refuses to start otherwise`);
    expect(refusal(() => server({ maxNumSeqs: 4096 })))
      .toBe(`${SERVER}: maxNumSeqs (4096) must be <= maxNumBatchedTokens (2048, the default on this GPU), or set maxNumBatchedTokens: vLLM refuses to start otherwise`);
  });

  test('a nodeSelector that asks for another GPU', () => {
    expect(refusal(() => server({ nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } })))
      .toBe(`${SERVER}: nodeSelector['nvidia.com/gpu.product'] ('NVIDIA-H100-80GB-HBM3') contradicts gpu (L4, whose nodes carry 'NVIDIA-L4'): the pods would be sized for one GPU and scheduled on another`);
  });
});

describe('arguments, environment and images', () => {
  test.each([
    ['--port', 'none: the Service, probes and ServiceMonitor use port 8000'],
    ['--served-model-name', 'model (Model.huggingFace servedModelName)'],
    ['--tensor-parallel-size=2', 'tensorParallelSize'],
    ['--model', 'model (Model.huggingFace) or cache'],
    ['--shutdown-timeout', 'drain.shutdownTimeout'],
    ['--max_model_len=4096', 'maxModelLen'],
  ])('extraArgs %s is refused and points at the prop', (arg, prop) => {
    const flag = arg.split('=')[0].replace(/_/g, '-');
    expect(refusal(() => server({ extraArgs: ['--enable-prefix-caching', arg] })))
      .toBe(`${SERVER}: extraArgs[1] ('${flag}') would silently override the flag the library derives; set it with ${prop}`);
  });

  test('credentials on the command line or in env', () => {
    expect(refusal(() => server({ extraArgs: ['--api-key', 'sk-123'] })))
      .toBe(`${SERVER}: extraArgs[0] ('--api-key') must not carry a credential on the command line: use apiKey: { secret, key }`);
    expect(refusal(() => server({ extraArgs: ['--hf_token=abc'] })))
      .toBe(`${SERVER}: extraArgs[0] ('--hf-token') must not carry a credential on the command line: use Model.huggingFace(..., { token: { secret, key } })`);
    expect(refusal(() => server({ env: { OPENAI_API_KEY: kplus.EnvValue.fromValue('sk-123') } })))
      .toBe(`${SERVER}: env.OPENAI_API_KEY ('<redacted>') looks like a credential and must not be a literal value: use EnvValue.fromSecretValue({ secret, key })`);
  });

  test('names that only contain a credential word are not credentials', () => {
    expect(() => server({ env: { TOKENIZERS_PARALLELISM: kplus.EnvValue.fromValue('false') } })).not.toThrow();
  });

  test('env names and writable paths', () => {
    expect(refusal(() => server({ env: { '1BAD': kplus.EnvValue.fromValue('x') } })))
      .toBe(`${SERVER}: env key ('1BAD') must be letters, digits, '_', '-' and '.', not starting with a digit`);
    expect(refusal(() => server({ env: { HOME: kplus.EnvValue.fromValue('/root') } })))
      .toBe(`${SERVER}: env.HOME ('/root') must be a path under /tmp or /var/cache/vllm: the root filesystem is read-only`);
  });

  test('images: empty, whitespace, too old', () => {
    expect(refusal(() => server({ image: '' }))).toBe(`${SERVER}: image ('') must not be empty`);
    expect(refusal(() => server({ image: 'vllm/vllm-openai: v0.18.0' }))).toBe(`${SERVER}: image ('vllm/vllm-openai: v0.18.0') must not contain whitespace`);
    expect(refusal(() => server({ image: 'vllm/vllm-openai:v0.17.1' })))
      .toBe(`${SERVER}: image ('vllm/vllm-openai:v0.17.1') is vLLM 0.17.1, older than 0.18.0: it refuses --shutdown-timeout, which the library emits for a graceful drain; use a newer tag, or set skipImageVersionCheck: true if the image is patched`);
    expect(() => server({ image: 'vllm/vllm-openai:v0.17.1', skipImageVersionCheck: true })).not.toThrow();
  });
});

describe('errors blame the prop the user set', () => {
  test('a long preStop and shutdown leave the default grace period alone', () => {
    const s = server({ drain: { preStopPause: Duration.seconds(3600), shutdownTimeout: Duration.seconds(3600) } });
    expect(s.terminationGracePeriod.toSeconds()).toBe(7210);
  });

  test('a long scrape interval widens the default latency window', () => {
    const chart = testChart();
    const s = server({ scrapeInterval: Duration.seconds(120) }, chart);
    new ServingAlerts(chart, 'alerts', { server: s });
    const rule = findOne(Testing.synth(chart), 'PrometheusRule').spec.groups[0].rules.find((r: any) => r.alert === 'VllmTimeToFirstTokenHigh');
    expect(rule.expr).toContain('[8m]');
  });

  test('a scrape interval beyond the lookback is refused', () => {
    expect(refusal(() => server({ scrapeInterval: Duration.minutes(5) })))
      .toBe(`${SERVER}: scrapeInterval ('300s') must be shorter than Prometheus' 5-minute lookback (query.lookback-delta), or every query sees gaps between scrapes: at most 299s`);
  });
});

describe('Prometheus and KEDA', () => {
  test.each([
    ['http://prometheus:9090/?timeout=5s', 'must have no query string: KEDA appends /api/v1/query?query=... to it'],
    ['http://prometheus:9090/#x', 'must have no fragment: KEDA appends /api/v1/query?query=... to it'],
    [' http://prometheus:9090', 'must not contain whitespace (KEDA uses the address as written)'],
    ['http://prometheus:9090/api/v1/query', "must be the base URL of Prometheus, without '/api/v1/query': KEDA appends it"],
    ['https://admin:hunter2@prometheus:9090', 'must not carry credentials in plain text: set authentication (a KEDA TriggerAuthentication backed by a Secret)'],
  ])('prometheusAddress %j', (address, rule) => {
    const chart = testChart();
    const s = server({}, chart);
    expect(refusal(() => new QueueAutoscaler(chart, 'autoscaler', { server: s, maxReplicas: 4, prometheusAddress: address })))
      .toBe(`QueueAutoscaler 'test/autoscaler': prometheusAddress ('${address}') ${rule}`);
  });

  test('alert label names promtool accepts', () => {
    const chart = testChart();
    const s = server({}, chart);
    expect(refusal(() => new ServingAlerts(chart, 'alerts', { server: s, alertLabels: { 'team-name': 'inference' } })))
      .toBe("ServingAlerts 'test/alerts': alertLabels key ('team-name') must be a Prometheus label name: letters, digits and '_', not starting with a digit or '__'");
    expect(refusal(() => AlertSeverity.of(''))).toBe("AlertSeverity: value ('') must be a non-empty label value of at most 1024 characters");
  });

  test.each([
    ['utc', "must be spelt with its exact case (Go's time.LoadLocation is case-sensitive): 'UTC'"],
    ['europe/paris', "must be spelt with its exact case (Go's time.LoadLocation is case-sensitive): 'Europe/Paris'"],
  ])('time zone %s', (timezone, rule) => {
    expect(refusal(() => floor({ replicas: 1, schedules: [{ timezone, start: '0 8 * * 1-5', end: '0 20 * * 1-5', replicas: 3 }] })))
      .toBe(`WarmFloor 'test/floor': schedules[0].timezone ('${timezone}') ${rule}`);
  });

  test('cron windows that never open, never close, or do not raise the floor', () => {
    expect(refusal(() => floor({ replicas: 1, schedules: [{ timezone: 'UTC', start: '0 0 31 2 *', end: '0 20 * * *', replicas: 3 }] })))
      .toBe("WarmFloor 'test/floor': schedules[0].start ('0 0 31 2 *') never fires: no day matches its day-of-month, month and day-of-week fields");
    expect(refusal(() => floor({ replicas: 1, schedules: [{ timezone: 'UTC', start: '0 8 * * 1-5', end: '00 08 * * MON-FRI', replicas: 3 }] })))
      .toBe("WarmFloor 'test/floor': schedules[0].end ('00 08 * * MON-FRI') fires at the same instants as start ('0 8 * * 1-5'): the window would never be open");
    expect(refusal(() => floor({ replicas: 2, schedules: [{ timezone: 'UTC', start: '0 8 * * *', end: '0 20 * * *', replicas: 2 }] })))
      .toBe("WarmFloor 'test/floor': schedules[0].replicas (2) must exceed the floor (2): a window that does not raise it does nothing");
    // Feb 29 exists: a leap-day window opens.
    expect(() => floor({ replicas: 1, schedules: [{ timezone: 'UTC', start: '0 0 29 2 *', end: '0 20 29 2 *', replicas: 3 }] })).not.toThrow();
  });

  test('scale to zero: hosts a request can carry, a cold-start timeout that covers the startup window', () => {
    expect(refusal(() => floor({ replicas: 0, scaleToZero: { hosts: ['https://llm.example.com/v1'] } })))
      .toBe("WarmFloor 'test/floor': scaleToZero.hosts[0] ('https://llm.example.com/v1') must be a host name a request's Host header can carry, such as 'llm.example.com' (no scheme, path or spaces; optional '*.' and ':port')");
    expect(refusal(() => floor({ replicas: 0, scaleToZero: { coldStartTimeout: Duration.seconds(60) } })))
      .toBe("WarmFloor 'test/floor': scaleToZero.coldStartTimeout ('60s') must be >= the server's startup window (620s): requests held at zero replicas would time out before a replica is ready");
  });

  test('a populate deadline far below the download', () => {
    expect(refusal(() => new ModelCache(testChart(), 'cache', { model: LLAMA_70B, downloadDeadline: Duration.minutes(5) })))
      .toBe("ModelCache 'test/cache': downloadDeadline ('300s') is shorter than the estimated download of the weights (1400s at 100 MB/s from the hub): the Job would be killed before it finishes; allow at least 1400s");
  });
});

describe('ServingDashboard', () => {
  test('namespace, sidecar labels and the rendered ConfigMap name are checked', () => {
    const dashboard = (props: object) => () => {
      const chart = testChart();
      new ServingDashboard(chart, 'dashboard', { servers: [server({}, chart)], ...props });
    };
    expect(refusal(dashboard({ namespace: 'Monitoring' })))
      .toBe("ServingDashboard 'test/dashboard': namespace ('Monitoring') must be lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)");
    expect(refusal(dashboard({ sidecarLabels: { grafana_dashboard: 'yes please' } })))
      .toBe("ServingDashboard 'test/dashboard': sidecarLabels['grafana_dashboard'] ('yes please') must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
    expect(refusal(() => new ServingDashboard(new Chart(Testing.app(), 'my_chart', { namespace: 'inference' }), 'dashboard', {
      servers: [server({}, testChart())],
    }))).toContain("ServingDashboard 'my_chart/dashboard': rendered ConfigMap name ('my_chart-dashboard-c8");
  });
});

describe('value classes', () => {
  test('Gpu.custom from JavaScript without a name', () => {
    expect(refusal(() => Gpu.custom({} as any))).toBe("Gpu 'undefined': name (undefined) must be 1-63 characters");
  });

  test('Sizing.of and ColdStart.estimate refuse what they cannot compute', () => {
    expect(refusal(() => Sizing.of({ model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 0 }))).toBe('Sizing: gpuCount (0) must be a whole number from 1 to 64');
    expect(refusal(() => ColdStart.estimate(LLAMA_8B, true, { loadBandwidthMBps: 0 })))
      .toBe('ColdStart: loadBandwidthMBps (0) must be a number of MB/s from 1 to 1000000');
  });
});
