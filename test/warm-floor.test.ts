import { Duration, Testing } from 'cdk8s';
import { Gpu, QueueAutoscaler, VllmService, WarmFloor, WarmFloorProps } from '../src';
import { expectValidManifests } from './schema/validate';
import { findAll, findOne, LLAMA_8B, testChart } from './util';

function withFloor(floor: Omit<WarmFloorProps, 'autoscaler'> | ((a: QueueAutoscaler) => void), maxReplicas = 8) {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas, prometheusAddress: 'http://prometheus:9090' });
  if (typeof floor === 'function') floor(autoscaler);
  else new WarmFloor(chart, 'floor', { autoscaler, ...floor });
  const manifests = Testing.synth(chart);
  return { chart, server, autoscaler, manifests, scaledObject: findOne(manifests, 'ScaledObject'), deployment: findOne(manifests, 'Deployment') };
}

describe('WarmFloor', () => {
  test('without a WarmFloor the floor is 1', () => {
    expect(withFloor(() => undefined).scaledObject.spec.minReplicaCount).toBe(1);
  });

  test('replicas set the ScaledObject minimum', () => {
    const { scaledObject, deployment } = withFloor({ replicas: 2 });
    expect(scaledObject.spec.minReplicaCount).toBe(2);
    expect(deployment.spec).not.toHaveProperty('replicas');
  });

  test('high availability: 2 replicas spread across nodes, a budget that still lets a node drain', () => {
    const { scaledObject, deployment, manifests, server } = withFloor((autoscaler) => WarmFloor.highAvailability(autoscaler, 'floor', { autoscaler }));
    expect(scaledObject.spec.minReplicaCount).toBe(2);
    // Best effort, so a full or tainted GPU node never keeps a scale-out pending; counted per revision.
    expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      nodeTaintsPolicy: 'Honor',
      matchLabelKeys: ['pod-template-hash'],
      labelSelector: { matchLabels: { 'vllm.cdk8s.io/server': server.labels['vllm.cdk8s.io/server'] } },
    }]);
    expect(findOne(manifests, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('development: 1 replica, not spread; its budget never blocks a drain', () => {
    const { scaledObject, deployment, manifests } = withFloor((autoscaler) => WarmFloor.development(autoscaler, 'floor', { autoscaler }));
    expect(scaledObject.spec.minReplicaCount).toBe(1);
    expect(deployment.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    const pdb = findOne(manifests, 'PodDisruptionBudget');
    expect(pdb.spec).not.toHaveProperty('minAvailable');
    expect(pdb.spec.maxUnavailable).toBe(1);
  });

  test('scheduled floors become KEDA cron triggers', () => {
    const { scaledObject } = withFloor({
      replicas: 2,
      schedules: [{ timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', replicas: 4 }],
    });
    expect(scaledObject.spec.triggers.find((t: any) => t.type === 'cron')).toEqual({
      type: 'cron',
      name: 'floor-window-0',
      metadata: { timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', desiredReplicas: '4' },
    });
  });

  describe('cost: zero through the KEDA HTTP add-on', () => {
    const { scaledObject, manifests, server, chart } = withFloor((autoscaler) => WarmFloor.cost(autoscaler, 'floor', {
      autoscaler, scaleToZero: { hosts: ['llama.example.com'] },
    }));
    const route = findOne(manifests, 'InterceptorRoute');

    test('an InterceptorRoute (http.keda.sh/v1beta1) to the server, and no second ScaledObject', () => {
      expect(route.apiVersion).toBe('http.keda.sh/v1beta1');
      expect(route.metadata.annotations).toBeUndefined();
      expect(route.spec.target).toEqual({ service: server.serviceName, port: 8000 });
      expect(route.spec.scalingMetric).toEqual({ concurrency: { targetValue: 256 } });
      expect(findAll(manifests, 'HTTPScaledObject')).toHaveLength(0);
      expect(findAll(manifests, 'ScaledObject')).toHaveLength(1);
    });

    test('the interceptor holds requests through a cold start and never cuts a generation', () => {
      // Startup window (3 x 160 s of hub download + 2 x (30 s + 40 s compile)) + 300 s for a GPU node + 300 s to pull
      // the vLLM image onto it; no response-header limit.
      expect(server.coldStart.startupWindowSeconds).toBe(620);
      expect(route.spec.timeouts).toEqual({ readiness: '1220s', responseHeader: '0s' });
    });

    test('an external-push trigger on the library ScaledObject, floor 0, empty queue reads as 0', () => {
      expect(scaledObject.spec.minReplicaCount).toBe(0);
      expect(scaledObject.spec.triggers).toContainEqual({
        type: 'external-push',
        name: 'http-requests',
        metadata: { interceptorRoute: route.metadata.name, scalerAddress: 'keda-add-ons-http-external-scaler.keda:9090' },
      });
      expect(scaledObject.spec.triggers[0].metadata.ignoreNullValues).toBe('true');
    });

    test('clients reach the interceptor through an ExternalName Service whose names are routed', () => {
      const proxy = findAll(manifests, 'Service').find((s) => s.spec.type === 'ExternalName');
      expect(proxy.spec.externalName).toBe('keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local');
      const monitor = findOne(manifests, 'ServiceMonitor');
      expect(proxy.metadata.labels).not.toMatchObject(monitor.spec.selector.matchLabels);
      expect(route.spec.rules).toEqual([{ hosts: expect.arrayContaining([proxy.metadata.name, `${proxy.metadata.name}.inference.svc.cluster.local`, 'llama.example.com']) }]);
    });

    test('schema-valid and unchanged', () => {
      expectValidManifests(manifests);
      expect(Testing.synth(chart).filter((o) => ['ScaledObject', 'InterceptorRoute'].includes(o.kind))).toMatchSnapshot();
    });
  });

  test('the interceptor timeouts can be set', () => {
    const scaleToZero = { coldStartTimeout: Duration.minutes(20), responseHeaderTimeout: Duration.minutes(10) };
    const { manifests } = withFloor({ replicas: 0, scaleToZero });
    expect(findOne(manifests, 'InterceptorRoute').spec.timeouts).toEqual({ readiness: '1200s', responseHeader: '600s' });
  });

  test('a response-header limit shorter than the shutdown timeout is refused', () => {
    expect(() => withFloor({ replicas: 0, scaleToZero: { responseHeaderTimeout: Duration.seconds(60) } })).toThrow(
      "WarmFloor 'test/floor': scaleToZero.responseHeaderTimeout ('60s') must be >= the server's shutdown timeout (120s): "
      + 'a shorter one cuts non-streaming generations the server would finish');
  });

  test('the cluster domain and the client Service name can be set', () => {
    const { manifests } = withFloor({ replicas: 0, scaleToZero: { clusterDomain: 'corp.internal', serviceName: 'llama-gateway' } });
    const proxy = findAll(manifests, 'Service').find((s) => s.spec.type === 'ExternalName');
    expect(proxy.metadata.name).toBe('llama-gateway');
    expect(proxy.spec.externalName).toBe('keda-add-ons-http-interceptor-proxy.keda.svc.corp.internal');
    expect(findOne(manifests, 'InterceptorRoute').spec.rules[0].hosts).toContain('llama-gateway.inference.svc.corp.internal');
    expect(JSON.stringify(manifests)).not.toContain('cluster.local');
  });

  test.each([
    [{ clusterDomain: 'Not A Domain' }, "scaleToZero.clusterDomain ('Not A Domain') must be a DNS domain such as cluster.local"],
    [{ serviceName: 'Gateway' }, "scaleToZero.serviceName ('Gateway') must be a DNS-1035 label: lower-case letters, digits and -, starting with a letter, at most 63 characters"],
  ])('%j is refused', (scaleToZero, message) => {
    expect(() => withFloor({ replicas: 0, scaleToZero })).toThrow(`WarmFloor 'test/floor': ${message}`);
  });

  test('a zero floor without a buffering proxy is accepted only explicitly, woken by a schedule', () => {
    const schedules = [{ timezone: 'UTC', start: '0 8 * * 1-5', end: '0 18 * * 1-5', replicas: 1 }];
    const { scaledObject, manifests } = withFloor({ replicas: 0, acceptColdStartFailures: true, schedules });
    expect(scaledObject.spec.minReplicaCount).toBe(0);
    expect(findAll(manifests, 'InterceptorRoute')).toHaveLength(0);
  });
});

describe('WarmFloor bad input', () => {
  const SUBJECT = "WarmFloor 'test/floor'";
  const schedule = { timezone: 'Europe/Paris', start: '30 13 * * 1-5', end: '0 22 * * 1-5', replicas: 3 };
  test.each([
    [{ replicas: -1 }, 'replicas (-1) must be a whole number >= 0'],
    [{ replicas: 9 }, "replicas (9) must be <= the autoscaler's maxReplicas (8)"],
    [{ replicas: 0 }, 'replicas (0) of 0 needs scaleToZero (the KEDA HTTP add-on buffers requests during the cold start) or acceptColdStartFailures: true'],
    [{ replicas: 1, scaleToZero: {} }, 'replicas (1) must be 0 when scaleToZero is set'],
    [{ replicas: 0, acceptColdStartFailures: true },
      'replicas (0) of 0 without scaleToZero needs a schedule: at zero replicas there is no queue metric, so nothing else would start a replica'],
    [{ replicas: 0, scaleToZero: { coldStartTimeout: Duration.millis(1500) } },
      "scaleToZero.coldStartTimeout ('1.5s') must be a whole number of seconds from 1 to 86400"],
    [{ replicas: 0, scaleToZero: { responseHeaderTimeout: Duration.seconds(0) } },
      "scaleToZero.responseHeaderTimeout ('0s') must be a whole number of seconds from 1 to 86400"],
    [{ schedules: [{ ...schedule, start: '0 9 * * 1-7' }] }, "schedules[0].start ('0 9 * * 1-7') day of week field '1-7' must hold values from 0 to 6 or SUN-SAT"],
    [{ replicas: 0, scaleToZero: { addOnNamespace: 'KEDA' } }, "scaleToZero.addOnNamespace ('KEDA') must be a valid namespace name"],
    [{ schedules: [{ ...schedule, replicas: 9 }] }, 'schedules[0].replicas (9) must be a whole number from 1 to 8'],
    [{ schedules: [{ ...schedule, replicas: 0 }] }, 'schedules[0].replicas (0) must be a whole number from 1 to 8'],
    [{ schedules: [{ ...schedule, timezone: 'Mars/Olympus' }] }, "schedules[0].timezone ('Mars/Olympus') must be an IANA time zone such as Europe/Paris"],
    [{ schedules: [{ ...schedule, start: '30 25 * * *' }] }, "schedules[0].start ('30 25 * * *') hour field '25' must hold values from 0 to 23"],
    [{ schedules: [{ ...schedule, start: '0 9 * *' }] }, "schedules[0].start ('0 9 * *') has 4 fields; expected 5 (minute hour day-of-month month day-of-week)"],
    [{ schedules: [{ ...schedule, end: '0 22 * * FRI-MON' }] }, "schedules[0].end ('0 22 * * FRI-MON') day of week field 'FRI-MON' has a range that runs backwards"],
    [{ schedules: [{ ...schedule, end: schedule.start }] }, "schedules[0].end ('30 13 * * 1-5') must differ from start"],
  ])('%j is refused', (props, message) => {
    expect(() => withFloor(props)).toThrow(`${SUBJECT}: ${message}`);
  });

  test('a second WarmFloor on one autoscaler is refused', () => {
    expect(() => withFloor((autoscaler) => {
      new WarmFloor(autoscaler, 'first', { autoscaler });
      new WarmFloor(autoscaler, 'second', { autoscaler });
    })).toThrow("QueueAutoscaler 'test/autoscaler': already has a WarmFloor ('test/autoscaler/first'); 'test/autoscaler/second' would be a second one");
  });

  test('a maxReplicas below the floor is refused', () => {
    expect(() => withFloor({ replicas: 2 }, 1)).toThrow("WarmFloor 'test/floor': replicas (2) must be <= the autoscaler's maxReplicas (1)");
  });
});

test('scaling to zero lets the HTTP add-on interceptor through the server NetworkPolicy', () => {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, networkPolicy: {} });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 2, prometheusAddress: 'http://prometheus:9090' });
  WarmFloor.cost(chart, 'floor', { autoscaler, scaleToZero: { addOnNamespace: 'keda-http' } });
  const policy = findOne(Testing.synth(chart), 'NetworkPolicy');
  expect(policy.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda-http' } } });
});

test('with data parallelism the HTTP add-on\'s concurrency target is what a pod runs at once', () => {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, gpuCount: 2, tensorParallelSize: 1, maxNumSeqs: 64 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 4, prometheusAddress: 'http://prometheus.monitoring:9090' });
  WarmFloor.cost(chart, 'floor', { autoscaler, scaleToZero: {} });
  expect(findOne(Testing.synth(chart), 'InterceptorRoute').spec.scalingMetric).toEqual({ concurrency: { targetValue: 128 } });
});
