import { ScrapeRecorder } from '../../../src/simulation/cluster/scrape-recorder';
import { ClusterView, ScrapedPod } from '../../../src/simulation/control/autoscaler';
import { KedaAutoscaler } from '../../../src/simulation/control/keda';

const LABELS = { namespace: 'inference', service: 'svc', model_name: 'm', engine: '0' };
const QUERY = 'sum(vllm:num_requests_waiting{namespace="inference",model_name="m"})';

function sample(waiting: number, kv = 0.1): ScrapedPod {
  return {
    'vllm:num_requests_waiting': waiting,
    'vllm:num_requests_running': 1,
    'vllm:kv_cache_usage_perc': kv,
    'vllm:prompt_tokens_total': 0,
    'vllm:generation_tokens_total': 0,
    'vllm:request_success_total': 0,
    'gpuUtilPercent': 50,
    'cpuUtilization': 0.05,
  };
}

/** A cluster of `replicas` ready pods whose latest scrape reports `waiting` requests each (no scrape when undefined). */
function view(now: number, replicas: number, waiting?: number, extra: Partial<ClusterView> = {}): ClusterView {
  const scrape = waiting === undefined ? [] : Array.from({ length: replicas }, () => sample(waiting));
  return {
    now,
    epoch: 1_700_000_000 + now,
    replicas,
    readyPods: replicas,
    labels: LABELS,
    pendingAtService: 0,
    scrape,
    pods: scrape.length > 0 ? scrape.map((s) => ({ ready: true, sample: s })) : Array.from({ length: replicas }, () => ({ ready: true })),
    ...extra,
  };
}

function scaledObject(spec: any, annotations: any = {}): any {
  return {
    kind: 'ScaledObject',
    metadata: { name: 'so', annotations },
    spec: {
      scaleTargetRef: { name: 'd' },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5' } }],
      ...spec,
    },
  };
}

describe('KedaAutoscaler', () => {
  test('activation: 0 -> 1 when a trigger is above its activation threshold, and nothing otherwise', () => {
    const keda = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5', activationThreshold: '2' } }] }));
    expect(keda.initialReplicas).toBe(0);
    expect(keda.poll(view(30, 0, undefined, { scrape: [sample(2)] }))).toBeUndefined(); // 2 is not above 2
    expect(keda.poll(view(45, 0, undefined, { scrape: [sample(3)] }))).toBe(1);
  });

  test('cooldown: back to zero once lastActiveTime + cooldownPeriod is past (strictly)', () => {
    // scaleToZeroOrIdle: lastActiveTime.Add(cooldownPeriod).Before(now). Once active, initialCooldownPeriod no longer counts.
    const keda = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, cooldownPeriod: 300, initialCooldownPeriod: 1000 }));
    expect(keda.poll(view(100, 2, 4))).toBeUndefined(); // active: lastActive = 100
    expect(keda.poll(view(350, 2, 0))).toBeUndefined(); // 100 + 300 = 400 is not before 350
    expect(keda.poll(view(400, 2, 0))).toBeUndefined(); // 400 is not before 400
    expect(keda.poll(view(401, 2, 0))).toBe(0); // 400 before 401, though 401 < initialCooldownPeriod 1000
  });

  test('initialCooldownPeriod applies on its own while the object was never active', () => {
    // LastActiveTime nil: creationTimestamp (replay time 0) + initialCooldownPeriod must be before now; cooldownPeriod is not consulted.
    const never = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, cooldownPeriod: 600, initialCooldownPeriod: 60 }));
    expect(never.poll(view(60, 2, 0))).toBeUndefined(); // 0 + 60 is not before 60
    expect(never.poll(view(75, 2, 0))).toBe(0); // 60 before 75; cooldownPeriod 600 not waited for
  });

  test('idleReplicaCount: inactive goes to the idle count after the cooldown, active comes back to minReplicaCount', () => {
    const keda = new KedaAutoscaler(scaledObject({ minReplicaCount: 2, idleReplicaCount: 0, cooldownPeriod: 60 }));
    expect(keda.poll(view(30, 2, 0))).toBe(0); // never active, initialCooldownPeriod 0: 0 before 30 -> idle 0
    expect(keda.poll(view(45, 0, undefined, { scrape: [sample(1)] }))).toBe(2); // active below min with idle set -> min 2
  });

  test('the generated HPA never goes below 1, whatever minReplicaCount', () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 0 } };
    const keda = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, advanced: { horizontalPodAutoscalerConfig: { behavior } } }));
    expect(keda.hpaSync(view(15, 3, 0))).toBe(1);
    expect(keda.hpaSync(view(0, 0, 10))).toBeUndefined();
  });

  test('AverageValue: desired = ceil(sum / threshold), through the HPA behavior', () => {
    const advanced = { horizontalPodAutoscalerConfig: { behavior: {} } };
    const withBehavior = new KedaAutoscaler(scaledObject({ minReplicaCount: 1, maxReplicaCount: 8, advanced }));
    expect(withBehavior.hpaSync(view(15, 2, 12))).toBe(5); // sum 24 / 5 -> 5; behavior {} gets the defaults: up to max(2 + 100%, 2 + 4) = 6
    // Without behavior KEDA hands the HPA nil: legacy path, at most max(2 x 2, 4) = 4 per sync.
    const legacy = new KedaAutoscaler(scaledObject({ minReplicaCount: 1, maxReplicaCount: 8 }));
    expect(legacy.hpaSync(view(15, 2, 12))).toBe(4);
  });

  test('a query over counters reads the scrape history: rate() of the tokens generated', () => {
    // Two pods generating 150 tokens/s each, scraped every 15 s; the poll at 607.5 s reads 300 tokens/s.
    const history = new ScrapeRecorder(LABELS);
    for (let t = 15; t <= 600; t += 15) {
      history.record(t, [0, 1].map((pod) => ({ pod, metrics: { ...sample(0), 'vllm:generation_tokens_total': 150 * t } })));
    }
    const query = 'sum(rate(vllm:generation_tokens_total{namespace="inference",model_name="m"}[1m]))';
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      maxReplicaCount: 8,
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query, threshold: '100' } }],
    }));
    // AverageValue: ceil(300 / 100) = 3.
    expect(keda.hpaSync(view(607.5, 2, 0, { history }))).toBe(3);
  });

  test('fallback after more than failureThreshold failures, per behavior', () => {
    const spec = (behavior: string): any => ({
      minReplicaCount: 1,
      maxReplicaCount: 8,
      fallback: { failureThreshold: 3, replicas: 4, behavior },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5', ignoreNullValues: 'false' } }],
    });
    const run = (behavior: string, current: number): (number | undefined)[] => {
      const keda = new KedaAutoscaler(scaledObject(spec(behavior)));
      return [15, 30, 45, 60].map((t) => keda.hpaSync(view(t, current)));
    };
    expect(run('static', 2)).toEqual([undefined, undefined, undefined, 4]);
    // 4 x 5 / (5 x 6) = 0.67 -> 4; no earlier recommendation holds it in the scale-down window
    expect(run('static', 6)).toEqual([undefined, undefined, undefined, 4]);
    expect(run('currentReplicas', 2)).toEqual([undefined, undefined, undefined, undefined]);
    expect(run('currentReplicasIfHigher', 2)).toEqual([undefined, undefined, undefined, 4]);
    expect(run('currentReplicasIfHigher', 6)).toEqual([undefined, undefined, undefined, undefined]);
    expect(run('currentReplicasIfLower', 2)).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('a successful read resets the failure count', () => {
    const keda = new KedaAutoscaler(scaledObject({
      fallback: { failureThreshold: 1, replicas: 5, behavior: 'static' },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5', ignoreNullValues: 'false' } }],
    }));
    expect(keda.hpaSync(view(15, 2))).toBeUndefined();
    expect(keda.hpaSync(view(30, 2, 5))).toBeUndefined(); // 10 / 5 = 2: no change, failures reset
    expect(keda.hpaSync(view(45, 2))).toBeUndefined(); // first failure again
    // Second failure > threshold 1: metric 5 x 5 = 25 -> 25 / 5 = 5 wanted, legacy cap max(2 x 2, 4) = 4.
    expect(keda.hpaSync(view(60, 2))).toBe(4);
  });

  test('failures are counted in the polling loop too, and a trigger past the threshold reads as active', () => {
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      fallback: { failureThreshold: 2, replicas: 3 },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5', ignoreNullValues: 'false' } }],
    }));
    expect(keda.poll(view(15, 2))).toBeUndefined(); // failure 1, error with a fallback: KEDA leaves it to the HPA
    expect(keda.poll(view(30, 2))).toBeUndefined(); // failure 2
    // The HPA's own request is failure 3 > 2: fallback metric 5 x 3 = 15 -> ceil(15 / 5) = 3.
    expect(keda.hpaSync(view(45, 2))).toBe(3);
  });

  test('fallback at zero replicas: the polling loop activates the target once the failures pass the threshold', () => {
    // At 0 the HPA is disabled; the fallback metric counts as active in getScalerState, so RequestScale scales 0 -> 1.
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 0,
      fallback: { failureThreshold: 1, replicas: 4 },
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5', ignoreNullValues: 'false' } }],
    }));
    expect(keda.poll(view(15, 0))).toBeUndefined(); // failure 1: an error, and fallback.replicas != 0 -> nothing
    expect(keda.hpaSync(view(15, 0))).toBeUndefined(); // the HPA does not run at 0 replicas
    expect(keda.poll(view(30, 0))).toBe(1); // failure 2 > 1: fallback active -> active -> max(minReplicaCount, 1)
  });

  test('a cpu trigger keeps the object active only when every trigger is cpu', () => {
    const cpu = { type: 'cpu', metricType: 'Utilization', metadata: { value: '80' } };
    const onlyCpu = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, triggers: [cpu] }));
    expect(onlyCpu.poll(view(600, 2, 0))).toBeUndefined(); // forced active: never cooled down to zero
    const mixed = new KedaAutoscaler(scaledObject({ minReplicaCount: 0, triggers: [cpu, { type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5' } }] }));
    expect(mixed.poll(view(600, 2, 0))).toBe(0); // the queue reads 0 and cpu counts for nothing in this loop
  });

  test('an error without fallback never scales to zero', () => {
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 0,
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: 'vllm:num_requests_waiting', threshold: '5' } }],
    }));
    expect(keda.poll(view(600, 2, 0))).toBeUndefined(); // two pods: multiple elements -> error -> no scale to zero
    expect(keda.poll(view(615, 1, 0))).toBe(0); // one pod: 0, inactive, never active, initialCooldownPeriod 0 -> 0
  });

  test('fallback for a Value metric: target x replicas / ready pods (KEDA v2.18+), none with no ready pod', () => {
    const keda = (): KedaAutoscaler => new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      maxReplicaCount: 10,
      fallback: { failureThreshold: 0, replicas: 6 },
      advanced: { horizontalPodAutoscalerConfig: { behavior: {} } },
      triggers: [{ type: 'prometheus', metricType: 'Value', metadata: { serverAddress: 'x', query: QUERY, threshold: '4', ignoreNullValues: 'false' } }],
    }));
    // 3 ready pods: metric 4 x 6 / 3 = 8; Value target 4: ratio 2 -> ceil(2 x 3) = 6 = fallback.replicas.
    expect(keda().hpaSync(view(15, 3))).toBe(6);
    // 2 replicas, none ready: doFallback fails, the metric stays an error: no change.
    expect(keda().hpaSync(view(15, 2, undefined, { readyPods: 0 }))).toBeUndefined();
  });

  test('an empty result reads as 0 when ignoreNullValues is true (the default)', () => {
    const keda = new KedaAutoscaler(scaledObject({ minReplicaCount: 1, fallback: { failureThreshold: 0, replicas: 7 } }));
    expect(keda.hpaSync(view(15, 3))).toBe(1); // read as 0 -> the floor; not the fallback's 7
  });

  test('cron: desiredReplicas acts as a minimum while the window is open', () => {
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      triggers: [
        { type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5' } },
        { type: 'cron', metadata: { timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', desiredReplicas: '3' } },
      ],
    }));
    const monday1400Paris = Date.UTC(2023, 10, 20, 13, 0) / 1000; // UTC+1 in November
    const monday2300Paris = Date.UTC(2023, 10, 20, 22, 0) / 1000;
    expect(keda.hpaSync(view(15, 1, 0, { epoch: monday1400Paris }))).toBe(3);
    expect(keda.poll(view(15, 0, 0, { epoch: monday1400Paris }))).toBe(1); // active: 0 -> 1
    const closed = new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      triggers: [{ type: 'cron', metadata: { timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', desiredReplicas: '3' } }],
    }));
    expect(closed.hpaSync(view(15, 1, 0, { epoch: monday2300Paris }))).toBeUndefined();
    // Outside its window the cron scaler reports 0 against a target of 1: it asks for no replica, so 3 pods go
    // to ceil(0 / 1) = 0 -> the floor 1 (legacy path, no downscale history).
    expect(closed.hpaSync(view(30, 3, 0, { epoch: monday2300Paris }))).toBe(1);
  });

  test('paused: no scaling at all; paused-replicas pins the count', () => {
    const paused = new KedaAutoscaler(scaledObject({ minReplicaCount: 1 }, { 'autoscaling.keda.sh/paused': 'true' }));
    expect(paused.pinned).toBe(true);
    expect(paused.initialReplicas).toBe(1);
    expect(paused.hpaSync(view(15, 1, 100))).toBeUndefined();
    expect(paused.poll(view(15, 1, 100))).toBeUndefined();
    const pinned = new KedaAutoscaler(scaledObject({}, { 'autoscaling.keda.sh/paused-replicas': '2' }));
    expect(pinned.poll(view(15, 1, 100))).toBe(2);
  });

  test('external-push: requests pending at the Service activate 0 -> 1 at once', () => {
    const keda = new KedaAutoscaler(scaledObject({
      minReplicaCount: 0,
      triggers: [
        { type: 'prometheus', metadata: { serverAddress: 'x', query: QUERY, threshold: '5' } },
        { type: 'external-push', metadata: { httpScaledObject: 'llama', scalerAddress: 'keda-add-ons-http-external-scaler.keda:9090' } },
      ],
    }));
    expect(keda.push(view(3, 0))).toBeUndefined();
    expect(keda.push(view(3, 0, undefined, { pendingAtService: 1 }))).toBe(1);
    expect(keda.push(view(3, 1, undefined, { pendingAtService: 1 }))).toBeUndefined();
  });

  test.each([['InterceptorRoute', 'interceptorRoute'], ['HTTPScaledObject', 'httpScaledObject']])('external-push: the target is the concurrency of the %s the trigger names', (kind, key) => {
    const withTarget = (targetValue?: number) => new KedaAutoscaler(scaledObject({
      minReplicaCount: 1,
      triggers: [{ type: 'external-push', metadata: { [key]: 'llama', scalerAddress: 'keda-add-ons-http-external-scaler.keda:9090' } }],
    }), targetValue === undefined ? [] : [{ kind, metadata: { name: 'llama' }, spec: { scalingMetric: { concurrency: { targetValue } } } }]);
    // 50 requests in flight on one replica: ceil(50 / 10) = 5 with a target of 10, capped by the legacy path at
    // max(2 x 1, 4) = 4; the add-on's default 100 keeps 1.
    expect(withTarget(10).hpaSync(view(15, 1, undefined, { pendingAtService: 50 }))).toBe(4);
    expect(withTarget().hpaSync(view(15, 1, undefined, { pendingAtService: 50 }))).toBeUndefined();
  });

  test('a query the simulator cannot read is refused with the reason', () => {
    expect(() => new KedaAutoscaler(scaledObject({ triggers: [{ type: 'prometheus', metadata: { serverAddress: 'x', query: 'rate(vllm:num_preemptions_total[1m])', threshold: '1' } }] })))
      .toThrow(/ScaledObject 'so' trigger 0: query 'rate\(vllm:num_preemptions_total\[1m\]\)' at character 6: 'vllm:num_preemptions_total' is not modelled/);
    expect(() => new KedaAutoscaler(scaledObject({ triggers: [{ type: 'kafka', metadata: {} }] }))).toThrow("trigger type 'kafka' is not modelled");
    expect(() => new KedaAutoscaler(scaledObject({ maxReplicaCount: 0 }))).toThrow("ScaledObject 'so': spec.maxReplicaCount (0) must be a whole number from 1 to 1000, the most replicas one replay models");
  });
});
