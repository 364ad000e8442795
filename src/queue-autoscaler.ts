import { ApiObject, Duration, Lazy, Names } from 'cdk8s';
import { Construct, Node } from 'constructs';
import { IAutoscalerTarget } from './alerts';
import { SWEPT_DEFAULTS } from './autoscaling-defaults';
import { Check, subjectOf } from './errors';
import {
  ScaledObject,
  ScaledObjectSpec,
  ScaledObjectSpecAdvancedHorizontalPodAutoscalerConfigBehavior,
  ScaledObjectSpecFallbackBehavior,
  ScaledObjectSpecTriggers,
  ScaledObjectSpecTriggersAuthenticationRefKind,
} from './imports/keda-keda.sh';
import { EngineTokenCosts, Queries } from './promql';
import { checkCacheSharable } from './server-settings';
import { replicaEngine } from './simulation/cluster/manifests';
import { servingTokenCosts } from './simulation/engine/work';
import { checkObjectName, checkRenderedMetadata } from './validation/kubernetes-names';
import { checkKedaThreshold, namespaceOfAddress, prometheusAddressProblem } from './validation/prometheus';
import { checkTriggerSettings } from './validation/serving';
import { VllmService } from './vllm-service';

/**
 * The replica floor of a QueueAutoscaler as the autoscaler reads it: the lowest replica count and the triggers that
 * raise it. WarmFloor provides it (`_setFloor`), so the autoscaler never depends on the floor's construct.
 * @internal
 */
export interface ReplicaFloor {
  /** The floor's construct node, named in errors. */
  readonly node: Node;
  /** The lowest replica count. */
  readonly replicas: number;
  /** Triggers that raise the floor (cron windows) or wake the server from zero (the HTTP add-on's scaler). */
  readonly _floorTriggers: ScaledObjectSpecTriggers[];
}

/** The HPA that KEDA generates for a ScaledObject is named `keda-hpa-<ScaledObject name>`. */
const KEDA_HPA_PREFIX = 'keda-hpa-';
/** Kubernetes label values (and so ScaledObject and HPA names) hold at most 63 characters. */
const MAX_LABEL_LENGTH = 63;
/** An HPA scaling policy's period is at most 30 minutes. */
const MAX_POLICY_PERIOD_SECONDS = 1800;

/** How fast the HPA may move in one direction. */
export interface ScalingRules {
  /**
   * The HPA's stabilization window: scale-up takes the lowest recommendation inside it, scale-down the highest.
   * @default - 0 s up; down: the swept window (docs/sweep.md)
   */
  readonly stabilizationWindow?: Duration;
  /**
   * Pods added or removed at most per `period`.
   * @default - up: the swept count (docs/sweep.md); down: 1
   */
  readonly pods?: number;
  /**
   * The period of the pods policy.
   * @default - 60 s up; down: the swept period (docs/sweep.md)
   */
  readonly period?: Duration;
}

/** A secondary trigger on the mean KV-cache fill of the replicas. */
export interface KvCacheTriggerOptions {
  /**
   * Mean `vllm:kv_cache_usage_perc` (0-1) above which the HPA adds replicas (metric type Value).
   * @default 0.8
   */
  readonly threshold?: number;
}

/**
 * A trigger on the work in flight (running + waiting), against what one replica is set to carry: it sees load
 * rise while replicas still have room, before anything queues.
 */
export interface CapacityTriggerOptions {
  /**
   * Whether the trigger is on.
   * @default - chosen by the replay sweep over the scenario suite (docs/benchmarks.md)
   */
  readonly enabled?: boolean;
  /**
   * Requests in flight per replica the HPA aims for: desired replicas = ceil(in flight / target).
   * @default - `utilization` x what one replica runs at once (`--max-num-seqs` times the data-parallel ranks)
   */
  readonly targetInFlightPerReplica?: number;
  /**
   * The fraction of a replica's batch (`--max-num-seqs`) to fill before adding replicas; the rest is headroom
   * for the load that arrives while a new replica starts.
   * @default - chosen by the replay sweep over the scenario suite (docs/benchmarks.md)
   */
  readonly utilization?: number;
}

/**
 * A trigger on the in-flight work extrapolated over the cold start (PromQL `predict_linear`): replicas are
 * started for the load expected by the time they are ready.
 */
export interface PredictiveTriggerOptions {
  /**
   * Whether the trigger is on.
   * @default - chosen by the replay sweep over the scenario suite (docs/benchmarks.md)
   */
  readonly enabled?: boolean;
  /**
   * How far ahead the load is extrapolated.
   * @default - the server's cold-start estimate
   */
  readonly horizon?: Duration;
  /**
   * The window the trend is fitted over (sampled every scrape interval).
   * @default - the scrape interval times the swept multiple (docs/benchmarks.md)
   */
  readonly window?: Duration;
}

/**
 * A trigger on demand measured in engine time: vLLM's prompt and generated token rates, each weighted by what a token
 * costs the served model's engine on this GPU at its batch (computed at synth time by the engine model), so one
 * replica's worth is one engine second per second whatever the token mix. The HPA keeps demand / `utilization`
 * replicas. The demand is held at its peak over a window as long as a cold start (so bursts shorter than a cold start
 * meet standing capacity), and the waiting queue adds the replicas that serve its work within `backlogDrainTime`.
 */
export interface DemandTriggerOptions {
  /**
   * Whether the trigger is on.
   * @default - chosen by the replay sweep over the training suite (docs/sweep.md)
   */
  readonly enabled?: boolean;
  /**
   * The fraction of a replica's engine time the HPA aims to keep busy; the rest is headroom for a lighter batch (which
   * costs more per token than the full one the costs assume) and for load that arrives while a replica starts.
   * @default - chosen by the replay sweep over the training suite (docs/sweep.md)
   */
  readonly utilization?: number;
  /**
   * How long the highest demand is held before the autoscaler follows it down (0: not held). A hold keeps the
   * replicas a burst needed for this long after it: that is its price in GPU-hours (docs/benchmarks.md).
   * @default - the swept multiple of the cold start plus `nodeWait` (docs/sweep.md)
   */
  readonly hold?: Duration;
  /**
   * How long a new replica waits for a GPU node (provisioning and image pull) when the cluster autoscales its nodes;
   * the default hold covers it too.
   * @default Duration.seconds(0)
   */
  readonly nodeWait?: Duration;
  /**
   * The waiting queue's work (waiting requests times the mean engine seconds of a finished request) is to be served
   * within this: the backlog adds that work divided by this time to the demand.
   * @default - chosen by the replay sweep over the training suite (docs/sweep.md)
   */
  readonly backlogDrainTime?: Duration;
  /**
   * The `rate()` window of the token counters.
   * @default - 4 scrape intervals, at least 1 minute
   */
  readonly window?: Duration;
  /**
   * Engine seconds per prompt token, for a measured figure.
   * @default - the engine model's figure for the model, GPU and batch
   */
  readonly prefillSecondsPerToken?: number;
  /**
   * Engine seconds per generated token, for a measured figure.
   * @default - the engine model's figure for the model, GPU and batch
   */
  readonly decodeSecondsPerToken?: number;
}

/** The window the mean work of a finished request is measured over, for the backlog: 15 minutes. */
const BACKLOG_WINDOW_SECONDS = 900;

/** What KEDA does when the metric source fails. */
export interface FallbackOptions {
  /**
   * Failed metric reads in a row tolerated: KEDA applies the fallback once failures exceed it, i.e. from read
   * `failureThreshold + 1` on (kedacore/keda pkg/fallback/fallback.go).
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Replicas held during the fallback (never fewer than the current ones). At a zero floor the default is 0: a
   * Prometheus outage then holds the replicas running and never starts a GPU replica from zero (with 1, KEDA 2.19 and
   * later start one after `failureThreshold` failed reads); the HTTP add-on still wakes the server on a request, since
   * its trigger does not read Prometheus.
   * @default - the replica floor
   */
  readonly replicas?: number;
}

/** Credentials for a secured Prometheus: a KEDA TriggerAuthentication. */
export interface PrometheusAuthentication {
  /** Name of the TriggerAuthentication (or ClusterTriggerAuthentication). */
  readonly name: string;
  /**
   * Whether it is cluster-scoped.
   * @default false
   */
  readonly clusterScoped?: boolean;
}

/** Properties of a QueueAutoscaler. */
export interface QueueAutoscalerProps {
  /** The server to scale. */
  readonly server: VllmService;
  /** The most replicas. */
  readonly maxReplicas: number;
  /** URL of the Prometheus that scrapes the server, e.g. `http://prometheus-operated.monitoring.svc:9090`. */
  readonly prometheusAddress: string;
  /**
   * Requests waiting per replica the HPA aims for: desired replicas = ceil(total waiting / target). With the
   * capacity trigger on, this is the correction for replicas fuller than their in-flight target.
   * @default - chosen by the replay sweep over the scenario suite (docs/benchmarks.md)
   */
  readonly targetQueuePerReplica?: number;
  /**
   * The capacity-aware trigger on requests in flight. The HPA takes the largest of its triggers' proposals, so
   * the waiting-queue trigger stays as the correction when replicas are fuller than their target.
   * @default - on, at the swept utilization of `--max-num-seqs`
   */
  readonly capacityTrigger?: CapacityTriggerOptions;
  /**
   * The predictive trigger: in-flight requests extrapolated over the cold start.
   * @default - as chosen by the replay sweep
   */
  readonly predictiveTrigger?: PredictiveTriggerOptions;
  /**
   * The trigger on demand in engine time (token rates weighted by their engine cost), held over the cold start, with
   * the waiting queue's work as the backlog correction.
   * @default - as chosen by the replay sweep
   */
  readonly demandTrigger?: DemandTriggerOptions;
  /**
   * A second trigger on KV-cache fill. Off by default: in the replay benchmark it never acted at 0.6-0.8 (the mean
   * fill stays below while `--max-num-seqs` caps the batch) and bought at most 0.17 points of SLO at 0.3-0.4, see
   * docs/benchmarks.md.
   * @default - no KV-cache trigger
   */
  readonly kvCacheTrigger?: KvCacheTriggerOptions;
  /**
   * Scale-up rules: fast. A replica takes minutes to start, so waiting for a stable signal costs more than
   * an extra replica (docs/benchmarks.md).
   * @default - no stabilization, up to the swept count of pods per 60 s (docs/sweep.md)
   */
  readonly scaleUp?: ScalingRules;
  /**
   * Scale-down rules: slow, so a cold start is not paid again for a brief dip.
   * @default - the swept stabilization window and period, 1 pod per period (docs/sweep.md)
   */
  readonly scaleDown?: ScalingRules;
  /**
   * How long after the last activity KEDA waits before scaling to zero (only with a zero floor).
   * @default Duration.seconds(300)
   */
  readonly cooldownPeriod?: Duration;
  /**
   * How often KEDA queries Prometheus.
   * @default Duration.seconds(15)
   */
  readonly pollingInterval?: Duration;
  /**
   * Delay after creation before KEDA may scale to zero.
   * @default - the server's startup window, so the first replica can finish loading
   */
  readonly initialCooldownPeriod?: Duration;
  /**
   * What happens when Prometheus cannot be read.
   * @default - from the fourth failed read in a row, hold the current replicas (at least the floor)
   */
  readonly fallback?: FallbackOptions;
  /**
   * Ship the ScaledObject paused (`autoscaling.keda.sh/paused: "true"`): autoscaling becomes a deliberate action.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * Credentials for Prometheus.
   * @default - no authentication
   */
  readonly authentication?: PrometheusAuthentication;
  /**
   * The namespace the server runs in, for a chart that sets none (the GitOps pattern where Argo CD or Flux sets the
   * namespace at apply time): the queue query is scoped by it. No object gets this namespace.
   * @default - the server's namespace (its own or its chart's)
   */
  readonly queryNamespace?: string;
}

/**
 * Scales a VllmService on its work and its request queue with a KEDA ScaledObject.
 *
 * KEDA reads this server's series from Prometheus. By default its HPA keeps, between the floor (a WarmFloor, 1 by
 * default) and `maxReplicas`, the larger of `ceil(demand / utilization)` replicas, where demand is the engine time of
 * the prompt and generated tokens served (held at its peak over a cold start) plus the waiting queue's work, and
 * `ceil(waiting / targetQueuePerReplica)`.
 *
 * @example
 * const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
 * const server = new VllmService(chart, 'server', { model, gpu: Gpu.H100, gpuCount: 4 });
 * const autoscaler = new QueueAutoscaler(chart, 'autoscaler', {
 *   server,
 *   maxReplicas: 8,
 *   prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090',
 * });
 * WarmFloor.highAvailability(chart, 'floor', { autoscaler });
 * new ServingAlerts(chart, 'alerts', { server, autoscaler });
 */
export class QueueAutoscaler extends Construct implements IAutoscalerTarget {
  /** The server scaled. */
  public readonly server: VllmService;
  /** The ScaledObject. */
  public readonly scaledObject: ApiObject;
  /** Name of the ScaledObject. */
  public readonly scaledObjectName: string;
  /** Name of the HPA that KEDA generates. */
  public readonly hpaName: string;
  /** The most replicas. */
  public readonly maxReplicas: number;
  /** Requests waiting per replica the HPA aims for. */
  public readonly targetQueuePerReplica: number;
  /** Namespace of the server, which scopes the queue query (the objects carry it only when the chart or server sets it). */
  public readonly namespace: string;
  /** The namespace given for a chart without one (`queryNamespace`), if any. */
  public readonly queryNamespace?: string;

  private readonly props: QueueAutoscalerProps;
  private readonly check: Check;
  private floor?: ReplicaFloor;
  private tokenCosts?: EngineTokenCosts;

  public constructor(scope: Construct, id: string, props: QueueAutoscalerProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'QueueAutoscaler'));
    check.required(props, ['server', 'maxReplicas', 'prometheusAddress']);
    this.check = check;
    check.integer('maxReplicas', props.maxReplicas, 1, 1000);
    const target = props.targetQueuePerReplica ?? SWEPT_DEFAULTS.targetQueuePerReplica;
    checkKedaThreshold(check, 'targetQueuePerReplica', target);
    const addressProblem = prometheusAddressProblem(props.prometheusAddress);
    if (addressProblem) throw check.error('prometheusAddress', props.prometheusAddress, addressProblem);
    const prometheusNamespace = namespaceOfAddress(props.prometheusAddress);
    if (prometheusNamespace !== undefined) props.server._scrapedFrom(prometheusNamespace);
    if (props.kvCacheTrigger) {
      check.inHalfOpenRange('kvCacheTrigger.threshold', props.kvCacheTrigger.threshold, 0, 1);
      checkKedaThreshold(check, 'kvCacheTrigger.threshold', props.kvCacheTrigger.threshold);
    }
    checkTriggerSettings(check, 'predictiveTrigger', props.predictiveTrigger, SWEPT_DEFAULTS.predictiveEnabled);
    // The predictive trigger aims for the capacity trigger's in-flight target too.
    checkTriggerSettings(check, 'capacityTrigger', props.capacityTrigger, SWEPT_DEFAULTS.capacityEnabled,
      props.predictiveTrigger?.enabled ?? SWEPT_DEFAULTS.predictiveEnabled);
    const capacity = props.capacityTrigger ?? {};
    check.inHalfOpenRange('capacityTrigger.utilization', capacity.utilization, 0, 1);
    checkKedaThreshold(check, 'capacityTrigger.targetInFlightPerReplica', capacity.targetInFlightPerReplica);
    const predictive = props.predictiveTrigger ?? {};
    if (predictive.horizon) check.wholeSeconds('predictiveTrigger.horizon', predictive.horizon, 1, 3600);
    if (predictive.window) {
      check.wholeSeconds('predictiveTrigger.window', predictive.window, 1, 86_400);
      const scrape = props.server.scrapeInterval.toSeconds();
      check.that(predictive.window.toSeconds() >= 2 * scrape, 'predictiveTrigger.window', `${predictive.window.toSeconds()}s`,
        `must span at least two scrapes (2 x the server's scrape interval, ${2 * scrape}s) for a trend to exist`);
    }
    checkTriggerSettings(check, 'demandTrigger', props.demandTrigger, SWEPT_DEFAULTS.demandEnabled);
    const demand = props.demandTrigger ?? {};
    check.inHalfOpenRange('demandTrigger.utilization', demand.utilization, 0, 1);
    checkKedaThreshold(check, 'demandTrigger.utilization', demand.utilization);
    if (demand.hold) check.wholeSeconds('demandTrigger.hold', demand.hold, 0, 86_400);
    if (demand.nodeWait) check.wholeSeconds('demandTrigger.nodeWait', demand.nodeWait, 0, 86_400);
    if (demand.backlogDrainTime) check.wholeSeconds('demandTrigger.backlogDrainTime', demand.backlogDrainTime, 1, 86_400);
    if (demand.window) {
      check.wholeSeconds('demandTrigger.window', demand.window, 1, 86_400);
      const scrape = props.server.scrapeInterval.toSeconds();
      check.that(demand.window.toSeconds() >= 2 * scrape, 'demandTrigger.window', `${demand.window.toSeconds()}s`,
        `must span at least two scrapes (2 x the server's scrape interval, ${2 * scrape}s) for rate() to have two samples`);
    }
    for (const prop of ['prefillSecondsPerToken', 'decodeSecondsPerToken'] as const) {
      const value = demand[prop];
      check.that(value === undefined || (Number.isFinite(value) && value > 0 && value < 1), `demandTrigger.${prop}`, value,
        'must be engine seconds per token, > 0 and below 1');
    }
    check.integer('fallback.failureThreshold', props.fallback?.failureThreshold, 1, 100);
    check.integer('fallback.replicas', props.fallback?.replicas, 0, props.maxReplicas);
    if (props.pollingInterval) check.wholeSeconds('pollingInterval', props.pollingInterval, 1, 3600);
    if (props.cooldownPeriod) check.wholeSeconds('cooldownPeriod', props.cooldownPeriod, 0, 86_400);
    if (props.initialCooldownPeriod) check.wholeSeconds('initialCooldownPeriod', props.initialCooldownPeriod, 0, 86_400);
    checkScalingRules(check, 'scaleUp', props.scaleUp);
    checkScalingRules(check, 'scaleDown', props.scaleDown);
    if (props.authentication) {
      check.that(props.authentication.name !== undefined, 'authentication.name', props.authentication.name, 'is required: the name of a TriggerAuthentication');
      checkObjectName(check, 'authentication.name', props.authentication.name);
    }
    if (props.queryNamespace !== undefined) {
      check.that(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(props.queryNamespace), 'queryNamespace', props.queryNamespace, 'must be a valid namespace name');
      check.that(props.server.namespace === undefined || props.server.namespace === props.queryNamespace, 'queryNamespace', props.queryNamespace,
        `must match the server's namespace (${props.server.namespace}), or be left out`);
    }
    const namespace = props.server.namespace ?? props.queryNamespace;
    if (namespace === undefined) {
      throw check.problem('the server has no namespace, so the queue query cannot be scoped to it (the same Service in two namespaces '
        + 'would be summed): set one on the Chart or the VllmService, or, when your GitOps tool sets it at apply time, '
        + 'give it here as queryNamespace');
    }
    if (props.server.replicas !== undefined) {
      throw check.error('server', props.server.node.path,
        `sets replicas (${props.server.replicas}); an autoscaled server must not: KEDA owns the replica count (set a floor with WarmFloor)`);
    }
    if (props.server.cache && props.maxReplicas > 1) checkCacheSharable(check, 'maxReplicas', props.maxReplicas, props.server.cache);
    const existing = props.server.node.tryFindChild(AUTOSCALER_MARK);
    if (existing) {
      throw check.error('server', props.server.node.path, `is already scaled by '${(existing as AutoscalerMark).autoscalerPath}': KEDA refuses two ScaledObjects on one Deployment`);
    }
    new AutoscalerMark(props.server, this.node.path);

    this.props = props;
    this.server = props.server;
    this.maxReplicas = props.maxReplicas;
    this.targetQueuePerReplica = target;
    this.namespace = namespace;
    this.queryNamespace = props.queryNamespace;
    this.scaledObjectName = Names.toDnsLabel(this, { maxLen: MAX_LABEL_LENGTH - KEDA_HPA_PREFIX.length });
    this.hpaName = `${KEDA_HPA_PREFIX}${this.scaledObjectName}`;

    // KEDA owns /spec/replicas: the Deployment must not carry the field, or a GitOps sync fights the HPA.
    props.server.markHasAutoscaler();
    this.scaledObject = new ScaledObject(this, 'Resource', {
      metadata: {
        name: this.scaledObjectName,
        namespace: props.server.namespace,
        labels: props.server.labels,
        annotations: props.paused ? { 'autoscaling.keda.sh/paused': 'true' } : undefined,
      },
      spec: Lazy.any({ produce: () => this.toSpec() }) as ScaledObjectSpec,
    });
    checkRenderedMetadata(check, this);
  }

  /** Whether the capacity-aware in-flight trigger is on. */
  public get capacityEnabled(): boolean {
    return this.props.capacityTrigger?.enabled ?? SWEPT_DEFAULTS.capacityEnabled;
  }

  /** Whether the predictive trigger is on. */
  public get predictiveEnabled(): boolean {
    return this.props.predictiveTrigger?.enabled ?? SWEPT_DEFAULTS.predictiveEnabled;
  }

  /** Whether the engine-time demand trigger is on. */
  public get demandEnabled(): boolean {
    return this.props.demandTrigger?.enabled ?? SWEPT_DEFAULTS.demandEnabled;
  }

  /** The fraction of a replica's engine time the demand trigger aims to keep busy. */
  public get demandUtilization(): number {
    return this.props.demandTrigger?.utilization ?? SWEPT_DEFAULTS.demandUtilization;
  }

  /** Seconds the demand trigger holds the peak demand. */
  public get demandHoldSeconds(): number {
    const demand = this.props.demandTrigger ?? {};
    if (demand.hold) return demand.hold.toSeconds();
    const wait = this.server.coldStart.totalSeconds + (demand.nodeWait?.toSeconds() ?? 0);
    return Math.round(SWEPT_DEFAULTS.demandHoldColdStarts * wait);
  }

  /** Seconds within which the demand trigger's backlog correction serves the waiting queue's work. */
  public get demandBacklogDrainSeconds(): number {
    return this.props.demandTrigger?.backlogDrainTime?.toSeconds() ?? SWEPT_DEFAULTS.demandBacklogDrainSeconds;
  }

  /** Engine seconds a prompt token costs one replica, as the demand trigger weighs it. */
  public get prefillSecondsPerToken(): number {
    return this.props.demandTrigger?.prefillSecondsPerToken ?? significant(this.modelledTokenCosts().prefillSecondsPerToken);
  }

  /** Engine seconds a generated token costs one replica, as the demand trigger weighs it. */
  public get decodeSecondsPerToken(): number {
    return this.props.demandTrigger?.decodeSecondsPerToken ?? significant(this.modelledTokenCosts().decodeSecondsPerToken);
  }

  /** The PromQL query of the demand trigger: held engine demand plus the backlog, in replicas at full utilization. */
  public get demandQuery(): string {
    const scrape = this.server.scrapeInterval.toSeconds();
    const costs: EngineTokenCosts = { prefillSecondsPerToken: this.prefillSecondsPerToken, decodeSecondsPerToken: this.decodeSecondsPerToken };
    return this.queries().demandWithBacklog(costs, {
      windowSeconds: this.props.demandTrigger?.window?.toSeconds() ?? Math.max(60, 4 * scrape),
      holdSeconds: this.demandHoldSeconds,
      stepSeconds: scrape,
      backlogWindowSeconds: Math.max(BACKLOG_WINDOW_SECONDS, this.demandHoldSeconds),
      drainSeconds: this.demandBacklogDrainSeconds,
    });
  }

  /** Requests in flight (running + waiting) per replica the capacity and predictive triggers aim for. */
  public get targetInFlightPerReplica(): number {
    const capacity = this.props.capacityTrigger ?? {};
    return capacity.targetInFlightPerReplica
      ?? Math.max(1, Math.round((capacity.utilization ?? SWEPT_DEFAULTS.capacityUtilization) * this.server.maxRunningPerReplica));
  }

  /** The replica floor: the WarmFloor's, or 1. */
  public get minReplicas(): number {
    return this.floor?.replicas ?? 1;
  }

  /** The PromQL query of the queue trigger: requests waiting over every replica of the server. */
  public get queueQuery(): string {
    return this.queries().waitingTotal();
  }

  /**
   * Sets the replica floor and the triggers that come with it. Called by WarmFloor.
   * @internal
   */
  public _setFloor(floor: ReplicaFloor): void {
    if (this.floor) {
      throw this.check.problem(`already has a WarmFloor ('${this.floor.node.path}'); '${floor.node.path}' would be a second one`);
    }
    this.floor = floor;
  }

  private modelledTokenCosts(): EngineTokenCosts {
    if (this.tokenCosts) return this.tokenCosts;
    const server = this.server;
    const kvCapacityTokens = server.sizing.kvCacheTokens ?? 0;
    this.tokenCosts = servingTokenCosts(replicaEngine(server.model, server.gpu, server.gpuCount / server.dataParallelSize, server.dataParallelSize, {
      maxNumSeqs: server.maxNumSeqs,
      maxNumBatchedTokens: server.maxNumBatchedTokens,
      kvCapacityTokens,
      maxModelLen: server.maxModelLen ?? server.sizing.maxContextTokens ?? kvCapacityTokens,
    }));
    return this.tokenCosts;
  }

  private queries(): Queries {
    return new Queries({ namespace: this.namespace, service: this.server.serviceName, modelName: this.server.model.servedModelName });
  }

  private toSpec(): ScaledObjectSpec {
    const props = this.props;
    const floor = this.minReplicas;
    return {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.server.deployment.name },
      pollingInterval: (props.pollingInterval ?? Duration.seconds(15)).toSeconds(),
      cooldownPeriod: (props.cooldownPeriod ?? Duration.seconds(300)).toSeconds(),
      initialCooldownPeriod: props.initialCooldownPeriod?.toSeconds() ?? this.server.coldStart.startupWindowSeconds,
      minReplicaCount: floor,
      maxReplicaCount: this.maxReplicas,
      fallback: {
        failureThreshold: props.fallback?.failureThreshold ?? 3,
        replicas: props.fallback?.replicas ?? floor,
        behavior: ScaledObjectSpecFallbackBehavior.CURRENT_REPLICAS_IF_HIGHER,
      },
      advanced: {
        restoreToOriginalReplicaCount: false,
        horizontalPodAutoscalerConfig: { name: this.hpaName, behavior: this.behavior() },
      },
      triggers: [...this.metricTriggers(floor), ...(this.floor?._floorTriggers ?? [])],
    };
  }

  private metricTriggers(floor: number): ScaledObjectSpecTriggers[] {
    const props = this.props;
    const prometheus = (query: string, threshold: number) => ({
      serverAddress: props.prometheusAddress,
      query,
      threshold: String(threshold),
      // Above a zero floor the series must exist: an empty result is an error that engages the fallback,
      // never a silent "idle". At zero replicas they legitimately do not exist.
      ignoreNullValues: floor > 0 ? 'false' : 'true',
    });
    const authenticationRef = props.authentication ? {
      name: props.authentication.name,
      kind: props.authentication.clusterScoped
        ? ScaledObjectSpecTriggersAuthenticationRefKind.CLUSTER_TRIGGER_AUTHENTICATION
        : ScaledObjectSpecTriggersAuthenticationRefKind.TRIGGER_AUTHENTICATION,
    } : undefined;
    const triggers: ScaledObjectSpecTriggers[] = [{
      type: 'prometheus',
      name: 'queue',
      metricType: 'AverageValue',
      // 0 -> 1 never comes from the queue (no replica, no series): only from a cron window or the HTTP add-on.
      metadata: { ...prometheus(this.queueQuery, this.targetQueuePerReplica), activationThreshold: '0' },
      authenticationRef,
    }];
    if (this.capacityEnabled) {
      triggers.push({
        type: 'prometheus',
        name: 'in-flight',
        metricType: 'AverageValue',
        metadata: { ...prometheus(this.queries().inFlightTotal(), this.targetInFlightPerReplica), activationThreshold: '0' },
        authenticationRef,
      });
    }
    if (this.predictiveEnabled) {
      const scrape = this.server.scrapeInterval.toSeconds();
      const predictive = props.predictiveTrigger ?? {};
      const window = predictive.window?.toSeconds() ?? SWEPT_DEFAULTS.predictiveWindowScrapes * scrape;
      const horizon = predictive.horizon?.toSeconds() ?? this.server.coldStart.totalSeconds;
      triggers.push({
        type: 'prometheus',
        name: 'in-flight-forecast',
        metricType: 'AverageValue',
        metadata: {
          ...prometheus(this.queries().inFlightForecast(window, scrape, horizon), this.targetInFlightPerReplica),
          activationThreshold: '0',
          // Until the window holds two points the forecast is empty: that is no load, not a failure.
          ignoreNullValues: 'true',
        },
        authenticationRef,
      });
    }
    if (this.demandEnabled) {
      triggers.push({
        type: 'prometheus',
        name: 'demand',
        metricType: 'AverageValue',
        metadata: { ...prometheus(this.demandQuery, this.demandUtilization), activationThreshold: '0' },
        authenticationRef,
      });
    }
    if (props.kvCacheTrigger) {
      triggers.push({
        type: 'prometheus',
        name: 'kv-cache',
        metricType: 'Value',
        metadata: prometheus(this.queries().kvCacheAverage(), props.kvCacheTrigger.threshold ?? 0.8),
        authenticationRef,
      });
    }
    return triggers;
  }

  private behavior(): ScaledObjectSpecAdvancedHorizontalPodAutoscalerConfigBehavior {
    const up = this.props.scaleUp ?? {};
    const down = this.props.scaleDown ?? {};
    return {
      scaleUp: {
        stabilizationWindowSeconds: (up.stabilizationWindow ?? Duration.seconds(0)).toSeconds(),
        selectPolicy: 'Max',
        policies: [{ type: 'Pods', value: up.pods ?? SWEPT_DEFAULTS.scaleUpPods, periodSeconds: (up.period ?? Duration.seconds(60)).toSeconds() }],
      },
      scaleDown: {
        stabilizationWindowSeconds: (down.stabilizationWindow ?? Duration.seconds(SWEPT_DEFAULTS.scaleDownStabilizationSeconds)).toSeconds(),
        selectPolicy: 'Max',
        policies: [{ type: 'Pods', value: down.pods ?? 1, periodSeconds: (down.period ?? Duration.seconds(SWEPT_DEFAULTS.scaleDownPeriodSeconds)).toSeconds() }],
      },
    };
  }
}

/** A modelled figure to three significant digits: the model is not more exact, and the query stays readable. */
function significant(value: number): number {
  return Number(value.toPrecision(3));
}

const AUTOSCALER_MARK = 'QueueAutoscalerMark';

/** Marks a server as scaled, so a second autoscaler on it is refused. */
class AutoscalerMark extends Construct {
  public constructor(server: VllmService, public readonly autoscalerPath: string) {
    super(server, AUTOSCALER_MARK);
  }
}

function checkScalingRules(check: Check, prop: string, rules: ScalingRules | undefined): void {
  if (!rules) return;
  check.integer(`${prop}.pods`, rules.pods, 1, 1000);
  if (rules.period) check.wholeSeconds(`${prop}.period`, rules.period, 1, MAX_POLICY_PERIOD_SECONDS);
  if (rules.stabilizationWindow) check.wholeSeconds(`${prop}.stabilizationWindow`, rules.stabilizationWindow, 0, 3600);
}
