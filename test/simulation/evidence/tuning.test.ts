import { Chart, Duration, Testing } from 'cdk8s';
import { Gpu, QueueAutoscaler, VllmService, WarmFloor } from '../../../src';
import { readServer } from '../../../src/simulation/cluster/manifests';
import {
  AutoscalerSettings, chooseSettings, DEFAULT_SETTINGS, settingsJson, settingsTypeScript, splitTrace, tuningGrid, withSettings,
} from '../../../src/simulation/evidence/tuning';
import { Trace } from '../../../src/simulation/traffic/trace';
import { smallModel } from '../helpers';

const DEMAND: AutoscalerSettings = {
  ...DEFAULT_SETTINGS, demandEnabled: true, demandUtilization: 0.65, demandHoldColdStarts: 1, demandBacklogDrainSeconds: 30, capacityEnabled: false,
};

/** A chart with a cron-raised WarmFloor, so the floor's own triggers are visible. */
function chartWithFloor() {
  const chart = new Chart(Testing.app(), 'user', { namespace: 'serving' });
  const server = new VllmService(chart, 'server', { model: smallModel(), gpu: Gpu.H100, gpuCount: 1 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 6, prometheusAddress: 'http://prometheus.monitoring.svc:9090', capacityTrigger: { enabled: true }, demandTrigger: { enabled: false } });
  new WarmFloor(chart, 'floor', { autoscaler, replicas: 1, schedules: [{ timezone: 'Europe/Paris', start: '0 8 * * 1-5', end: '0 20 * * 1-5', replicas: 3 }] });
  return Testing.synth(chart);
}

describe('tuning candidates on a user chart', () => {
  test('the candidate replaces the metric triggers and the HPA pace, and keeps the floor, its cron triggers and the Prometheus address', () => {
    const chart = chartWithFloor();
    const server = readServer(chart);
    const own = chart.find((m) => m.kind === 'ScaledObject');
    const tuned = withSettings(chart, server, DEMAND, 10).find((m) => m.kind === 'ScaledObject')!;
    const names = (so: any) => so.spec.triggers.map((t: any) => t.name ?? t.type);
    expect(names(own)).toContain('in-flight');
    expect(names(tuned)).toEqual(['queue', 'demand', ...own.spec.triggers.filter((t: any) => t.type !== 'prometheus').map((t: any) => t.name ?? t.type)]);
    expect(tuned.spec.minReplicaCount).toBe(own.spec.minReplicaCount);
    expect(tuned.spec.maxReplicaCount).toBe(10);
    expect(tuned.spec.scaleTargetRef).toEqual(own.spec.scaleTargetRef);
    const demand = tuned.spec.triggers.find((t: any) => t.name === 'demand');
    expect(demand.metadata.serverAddress).toBe('http://prometheus.monitoring.svc:9090');
    // The candidate's query selects the user's series: its namespace, Service and served model.
    expect(demand.metadata.query).toContain(`{namespace="serving",service="${server.serviceName}",model_name="${server.servedModelName}"}`);
    expect(demand.metadata.threshold).toBe('0.65');
    // The hold is one cold start of the user's server, written out.
    expect(demand.metadata.query).toContain(`[${server.coldStartSeconds}s:15s]`);
  });

  test('at a zero floor the candidate\'s queries read an empty result as 0, as the library\'s own do there', () => {
    const chart = new Chart(Testing.app(), 'zero', { namespace: 'serving' });
    const server = new VllmService(chart, 'server', { model: smallModel(), gpu: Gpu.H100, gpuCount: 1 });
    const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 4, prometheusAddress: 'http://prometheus.monitoring.svc:9090' });
    WarmFloor.cost(chart, 'floor', { autoscaler, scaleToZero: { hosts: ['llama.example.com'] } });
    const manifests = Testing.synth(chart);
    const tuned = withSettings(manifests, readServer(manifests), DEMAND, 4).find((m) => m.kind === 'ScaledObject')!;
    expect(tuned.spec.minReplicaCount).toBe(0);
    for (const t of tuned.spec.triggers.filter((x: any) => x.type === 'prometheus')) expect(t.metadata.ignoreNullValues).toBe('true');
    expect(tuned.spec.triggers.map((t: any) => t.name)).toContain('http-requests');
  });

  test('recommended settings print as QueueAutoscaler props: TypeScript, and JSON whose durations Duration.parse reads', () => {
    const json = settingsJson(DEMAND, 200) as any;
    expect(json.demandTrigger).toEqual({ enabled: true, utilization: 0.65, hold: 'PT3M20S', backlogDrainTime: 'PT30S' });
    expect(Duration.parse(json.demandTrigger.hold).toSeconds()).toBe(200);
    expect(json.capacityTrigger).toEqual({ enabled: false });
    expect(Duration.parse(json.scaleDown.stabilizationWindow).toSeconds()).toBe(DEMAND.scaleDownStabilizationSeconds);
    expect(settingsTypeScript(DEMAND, 200)).toContain('demandTrigger: { enabled: true, utilization: 0.65, hold: Duration.seconds(200), backlogDrainTime: Duration.seconds(30) },');
  });

  test('every grid candidate synthesizes as a QueueAutoscaler on the user chart', () => {
    const chart = chartWithFloor();
    const server = readServer(chart);
    for (const settings of tuningGrid()) expect(withSettings(chart, server, settings, 6).filter((m) => m.kind === 'ScaledObject')).toHaveLength(1);
  });
});

describe('choosing on the train part', () => {
  const s = (targetQueuePerReplica: number): AutoscalerSettings => ({ ...DEFAULT_SETTINGS, targetQueuePerReplica });
  test('the cheapest with half the allowed misses to spare, then the cheapest that meets the target, then the best attainment', () => {
    const pick = (measured: [number, number, number][]) => chooseSettings(
      measured.map(([q, sloAttainment, billedGpuHours]) => ({ settings: s(q), train: { sloAttainment, billedGpuHours } })), 0.99,
    )[0].settings.targetQueuePerReplica;
    expect(pick([[1, 0.999, 10], [2, 0.992, 5], [3, 0.996, 8]])).toBe(3);
    expect(pick([[1, 0.98, 10], [2, 0.992, 5], [3, 0.991, 4]])).toBe(3);
    expect(pick([[1, 0.98, 10], [2, 0.95, 5], [3, 0.97, 4]])).toBe(1);
  });
});

describe('splitting a trace by time', () => {
  test('the requests before the cut are tuned on, those after are tested, from 0', () => {
    const trace = Trace.uniform({ requestsPerSecond: 1, durationSeconds: 100, promptTokens: 10, outputTokens: 5 });
    const { train, test } = splitTrace(trace, 0.3);
    expect(train.length + test.length).toBe(trace.length);
    expect(train.request(train.length - 1).arrivalSeconds).toBeLessThan(30);
    expect(test.request(0).arrivalSeconds).toBe(0);
    const one = Trace.fromRequests([{ arrivalSeconds: 0, promptTokens: 10, outputTokens: 5 }]);
    expect(() => splitTrace(one, 0.5)).toThrow(/leaves 1 requests to tune on and 0 to test on; both parts need requests/);
  });
});

describe('the test part carries its history', () => {
  test('a warm start of the test part replays the last 15 minutes of the train part as they were, not a ramp', () => {
    // Bursts every 5 minutes; the cut falls at the start of a burst.
    const requests = [];
    for (let t = 0; t < 3600; t += 0.5) if (t % 300 < 60) requests.push({ arrivalSeconds: t, promptTokens: 100, outputTokens: 10 });
    const trace = Trace.fromRequests(requests);
    const { train, test } = splitTrace(trace, 0.5);
    const { trace: replayed, leadInRequests } = test._withLeadIn(900);
    // The lead-in holds every request of the train part's last 900 s (three whole bursts of 120 requests), at their offsets.
    expect(leadInRequests).toBe(360);
    expect(train.request(train.length - 1).arrivalSeconds).toBeLessThan(1800);
    expect(replayed.request(0).arrivalSeconds).toBe(0);
    expect(replayed.request(leadInRequests).arrivalSeconds).toBe(900);
    // Without a history, the lead-in is the trace's own start, thinned into a ramp.
    expect(train._withLeadIn(900).leadInRequests).toBeLessThan(360);
  });
});
