import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, ModelCache, QueueAutoscaler, QueueAutoscalerProps, ServingAlerts, VllmService, WarmFloor } from '../src';
import { SWEPT_DEFAULTS } from '../src/autoscaling-defaults';
import { expectValidManifests } from './schema/validate';
import { findAll, findOne, LLAMA_8B, testChart } from './util';

const PROMETHEUS = 'http://prometheus-operated.monitoring.svc:9090';

function scaled(props: Partial<QueueAutoscalerProps> = {}, chart: Chart = testChart()) {
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: PROMETHEUS, ...props });
  return { chart, server, autoscaler };
}

function scaledObjectOf(chart: Chart) {
  const manifests = Testing.synth(chart);
  return { manifests, scaledObject: findOne(manifests, 'ScaledObject'), deployment: findOne(manifests, 'Deployment') };
}

describe('QueueAutoscaler ScaledObject', () => {
  test('targets the Deployment, which then carries no replicas field', () => {
    const { chart } = scaled();
    const { scaledObject, deployment } = scaledObjectOf(chart);
    expect(scaledObject.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaledObject.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(deployment.spec).not.toHaveProperty('replicas');
  });

  test('scales on the summed queue of this server, AverageValue, at the swept target, no metricName', () => {
    const { chart, server } = scaled();
    const { scaledObject } = scaledObjectOf(chart);
    const [queue] = scaledObject.spec.triggers;
    expect(queue).toEqual({
      type: 'prometheus',
      name: 'queue',
      metricType: 'AverageValue',
      metadata: {
        serverAddress: PROMETHEUS,
        query: `sum(vllm:num_requests_waiting{namespace="inference",service="${server.serviceName}",model_name="meta-llama/Llama-3.1-8B-Instruct"})`,
        threshold: String(SWEPT_DEFAULTS.targetQueuePerReplica),
        activationThreshold: '0',
        ignoreNullValues: 'false',
      },
    });
  });

  test('capacity-aware trigger: requests in flight against the swept share of --max-num-seqs', () => {
    // GIVEN the trigger on at its swept utilization, on a server with --max-num-seqs 256
    const { chart, server, autoscaler } = scaled({ capacityTrigger: { enabled: true } });
    const inFlight = scaledObjectOf(chart).scaledObject.spec.triggers.find((t: any) => t.name === 'in-flight');
    const scope = `{namespace="inference",service="${server.serviceName}",model_name="meta-llama/Llama-3.1-8B-Instruct"}`;
    // THEN running + waiting of this server, one element, AverageValue
    expect(inFlight).toEqual({
      type: 'prometheus',
      name: 'in-flight',
      metricType: 'AverageValue',
      metadata: {
        serverAddress: PROMETHEUS,
        query: `sum(vllm:num_requests_running${scope}) + sum(vllm:num_requests_waiting${scope})`,
        threshold: String(Math.round(SWEPT_DEFAULTS.capacityUtilization * 256)),
        activationThreshold: '0',
        ignoreNullValues: 'false',
      },
    });
    expect(autoscaler.targetInFlightPerReplica).toBe(Math.round(SWEPT_DEFAULTS.capacityUtilization * 256));
  });

  test('demand trigger: token rates weighted by the engine model\'s per-token costs, held over the cold start, with the backlog', () => {
    // GIVEN the demand trigger on with the swept settings
    const { chart, server, autoscaler } = scaled({ demandTrigger: { enabled: true } });
    const demand = scaledObjectOf(chart).scaledObject.spec.triggers.find((t: any) => t.name === 'demand');
    const scope = `{namespace="inference",service="${server.serviceName}",model_name="meta-llama/Llama-3.1-8B-Instruct"}`;
    // THEN the threshold is the utilization; the hold is the swept multiple of the cold start, sampled at the scrape interval
    expect(demand.metricType).toBe('AverageValue');
    expect(demand.metadata).toMatchObject({ threshold: String(SWEPT_DEFAULTS.demandUtilization), activationThreshold: '0', ignoreNullValues: 'false' });
    expect(autoscaler.demandHoldSeconds).toBe(Math.round(SWEPT_DEFAULTS.demandHoldColdStarts * server.coldStart.totalSeconds));
    expect(demand.metadata.query).toContain(`sum(rate(vllm:prompt_tokens_total${scope}[1m])) * ${autoscaler.prefillSecondsPerToken}`);
    expect(demand.metadata.query).toContain(`sum(rate(vllm:generation_tokens_total${scope}[1m])) * ${autoscaler.decodeSecondsPerToken}`);
    expect(demand.metadata.query).toContain(`sum(vllm:num_requests_waiting${scope}) * `);
    expect(demand.metadata.query).toContain(`/ ${SWEPT_DEFAULTS.demandBacklogDrainSeconds}`);
    // AND a generated token of an 8B model on one L4 costs more than a prompt token, and both are well under a step
    expect(autoscaler.decodeSecondsPerToken).toBeGreaterThan(autoscaler.prefillSecondsPerToken);
    expect(autoscaler.decodeSecondsPerToken).toBeLessThan(0.01);
  });

  test('demand trigger: the hold covers the node wait, or is set; a hold of 0 is the plain demand', () => {
    const { server, autoscaler } = scaled({ demandTrigger: { enabled: true, nodeWait: Duration.minutes(8) } });
    expect(autoscaler.demandHoldSeconds).toBe(Math.round(SWEPT_DEFAULTS.demandHoldColdStarts * (server.coldStart.totalSeconds + 480)));
    const plain = scaled({ demandTrigger: { enabled: true, hold: Duration.seconds(0) } });
    expect(plain.autoscaler.demandQuery).not.toContain('max_over_time');
    const held = scaled({ demandTrigger: { enabled: true, hold: Duration.minutes(15) } });
    expect(held.autoscaler.demandQuery).toMatch(/^max_over_time\(\(.*\)\[15m:15s\]\) \+ /);
  });

  test('demand trigger: data-parallel ranks share the per-token costs of one pod', () => {
    const chart = testChart();
    const one = new QueueAutoscaler(chart, 'one', { server: new VllmService(chart, 'a', { model: LLAMA_8B, gpu: Gpu.L4 }), maxReplicas: 4, prometheusAddress: PROMETHEUS, demandTrigger: { enabled: true } });
    const two = new QueueAutoscaler(chart, 'two', { server: new VllmService(chart, 'b', { model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 2, tensorParallelSize: 1 }), maxReplicas: 4, prometheusAddress: PROMETHEUS, demandTrigger: { enabled: true } });
    expect(two.decodeSecondsPerToken).toBeLessThan(one.decodeSecondsPerToken);
    expect(two.decodeSecondsPerToken).toBeGreaterThan(one.decodeSecondsPerToken / 2.5);
  });

  test('capacity-aware trigger: utilization or an explicit target, or off', () => {
    const byShare = scaled({ capacityTrigger: { enabled: true, utilization: 0.5 } });
    expect(byShare.autoscaler.targetInFlightPerReplica).toBe(128);
    const explicit = scaled({ capacityTrigger: { enabled: true, targetInFlightPerReplica: 40 } });
    expect(scaledObjectOf(explicit.chart).scaledObject.spec.triggers.find((t: any) => t.name === 'in-flight').metadata.threshold).toBe('40');
    const off = scaled({ capacityTrigger: { enabled: false } });
    expect(scaledObjectOf(off.chart).scaledObject.spec.triggers.map((t: any) => t.name)).not.toContain('in-flight');
  });

  test('predictive trigger: in flight extrapolated over the cold start by predict_linear over a subquery at the scrape interval', () => {
    // GIVEN a server scraped every 15 s and the trigger on with a 5-minute window
    const { chart, server } = scaled({
      predictiveTrigger: { enabled: true, window: Duration.minutes(5) },
      capacityTrigger: { targetInFlightPerReplica: 40 },
    });
    const forecast = scaledObjectOf(chart).scaledObject.spec.triggers.find((t: any) => t.name === 'in-flight-forecast');
    const scope = `{namespace="inference",service="${server.serviceName}",model_name="meta-llama/Llama-3.1-8B-Instruct"}`;
    // THEN the horizon is the server's cold-start estimate, the threshold the in-flight target; an empty forecast reads as 0
    expect(forecast.metadata.query).toBe(`clamp_min(predict_linear((sum(vllm:num_requests_running${scope}) + sum(vllm:num_requests_waiting${scope}))[5m:15s], `
      + `${server.coldStart.totalSeconds}), 0)`);
    expect(forecast.metadata).toMatchObject({ threshold: '40', ignoreNullValues: 'true' });
    expect(forecast.metricType).toBe('AverageValue');
    const horizon = scaled({ predictiveTrigger: { enabled: true, horizon: Duration.seconds(90) } });
    expect(scaledObjectOf(horizon.chart).scaledObject.spec.triggers.find((t: any) => t.name === 'in-flight-forecast').metadata.query).toMatch(/, 90\), 0\)$/);
  });

  test('the new triggers refuse bad input with the prop and what is allowed', () => {
    expect(() => scaled({ capacityTrigger: { enabled: true, utilization: 0 } })).toThrow("QueueAutoscaler 'test/autoscaler': capacityTrigger.utilization (0) must be in (0, 1]");
    expect(() => scaled({ capacityTrigger: { enabled: true, targetInFlightPerReplica: -3 } })).toThrow("QueueAutoscaler 'test/autoscaler': capacityTrigger.targetInFlightPerReplica (-3) must be a number > 0");
    expect(() => scaled({ predictiveTrigger: { enabled: true, window: Duration.seconds(20) } }))
      .toThrow("QueueAutoscaler 'test/autoscaler': predictiveTrigger.window ('20s') must span at least two scrapes (2 x the server's scrape interval, 30s) for a trend to exist");
  });

  test('the query scope matches the labels the ServiceMonitor scrape puts on the series', () => {
    const { chart } = scaled();
    const { manifests, scaledObject } = scaledObjectOf(chart);
    const service = findOne(manifests, 'Service');
    const monitor = findOne(manifests, 'ServiceMonitor');
    // The scrape labels series with namespace and service from the Service the monitor selects.
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(scaledObject.spec.triggers[0].metadata.query).toContain(`namespace="${service.metadata.namespace}",service="${service.metadata.name}"`);
  });

  test('recommended behaviour: up fast, down slow; cooldown, polling, initial cooldown covering the cold start', () => {
    const { chart, server } = scaled();
    const { scaledObject } = scaledObjectOf(chart);
    expect(scaledObject.spec).toMatchObject({
      pollingInterval: 15,
      cooldownPeriod: 300,
      initialCooldownPeriod: server.coldStart.startupWindowSeconds,
      minReplicaCount: 1,
      maxReplicaCount: 8,
    });
    expect(scaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: SWEPT_DEFAULTS.scaleUpPods, periodSeconds: 60 }] },
      scaleDown: {
        stabilizationWindowSeconds: SWEPT_DEFAULTS.scaleDownStabilizationSeconds,
        selectPolicy: 'Max',
        policies: [{ type: 'Pods', value: 1, periodSeconds: SWEPT_DEFAULTS.scaleDownPeriodSeconds }],
      },
    });
  });

  test('every knob is reachable', () => {
    const { chart } = scaled({
      targetQueuePerReplica: 3,
      scaleUp: { stabilizationWindow: Duration.seconds(0), pods: 4, period: Duration.seconds(30) },
      scaleDown: { stabilizationWindow: Duration.seconds(600), pods: 2, period: Duration.seconds(300) },
      cooldownPeriod: Duration.minutes(10),
      pollingInterval: Duration.seconds(5),
      initialCooldownPeriod: Duration.minutes(20),
      fallback: { failureThreshold: 5, replicas: 4 },
      authentication: { name: 'prometheus-auth', clusterScoped: true },
    });
    const { scaledObject } = scaledObjectOf(chart);
    expect(scaledObject.spec).toMatchObject({
      pollingInterval: 5,
      cooldownPeriod: 600,
      initialCooldownPeriod: 1200,
      fallback: { failureThreshold: 5, replicas: 4, behavior: 'currentReplicasIfHigher' },
    });
    expect(scaledObject.spec.triggers[0].metadata.threshold).toBe('3');
    expect(scaledObject.spec.triggers[0].authenticationRef).toEqual({ name: 'prometheus-auth', kind: 'ClusterTriggerAuthentication' });
    expect(scaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.policies).toEqual([{ type: 'Pods', value: 4, periodSeconds: 30 }]);
  });

  test('a Prometheus outage holds capacity: fallback currentReplicasIfHigher at the floor', () => {
    const { chart, autoscaler } = scaled();
    WarmFloor.highAvailability(chart, 'floor', { autoscaler });
    expect(scaledObjectOf(chart).scaledObject.spec.fallback).toEqual({ failureThreshold: 3, replicas: 2, behavior: 'currentReplicasIfHigher' });
  });

  test('the KV-cache trigger is off by default and available as another trigger', () => {
    expect(scaledObjectOf(scaled().chart).scaledObject.spec.triggers.map((t: any) => t.name)).not.toContain('kv-cache');
    const { chart, server } = scaled({ kvCacheTrigger: {} });
    const kv = scaledObjectOf(chart).scaledObject.spec.triggers.find((t: any) => t.name === 'kv-cache');
    expect(kv).toMatchObject({ type: 'prometheus', name: 'kv-cache', metricType: 'Value' });
    expect(kv.metadata.query).toBe(`avg(vllm:kv_cache_usage_perc{namespace="inference",service="${server.serviceName}",model_name="meta-llama/Llama-3.1-8B-Instruct"})`);
    expect(kv.metadata.threshold).toBe('0.8');
  });

  test('shipped paused on request', () => {
    const { chart } = scaled({ paused: true });
    expect(scaledObjectOf(chart).scaledObject.metadata.annotations).toEqual({ 'autoscaling.keda.sh/paused': 'true' });
    expect(scaledObjectOf(scaled().chart).scaledObject.metadata.annotations).toBeUndefined();
  });

  test('the generated HPA name is known and fits a label value', () => {
    const { chart, autoscaler } = scaled();
    const { scaledObject } = scaledObjectOf(chart);
    expect(autoscaler.hpaName).toBe(`keda-hpa-${scaledObject.metadata.name}`);
    expect(scaledObject.spec.advanced.horizontalPodAutoscalerConfig.name).toBe(autoscaler.hpaName);
    expect(autoscaler.hpaName.length).toBeLessThanOrEqual(63);
  });

  test('schema-valid and unchanged', () => {
    const { manifests } = scaledObjectOf(scaled({ kvCacheTrigger: { threshold: 0.9 }, authentication: { name: 'auth' } }).chart);
    expectValidManifests(manifests);
    expect(findAll(manifests, 'ScaledObject')).toMatchSnapshot();
  });
});

describe('QueueAutoscaler bad input', () => {
  const SUBJECT = "QueueAutoscaler 'test/autoscaler'";
  test.each([
    [{ maxReplicas: 0 }, 'maxReplicas (0) must be a whole number from 1 to 1000'],
    [{ targetQueuePerReplica: 0 }, 'targetQueuePerReplica (0) must be a number > 0'],
    [{ targetQueuePerReplica: -2 }, 'targetQueuePerReplica (-2) must be a number > 0'],
    [{ prometheusAddress: 'prometheus:9090' }, "prometheusAddress ('prometheus:9090') must be an http:// or https:// URL"],
    [{ prometheusAddress: 'not a url' }, "prometheusAddress ('not a url') must be an http:// or https:// URL"],
    [{ kvCacheTrigger: { threshold: 1.5 } }, 'kvCacheTrigger.threshold (1.5) must be in (0, 1]'],
    [{ fallback: { failureThreshold: 0 } }, 'fallback.failureThreshold (0) must be a whole number from 1 to 100'],
    [{ fallback: { replicas: 9 } }, 'fallback.replicas (9) must be a whole number from 0 to 8'],
    [{ pollingInterval: Duration.seconds(0) }, "pollingInterval ('0s') must be a whole number of seconds from 1 to 3600"],
    [{ scaleUp: { pods: 0 } }, 'scaleUp.pods (0) must be a whole number from 1 to 1000'],
    [{ scaleDown: { period: Duration.hours(1) } }, "scaleDown.period ('3600s') must be a whole number of seconds from 1 to 1800"],
    [{ authentication: { name: 'Prom Auth' } }, "authentication.name ('Prom Auth') must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain)"],
    [{ predictiveTrigger: { enabled: 'false' } }, "predictiveTrigger.enabled ('false') must be true or false (a boolean, not a string)"],
    [{ capacityTrigger: { enabled: 'no' } }, "capacityTrigger.enabled ('no') must be true or false (a boolean, not a string)"],
    [{ predictiveTrigger: { horizon: Duration.minutes(5) } },
      'predictiveTrigger sets horizon but the trigger is off (it is off by default): the settings would be ignored; set enabled: true, or drop them'],
    [{ capacityTrigger: { enabled: false, utilization: 0.5 } },
      'capacityTrigger sets utilization but the trigger is off (enabled: false): the settings would be ignored; set enabled: true, or drop them'],
    [{ demandTrigger: { enabled: true, utilization: 1.2 } }, 'demandTrigger.utilization (1.2) must be in (0, 1]'],
    [{ demandTrigger: { enabled: true, utilization: 0.0004 } }, 'demandTrigger.utilization (0.0004) is a target of 0 milli-units'],
    [{ demandTrigger: { enabled: true, backlogDrainTime: Duration.seconds(0) } }, "demandTrigger.backlogDrainTime ('0s') must be a whole number of seconds from 1 to 86400"],
    [{ demandTrigger: { enabled: true, window: Duration.seconds(20) } },
      "demandTrigger.window ('20s') must span at least two scrapes (2 x the server's scrape interval, 30s) for rate() to have two samples"],
    [{ demandTrigger: { enabled: true, decodeSecondsPerToken: 0 } }, 'demandTrigger.decodeSecondsPerToken (0) must be engine seconds per token, > 0 and below 1'],
    [{ demandTrigger: { enabled: true, prefillSecondsPerToken: Number.NaN } }, 'demandTrigger.prefillSecondsPerToken (NaN) must be engine seconds per token, > 0 and below 1'],
  ])('%j is refused', (props, message) => {
    expect(() => scaled(props as Partial<QueueAutoscalerProps>)).toThrow(`${SUBJECT}: ${message}`);
  });

  test('a server without a namespace is refused with the fix', () => {
    expect(() => scaled({}, testChart({}))).toThrow(
      `${SUBJECT}: the server has no namespace, so the queue query cannot be scoped to it (the same Service in two namespaces `
      + 'would be summed): set one on the Chart or the VllmService, or, when your GitOps tool sets it at apply time, give it here as queryNamespace');
  });

  test('a chart without a namespace is supported: the query is scoped by queryNamespace, no object carries it', () => {
    const chart = testChart({});
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: PROMETHEUS, queryNamespace: 'inference' });
    new ServingAlerts(chart, 'alerts', { server, autoscaler });
    const manifests = Testing.synth(chart);
    expect(findOne(manifests, 'ScaledObject').spec.triggers[0].metadata.query).toContain('namespace="inference"');
    expect(findOne(manifests, 'PrometheusRule').spec.groups[0].rules[0].expr).toContain('namespace="inference"');
    expect(manifests.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
  });

  test.each([
    ['Not_A_Namespace', undefined, "queryNamespace ('Not_A_Namespace') must be a valid namespace name"],
    ['other', 'inference', "queryNamespace ('other') must match the server's namespace (inference), or be left out"],
  ])('queryNamespace %s is refused', (queryNamespace, chartNamespace, message) => {
    const chart = testChart({ namespace: chartNamespace });
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(() => new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: PROMETHEUS, queryNamespace }))
      .toThrow(`${SUBJECT}: ${message}`);
  });

  test('a server with fixed replicas is refused', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, replicas: 3 });
    expect(() => new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: PROMETHEUS })).toThrow(
      `${SUBJECT}: server ('test/server') sets replicas (3); an autoscaled server must not: KEDA owns the replica count (set a floor with WarmFloor)`);
  });

  test('more than one replica on a ReadWriteOnce cache is refused', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_8B, accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE });
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, cache });
    expect(() => new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: PROMETHEUS })).toThrow(
      `${SUBJECT}: maxReplicas (8) needs a cache every node can mount, but 'test/weights' is ReadWriteOnce: use ReadWriteMany (or ReadOnlyMany for a pre-filled claim)`);
  });

  test('a second autoscaler on the same server is refused', () => {
    const { chart, server } = scaled();
    expect(() => new QueueAutoscaler(chart, 'second', { server, maxReplicas: 4, prometheusAddress: PROMETHEUS })).toThrow(
      "QueueAutoscaler 'test/second': server ('test/server') is already scaled by 'test/autoscaler': KEDA refuses two ScaledObjects on one Deployment");
  });
});

describe('QueueAutoscaler on a real cluster', () => {
  test('with data parallelism the in-flight target counts every rank\'s --max-num-seqs', () => {
    const chart = testChart();
    const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 2, tensorParallelSize: 1, maxNumSeqs: 64 });
    const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 4, prometheusAddress: PROMETHEUS, capacityTrigger: { enabled: true, utilization: 0.5 } });
    // Two ranks of 64 sequences: a pod carries 128 at once, half of it is 64.
    expect(autoscaler.targetInFlightPerReplica).toBe(64);
    const inFlight = findOne(Testing.synth(chart), 'ScaledObject').spec.triggers.find((t: any) => t.name === 'in-flight');
    expect(inFlight.metadata.threshold).toBe('64');
  });

  test('at a zero floor a Prometheus outage holds what runs and never starts a GPU replica', () => {
    const { chart, autoscaler } = scaled();
    WarmFloor.cost(chart, 'floor', { autoscaler, scaleToZero: {} });
    expect(scaledObjectOf(chart).scaledObject.spec.fallback).toEqual({ failureThreshold: 3, replicas: 0, behavior: 'currentReplicasIfHigher' });
  });
});
