import { Chart, Duration, Testing } from 'cdk8s';
import { causalReference, clairvoyantReference, HindsightContext, HindsightReference } from './hindsight';
import { measureReplay, ReplayStart } from './measure';
import { optimisticReference } from './references';
import { SimulationResult } from './results';
import { SWEPT_DEFAULTS } from '../../autoscaling-defaults';
import { Model } from '../../model';
import { QueueAutoscaler, QueueAutoscalerProps } from '../../queue-autoscaler';
import { VllmService } from '../../vllm-service';
import { exampleManifests, PROMETHEUS_ADDRESS } from '../cluster/example-chart';
import { findAutoscaler } from '../cluster/find-autoscaler';
import { Manifest, manifestsOfKind, readServer, ServerSpec } from '../cluster/manifests';
import { NodePoolProps, resolveNodePool } from '../cluster/node-pool-props';
import { readPlaceholders } from '../cluster/placeholders';
import { parseRouting } from '../cluster/routing';
import { ASSUMPTIONS } from '../engine/assumptions';
import { Trace } from '../traffic/trace';

/** The QueueAutoscaler settings the sweep and `cdk8s-vllm tune` choose among, as plain numbers. */
export interface AutoscalerSettings {
  readonly targetQueuePerReplica: number;
  readonly capacityEnabled: boolean;
  readonly capacityUtilization: number;
  readonly demandEnabled: boolean;
  readonly demandUtilization: number;
  /** The demand's hold, in cold starts (plus the node wait). */
  readonly demandHoldColdStarts: number;
  readonly demandBacklogDrainSeconds: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly scaleDownPeriodSeconds: number;
  /** Pods the HPA may add per 60 s. */
  readonly scaleUpPods: number;
}

const { predictiveEnabled: _predictive, predictiveWindowScrapes: _window, ...sweptSettings } = SWEPT_DEFAULTS;
/** The library's defaults as settings. */
export const DEFAULT_SETTINGS: AutoscalerSettings = sweptSettings;

/**
 * The grid: the engine-time demand trigger at four utilizations, two holds, two drain times and two scale-up paces (the
 * request-count triggers then only guard: a waiting target of 50, no in-flight trigger), and the request-count triggers
 * alone (the in-flight trigger at two utilizations under two scale-down paces).
 */
export function tuningGrid(): AutoscalerSettings[] {
  const grid: AutoscalerSettings[] = [];
  const base = { ...DEFAULT_SETTINGS, scaleDownStabilizationSeconds: 120, scaleDownPeriodSeconds: 60, scaleUpPods: 2 };
  for (const demandUtilization of [0.4, 0.5, 0.65, 0.8]) {
    for (const demandHoldColdStarts of [1, 3]) {
      for (const demandBacklogDrainSeconds of [15, 60]) {
        for (const scaleUpPods of [2, 6]) {
          grid.push({
            ...base,
            targetQueuePerReplica: 50,
            capacityEnabled: false,
            demandEnabled: true,
            demandUtilization,
            demandHoldColdStarts,
            demandBacklogDrainSeconds,
            scaleUpPods,
          });
        }
      }
    }
  }
  for (const capacityUtilization of [0.15, 0.25]) {
    for (const [scaleDownStabilizationSeconds, scaleDownPeriodSeconds] of [[120, 60], [600, 60]]) {
      grid.push({
        ...base,
        targetQueuePerReplica: 5,
        capacityEnabled: true,
        capacityUtilization,
        demandEnabled: false,
        scaleDownStabilizationSeconds,
        scaleDownPeriodSeconds,
      });
    }
  }
  return grid;
}

/** The settings in a line. */
export function settingsLabel(s: AutoscalerSettings): string {
  const demand = s.demandEnabled
    ? `demand at ${s.demandUtilization} utilization, hold ${s.demandHoldColdStarts} cold start${s.demandHoldColdStarts === 1 ? '' : 's'}, drain ${s.demandBacklogDrainSeconds} s`
    : 'no demand trigger';
  const inFlight = s.capacityEnabled ? `in-flight ${s.capacityUtilization} x max-num-seqs` : 'no in-flight';
  return `${demand}, queue ${s.targetQueuePerReplica}, ${inFlight}, +${s.scaleUpPods} pods per 60 s, `
    + `scale-down window ${s.scaleDownStabilizationSeconds} s, -1 pod per ${s.scaleDownPeriodSeconds} s`;
}

/** The hold in seconds for a server of this cold start and node wait. */
export function holdSeconds(s: AutoscalerSettings, coldStartSeconds: number, nodeWaitSeconds = 0): number {
  return Math.round(s.demandHoldColdStarts * (coldStartSeconds + nodeWaitSeconds));
}

/** The settings as QueueAutoscaler props, the hold written out in seconds for a server of this cold start. */
export function autoscalerProps(s: AutoscalerSettings, coldStartSeconds: number): Partial<QueueAutoscalerProps> {
  return {
    targetQueuePerReplica: s.targetQueuePerReplica,
    capacityTrigger: s.capacityEnabled ? { enabled: true, utilization: s.capacityUtilization } : { enabled: false },
    demandTrigger: s.demandEnabled ? {
      enabled: true,
      utilization: s.demandUtilization,
      hold: Duration.seconds(holdSeconds(s, coldStartSeconds)),
      backlogDrainTime: Duration.seconds(s.demandBacklogDrainSeconds),
    } : { enabled: false },
    predictiveTrigger: { enabled: false },
    scaleUp: { pods: s.scaleUpPods },
    scaleDown: { stabilizationWindow: Duration.seconds(s.scaleDownStabilizationSeconds), period: Duration.seconds(s.scaleDownPeriodSeconds) },
  };
}

/** The settings as plain JSON in the shape of QueueAutoscalerProps; durations are ISO 8601 strings (`Duration.parse`). */
export function settingsJson(s: AutoscalerSettings, coldStartSeconds: number): { [key: string]: unknown } {
  const plain = (value: unknown): unknown => {
    if (value instanceof Duration) return value.toIsoString();
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  return plain(autoscalerProps(s, coldStartSeconds)) as { [key: string]: unknown };
}

/** The settings as the TypeScript a user pastes into `new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas, prometheusAddress, ... })`. */
export function settingsTypeScript(s: AutoscalerSettings, coldStartSeconds: number): string {
  const literal = (value: unknown): string => {
    if (value instanceof Duration) return `Duration.seconds(${value.toSeconds()})`;
    if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
    return JSON.stringify(value);
  };
  return Object.entries(autoscalerProps(s, coldStartSeconds)).map(([key, value]) => `  ${key}: ${literal(value)},`).join('\n');
}

/** One trace to replay candidates on, with what every candidate shares: server, start, routing, nodes, ceiling and references. */
export interface TuningRun {
  readonly chart: Manifest[];
  readonly server: ServerSpec;
  readonly context: HindsightContext;
}

/** What a replay measured, as `tune` reports it. */
export interface TuningMeasure {
  readonly sloAttainment: number;
  readonly billedGpuHours: number;
}

/** The run of one trace: the chart's server under these conditions, with its optimistic yardstick. */
export function tuningRun(props: {
  chart: Manifest[];
  deploymentName?: string;
  trace: Trace;
  start?: ReplayStart;
  routing?: string;
  routingSeed?: number;
  nodes?: NodePoolProps;
  sloTtftSeconds: number;
  sloTarget: number;
  maxReplicas: number;
}): TuningRun {
  const server = readServer(props.chart, props.deploymentName);
  const { autoscaler } = findAutoscaler(props.chart, server);
  return {
    chart: props.chart,
    server,
    context: {
      server,
      trace: props.trace,
      sloTtftSeconds: props.sloTtftSeconds,
      sloTarget: props.sloTarget,
      minReplicas: Math.max(1, autoscaler.initialReplicas),
      maxReplicas: props.maxReplicas,
      start: props.start ?? 'warm',
      optimistic: optimisticReference(server, props.trace),
      routing: parseRouting(props.routing ?? 'round-robin'),
      routingSeed: props.routingSeed ?? 1,
      nodes: resolveNodePool(props.nodes, server),
      placeholders: readPlaceholders(props.chart, server),
    },
  };
}

/** Replays the run's server under the candidate's autoscaler (the chart with its ScaledObject's metric triggers and pace replaced). */
export function replayCandidate(run: TuningRun, s: AutoscalerSettings): SimulationResult {
  const manifests = withSettings(run.chart, run.server, s, run.context.maxReplicas);
  const c = run.context;
  return measureReplay({
    server: run.server,
    autoscaler: findAutoscaler(manifests, run.server).autoscaler,
    trace: c.trace,
    sloTtftSeconds: c.sloTtftSeconds,
    name: settingsLabel(s),
    optimisticGpuHours: c.optimistic.gpuHours,
    start: c.start,
    routing: c.routing,
    routingSeed: c.routingSeed,
    nodes: c.nodes,
    placeholders: c.placeholders,
    coldFloor: c.minReplicas,
  });
}

/**
 * The chart with the replayed server's autoscaler set to the candidate: a QueueAutoscaler with these settings is
 * synthesized on a VllmService of the same model, GPU, batch, Service, namespace and scrape interval, and its metric
 * triggers and HPA pace replace the chart's own (the chart's floor, its cron and HTTP add-on triggers, fallback and
 * polling stay). A chart without a ScaledObject gets the candidate's whole.
 */
export function withSettings(chart: Manifest[], server: ServerSpec, s: AutoscalerSettings, maxReplicas: number): Manifest[] {
  const candidate = candidateScaledObject(server, s, maxReplicas);
  const own = manifestsOfKind(chart, 'ScaledObject').find((m) => m.spec?.scaleTargetRef?.name === server.deploymentName);
  const others = chart.filter((m) => m !== own && !(m.kind === 'HorizontalPodAutoscaler' && m.spec?.scaleTargetRef?.name === server.deploymentName));
  const target = { ...candidate.spec.scaleTargetRef, name: server.deploymentName };
  if (!own) return [...others, { ...candidate, spec: { ...candidate.spec, scaleTargetRef: target } }];
  const floorTriggers = (own.spec.triggers ?? []).filter((t: Manifest) => t.type !== 'prometheus');
  // The chart's Prometheus, and its reading of an empty result (true at a zero floor, where no replica has series).
  const ownMetric = (own.spec.triggers ?? []).find((t: Manifest) => t.type === 'prometheus')?.metadata ?? {};
  const metricTriggers = candidate.spec.triggers.map((t: Manifest) => ({
    ...t,
    metadata: {
      ...t.metadata,
      serverAddress: ownMetric.serverAddress ?? t.metadata.serverAddress,
      ignoreNullValues: own.spec.minReplicaCount === 0 ? 'true' : t.metadata.ignoreNullValues,
    },
  }));
  return [...others, {
    ...own,
    spec: {
      ...own.spec,
      maxReplicaCount: maxReplicas,
      triggers: [...metricTriggers, ...floorTriggers],
      advanced: {
        ...own.spec.advanced,
        horizontalPodAutoscalerConfig: {
          ...own.spec.advanced?.horizontalPodAutoscalerConfig,
          behavior: candidate.spec.advanced.horizontalPodAutoscalerConfig.behavior,
        },
      },
    },
  }];
}

const CANDIDATE_CACHE = new Map<string, Manifest>();

function candidateScaledObject(server: ServerSpec, s: AutoscalerSettings, maxReplicas: number): Manifest {
  const key = JSON.stringify([server.deploymentName, server.namespace, server.serviceName, server.servedModelName, server.model.id, server.gpu.name,
    server.gpuCount, server.tensorParallelSize, server.maxNumSeqs, server.maxNumBatchedTokens, server.maxModelLen, server.gpuMemoryUtilization,
    server.scrapeIntervalSeconds, server.coldStartSeconds, s, maxReplicas]);
  const cached = CANDIDATE_CACHE.get(key);
  if (cached) return cached;
  const chart = new Chart(Testing.app(), 'tune', { namespace: server.namespace ?? 'default' });
  const model = Model.huggingFace(server.model.id, {
    parametersBillions: server.model.parametersBillions,
    precision: server.model.precision,
    architecture: server.model.architecture,
    servedModelName: server.servedModelName,
  });
  const service = new VllmService(chart, 'server', {
    model,
    gpu: server.gpu,
    gpuCount: server.gpuCount,
    tensorParallelSize: server.tensorParallelSize,
    maxNumSeqs: server.maxNumSeqs,
    maxNumBatchedTokens: server.maxNumBatchedTokens,
    maxModelLen: server.maxModelLen,
    gpuMemoryUtilization: server.gpuMemoryUtilization,
    serviceName: server.serviceName,
    scrapeInterval: Duration.seconds(server.scrapeIntervalSeconds),
  });
  new QueueAutoscaler(chart, 'autoscaler', { server: service, maxReplicas, prometheusAddress: PROMETHEUS_ADDRESS, ...autoscalerProps(s, server.coldStartSeconds) });
  const scaledObject = Testing.synth(chart).find((m) => m.kind === 'ScaledObject')!;
  CANDIDATE_CACHE.set(key, scaledObject);
  return scaledObject;
}

/** A reference's figures, and whether it met the target. */
export interface ReachedMeasure extends TuningMeasure {
  readonly reachesTarget: boolean;
}

/** Inputs of `tune`. */
export interface TuneProps {
  readonly trace: Trace;
  /** The user's synthesized chart; default: the example chart with the library's defaults. */
  readonly manifests?: Manifest[];
  readonly deploymentName?: string;
  /** The earlier fraction of the trace (by time) tuned on; the rest is the test part. */
  readonly trainFraction: number;
  readonly maxReplicas?: number;
  readonly nodes?: NodePoolProps;
  readonly routing?: string;
  readonly sloTtftSeconds: number;
  readonly sloTarget: number;
  readonly onProgress?: (step: string, fraction: number) => void;
}

/** What `tune` found. */
export interface TuneResult {
  readonly recommended: AutoscalerSettings;
  readonly coldStartSeconds: number;
  readonly maxReplicas: number;
  readonly train: TuningMeasure;
  readonly test: TuningMeasure;
  readonly defaults: { readonly train: TuningMeasure; readonly test: TuningMeasure };
  readonly references: { readonly test: { readonly causal: ReachedMeasure; readonly clairvoyant: ReachedMeasure } };
  readonly trainTrace: Trace;
  readonly testTrace: Trace;
  /** Every candidate on the train part, in the order of choice. */
  readonly candidates: { readonly settings: AutoscalerSettings; readonly train: TuningMeasure }[];
}

/**
 * The trace cut at the first request at or after `fraction` of its duration: the requests before the cut, and those
 * from it on, from 0. The test part carries the train part as its history, so its warm start replays the traffic that
 * really came before it, not a ramp into its own start.
 */
export function splitTrace(trace: Trace, fraction: number): { train: Trace; test: Trace } {
  let first = 0;
  while (first < trace.length && trace._arrivals[first] < fraction * trace.durationSeconds) first++;
  const describe = () => `tune: cutting '${trace.name}' at ${(fraction * 100).toFixed(0)}% of its ${trace.durationSeconds.toFixed(0)} s leaves `
    + `${first} requests to tune on and ${trace.length - first} to test on; both parts need requests`;
  if (first === 0 || first === trace.length) throw new Error(describe());
  const cut = trace._arrivals[first];
  const requests = Array.from({ length: trace.length }, (_, i) => trace.request(i));
  const train = Trace.fromRequests(requests.slice(0, first), `${trace.name} (first ${(fraction * 100).toFixed(0)}%)`);
  const test = Trace.fromRequests(requests.slice(first).map((r) => ({ ...r, arrivalSeconds: r.arrivalSeconds - cut })),
    `${trace.name} (last ${((1 - fraction) * 100).toFixed(0)}%)`);
  return { train, test: test._withHistory(train, cut - trace._arrivals[0]) };
}

/**
 * The candidate chosen on the train part: the cheapest that meets the target with half the allowed misses to spare
 * (99.5% for a 99% target), else the cheapest that meets it, else the one with the highest attainment.
 */
export function chooseSettings(measured: { settings: AutoscalerSettings; train: TuningMeasure }[], target: number): typeof measured {
  const margin = target + (1 - target) / 2;
  const tier = (m: TuningMeasure) => (m.sloAttainment >= margin ? 0 : m.sloAttainment >= target ? 1 : 2);
  return [...measured].sort((a, b) => tier(a.train) - tier(b.train)
    || (tier(a.train) === 2 ? b.train.sloAttainment - a.train.sloAttainment : 0)
    || a.train.billedGpuHours - b.train.billedGpuHours);
}

/** Tunes the QueueAutoscaler settings on the earlier part of a trace and measures them, the defaults and the references on the later part. */
export function tune(props: TuneProps): TuneResult {
  if (!(props.trainFraction > 0 && props.trainFraction < 1)) throw new Error(`tune: trainFraction (${props.trainFraction}) must be between 0 and 1`);
  const chart = props.manifests ?? exampleManifests();
  const server = readServer(chart, props.deploymentName);
  const maxReplicas = props.maxReplicas ?? findAutoscaler(chart, server).autoscaler.maxReplicas;
  const { train, test } = splitTrace(props.trace, props.trainFraction);
  const runOf = (trace: Trace) => tuningRun({
    chart,
    deploymentName: props.deploymentName,
    trace,
    routing: props.routing,
    nodes: props.nodes,
    sloTtftSeconds: props.sloTtftSeconds,
    sloTarget: props.sloTarget,
    maxReplicas,
  });
  const trainRun = runOf(train);
  const testRun = runOf(test);
  const grid = [DEFAULT_SETTINGS, ...tuningGrid().filter((s) => JSON.stringify(s) !== JSON.stringify(DEFAULT_SETTINGS))];
  const steps = grid.length + 4;
  const measure = (r: SimulationResult): TuningMeasure => ({ sloAttainment: r.sloAttainment, billedGpuHours: r.billedGpuHours });
  const measured = grid.map((settings, i) => {
    props.onProgress?.('train', i / steps);
    return { settings, train: measure(replayCandidate(trainRun, settings)) };
  });
  const ranked = chooseSettings(measured, props.sloTarget);
  const recommended = ranked[0];
  props.onProgress?.('test', grid.length / steps);
  const testOf = (s: AutoscalerSettings) => measure(replayCandidate(testRun, s));
  const recommendedTest = testOf(recommended.settings);
  const defaultTest = testOf(DEFAULT_SETTINGS);
  props.onProgress?.('references', (grid.length + 2) / steps);
  const references = { causal: causalReference(testRun.context), clairvoyant: clairvoyantReference(testRun.context) };
  const withReach = (r: HindsightReference) => ({ ...measure(r.result), reachesTarget: r.reachesTarget });
  return {
    recommended: recommended.settings,
    coldStartSeconds: server.coldStartSeconds,
    maxReplicas,
    train: recommended.train,
    test: recommendedTest,
    defaults: { train: measured[0].train, test: defaultTest },
    references: { test: { causal: withReach(references.causal), clairvoyant: withReach(references.clairvoyant) } },
    trainTrace: train,
    testTrace: test,
    candidates: ranked,
  };
}

/** The SLO defaults `tune` uses. */
export const TUNE_DEFAULTS = { trainFraction: 0.5, sloTtftSeconds: ASSUMPTIONS.defaultSloTtftSeconds, sloTarget: ASSUMPTIONS.sloTarget } as const;
