import { REPLAY_LIMITS } from './limits';
import { Gpu } from '../../gpu';
import { Model, Precision } from '../../model';
import { Sizing } from '../../sizing';
import { ASSUMPTIONS } from '../engine/assumptions';
import { EngineConfig } from '../engine/step-time';

/** Everything the simulator takes from the synthesized Deployment, Service and ServiceMonitor. */
export interface ServerSpec {
  readonly deploymentName: string;
  readonly namespace?: string;
  /** The `service` label Prometheus puts on scraped series, when the Service was given. */
  readonly serviceName?: string;
  readonly servedModelName: string;
  readonly model: Model;
  readonly gpu: Gpu;
  /** GPUs per replica (`nvidia.com/gpu` limit). */
  readonly gpuCount: number;
  readonly tensorParallelSize: number;
  /** Data-parallel ranks per pod (`--data-parallel-size`, or GPUs / tensor-parallel size). */
  readonly dataParallelSize: number;
  /** Per data-parallel rank. */
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly gpuMemoryUtilization: number;
  readonly maxModelLen: number;
  readonly sizing: Sizing;
  /** From the `vllm.cdk8s.io/cold-start-seconds` annotation. */
  readonly coldStartSeconds: number;
  readonly preStopSeconds: number;
  readonly shutdownTimeoutSeconds: number;
  readonly terminationGraceSeconds: number;
  /** From the ServiceMonitor endpoint's `interval`. */
  readonly scrapeIntervalSeconds: number;
  readonly engine: EngineConfig;
}

const ANNOTATION_PREFIX = 'vllm.cdk8s.io/';

/** A manifest as plain JSON (from `Testing.synth` or a parsed YAML document). */
export type Manifest = { [key: string]: any };

/** The manifests of a given kind (and name, when given). */
export function manifestsOfKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m && typeof m === 'object' && m.kind === kind);
}

/** Parses a Kubernetes/Prometheus duration such as `15s`, `1m30s` or `250ms` into seconds. */
export function parseDurationSeconds(text: string, what: string): number {
  const match = /^((\d+)h)?((\d+)m(?!s))?((\d+)s)?((\d+)ms)?$/.exec(String(text).trim());
  if (!match || String(text).trim() === '') throw new Error(`${what}: '${text}' is not a duration like '15s' or '1m'`);
  return Number(match[2] ?? 0) * 3600 + Number(match[4] ?? 0) * 60 + Number(match[6] ?? 0) + Number(match[8] ?? 0) / 1000;
}

/**
 * A duration in seconds read from a manifest: a finite number from 0 to a replay's longest span (7 days). `Infinity`,
 * `NaN` or `1e400` would stall a pod forever, which no cluster does.
 */
function replaySeconds(raw: unknown, what: string): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!(Number.isFinite(value) && value >= 0 && value <= REPLAY_LIMITS.maxSeconds)) {
    throw new Error(`${what} (${String(raw)}) must be a number of seconds from 0 to ${REPLAY_LIMITS.maxSeconds}`);
  }
  return value;
}

/** Reads the vLLM server from the synthesized objects: the Deployment (required), Service and ServiceMonitor. */
export function readServer(manifests: Manifest[], deploymentName?: string): ServerSpec {
  const deployments = manifestsOfKind(manifests, 'Deployment')
    .filter((d) => deploymentName === undefined || d.metadata?.name === deploymentName
      || d.metadata?.annotations?.[ANNOTATION_PREFIX + 'construct-path'] === deploymentName);
  const vllm = deployments.filter((d) => findVllmContainer(d) !== undefined);
  if (vllm.length !== 1) {
    const which = deploymentName ? `named (or at construct path) '${deploymentName}' ` : '';
    throw new Error(`Manifests: expected exactly one Deployment ${which}running 'vllm serve', found ${vllm.length}`
      + ` (Deployments: ${manifestsOfKind(manifests, 'Deployment').map((d) => d.metadata?.name).join(', ') || 'none'})`);
  }
  const deployment = vllm[0];
  const name: string = deployment.metadata?.name;
  const subject = `Deployment '${name}'`;
  const annotations: { [key: string]: string } = deployment.metadata?.annotations ?? {};
  const annotation = (key: string): string => {
    const value = annotations[ANNOTATION_PREFIX + key];
    if (value === undefined) throw new Error(`${subject}: annotation '${ANNOTATION_PREFIX}${key}' is missing; synthesize the Deployment with VllmService`);
    return value;
  };
  const podSpec = deployment.spec?.template?.spec ?? {};
  const container = findVllmContainer(deployment)!;
  const args = parseArgs(container.args ?? []);
  const numberArg = (flag: string, fallback?: number): number => {
    const raw = args.get(flag);
    if (raw === undefined) {
      if (fallback !== undefined) return fallback;
      throw new Error(`${subject}: vLLM argument ${flag} is missing`);
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${subject}: vLLM argument ${flag} ('${raw}') must be a number > 0`);
    return value;
  };

  const gpuCount = Number(container.resources?.limits?.['nvidia.com/gpu'] ?? 0);
  if (!Number.isInteger(gpuCount) || gpuCount < 1) throw new Error(`${subject}: the container's 'nvidia.com/gpu' limit (${gpuCount}) must be a whole number >= 1`);
  const tensorParallelSize = numberArg('--tensor-parallel-size', 1);
  const dataParallelSize = numberArg('--data-parallel-size', gpuCount / tensorParallelSize);
  if (!Number.isInteger(dataParallelSize) || dataParallelSize * tensorParallelSize !== gpuCount) {
    throw new Error(`${subject}: ${gpuCount} GPUs do not hold --tensor-parallel-size ${tensorParallelSize} x --data-parallel-size ${dataParallelSize}`);
  }
  const gpu = readGpu(subject, podSpec.nodeSelector ?? {}, annotations[ANNOTATION_PREFIX + 'gpu'], annotations[ANNOTATION_PREFIX + 'gpu-spec']);
  const precisionText = annotation('precision');
  const precision = Object.values(Precision).find((p) => p === precisionText);
  if (precision === undefined) throw new Error(`${subject}: annotation '${ANNOTATION_PREFIX}precision' ('${precisionText}') must be one of ${Object.values(Precision).join(', ')}`);
  const modelId = annotation('model');
  const architectureText = annotations[ANNOTATION_PREFIX + 'architecture'];
  let architecture;
  try {
    architecture = architectureText === undefined ? undefined : JSON.parse(architectureText);
  } catch {
    throw new Error(`${subject}: annotation '${ANNOTATION_PREFIX}architecture' is not JSON: ${architectureText}`);
  }
  const model = Model.huggingFace(modelId, { parametersBillions: Number(annotation('parameters-billions')), precision, architecture });
  if (model.kvBytesPerToken === undefined) {
    throw new Error(`${subject}: the architecture of '${modelId}' is unknown, so its KV cache cannot be sized; the simulator needs a well-known model`);
  }
  const gpuMemoryUtilization = numberArg('--gpu-memory-utilization', 0.9);
  const sizing = Sizing.of({ model, gpu, gpuCount: tensorParallelSize, gpuMemoryUtilization });
  const kvCapacityTokens = sizing.kvCacheTokens ?? 0;
  const maxModelLen = numberArg('--max-model-len', sizing.maxContextTokens);
  if (kvCapacityTokens < maxModelLen) {
    throw new Error(`${subject}: the KV cache holds ${kvCapacityTokens} tokens, less than --max-model-len ${maxModelLen}: vLLM would not start`);
  }
  const coldStartSeconds = replaySeconds(annotation('cold-start-seconds'), `${subject}: annotation '${ANNOTATION_PREFIX}cold-start-seconds'`);
  const preStop: string[] = container.lifecycle?.preStop?.exec?.command ?? [];
  const preStopSeconds = preStop[0] === 'sleep' ? replaySeconds(preStop[1], `${subject}: the preStop hook's sleep`) : 0;
  const terminationGraceSeconds = replaySeconds(podSpec.terminationGracePeriodSeconds ?? 30, `${subject}: spec.template.spec.terminationGracePeriodSeconds`);
  const shutdownTimeoutSeconds = replaySeconds(args.get('--shutdown-timeout') ?? 0, `${subject}: vLLM argument --shutdown-timeout`);

  return {
    deploymentName: name,
    namespace: deployment.metadata?.namespace,
    serviceName: readServiceName(manifests, deployment),
    servedModelName: args.get('--served-model-name') ?? modelId,
    model,
    gpu,
    gpuCount,
    tensorParallelSize,
    dataParallelSize,
    maxNumSeqs: numberArg('--max-num-seqs', 256),
    maxNumBatchedTokens: numberArg('--max-num-batched-tokens', 8192),
    gpuMemoryUtilization,
    maxModelLen,
    sizing,
    coldStartSeconds,
    preStopSeconds,
    shutdownTimeoutSeconds,
    terminationGraceSeconds,
    scrapeIntervalSeconds: readScrapeInterval(manifests, deployment),
    engine: replicaEngine(model, gpu, tensorParallelSize, dataParallelSize, {
      maxNumSeqs: numberArg('--max-num-seqs', 256),
      maxNumBatchedTokens: numberArg('--max-num-batched-tokens', 8192),
      kvCapacityTokens,
      maxModelLen,
    }),
  };
}

interface SchedulerLimits {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly kvCapacityTokens: number;
  readonly maxModelLen: number;
}

/**
 * The step-time model of one replica (`engineStepTime`), with the constants fitted to measured H100 step times
 * (ASSUMPTIONS, data/calibration): each GPU holds 1/TP of the weights and of the KV cache and does 1/TP of the
 * FLOPs, attention included.
 */
export function engineConfig(model: Model, gpu: Gpu, tensorParallelSize: number, limits: SchedulerLimits): EngineConfig {
  const bandwidth = gpu.memoryBandwidthTbps * 1e12 * ASSUMPTIONS.memoryBandwidthEfficiency;
  const flops = gpu.bf16Tflops * 1e12 * ASSUMPTIONS.computeEfficiency;
  const attentionFlops = gpu.bf16Tflops * 1e12 * ASSUMPTIONS.attentionComputeEfficiency;
  const layers = model.architecture?.layers ?? 0;
  const attentionFlopsPerPair = ASSUMPTIONS.attentionFlopsPerPair * layers * (model.attentionWidth ?? 0);
  return {
    ...limits,
    weightSecondsPerStep: model.weightBytes / tensorParallelSize / bandwidth,
    kvSecondsPerToken: (model.kvBytesPerToken ?? 0) / tensorParallelSize / bandwidth,
    computeSecondsPerToken: (ASSUMPTIONS.flopsPerParameterPerToken * model.parametersBillions * 1e9) / tensorParallelSize / flops,
    attentionSecondsPerPair: attentionFlopsPerPair / tensorParallelSize / attentionFlops,
    minorBoundFraction: ASSUMPTIONS.minorBoundFraction,
    parallelFactor: 1 + ASSUMPTIONS.tensorParallelOverheadPerExtraGpu * (tensorParallelSize - 1),
    stepOverheadSeconds: ASSUMPTIONS.gpuFixedSecondsPerStep + ASSUMPTIONS.gpuSecondsPerLayer * layers,
    hostSecondsPerStep: ASSUMPTIONS.hostSecondsPerStep,
  };
}

/** The engine of one replica (pod): `dataParallelSize` ranks of `tensorParallelSize` GPUs each, with these per-rank limits. */
export function replicaEngine(model: Model, gpu: Gpu, tensorParallelSize: number, dataParallelSize: number, limits: SchedulerLimits): EngineConfig {
  return dataParallel(engineConfig(model, gpu, tensorParallelSize, limits), dataParallelSize);
}

/**
 * A pod of `ranks` data-parallel engines as one engine: each rank runs its own `--max-num-seqs`, token budget and KV
 * cache (vllm-project/vllm docs/serving/data_parallel_deployment.md), in parallel on its own GPUs, so the pod holds
 * `ranks` times each and a step's per-token costs are shared by the ranks; the per-step costs (weights, overheads)
 * are paid by every rank at once. It assumes vLLM's balancer keeps the ranks evenly loaded.
 */
export function dataParallel(engine: EngineConfig, ranks: number): EngineConfig {
  if (ranks === 1) return engine;
  return {
    ...engine,
    maxNumSeqs: engine.maxNumSeqs * ranks,
    maxNumBatchedTokens: engine.maxNumBatchedTokens * ranks,
    kvCapacityTokens: engine.kvCapacityTokens * ranks,
    kvSecondsPerToken: engine.kvSecondsPerToken / ranks,
    computeSecondsPerToken: engine.computeSecondsPerToken / ranks,
    attentionSecondsPerPair: (engine.attentionSecondsPerPair ?? 0) / ranks,
  };
}

function findVllmContainer(deployment: Manifest): Manifest | undefined {
  const containers: Manifest[] = deployment.spec?.template?.spec?.containers ?? [];
  return containers.find((c) => (c.command ?? []).includes('vllm') || (c.args ?? []).includes('--tensor-parallel-size'));
}

function parseArgs(args: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = String(args[i]);
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) map.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < args.length && !String(args[i + 1]).startsWith('--')) map.set(arg, String(args[++i]));
    else map.set(arg, 'true');
  }
  return map;
}

/** What VllmService writes for a GPU: each figure as JavaScript prints a number, exponents included (`1e-7`, `1e+21`). */
const NUMBER = String.raw`([0-9.]+(?:e[-+]?[0-9]+)?)`;
const GPU_SPEC_PATTERN = new RegExp(`^${NUMBER} MiB, ${NUMBER} TB/s, ${NUMBER} TFLOP/s$`);

function readGpu(subject: string, nodeSelector: { [label: string]: string }, gpuName?: string, gpuSpec?: string): Gpu {
  const product = nodeSelector['nvidia.com/gpu.product'];
  const spec = gpuSpec === undefined ? undefined : GPU_SPEC_PATTERN.exec(gpuSpec);
  if (gpuSpec !== undefined && !spec) throw new Error(`${subject}: annotation '${ANNOTATION_PREFIX}gpu-spec' ('${gpuSpec}') must read '<MiB> MiB, <TB/s> TB/s, <TFLOP/s> TFLOP/s'`);
  const preset = (product !== undefined ? Gpu.fromProductLabel(product) : undefined) ?? Gpu.presets().find((g) => g.name === gpuName);
  const matchesPreset = preset !== undefined && (!spec
    || (preset.memoryMib === Number(spec[1]) && preset.memoryBandwidthTbps === Number(spec[2]) && preset.bf16Tflops === Number(spec[3])));
  const gpu = matchesPreset ? preset : spec ? Gpu.custom({
    name: gpuName ?? product ?? 'custom',
    productLabel: product ?? 'custom',
    memoryMib: Number(spec[1]),
    memoryBandwidthTbps: Number(spec[2]),
    bf16Tflops: Number(spec[3]),
  }) : undefined;
  if (!gpu) {
    throw new Error(`${subject}: GPU not recognised (nodeSelector nvidia.com/gpu.product '${product ?? 'none'}', annotation gpu '${gpuName ?? 'none'}'); `
      + `known: ${Gpu.presets().map((g) => g.productLabel).join(', ')}`);
  }
  return gpu;
}

function podLabels(deployment: Manifest): { [key: string]: string } {
  return deployment.spec?.template?.metadata?.labels ?? {};
}

function selects(selector: { [key: string]: string } | undefined, labels: { [key: string]: string }): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function readServiceName(manifests: Manifest[], deployment: Manifest): string | undefined {
  const labels = podLabels(deployment);
  const service = manifestsOfKind(manifests, 'Service').find((s) => selects(s.spec?.selector, labels));
  return service?.metadata?.name;
}

function readScrapeInterval(manifests: Manifest[], deployment: Manifest): number {
  const labels = { ...deployment.metadata?.labels, ...podLabels(deployment) };
  const monitors = manifestsOfKind(manifests, 'ServiceMonitor');
  const monitor = monitors.find((m) => selects(m.spec?.selector?.matchLabels, labels)) ?? (monitors.length === 1 ? monitors[0] : undefined);
  if (!monitor) {
    throw new Error(`Manifests: no ServiceMonitor selects Deployment '${deployment.metadata?.name}': the simulator needs its scrape interval`);
  }
  const interval = monitor.spec?.endpoints?.[0]?.interval;
  // Prometheus's own default scrape interval when the endpoint names none.
  if (interval === undefined) return 30;
  const what = `ServiceMonitor '${monitor.metadata?.name}' endpoints[0].interval`;
  const seconds = parseDurationSeconds(interval, what);
  if (!(seconds >= REPLAY_LIMITS.minScrapeIntervalSeconds && seconds <= REPLAY_LIMITS.maxSeconds)) {
    throw new Error(`${what} ('${interval}') must be from ${REPLAY_LIMITS.minScrapeIntervalSeconds}s to ${REPLAY_LIMITS.maxSeconds}s: a replay scrapes every pod at each interval`);
  }
  return seconds;
}
