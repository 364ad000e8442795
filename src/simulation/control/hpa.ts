import { ASSUMPTIONS } from '../engine/assumptions';

/** One scaling policy of an HPA behavior. */
export interface HpaScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** The rules of one direction. */
export interface HpaScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: HpaScalingPolicy[];
}

/** `spec.behavior`, defaults applied. */
export interface HpaBehavior {
  readonly scaleUp: HpaScalingRules;
  readonly scaleDown: HpaScalingRules;
}

/** The parts of an HPA the controller needs. */
export interface HpaSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /**
   * `spec.behavior` with defaults applied; undefined when the object has none, and the controller then takes
   * its legacy path (normalizeDesiredReplicas).
   */
  readonly behavior?: HpaBehavior;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` of the controller manager, for the legacy path. @default 300 */
  readonly downscaleStabilizationSeconds?: number;
  /** @default 0.1 */
  readonly tolerance?: number;
}

/** A pod as the HPA's replica calculator sees it. */
export interface PodSample {
  readonly ready: boolean;
  /** The pod's metric value, undefined when the metrics source has none for it. */
  readonly value?: number;
}

/**
 * Applies the Kubernetes defaults to `spec.behavior` (kubernetes/kubernetes pkg/apis/autoscaling/v2/defaults.go,
 * SetDefaults_HorizontalPodAutoscalerBehavior): scale-up 0 s stabilisation, max of 100% and 4 pods per 15 s;
 * scale-down 300 s stabilisation, 100% per 15 s. The defaults are filled in only when `behavior` is set (an
 * empty `behavior: {}` counts as set); without one this returns undefined and the controller takes the legacy path.
 */
export function resolveBehavior(raw: any, subject: string): HpaBehavior | undefined {
  if (raw === undefined || raw === null) return undefined;
  const up = raw?.scaleUp ?? {};
  const down = raw?.scaleDown ?? {};
  return {
    scaleUp: resolveRules(up, 0, [{ type: 'Percent', value: 100, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 15 }], `${subject} behavior.scaleUp`),
    scaleDown: resolveRules(down, 300, [{ type: 'Percent', value: 100, periodSeconds: 15 }], `${subject} behavior.scaleDown`),
  };
}

function resolveRules(raw: any, window: number, policies: HpaScalingPolicy[], subject: string): HpaScalingRules {
  const selectPolicy = raw.selectPolicy ?? 'Max';
  if (!['Max', 'Min', 'Disabled'].includes(selectPolicy)) throw new Error(`${subject}.selectPolicy ('${selectPolicy}') must be Max, Min or Disabled`);
  const stabilizationWindowSeconds = raw.stabilizationWindowSeconds ?? window;
  if (!(stabilizationWindowSeconds >= 0 && stabilizationWindowSeconds <= 3600)) {
    throw new Error(`${subject}.stabilizationWindowSeconds (${stabilizationWindowSeconds}) must be from 0 to 3600`);
  }
  const resolved: HpaScalingPolicy[] = (raw.policies ?? policies).map((p: any, i: number) => {
    if (p.type !== 'Pods' && p.type !== 'Percent') throw new Error(`${subject}.policies[${i}].type ('${p.type}') must be Pods or Percent`);
    if (!(p.value > 0) || !(p.periodSeconds > 0 && p.periodSeconds <= 1800)) {
      throw new Error(`${subject}.policies[${i}]: value (${p.value}) must be > 0 and periodSeconds (${p.periodSeconds}) from 1 to 1800`);
    }
    return { type: p.type, value: Number(p.value), periodSeconds: Number(p.periodSeconds) };
  });
  return { stabilizationWindowSeconds, selectPolicy, policies: resolved };
}

/** External metric, AverageValue target: the HPA divides the total by the target (replica_calculator GetExternalPerPodMetricReplicas). */
export function externalAverageValueReplicas(currentReplicas: number, total: number, targetAverage: number,
  tolerance = ASSUMPTIONS.hpaTolerance): number {
  const usageRatio = total / (targetAverage * currentReplicas);
  if (currentReplicas > 0 && Math.abs(1 - usageRatio) <= tolerance) return currentReplicas;
  return Math.ceil(total / targetAverage);
}

/** External metric, Value target: ratio of the value to the target, times the ready pods (GetExternalMetricReplicas). */
export function externalValueReplicas(currentReplicas: number, readyPods: number, value: number, target: number,
  tolerance = ASSUMPTIONS.hpaTolerance): number {
  const usageRatio = value / target;
  if (currentReplicas === 0) return Math.ceil(usageRatio);
  if (Math.abs(1 - usageRatio) <= tolerance) return currentReplicas;
  return Math.ceil(usageRatio * readyPods);
}

/**
 * Per-pod metrics (Pods metrics and Resource utilisation): the HPA's calcPlainMetricReplicas.
 * Pods without a value are "missing"; for CPU, pods that are not ready are "unready". When the ratio
 * is above 1, missing and unready pods count as 0; below 1, missing pods count as the target. Returns
 * undefined when no pod has a value (the metric is invalid).
 */
export function perPodReplicas(currentReplicas: number, pods: PodSample[], target: number, isCpu: boolean,
  tolerance = ASSUMPTIONS.hpaTolerance, missingFallback = target): number | undefined {
  const values: number[] = [];
  let unready = 0;
  let missing = 0;
  for (const pod of pods) {
    if (pod.value === undefined) {
      if (isCpu && !pod.ready) unready++;
      else missing++;
      continue;
    }
    if (isCpu && !pod.ready) {
      unready++;
      continue;
    }
    values.push(pod.value);
  }
  if (values.length === 0) return undefined;
  const readyCount = values.length;
  const sum = values.reduce((a, b) => a + b, 0);
  const usageRatio = sum / readyCount / target;
  const scaleUpWithUnready = unready > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && missing === 0) {
    if (Math.abs(1 - usageRatio) <= tolerance) return currentReplicas;
    return Math.ceil(usageRatio * readyCount);
  }
  let newSum = sum;
  let count = readyCount;
  if (missing > 0) {
    if (usageRatio < 1) newSum += missing * missingFallback;
    if (usageRatio !== 1) count += missing;
  }
  if (scaleUpWithUnready) count += unready;
  const newUsageRatio = newSum / count / target;
  const flipped = (usageRatio < 1 && newUsageRatio > 1) || (usageRatio > 1 && newUsageRatio < 1);
  if (Math.abs(1 - newUsageRatio) <= tolerance || flipped) return currentReplicas;
  const newReplicas = Math.ceil(newUsageRatio * count);
  if ((newUsageRatio < 1 && newReplicas > currentReplicas) || (newUsageRatio > 1 && newReplicas < currentReplicas)) return currentReplicas;
  return newReplicas;
}

interface TimedValue { value: number; time: number }

/** Legacy path limits (horizontal.go: scaleUpLimitFactor, scaleUpLimitMinimum). */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;
/** Default of `--horizontal-pod-autoscaler-downscale-stabilization` (kube-controller-manager). */
export const DEFAULT_DOWNSCALE_STABILIZATION_SECONDS = 300;

/**
 * The HPA controller's decision for one sync (pkg/controller/podautoscaler/horizontal.go): max over the
 * metrics' proposals, then stabilisation windows, then the rate policies and the min/max clamps.
 */
export class HpaController {
  /** Replica count changes made, for the policies' periods. */
  private readonly scaleUpEvents: TimedValue[] = [];
  private readonly scaleDownEvents: TimedValue[] = [];
  private readonly recommendations: TimedValue[] = [];

  public constructor(public readonly spec: HpaSpec) {
    if (!(spec.minReplicas >= 1) || !(spec.maxReplicas >= spec.minReplicas)) {
      throw new Error(`HPA: minReplicas (${spec.minReplicas}) must be >= 1 and maxReplicas (${spec.maxReplicas}) >= minReplicas`);
    }
  }

  /**
   * Seeds the recommendation history as if the controller had held `replicas` steadily before `now`
   * (a replay starts on a cluster that was already serving).
   */
  public warmStart(now: number, replicas: number): void {
    this.recommendations.push({ value: replicas, time: now });
  }

  /**
   * One sync at `now` with `current` replicas and one proposal per metric (undefined when the metric
   * could not be read). Returns the replica count to set.
   */
  public sync(now: number, current: number, proposals: (number | undefined)[]): number {
    const { minReplicas, maxReplicas } = this.spec;
    if (current === 0) return 0; // scaling is disabled at 0 replicas: KEDA owns 0 <-> 1
    let desired: number;
    if (current > maxReplicas) {
      desired = maxReplicas;
    } else if (current < minReplicas) {
      desired = minReplicas;
    } else {
      const valid = proposals.filter((p): p is number => p !== undefined);
      const invalid = proposals.length - valid.length;
      if (valid.length === 0) return current;
      const metricDesired = Math.max(...valid);
      // With some metrics unreadable the HPA may scale up on the others, never down.
      if (invalid > 0 && metricDesired < current) return current;
      desired = this.normalize(now, current, metricDesired);
    }
    if (desired !== current) this.record(now, current, desired);
    return desired;
  }

  private normalize(now: number, current: number, prenormalized: number): number {
    if (this.spec.behavior === undefined) return this.normalizeLegacy(now, current, prenormalized);
    const stabilized = this.stabilize(now, current, prenormalized);
    return this.limitRate(now, current, stabilized);
  }

  /**
   * The path of an HPA without `behavior` (horizontal.go normalizeDesiredReplicas): the highest recommendation
   * of the downscale window (stabilizeRecommendation: recommendations older than the window are not counted,
   * and the last of them is overwritten by the new one), then the clamps: at least minReplicas, at most
   * min(maxReplicas, max(2 x current, 4)) (convertDesiredReplicasWithRules, calculateScaleUpLimit).
   * Scale-up is not stabilised and scale-down has no rate limit.
   */
  private normalizeLegacy(now: number, current: number, prenormalized: number): number {
    const window = this.spec.downscaleStabilizationSeconds ?? DEFAULT_DOWNSCALE_STABILIZATION_SECONDS;
    const cutoff = now - window;
    let max = prenormalized;
    let oldIndex = -1;
    this.recommendations.forEach((rec, i) => {
      if (rec.time < cutoff) oldIndex = i;
      else if (rec.value > max) max = rec.value;
    });
    if (oldIndex >= 0) this.recommendations[oldIndex] = { value: prenormalized, time: now };
    else this.recommendations.push({ value: prenormalized, time: now });
    const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
    const maximumAllowed = Math.min(this.spec.maxReplicas, scaleUpLimit);
    if (max < this.spec.minReplicas) return this.spec.minReplicas;
    if (max > maximumAllowed) return maximumAllowed;
    return max;
  }

  /** Scale-up takes the lowest recommendation of its window, scale-down the highest of its window. */
  private stabilize(now: number, current: number, desired: number): number {
    const { scaleUp, scaleDown } = this.spec.behavior!;
    const upCutoff = now - scaleUp.stabilizationWindowSeconds;
    const downCutoff = now - scaleDown.stabilizationWindowSeconds;
    let upRecommendation = desired;
    let downRecommendation = desired;
    let oldIndex = -1;
    this.recommendations.forEach((rec, i) => {
      if (rec.time > upCutoff) upRecommendation = Math.min(rec.value, upRecommendation);
      if (rec.time > downCutoff) downRecommendation = Math.max(rec.value, downRecommendation);
      if (rec.time < upCutoff && rec.time < downCutoff) oldIndex = i;
    });
    let recommendation = current;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;
    if (oldIndex >= 0) this.recommendations[oldIndex] = { value: desired, time: now };
    else this.recommendations.push({ value: desired, time: now });
    return recommendation;
  }

  private limitRate(now: number, current: number, desired: number): number {
    const { minReplicas, maxReplicas } = this.spec;
    const behavior = this.spec.behavior!;
    if (desired > current) {
      let limit = this.scaleUpLimit(now, current, behavior.scaleUp);
      if (limit < current) limit = current;
      return Math.min(desired, Math.min(maxReplicas, limit));
    }
    if (desired < current) {
      let limit = this.scaleDownLimit(now, current, behavior.scaleDown);
      if (limit > current) limit = current;
      return Math.max(desired, Math.max(minReplicas, limit));
    }
    return desired;
  }

  private changeInPeriod(events: TimedValue[], now: number, periodSeconds: number): number {
    const cutoff = now - periodSeconds;
    let sum = 0;
    for (const event of events) if (event.time > cutoff) sum += event.value;
    return sum;
  }

  private scaleUpLimit(now: number, current: number, rules: HpaScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
    for (const policy of rules.policies) {
      const periodStart = current - this.changeInPeriod(this.scaleUpEvents, now, policy.periodSeconds)
        + this.changeInPeriod(this.scaleDownEvents, now, policy.periodSeconds);
      const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
      result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  private scaleDownLimit(now: number, current: number, rules: HpaScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
    for (const policy of rules.policies) {
      const periodStart = current - this.changeInPeriod(this.scaleUpEvents, now, policy.periodSeconds)
        + this.changeInPeriod(this.scaleDownEvents, now, policy.periodSeconds);
      const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
      result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** Keeps the scale events the longest policy period still needs. */
  private record(now: number, from: number, to: number): void {
    const events = to > from ? this.scaleUpEvents : this.scaleDownEvents;
    events.push({ value: Math.abs(to - from), time: now });
    const behavior = this.spec.behavior;
    const longest = behavior === undefined ? 0
      : Math.max(...[...behavior.scaleUp.policies, ...behavior.scaleDown.policies].map((p) => p.periodSeconds), 0);
    for (const list of [this.scaleUpEvents, this.scaleDownEvents]) {
      while (list.length > 0 && list[0].time <= now - longest) list.shift();
    }
  }
}
