import { ApiObject, Chart, Duration, JsonPatch, Lazy, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CACHE_MOUNT_PATH, SERVER_LABEL, VLLM_IMAGE } from './defaults';
import { Check, subjectOf } from './errors';
import { Gpu } from './gpu';
import { ServiceMonitor } from './imports/service-monitor-monitoring.coreos.com';
import { Model } from './model';
import { ModelCache } from './model-cache';
import { MonitoringSelection } from './monitoring-selection';
import { hardenedContainerSecurity, hardenedPodSecurity, writableScratch } from './pod-security';
import {
  checkCacheServes, checkCacheSharable, checkNoLiteralToken, defaultBatchedTokens, divisors, DrainOptions, resolveDrain, resolveMaxModelLen,
} from './server-settings';
import { ColdStart, ColdStartOptions, LoadFormat, Sizing } from './sizing';
import { namespaceScope, registerNames } from './validation/collisions';
import { checkImage, checkVllmImageVersion } from './validation/images';
import { checkLabels, checkNamespace, checkRenderedMetadata } from './validation/kubernetes-names';
import { checkScrapeInterval } from './validation/prometheus';
import { checkCpu, checkInt32, gibText, sizeGib } from './validation/quantities';
import { checkSecretValue } from './validation/secrets';
import { checkBatchBudget, checkNodeSelector, checkTensorParallelHeads, MAX_GPUS_PER_NODE } from './validation/serving';
import { checkEnv, checkExtraArgs } from './validation/vllm-args';

/** The port vLLM's OpenAI-compatible server listens on. */
const VLLM_PORT = 8000;
/** The name of that port on the container, the Service and the ServiceMonitor endpoint. */
const PORT_NAME = 'http';
const STARTUP_PROBE_PERIOD_SECONDS = 10;
const GPU_RESOURCE = 'nvidia.com/gpu';
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** Where the ModelCache's compile-cache claim is mounted (`VLLM_CACHE_ROOT`). */
const COMPILE_CACHE_MOUNT_PATH = '/var/cache/vllm-compile';
/** `/tmp`: Python and NCCL temporary files (HOME is the cache directory, where JIT caches under `~` land). */
const TMP_GIB = 1;
/** The cache emptyDir without weights: Triton and Inductor scratch and an unpersisted compile cache. */
const SCRATCH_GIB = 10;
/**
 * The Run:ai streamer's host buffer per worker process (`RUNAI_STREAMER_MEMORY_LIMIT`, bytes): unset, each
 * tensor-parallel worker allocates min(40 GB, checkpoint size) (run-ai/runai-model-streamer requests_iterator.py, and
 * vllm-project/vllm docs/models/extensions/runai_model_streamer.md). It must hold the largest tensor.
 */
const STREAMER_MEMORY_LIMIT_GIB = 4;
/** Waits for the completion marker at most WAIT_SECONDS, then fails with the Job to inspect. */
const WAIT_FOR_WEIGHTS_SCRIPT = [
  'deadline=$(( $(date +%s) + WAIT_SECONDS ))',
  'until [ -f "$COMPLETION_MARKER" ]; do',
  '  if [ "$(date +%s)" -ge "$deadline" ]; then',
  '    echo "model weights not ready after ${WAIT_SECONDS}s: $COMPLETION_MARKER is missing. Check the populate Job: kubectl logs -l $POPULATE_SELECTOR (a 401 means a gated model without a valid token)" >&2',
  '    exit 1',
  '  fi',
  '  echo "waiting for model weights: $COMPLETION_MARKER"; sleep 10',
  'done',
].join('\n');

/**
 * How a rollout replaces replicas. Either way the PodDisruptionBudget lets one replica go at a time.
 */
export enum RolloutStrategy {
  /**
   * Start a new replica before stopping an old one (`maxSurge: 1, maxUnavailable: 0`): capacity never dips, but the
   * rollout needs one spare replica's worth of GPUs; in a fixed GPU pool the new pod stays Pending and the rollout hangs.
   */
  SURGE = 'SURGE',
  /**
   * Stop an old replica before starting its replacement (`maxSurge: 0, maxUnavailable: 1`): no spare GPU is needed,
   * so it suits a fixed pool, but capacity is one replica short for a cold start per replica, and a single replica
   * means downtime for a cold start.
   */
  REPLACE = 'REPLACE',
}

/** Who may reach the servers: a NetworkPolicy that admits clients and the Prometheus scrape on port 8000, and nothing else. */
export interface ServingNetworkPolicyOptions {
  /**
   * Namespaces whose pods may call the server. The server's own namespace is always allowed; a WarmFloor that scales
   * to zero adds the HTTP add-on's namespace (its interceptor forwards the requests).
   * @default - only pods in the server's namespace
   */
  readonly clientNamespaces?: string[];
  /**
   * Namespace of the Prometheus that scrapes `/metrics`.
   * @default - the namespace in a QueueAutoscaler's `prometheusAddress` (`http://<service>.<namespace>.svc...`);
   * 'monitoring' without an autoscaler, or when the address names no in-cluster namespace
   */
  readonly prometheusNamespace?: string;
}

/** Properties of a VllmService. */
export interface VllmServiceProps {
  /** The model to serve. */
  readonly model: Model;
  /** The GPU model the replicas run on. */
  readonly gpu: Gpu;
  /**
   * GPUs per replica. Above `tensorParallelSize`, one pod runs `gpuCount / tensorParallelSize` data-parallel ranks,
   * each with its own `--max-num-seqs` (vllm-project/vllm docs/serving/data_parallel_deployment.md).
   * @default 1
   */
  readonly gpuCount?: number;
  /**
   * A cache that holds the weights; servers mount it read-only and never download at start.
   * @default - each replica downloads the weights from the hub into an emptyDir at start
   */
  readonly cache?: ModelCache;
  /**
   * The vLLM OpenAI server image (0.18.0 or later: the library emits `--shutdown-timeout`).
   * @default VllmService.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * `--tensor-parallel-size`: GPUs one copy of the model is split over; must divide the GPU count.
   * @default - the GPU count
   */
  readonly tensorParallelSize?: number;
  /**
   * `--gpu-memory-utilization`, in (0, 1].
   * @default 0.85
   */
  readonly gpuMemoryUtilization?: number;
  /**
   * `--max-model-len`: the longest context served, checked against the KV cache.
   * @default - the model's context length, capped by what the KV cache holds (see Sizing)
   */
  readonly maxModelLen?: number;
  /**
   * `--max-num-seqs`: the most sequences one replica runs at once.
   * @default 256
   */
  readonly maxNumSeqs?: number;
  /**
   * `--max-num-batched-tokens`: the prefill token budget of one engine step.
   * @default - vLLM's own rule for its OpenAI server: 8192 on GPUs with at least 70 GiB other than the A100, else 2048
   */
  readonly maxNumBatchedTokens?: number;
  /**
   * More vLLM arguments, appended after the typed ones.
   * @default - none
   */
  readonly extraArgs?: string[];
  /**
   * More environment variables. A Hugging Face token must come from a Secret (`Model.huggingFace(..., { token })`).
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };
  /**
   * Replicas when no autoscaler owns the Deployment.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * CPU request (no limit is set: throttling the tokenizer and scheduler hurts latency).
   * @default - 4 cores per GPU
   */
  readonly cpu?: kplus.Cpu;
  /**
   * Memory request and limit, `/dev/shm` included.
   * @default - 8 GiB + 8 GiB per GPU + the shared memory, + 4 GiB per GPU with the Run:ai streamer (its host buffer)
   */
  readonly memory?: Size;
  /**
   * Size of the memory-backed `/dev/shm` (NCCL uses it between tensor-parallel ranks).
   * @default - 2 GiB per GPU
   */
  readonly sharedMemory?: Size;
  /**
   * Node selector of the pods.
   * @default - `{ 'nvidia.com/gpu.product': gpu.productLabel }`
   */
  readonly nodeSelector?: { [label: string]: string };
  /**
   * Taints the pods tolerate.
   * @default - the `nvidia.com/gpu` taint (any value, NoSchedule)
   */
  readonly tolerations?: kplus.NodeTaintQuery[];
  /**
   * How fast weights load and the engine starts: sizes the startup probe and the rollout deadline.
   * @default - see ColdStart
   */
  readonly coldStart?: ColdStartOptions;
  /**
   * Graceful drain on scale-down, rollout and node drain.
   * @default - 10 s pause, 120 s shutdown timeout, 140 s grace period
   */
  readonly drain?: DrainOptions;
  /**
   * How often Prometheus scrapes `/metrics`.
   * @default Duration.seconds(15)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Labels on the ServiceMonitor, for the Prometheus `serviceMonitorSelector`, besides the chart's MonitoringSelection
   * (which sets them in one place for the ServiceMonitor and the PrometheusRule).
   * @default - the library's `app.kubernetes.io/*` labels and the chart's MonitoringSelection
   */
  readonly monitoringLabels?: { [label: string]: string };
  /**
   * Namespace of every object; KEDA queries are scoped by it.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Accept a `vllm/vllm-openai` image whose tag names a release older than 0.18.0 (for a patched build): such
   * releases refuse the `--shutdown-timeout` flag the library emits.
   * @default false
   */
  readonly skipImageVersionCheck?: boolean;
  /**
   * Name of the Service clients call (and the `service` label of every scraped series).
   * @default - a name generated from the construct path
   */
  readonly serviceName?: string;
  /**
   * How a rollout replaces replicas.
   * @default RolloutStrategy.SURGE
   */
  readonly rolloutStrategy?: RolloutStrategy;
  /**
   * How vLLM reads the weights (`--load-format`). The Run:ai streamer needs safetensors weights; its host buffer is
   * bounded to 4 GiB per worker (`RUNAI_STREAMER_MEMORY_LIMIT`, one worker per GPU) and counted in the pod's memory.
   * @default LoadFormat.AUTO (no flag)
   */
  readonly loadFormat?: LoadFormat;
  /**
   * Size of the writable cache directory (`/var/cache/vllm`, an emptyDir): Triton and Inductor scratch, vLLM's compile
   * cache when no ModelCache keeps it, and the weights when there is no ModelCache. Requested as ephemeral storage.
   * @default - 10 GiB, plus the weights x 1.1 without a ModelCache
   */
  readonly scratchSize?: Size;
  /**
   * Restrict ingress to the servers with a NetworkPolicy: clients and the Prometheus scrape on port 8000, nothing else
   * (egress is left open: the servers may download from the hub). Needs a CNI that enforces NetworkPolicies.
   * @default - no NetworkPolicy
   */
  readonly networkPolicy?: ServingNetworkPolicyOptions;
  /**
   * The API key clients must send (`Authorization: Bearer ...`), from a Secret: vLLM reads it from `VLLM_API_KEY`.
   * A literal `--api-key` in `extraArgs` is refused.
   * @default - no API key
   */
  readonly apiKey?: kplus.SecretValue;
}

/**
 * A vLLM OpenAI-compatible server for one model on GPUs: Deployment, Service, PodDisruptionBudget and ServiceMonitor.
 *
 * @example
 * const token = { secret: kplus.Secret.fromSecretName(chart, 'hf-token', 'hf-token'), key: 'token' };
 * const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, token });
 * new VllmService(chart, 'server', {
 *   model,
 *   gpu: Gpu.L4,
 *   serviceName: 'llama',
 *   rolloutStrategy: RolloutStrategy.REPLACE,
 * });
 */
export class VllmService extends Construct {
  /** The pinned vLLM image. */
  public static readonly DEFAULT_IMAGE = VLLM_IMAGE;

  /** The model served. */
  public readonly model: Model;
  /** The GPU model. */
  public readonly gpu: Gpu;
  /** GPUs per replica. */
  public readonly gpuCount: number;
  /** The memory plan of one replica. */
  public readonly sizing: Sizing;
  /** The estimated cold start of one replica. */
  public readonly coldStart: ColdStart;
  /** The Deployment of vLLM servers. */
  public readonly deployment: kplus.Deployment;
  /** The Service in front of them (port 8000, named `http`). */
  public readonly service: kplus.Service;
  /** The ServiceMonitor that scrapes `/metrics`. */
  public readonly serviceMonitor: ApiObject;
  /** The PodDisruptionBudget. */
  public readonly podDisruptionBudget: ApiObject;
  /** Namespace of every object, when known. */
  public readonly namespace?: string;
  /** How often Prometheus scrapes the servers. */
  public readonly scrapeInterval: Duration;
  /** The context length served (`--max-model-len`), when set or derived. */
  public readonly maxModelLen?: number;
  /** `--max-num-seqs`: per data-parallel rank. */
  public readonly maxNumSeqs: number;
  /** Data-parallel ranks in one pod (`--data-parallel-size`): `gpuCount / tensorParallelSize`. */
  public readonly dataParallelSize: number;
  /** `--max-num-batched-tokens`. */
  public readonly maxNumBatchedTokens: number;
  /** `terminationGracePeriodSeconds` of the pods. */
  public readonly terminationGracePeriod: Duration;
  /** How long vLLM lets in-flight requests finish after SIGTERM (`--shutdown-timeout`). */
  public readonly shutdownTimeout: Duration;
  /** The replica count set in the props, when one was set. */
  public readonly replicas?: number;
  /** The weight cache the servers read, when there is one. */
  public readonly cache?: ModelCache;
  /** Labels on every object (and the pods) of this server. */
  public readonly labels: { [label: string]: string };
  /** The NetworkPolicy, when `networkPolicy` is set. */
  public readonly networkPolicy?: ApiObject;

  private readonly clientNamespaces: string[] = [];
  private prometheusNamespace?: string;

  public constructor(scope: Construct, id: string, props: VllmServiceProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'VllmService'));
    check.required(props, ['model', 'gpu']);
    const gpuCount = props.gpuCount ?? 1;
    check.integer('gpuCount', gpuCount, 1);
    check.that(gpuCount <= MAX_GPUS_PER_NODE, 'gpuCount', gpuCount, `must be <= ${MAX_GPUS_PER_NODE}: one pod runs on one node, and no ${props.gpu.name} node holds more`);
    check.integer('replicas', props.replicas, 0, 1000);
    check.integer('maxNumSeqs', props.maxNumSeqs, 1, 65_536);
    check.inHalfOpenRange('gpuMemoryUtilization', props.gpuMemoryUtilization, 0, 1);
    const tensorParallelSize = props.tensorParallelSize ?? gpuCount;
    check.integer('tensorParallelSize', tensorParallelSize, 1);
    check.that(gpuCount % tensorParallelSize === 0, 'tensorParallelSize', tensorParallelSize,
      `must divide gpuCount (${gpuCount}): allowed ${divisors(gpuCount).join(', ')}`);
    checkSecretValue(check, 'apiKey', props.apiKey);
    check.oneOf('rolloutStrategy', props.rolloutStrategy, RolloutStrategy, 'RolloutStrategy');
    check.oneOf('loadFormat', props.loadFormat, LoadFormat, 'LoadFormat');
    checkNoLiteralToken(check, props);
    checkExtraArgs(check, props.extraArgs, props.loadFormat !== undefined);
    checkNamespace(check, 'namespace', props.namespace);
    checkImage(check, 'image', props.image);
    if (props.image !== undefined && props.skipImageVersionCheck !== true) checkVllmImageVersion(check, 'image', props.image, 'skipImageVersionCheck');
    checkCpu(check, 'cpu', props.cpu?.amount);
    checkLabels(check, 'monitoringLabels', props.monitoringLabels);
    checkNodeSelector(check, props.nodeSelector, props.gpu);
    checkTensorParallelHeads(check, props.model, tensorParallelSize);
    const bandwidth = props.coldStart?.loadBandwidthMBps;
    check.that(bandwidth === undefined || (bandwidth >= 1 && bandwidth <= 1e6),
      'coldStart.loadBandwidthMBps', props.coldStart?.loadBandwidthMBps, 'must be a number of MB/s from 1 to 1000000');
    if (props.scratchSize !== undefined) {
      check.that(props.scratchSize.toMebibytes() >= 1024, 'scratchSize', `${props.scratchSize.toMebibytes()}Mi`, 'must be at least 1Gi');
    }
    if (props.coldStart?.engineStartup) check.wholeSeconds('coldStart.engineStartup', props.coldStart.engineStartup, 0, 86_400);
    if (props.cache) checkCacheServes(check, props.cache, props.model, props.namespace ?? Chart.of(this).namespace);
    if (props.cache && (props.replicas ?? 1) > 1) checkCacheSharable(check, 'replicas', props.replicas!, props.cache);
    if (props.serviceName !== undefined) {
      check.that(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(props.serviceName), 'serviceName', props.serviceName,
        'must be a DNS-1035 label: lower-case letters, digits and -, starting with a letter, at most 63 characters');
    }

    this.model = props.model;
    this.gpu = props.gpu;
    this.gpuCount = gpuCount;
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.scrapeInterval = props.scrapeInterval ?? Duration.seconds(15);
    checkScrapeInterval(check, 'scrapeInterval', check.wholeSeconds('scrapeInterval', this.scrapeInterval, 1, 3600));
    this.maxNumSeqs = props.maxNumSeqs ?? 256;
    this.dataParallelSize = gpuCount / tensorParallelSize;
    check.integer('maxNumBatchedTokens', props.maxNumBatchedTokens, 1, 1_048_576);
    this.maxNumBatchedTokens = props.maxNumBatchedTokens ?? defaultBatchedTokens(props.gpu);
    checkBatchBudget(check, this.maxNumBatchedTokens, this.maxNumSeqs, props.maxNumBatchedTokens !== undefined);

    // One copy of the model is split over `tensorParallelSize` GPUs; the memory plan is per copy.
    this.sizing = Sizing.of({ model: props.model, gpu: props.gpu, gpuCount: tensorParallelSize, gpuMemoryUtilization: props.gpuMemoryUtilization });
    this.maxModelLen = resolveMaxModelLen(check, this.sizing, props, tensorParallelSize);
    this.coldStart = ColdStart.estimate(props.model, props.cache !== undefined, {
      compileCachePersisted: props.cache?.compileCacheClaim !== undefined,
      loadFormat: props.loadFormat,
      ...props.coldStart,
    });

    const drain = resolveDrain(check, props.drain);
    this.terminationGracePeriod = drain.grace;
    this.shutdownTimeout = drain.shutdownTimeout;
    this.replicas = props.replicas;
    this.cache = props.cache;
    this.labels = {
      [SERVER_LABEL]: Names.toLabelValue(this),
      'app.kubernetes.io/name': 'vllm',
      'app.kubernetes.io/instance': Names.toLabelValue(this),
      'app.kubernetes.io/component': 'inference-server',
      'app.kubernetes.io/part-of': 'cdk8s-vllm',
    };
    const metadata = { namespace: props.namespace, labels: this.labels };

    const startupWindow = Math.ceil(this.coldStart.startupWindowSeconds / STARTUP_PROBE_PERIOD_SECONDS) * STARTUP_PROBE_PERIOD_SECONDS;
    // The rollout deadline covers waiting for a first cache fill (as long as the populate Job may run, which is how
    // long the servers wait for it) and the startup window.
    const cacheFillWait = props.cache?.populateJob ? props.cache.downloadDeadline.toSeconds() : 0;
    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata,
      podMetadata: { labels: this.labels },
      replicas: props.replicas ?? 1,
      progressDeadline: Duration.seconds(startupWindow + cacheFillWait + 300),
      strategy: kplus.DeploymentStrategy.rollingUpdate(props.rolloutStrategy === RolloutStrategy.REPLACE
        ? { maxSurge: kplus.PercentOrAbsolute.absolute(0), maxUnavailable: kplus.PercentOrAbsolute.absolute(1) }
        : { maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      automountServiceAccountToken: false,
      securityContext: hardenedPodSecurity(),
      terminationGracePeriod: drain.grace,
    });

    const sharedMemory = props.sharedMemory ?? Size.gibibytes(2 * gpuCount);
    const sharedGib = sizeGib(check, 'sharedMemory', sharedMemory);
    check.that(sharedGib > 0, 'sharedMemory', gibText(sharedGib), 'must be > 0');
    const streamer = props.loadFormat === LoadFormat.RUNAI_STREAMER;
    const defaultMemoryGib = 8 + 8 * gpuCount + sharedGib + (streamer ? STREAMER_MEMORY_LIMIT_GIB * gpuCount : 0);
    const defaultMemory = Number.isInteger(defaultMemoryGib) ? Size.gibibytes(defaultMemoryGib) : Size.mebibytes(Math.ceil(defaultMemoryGib * 1024));
    const memory = props.memory ?? defaultMemory;
    const memoryGib = sizeGib(check, 'memory', memory);
    check.that(memoryGib > sharedGib, 'memory', gibText(memoryGib),
      `must exceed sharedMemory (${gibText(sharedGib)}): /dev/shm counts against the pod's memory`);

    // Without a ModelCache the weights are downloaded into the cache emptyDir: size it for them (x 1.1 for the hub's files).
    const scratchSize = props.scratchSize ?? Size.gibibytes(SCRATCH_GIB + (props.cache ? 0 : Math.ceil(props.model.weightsGib * 1.1)));
    if (props.scratchSize !== undefined && !props.cache) {
      const weightsMib = Math.ceil(props.model.weightsGib * 1.1 * 1024);
      check.that(props.scratchSize.toMebibytes() >= weightsMib, 'scratchSize', `${props.scratchSize.toMebibytes()}Mi`,
        `is smaller than the weights the server downloads into it without a ModelCache (${weightsMib}Mi, weights x 1.1): the kubelet would evict every replica; give at least ${weightsMib}Mi or a ModelCache`);
    }
    const scratch = writableScratch(this.deployment, { tmp: Size.gibibytes(TMP_GIB), cache: scratchSize });
    checkEnv(check, props.env, [scratch.tmpPath, scratch.cachePath], {
      ...(props.apiKey !== undefined ? { VLLM_API_KEY: 'apiKey' } : {}),
      ...(props.model.token !== undefined && !props.cache ? { HF_TOKEN: 'the model\'s token (Model.huggingFace token)' } : {}),
    }, gpuCount);
    const args = [
      ...this.modelArgs(props.cache),
      '--served-model-name', props.model.servedModelName,
      '--host', '0.0.0.0',
      '--port', String(VLLM_PORT),
      '--tensor-parallel-size', String(tensorParallelSize),
      ...(gpuCount > tensorParallelSize ? ['--data-parallel-size', String(gpuCount / tensorParallelSize)] : []),
      '--gpu-memory-utilization', String(props.gpuMemoryUtilization ?? Sizing.DEFAULT_GPU_MEMORY_UTILIZATION),
      ...(this.maxModelLen !== undefined ? ['--max-model-len', String(this.maxModelLen)] : []),
      '--max-num-seqs', String(this.maxNumSeqs),
      '--max-num-batched-tokens', String(this.maxNumBatchedTokens),
      '--shutdown-timeout', String(drain.shutdownTimeout.toSeconds()),
      ...(props.loadFormat !== undefined && props.loadFormat !== LoadFormat.AUTO ? ['--load-format', props.loadFormat] : []),
      ...(props.extraArgs ?? []),
    ];
    const container = this.deployment.addContainer({
      name: 'vllm',
      image: props.image ?? VLLM_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['vllm', 'serve'],
      args,
      ports: [{ number: VLLM_PORT, name: PORT_NAME }],
      envVariables: this.environment(scratch.cachePath, props),
      resources: {
        cpu: { request: props.cpu ?? kplus.Cpu.units(4 * gpuCount) },
        memory: { request: memory, limit: memory },
        ephemeralStorage: { request: scratch.ephemeralStorage, limit: scratch.ephemeralStorage },
      },
      securityContext: hardenedContainerSecurity(),
      startup: kplus.Probe.fromHttpGet('/health', {
        port: VLLM_PORT,
        periodSeconds: Duration.seconds(STARTUP_PROBE_PERIOD_SECONDS),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: startupWindow / STARTUP_PROBE_PERIOD_SECONDS,
      }),
      readiness: kplus.Probe.fromHttpGet('/health', {
        port: VLLM_PORT,
        periodSeconds: Duration.seconds(5),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: 3,
      }),
      // A busy server answers /health slowly: allow two minutes of failures before a restart.
      liveness: kplus.Probe.fromHttpGet('/health', {
        port: VLLM_PORT,
        periodSeconds: Duration.seconds(20),
        timeoutSeconds: Duration.seconds(10),
        failureThreshold: 6,
      }),
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', String(drain.preStopPause.toSeconds())]) },
    });
    scratch.mountInto(container);
    container.mount('/dev/shm', kplus.Volume.fromEmptyDir(this.deployment, 'ShmVolume', 'dshm', {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: sharedMemory,
    }));
    if (props.cache) this.mountCache(props.cache, container, props.image ?? VLLM_IMAGE);

    const deploymentObject = ApiObject.of(this.deployment);
    // cdk8s-plus has no extended resources; KubeDeployment renders limits from Quantity objects.
    deploymentObject.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu', kplus.k8s.Quantity.fromNumber(gpuCount)));
    deploymentObject.addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector',
      props.nodeSelector ?? { [GPU_PRODUCT_LABEL]: props.gpu.productLabel }));
    const tolerations = props.tolerations ?? [kplus.NodeTaintQuery.exists(GPU_RESOURCE, { effect: kplus.TaintEffect.NO_SCHEDULE })];
    if (tolerations.length > 0) this.deployment.scheduling.tolerate(kplus.Node.tainted(...tolerations));

    this.service = new kplus.Service(this, 'Service', {
      metadata: { ...metadata, ...(props.serviceName !== undefined ? { name: props.serviceName } : {}) },
      ports: [{ name: PORT_NAME, port: VLLM_PORT, targetPort: VLLM_PORT }],
    });
    this.service.selectLabel(SERVER_LABEL, this.labels[SERVER_LABEL]);

    this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata,
      spec: {
        // One replica at a time may go; never blocks a node drain, whatever the replica count.
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { [SERVER_LABEL]: this.labels[SERVER_LABEL] } },
        // A replica stuck loading or crash-looping must not block a drain either.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { ...metadata, labels: { ...this.labels, ...props.monitoringLabels } },
      spec: {
        selector: { matchLabels: { [SERVER_LABEL]: this.labels[SERVER_LABEL], 'app.kubernetes.io/component': 'inference-server' } },
        endpoints: [{
          port: PORT_NAME,
          path: '/metrics',
          interval: `${this.scrapeInterval.toSeconds()}s`,
          scrapeTimeout: `${Math.min(10, this.scrapeInterval.toSeconds())}s`,
        }],
      },
    });

    MonitoringSelection._select(this.serviceMonitor);
    if (props.networkPolicy) this.networkPolicy = this.createNetworkPolicy(check, props.networkPolicy, metadata);
    if (props.cache) this.deployment.node.addDependency(props.cache);
    for (const [key, value] of Object.entries(this.annotations())) deploymentObject.metadata.addAnnotation(key, value);
    checkInt32(check, 'startup probe failureThreshold', startupWindow / STARTUP_PROBE_PERIOD_SECONDS, 'derived from the cold start (coldStart)');
    checkRenderedMetadata(check, this);
    registerNames(this, 'VllmService', () => [
      { kind: 'Service', scope: namespaceScope(this.service, this.service.metadata.namespace), name: this.service.name },
    ]);
  }

  /** The name of the Service, which is the `service` label Prometheus puts on every scraped series. */
  public get serviceName(): string {
    return this.service.name;
  }

  /** Lets pods of `namespace` call the server through its NetworkPolicy, when it has one. */
  public allowClientsFrom(namespace: string): void {
    if (!this.clientNamespaces.includes(namespace)) this.clientNamespaces.push(namespace);
  }

  /**
   * The most requests one replica (pod) runs at once: `--max-num-seqs` per data-parallel rank times the ranks
   * (vllm-project/vllm docs/serving/data_parallel_deployment.md: the limit applies per rank).
   */
  public get maxRunningPerReplica(): number {
    return this.maxNumSeqs * this.dataParallelSize;
  }

  /**
   * The namespace of the Prometheus that scrapes the servers, as an autoscaler's address names it: the
   * NetworkPolicy admits the scrape from there unless `networkPolicy.prometheusNamespace` is set.
   * @internal
   */
  public _scrapedFrom(namespace: string): void {
    if (this.prometheusNamespace === undefined) this.prometheusNamespace = namespace;
  }

  /** Marks the Deployment as owned by an autoscaler: it then carries no `replicas` field. */
  public markHasAutoscaler(): void {
    this.deployment.markHasAutoscaler();
  }

  /** The model is the first positional argument of `vllm serve` (`--model` is deprecated: vllm/entrypoints/cli/serve.py). */
  private createNetworkPolicy(check: Check, options: ServingNetworkPolicyOptions,
    metadata: { namespace?: string; labels: { [k: string]: string } }): ApiObject {
    if (options.prometheusNamespace !== undefined) this.prometheusNamespace = options.prometheusNamespace;
    const named = [...(options.clientNamespaces ?? []), ...(options.prometheusNamespace !== undefined ? [options.prometheusNamespace] : [])];
    for (const [i, ns] of named.entries()) {
      const prop = i < (options.clientNamespaces ?? []).length ? `networkPolicy.clientNamespaces[${i}]` : 'networkPolicy.prometheusNamespace';
      check.that(NAMESPACE.test(ns), prop, ns, 'must be a valid namespace name');
    }
    (options.clientNamespaces ?? []).forEach((ns) => this.allowClientsFrom(ns));
    const port = [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(VLLM_PORT) }];
    const namespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
    return new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      spec: Lazy.any({
        produce: () => ({
          podSelector: { matchLabels: { [SERVER_LABEL]: this.labels[SERVER_LABEL] } },
          policyTypes: ['Ingress'],
          ingress: [
            // Clients: pods of the server's namespace and of the namespaces allowed.
            { from: [{ podSelector: {} }, ...this.clientNamespaces.map(namespace)], ports: port },
            // The scrape.
            { from: [namespace(this.prometheusNamespace ?? 'monitoring')], ports: port },
          ],
        }),
      }) as kplus.k8s.NetworkPolicySpec,
    });
  }

  private modelArgs(cache: ModelCache | undefined): string[] {
    return cache
      ? [cache.weightsPath]
      : [this.model.id, '--revision', this.model.revision];
  }

  private environment(cachePath: string, props: VllmServiceProps): { [name: string]: kplus.EnvValue } {
    const value = kplus.EnvValue.fromValue;
    return {
      // Not /tmp: FlashInfer, DeepGEMM, CUDA's ComputeCache and others keep JIT caches under HOME, and /tmp holds 1 GiB.
      HOME: value(cachePath),
      USER: value('vllm'),
      XDG_CACHE_HOME: value(cachePath),
      // vLLM's compile cache on the ModelCache's compile-cache claim when there is one, so restarts and new replicas skip compilation.
      VLLM_CACHE_ROOT: value(props.cache?.compileCacheClaim ? COMPILE_CACHE_MOUNT_PATH : `${cachePath}/vllm`),
      VLLM_CONFIG_ROOT: value(`${cachePath}/config`),
      TRITON_CACHE_DIR: value(`${cachePath}/triton`),
      TORCHINDUCTOR_CACHE_DIR: value(`${cachePath}/inductor`),
      HF_HOME: value(`${cachePath}/huggingface`),
      VLLM_NO_USAGE_STATS: value('1'),
      DO_NOT_TRACK: value('1'),
      ...(props.cache ? { HF_HUB_OFFLINE: value('1') } : {}),
      ...(props.loadFormat === LoadFormat.RUNAI_STREAMER ? { RUNAI_STREAMER_MEMORY_LIMIT: value(String(STREAMER_MEMORY_LIMIT_GIB * 2 ** 30)) } : {}),
      ...(this.model.token && !props.cache ? { HF_TOKEN: kplus.EnvValue.fromSecretValue(this.model.token) } : {}),
      ...(props.apiKey ? { VLLM_API_KEY: kplus.EnvValue.fromSecretValue(props.apiKey) } : {}),
      ...props.env,
    };
  }

  private mountCache(cache: ModelCache, container: kplus.Container, image: string): void {
    const weights = kplus.Volume.fromPersistentVolumeClaim(this.deployment, 'WeightsVolume', cache.claim, { name: 'weights', readOnly: true });
    container.mount(CACHE_MOUNT_PATH, weights, { readOnly: true });
    if (cache.compileCacheClaim) {
      container.mount(COMPILE_CACHE_MOUNT_PATH, kplus.Volume.fromPersistentVolumeClaim(this.deployment, 'CompileCacheVolume', cache.compileCacheClaim, { name: 'compile-cache' }));
    }
    if (!cache.populateJob) return;
    // addDependency only orders the YAML: servers wait for the marker the populate Job writes last, and no longer than
    // the Job may run: then the init container fails (Init:Error) with the Job to look at, instead of waiting forever.
    const wait = this.deployment.addInitContainer({
      name: 'wait-for-weights',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['sh', '-c', WAIT_FOR_WEIGHTS_SCRIPT],
      envVariables: {
        COMPLETION_MARKER: kplus.EnvValue.fromValue(cache.completionMarkerPath),
        WAIT_SECONDS: kplus.EnvValue.fromValue(String(cache.downloadDeadline.toSeconds())),
        // The Job's pods by a label, not the Job's name: the name hashes the Job's spec (backoffLimit, token, ...), and
        // a changed pod template here would restart every replica.
        POPULATE_SELECTOR: kplus.EnvValue.fromValue(cache.populateSelector!),
      },
      securityContext: hardenedContainerSecurity(),
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
      },
    });
    wait.mount(CACHE_MOUNT_PATH, weights, { readOnly: true });
  }

  private annotations(): { [key: string]: string } {
    return {
      'vllm.cdk8s.io/model': this.model.id,
      'vllm.cdk8s.io/revision': this.model.revision,
      'vllm.cdk8s.io/parameters-billions': String(this.model.parametersBillions),
      'vllm.cdk8s.io/precision': this.model.precision,
      'vllm.cdk8s.io/gpu': this.gpu.name,
      'vllm.cdk8s.io/gpu-spec': `${this.gpu.memoryMib} MiB, ${this.gpu.memoryBandwidthTbps} TB/s, ${this.gpu.bf16Tflops} TFLOP/s`,
      ...(this.model.architecture ? { 'vllm.cdk8s.io/architecture': JSON.stringify(this.model.architecture) } : {}),
      'vllm.cdk8s.io/construct-path': this.node.path,
      'vllm.cdk8s.io/cold-start-seconds': String(this.coldStart.totalSeconds),
      // What the estimate is made of (see ColdStart for the source of each figure).
      'vllm.cdk8s.io/cold-start-breakdown': `weights=${Math.ceil(this.coldStart.weightLoadSeconds)}s compile=${this.coldStart.compileSeconds}s `
        + `engine=${this.coldStart.engineStartupSeconds}s`,
    };
  }
}
