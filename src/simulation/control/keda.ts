import { Autoscaler, ClusterView, parseQuantity } from './autoscaler';
import { CronWindow } from './cron';
import { externalAverageValueReplicas, externalValueReplicas, HpaController, perPodReplicas, resolveBehavior } from './hpa';
import { evaluateQuery, parsePromQL, singleScrape } from './promql-eval';
import { METRIC } from '../../promql';
import { REPLAY_LIMITS, replicaCount } from '../cluster/limits';
import { Manifest } from '../cluster/manifests';
import { ASSUMPTIONS } from '../engine/assumptions';

/** The annotation that pauses a ScaledObject. */
export const PAUSED_ANNOTATION = 'autoscaling.keda.sh/paused';
/** The annotation that pins a paused ScaledObject's replica count. */
export const PAUSED_REPLICAS_ANNOTATION = 'autoscaling.keda.sh/paused-replicas';
/** The HTTP add-on's default target of pending requests per replica (`scalingMetric.concurrency.targetValue`). */
const HTTP_ADD_ON_DEFAULT_TARGET = 100;

type FallbackBehavior = 'static' | 'currentReplicas' | 'currentReplicasIfHigher' | 'currentReplicasIfLower';

interface Fallback {
  readonly failureThreshold: number;
  readonly replicas: number;
  readonly behavior: FallbackBehavior;
}

/** What a trigger reports at one instant: its metric value (undefined on error) and whether it is active. */
interface Reading { readonly value?: number; readonly active: boolean }

interface Trigger {
  readonly name: string;
  readonly metricType: 'AverageValue' | 'Value' | 'Utilization';
  readonly target: number;
  read(view: ClusterView): Reading;
  /** A per-pod trigger (cpu) computes its own proposal. */
  proposal?(view: ClusterView): number | undefined;
}

/**
 * KEDA's model of a ScaledObject: its own loop every `pollingInterval` (activation 0 -> 1, `minReplicaCount`,
 * cooldown to zero) and the HPA it generates (min = max(minReplicaCount, 1), max = maxReplicaCount,
 * `advanced.horizontalPodAutoscalerConfig.behavior`), with fallback when a trigger's source fails.
 */
export class KedaAutoscaler implements Autoscaler {
  public readonly initialReplicas: number;
  public readonly maxReplicas: number;
  public readonly pollingIntervalSeconds: number;
  public readonly pinned: boolean;
  private readonly minReplicas: number;
  private readonly idleReplicas?: number;
  private readonly cooldownSeconds: number;
  private readonly initialCooldownSeconds: number;
  private readonly paused: boolean;
  private readonly pausedReplicas?: number;
  private readonly fallback?: Fallback;
  private readonly hpa: HpaController;
  private readonly triggers: Trigger[];
  private readonly failures: number[];
  /** When a trigger was last active (status.lastActiveTime); undefined until one is. */
  private lastActive: number | undefined = undefined;

  /** `httpScaledObjects`: the InterceptorRoutes (or HTTPScaledObjects) beside the ScaledObject, which set the targets of its external-push triggers. */
  public constructor(scaledObject: Manifest, httpScaledObjects: Manifest[] = []) {
    const subject = `ScaledObject '${scaledObject.metadata?.name}'`;
    const spec = scaledObject.spec ?? {};
    const seconds = (value: unknown, field: string, fallback: number, min = 0): number => {
      const n = value === undefined ? fallback : Number(value);
      if (!Number.isInteger(n) || n < min || n > REPLAY_LIMITS.maxSeconds) {
        throw new Error(`${subject}: spec.${field} (${String(value)}) must be a whole number of seconds from ${min} to ${REPLAY_LIMITS.maxSeconds}`);
      }
      return n;
    };
    this.minReplicas = replicaCount(spec.minReplicaCount ?? 0, `${subject}: spec.minReplicaCount`, 0);
    this.maxReplicas = replicaCount(spec.maxReplicaCount ?? 100, `${subject}: spec.maxReplicaCount`, 1);
    if (this.maxReplicas < this.minReplicas) throw new Error(`${subject}: spec.maxReplicaCount (${this.maxReplicas}) must be >= minReplicaCount (${this.minReplicas})`);
    this.pollingIntervalSeconds = seconds(spec.pollingInterval, 'pollingInterval', 30, 1);
    this.cooldownSeconds = seconds(spec.cooldownPeriod, 'cooldownPeriod', 300);
    this.initialCooldownSeconds = seconds(spec.initialCooldownPeriod, 'initialCooldownPeriod', 0);
    this.idleReplicas = spec.idleReplicaCount === undefined ? undefined : replicaCount(spec.idleReplicaCount, `${subject}: spec.idleReplicaCount`, 0);
    const annotations = scaledObject.metadata?.annotations ?? {};
    this.paused = annotations[PAUSED_ANNOTATION] === 'true' || annotations[PAUSED_REPLICAS_ANNOTATION] !== undefined;
    this.pausedReplicas = annotations[PAUSED_REPLICAS_ANNOTATION] === undefined ? undefined
      : replicaCount(annotations[PAUSED_REPLICAS_ANNOTATION], `${subject}: metadata.annotations['${PAUSED_REPLICAS_ANNOTATION}']`, 0);
    this.fallback = readFallback(spec.fallback, subject);
    this.hpa = new HpaController({
      minReplicas: Math.max(this.minReplicas, 1),
      maxReplicas: this.maxReplicas,
      behavior: resolveBehavior(spec.advanced?.horizontalPodAutoscalerConfig?.behavior, subject),
    });
    const triggers: any[] = spec.triggers ?? [];
    if (triggers.length === 0) throw new Error(`${subject}: spec.triggers is empty`);
    this.triggers = triggers.map((t, i) => readTrigger(t, `${subject} trigger ${t?.name ?? i}`, httpScaledObjects));
    this.failures = this.triggers.map(() => 0);
    const floor = this.minReplicas > 0 ? this.minReplicas : 0;
    // A ScaledObject shipped paused leaves the Deployment as it is: the Deployment's own default, 1 replica.
    this.initialReplicas = this.paused ? this.pausedReplicas ?? 1 : floor;
    this.pinned = this.paused;
  }

  public warmStart(replicas: number): void {
    if (replicas > 0) this.hpa.warmStart(0, replicas);
  }

  /**
   * KEDA's polling loop (kedacore/keda v2.20, pkg/scaling/scale_handler.go checkScalers and getScalerState, then
   * pkg/scaling/executor/scale_scaledobjects.go RequestScale). Each trigger is read; a failing read counts toward
   * the fallback here too, and a trigger whose failures passed the threshold reads as active without error.
   */
  public poll(view: ClusterView): number | undefined {
    if (this.paused) return this.pausedReplicas !== undefined && this.pausedReplicas !== view.replicas ? this.pausedReplicas : undefined;
    let isActive = false;
    let isError = false;
    this.triggers.forEach((trigger, i) => {
      if (trigger.proposal) return; // cpu: no external metric, neither active nor failing in the polling loop
      const reading = trigger.read(view);
      if (reading.value !== undefined) {
        this.succeeded(i);
        if (reading.active) isActive = true;
      } else if (this.fallbackValue(trigger, i, view) !== undefined) {
        isActive = true;
      } else {
        isError = true;
      }
    });
    // Only cpu/memory triggers: KEDA forces the object active, or it could never leave zero (getScaledObjectState).
    if (this.triggers.every((t) => t.proposal !== undefined) && !isError) isActive = true;
    const current = view.replicas;
    const min = this.minReplicas;
    if (isActive) {
      if ((this.idleReplicas !== undefined && current < min) || current === 0) {
        this.lastActive = view.now;
        return min > 0 ? min : 1; // scaleFromZeroOrIdle
      }
      if (!isError) this.lastActive = view.now; // active with some triggers failing: lastActiveTime is not renewed
      return undefined;
    }
    if (isError && this.fallback !== undefined && this.fallback.replicas !== 0) return undefined; // the HPA falls back
    if (isError && this.fallback === undefined) return undefined;
    if ((this.idleReplicas !== undefined && current > this.idleReplicas) || (current > 0 && min === 0)) {
      // scaleToZeroOrIdle: never active since creation (time 0) -> initialCooldownPeriod alone; else cooldownPeriod.
      const cooled = this.lastActive === undefined ? view.now > this.initialCooldownSeconds : view.now > this.lastActive + this.cooldownSeconds;
      return cooled ? this.idleReplicas ?? min : undefined;
    }
    if (this.idleReplicas === undefined && current < min) return min;
    return undefined;
  }

  public push(view: ClusterView): number | undefined {
    if (this.paused || view.replicas > 0) return undefined;
    const pushing = this.triggers.some((t) => t.name.startsWith('external-push:') && t.read(view).active);
    if (!pushing) return undefined;
    this.lastActive = view.now;
    return Math.max(this.minReplicas, 1);
  }

  public hpaSync(view: ClusterView): number | undefined {
    if (this.paused || view.replicas === 0) return undefined;
    const proposals = this.triggers.map((trigger, i) => this.proposal(trigger, i, view));
    const next = this.hpa.sync(view.now, view.replicas, proposals);
    return next === view.replicas ? undefined : next;
  }

  /**
   * The HPA's replica proposal for one trigger. The HPA asks KEDA's metrics server, which reads the trigger again
   * (GetScaledObjectMetrics) and counts a failure or a success toward the same fallback health as the polling loop.
   */
  private proposal(trigger: Trigger, index: number, view: ClusterView): number | undefined {
    if (trigger.proposal) return trigger.proposal(view);
    let value = trigger.read(view).value;
    if (value === undefined) value = this.fallbackValue(trigger, index, view);
    else this.succeeded(index);
    if (value === undefined) return undefined;
    return trigger.metricType === 'Value'
      ? externalValueReplicas(view.replicas, view.readyPods, value, trigger.target)
      : externalAverageValueReplicas(view.replicas, value, trigger.target);
  }

  private succeeded(index: number): void {
    this.failures[index] = 0;
  }

  /**
   * One failed read (kedacore/keda v2.20 pkg/fallback/fallback.go GetMetricsWithFallback): with a fallback the
   * failure is counted, and past `failureThreshold` the metric is replaced by target x replicas (AverageValue) or
   * target x replicas / ready pods (Value, since v2.18; an error with no ready pod). Undefined while it stays an error.
   */
  private fallbackValue(trigger: Trigger, index: number, view: ClusterView): number | undefined {
    const fallback = this.fallback;
    if (fallback === undefined) return undefined;
    this.failures[index]++;
    if (this.failures[index] <= fallback.failureThreshold) return undefined;
    const replicas = fallbackReplicas(fallback, view.replicas);
    if (trigger.metricType === 'Value') {
      if (view.readyPods === 0) return undefined;
      return Math.trunc(trigger.target * 1000 * replicas / view.readyPods) / 1000;
    }
    return Math.trunc(trigger.target * 1000 * replicas) / 1000;
  }
}

function fallbackReplicas(fallback: Fallback, current: number): number {
  switch (fallback.behavior) {
    case 'currentReplicas': return current;
    case 'currentReplicasIfHigher': return Math.max(current, fallback.replicas);
    case 'currentReplicasIfLower': return Math.min(current, fallback.replicas);
    default: return fallback.replicas;
  }
}

/**
 * The concurrency target of the InterceptorRoute (or the older HTTPScaledObject) an external-push trigger names
 * (the add-on's default without one).
 */
function httpAddOnTarget(name: string | undefined, httpScaledObjects: Manifest[], subject: string): number {
  const http = httpScaledObjects.find((o) => o.metadata?.name === name);
  if (!http) return HTTP_ADD_ON_DEFAULT_TARGET;
  const metric = http.spec?.scalingMetric ?? {};
  if (metric.requestRate !== undefined) throw new Error(`${subject}: ${http.kind} '${name}' scales on requestRate, which is not modelled (concurrency is)`);
  const target = metric.concurrency?.targetValue ?? http.spec?.targetPendingRequests;
  return target === undefined ? HTTP_ADD_ON_DEFAULT_TARGET : parseQuantity(String(target), `${subject} ${http.kind} '${name}' target`);
}

function readFallback(raw: any, subject: string): Fallback | undefined {
  if (raw === undefined) return undefined;
  const behavior = raw.behavior ?? 'static';
  if (!['static', 'currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower'].includes(behavior)) {
    throw new Error(`${subject}: spec.fallback.behavior ('${behavior}') must be static, currentReplicas, currentReplicasIfHigher or currentReplicasIfLower`);
  }
  const failureThreshold = Number(raw.failureThreshold);
  const replicas = Number(raw.replicas);
  if (!Number.isInteger(failureThreshold) || failureThreshold < 0 || !Number.isInteger(replicas) || replicas < 0) {
    throw new Error(`${subject}: spec.fallback.failureThreshold (${raw.failureThreshold}) and replicas (${raw.replicas}) must be whole numbers >= 0`);
  }
  return { failureThreshold, replicas: replicaCount(replicas, `${subject}: spec.fallback.replicas`, 0), behavior };
}

function readTrigger(raw: any, subject: string, httpScaledObjects: Manifest[]): Trigger {
  const metadata: { [key: string]: string } = raw?.metadata ?? {};
  const metricType = raw?.metricType ?? 'AverageValue';
  if (!['AverageValue', 'Value', 'Utilization'].includes(metricType)) throw new Error(`${subject}: metricType '${metricType}' must be AverageValue, Value or Utilization`);
  switch (raw?.type) {
    case 'prometheus': return prometheusTrigger(raw, metadata, metricType, subject);
    case 'cron': return cronTrigger(raw, metadata, subject);
    case 'external-push': return {
      name: `external-push:${raw.name ?? metadata.interceptorRoute ?? metadata.httpScaledObject ?? ''}`,
      metricType: 'AverageValue',
      target: httpAddOnTarget(metadata.interceptorRoute ?? metadata.httpScaledObject, httpScaledObjects, subject),
      read: (view) => {
        const inFlight = view.pendingAtService + view.scrape.reduce((sum, s) => sum + s[METRIC.waiting] + s[METRIC.running], 0);
        return { value: inFlight, active: inFlight > 0 };
      },
    };
    case 'cpu': {
      if (metricType !== 'Utilization') throw new Error(`${subject}: only a cpu Utilization trigger is modelled`);
      const target = parseQuantity(metadata.value, `${subject} metadata.value`);
      return {
        name: raw.name ?? 'cpu',
        metricType,
        target,
        read: () => ({ value: 0, active: true }),
        proposal: (view) => perPodReplicas(view.replicas,
          view.pods.map((p) => ({ ready: p.ready, value: p.sample ? p.sample.cpuUtilization * 100 : undefined })),
          target, true, ASSUMPTIONS.hpaTolerance, 100),
      };
    }
    default:
      throw new Error(`${subject}: trigger type '${raw?.type}' is not modelled (prometheus, cron, external-push, cpu)`);
  }
}

function prometheusTrigger(raw: any, metadata: { [key: string]: string }, metricType: Trigger['metricType'], subject: string): Trigger {
  if (metricType === 'Utilization') throw new Error(`${subject}: a prometheus trigger's metricType must be AverageValue or Value`);
  if (metadata.query === undefined || metadata.threshold === undefined) throw new Error(`${subject}: prometheus metadata needs query and threshold`);
  const query = parsePromQL(metadata.query, subject);
  const target = parseQuantity(metadata.threshold, `${subject} metadata.threshold`);
  if (!(target > 0)) throw new Error(`${subject}: metadata.threshold (${metadata.threshold}) must be > 0`);
  const activation = metadata.activationThreshold === undefined ? 0 : parseQuantity(metadata.activationThreshold, `${subject} metadata.activationThreshold`);
  const ignoreNullValues = String(metadata.ignoreNullValues ?? 'true').toLowerCase() !== 'false';
  return {
    name: raw.name ?? `prometheus:${metadata.query}`,
    metricType,
    target,
    read: (view) => {
      const result = evaluateQuery(query, view.history ?? singleScrape(view.labels, view.scrape, view.now), view.now);
      // More than one element is an error; none reads as 0 with ignoreNullValues, an error without (prometheus_scaler.go).
      const value = result.multiple !== undefined ? undefined : result.empty ? (ignoreNullValues ? 0 : undefined) : result.value;
      return { value, active: value !== undefined && value > activation };
    },
  };
}

function cronTrigger(raw: any, metadata: { [key: string]: string }, subject: string): Trigger {
  const { timezone, start, end } = metadata;
  if (!timezone || !start || !end || metadata.desiredReplicas === undefined) {
    throw new Error(`${subject}: cron metadata needs timezone, start, end and desiredReplicas`);
  }
  const desired = replicaCount(metadata.desiredReplicas, `${subject}: cron desiredReplicas`, 0);
  let window: CronWindow;
  try {
    window = new CronWindow(timezone, start, end);
  } catch (error) {
    throw new Error(`${subject}: ${(error as Error).message}`);
  }
  return {
    name: raw.name ?? 'cron',
    metricType: 'AverageValue',
    target: 1,
    // KEDA's cron scaler (pkg/scalers/cron_scaler.go, v2.20) reports desiredReplicas while the window is open and
    // 0 outside it, against an AverageValue target of 1: outside its window it asks for nothing.
    read: (view) => {
      const open = window.isOpen(view.epoch);
      return { value: open ? desired : 0, active: open };
    },
  };
}
