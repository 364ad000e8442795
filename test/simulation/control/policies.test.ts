import { Chart, Testing } from 'cdk8s';
import { Gpu, VllmService } from '../../../src';
import { Simulation, Trace } from '../../../src/simulation';
import { findAutoscaler } from '../../../src/simulation/cluster/find-autoscaler';
import { readServer } from '../../../src/simulation/cluster/manifests';
import { ClusterView, FixedAutoscaler, ScrapedPod } from '../../../src/simulation/control/autoscaler';
import { PEER_POLICIES, policyNames, staticManifests, withPolicy } from '../../../src/simulation/control/policies';
import { expectValidManifests } from '../../schema/validate';
import { smallModel, testManifests } from '../helpers';

const BOUNDS = { minReplicas: 1, maxReplicas: 8 };

function sample(waiting: number): ScrapedPod {
  return {
    'vllm:num_requests_waiting': waiting,
    'vllm:num_requests_running': 1,
    'vllm:kv_cache_usage_perc': 0.1,
    'vllm:prompt_tokens_total': 0,
    'vllm:generation_tokens_total': 0,
    'vllm:request_success_total': 0,
    'gpuUtilPercent': 50,
    'cpuUtilization': 0.05,
  };
}

function view(now: number, replicas: number, waiting: number, labels: any): ClusterView {
  const scrape = Array.from({ length: replicas }, () => sample(waiting));
  const pods = scrape.map((s) => ({ ready: true, sample: s }));
  return { now, epoch: 1_700_000_000 + now, replicas, readyPods: replicas, labels, pendingAtService: 0, scrape, pods };
}

/** A chart with no autoscaler: a VllmService at a fixed replica count (like the README quick start). */
function fixedChart(replicas?: number): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'inference' });
  new VllmService(chart, 'server', { model: smallModel(), gpu: Gpu.H100, ...(replicas === undefined ? {} : { replicas }) });
  return Testing.synth(chart);
}

describe('peer policies', () => {
  const manifests = testManifests();
  const server = readServer(manifests);

  test('names: default first, then every peer; each peer cites where it comes from', () => {
    expect(policyNames()).toEqual(['default', 'cpu-hpa', 'gpu-util-hpa', 'gke-queue10', 'production-stack']);
    for (const peer of PEER_POLICIES) {
      expect(peer.source).toMatch(/(github|kubernetes\.io|cloud\.google\.com|alibabacloud\.com|vllm-project\/)/);
      expect(peer.description.length).toBeGreaterThan(0);
    }
  });

  test('every peer, under the benchmark bounds and as shipped, builds valid objects the controller model accepts', () => {
    const deployment = manifests.find((m) => m.kind === 'Deployment').metadata.name;
    const built: any[] = [];
    for (const peer of PEER_POLICIES) {
      for (const bounds of [BOUNDS, undefined]) {
        const objects = withPolicy(manifests, peer.name, bounds);
        const autoscalers = objects.filter((m) => m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler');
        expect(autoscalers).toHaveLength(1);
        expect(autoscalers[0].spec.scaleTargetRef.name).toBe(deployment);
        built.push(...objects.filter((m) => ['ScaledObject', 'HorizontalPodAutoscaler', 'ServiceMonitor'].includes(m.kind)));
        expect(() => findAutoscaler(objects, readServer(objects))).not.toThrow(); // the query parses, the metrics are modelled
      }
    }
    expectValidManifests(built);
  });

  test('the benchmark bounds reach every peer, the shipped bounds apply when none are given', () => {
    const bounds = (name: string, b?: any): number[] => {
      const { autoscaler } = findAutoscaler(withPolicy(manifests, name, b), server);
      return [autoscaler.initialReplicas, autoscaler.maxReplicas];
    };
    for (const peer of PEER_POLICIES) expect(bounds(peer.name, { minReplicas: 2, maxReplicas: 6 })).toEqual([2, 6]);
    expect(bounds('production-stack')).toEqual([1, 2]);
    expect(bounds('gke-queue10')).toEqual([1, 2]);
    expect(bounds('cpu-hpa')).toEqual([1, 8]); // kubectl autoscale ships no ceiling of its own: the library's default
  });

  test('default is the synthesized ScaledObject itself; bounds override its min and max', () => {
    const own = manifests.find((m) => m.kind === 'ScaledObject');
    expect(withPolicy(manifests, 'default').find((m) => m.kind === 'ScaledObject')).toBe(own);
    expect(withPolicy(manifests, 'default', { maxReplicas: 3 }).find((m) => m.kind === 'ScaledObject')!.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3 });
  });

  test('production-stack as its tutorial deploys it: unsummed query, 15 s polling, 360 s cooldown, no idle count, no fallback, no behavior, 30 s scrape', () => {
    const objects = withPolicy(manifests, 'production-stack', BOUNDS);
    const so = objects.find((m) => m.kind === 'ScaledObject')!;
    expect(so.spec).toMatchObject({ pollingInterval: 15, cooldownPeriod: 360 });
    for (const absent of ['idleReplicaCount', 'fallback', 'advanced', 'initialCooldownPeriod']) expect(so.spec).not.toHaveProperty(absent);
    expect(so.spec.triggers[0].metadata).toMatchObject({ query: 'vllm:num_requests_waiting', threshold: '5' });
    expect(readServer(objects).scrapeIntervalSeconds).toBe(30);
    expect(readServer(manifests).scrapeIntervalSeconds).toBe(15); // the chart's own objects are not changed
  });

  test('production-stack: its query works at one pod and is an error from two pods on (KEDA: multiple elements), with no fallback', () => {
    const { autoscaler } = findAutoscaler(withPolicy(manifests, 'production-stack', BOUNDS), server);
    const labels = { namespace: 'inference', model_name: server.servedModelName, engine: '0' };
    // One pod, 12 waiting: 12 / 5 -> 3; no behavior: the legacy path allows up to max(2 x 1, 4) = 4 -> 3.
    expect(autoscaler.hpaSync(view(15, 1, 12, labels))).toBe(3);
    // Three pods, 12 waiting each: three elements, an error: no proposal and no change, and no fallback ever engages.
    const fresh = findAutoscaler(withPolicy(manifests, 'production-stack', BOUNDS), server).autoscaler;
    for (const t of [15, 30, 45, 60, 75]) {
      expect(fresh.poll(view(t, 3, 12, labels))).toBeUndefined();
      expect(fresh.hpaSync(view(t, 3, 12, labels))).toBeUndefined();
    }
  });

  test('the GKE HPA reads the Managed Prometheus series name and takes the legacy path (no behavior)', () => {
    const hpa = withPolicy(manifests, 'gke-queue10').find((m) => m.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.behavior).toBeUndefined();
    expect(hpa.spec.metrics[0].pods).toEqual({
      metric: { name: 'prometheus.googleapis.com|vllm:num_requests_waiting|gauge' }, target: { type: 'AverageValue', averageValue: '10' },
    });
    const { autoscaler } = findAutoscaler(withPolicy(manifests, 'gke-queue10', BOUNDS), server);
    // 1 pod with 60 waiting: 60 / 10 = 6 wanted; legacy cap max(2 x 1, 4) = 4.
    expect(autoscaler.hpaSync(view(15, 1, 60, {}))).toBe(4);
  });

  test('cpu-hpa and gpu-util-hpa as their sources write them', () => {
    const get = (name: string): any => withPolicy(manifests, name).find((m) => m.kind === 'HorizontalPodAutoscaler');
    expect(get('cpu-hpa').spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 80 });
    expect(get('cpu-hpa').spec.behavior).toBeUndefined();
    expect(get('gpu-util-hpa').spec.metrics[0].pods).toEqual({ metric: { name: 'DCGM_FI_DEV_GPU_UTIL' }, target: { type: 'AverageValue', averageValue: '20' } });
  });

  test('an unknown policy is refused with the list', () => {
    expect(() => withPolicy(manifests, 'magic')).toThrow(`unknown policy 'magic': choose one of ${policyNames().join(', ')}`);
  });
});

describe('fixed replicas', () => {
  test('a chart with no autoscaler replays at its spec.replicas, and 1 when the field is missing', () => {
    const three = fixedChart(3);
    const found = findAutoscaler(three, readServer(three));
    expect(found.autoscaler).toBeInstanceOf(FixedAutoscaler);
    expect(found.autoscaler.initialReplicas).toBe(3);
    const none = fixedChart().map((m) => (m.kind === 'Deployment' ? { ...m, spec: { ...m.spec, replicas: undefined } } : m));
    expect(findAutoscaler(none, readServer(none)).autoscaler.initialReplicas).toBe(1);
    expect(withPolicy(three, 'default', BOUNDS)).toBe(three); // nothing to bound: the chart's own count
    const peer = withPolicy(three, 'gke-queue10', BOUNDS); // a peer still replaces "no autoscaler"
    expect(findAutoscaler(peer, readServer(peer)).autoscaler.maxReplicas).toBe(8);
    const trace = Trace.uniform({ requestsPerSecond: 5, durationSeconds: 120, promptTokens: 500, outputTokens: 100 });
    const result = Simulation.run({ manifests: three, trace, optimisticGpuHours: 1 });
    expect(result.maxReplicas).toBe(3);
    expect(result.scaleUps + result.scaleDowns).toBe(0);
    expect(result.gpuHours).toBeCloseTo((3 * 120) / 3600, 2);
  });

  test('staticManifests removes the autoscalers and pins the Deployment', () => {
    const manifests = testManifests();
    const pinned = staticManifests(manifests, 4);
    expect(pinned.filter((m) => m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(pinned.find((m) => m.kind === 'Deployment')!.spec.replicas).toBe(4);
    expect(findAutoscaler(pinned, readServer(pinned)).autoscaler.maxReplicas).toBe(4);
    expect(manifests.find((m) => m.kind === 'Deployment').spec.replicas).toBeUndefined(); // the input is not changed
    expect(() => staticManifests(manifests, 1.5)).toThrow('staticManifests: replicas (1.5) must be a whole number >= 0');
  });
});
