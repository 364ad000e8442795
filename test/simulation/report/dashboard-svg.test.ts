import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { main } from '../../../src/cli/cli';
import { readServer } from '../../../src/simulation/cluster/manifests';
import { dashboardLines, dashboardRows, dashboardSvg, DashboardLines } from '../../../src/simulation/report/dashboard-svg';
import { fakeResult, testManifests } from '../helpers';

const LINES: DashboardLines = {
  sloTtftSeconds: 2, targetQueuePerReplica: 5, backlogThreshold: 10, maxReplicas: 8, kvCacheThreshold: 0.9, maxNumSeqs: 64,
};

function panelOf(rows: ReturnType<typeof dashboardRows>, title: string) {
  const found = rows.flatMap(([, panels]) => panels).filter((p) => p.title.startsWith(title));
  if (found.length !== 1) throw new Error(`expected one panel '${title}', found ${found.length}`);
  return found[0];
}

describe('dashboard SVG of a replay', () => {
  // fakeResult: at 15 s 2 pods (1 ready), 10 waiting, 30 running; at 30 s 3 pods (3 ready), 0 waiting, 40 running; 4 GPUs a pod.
  const rows = dashboardRows(fakeResult('replay'), LINES);

  test('the rows of ServingDashboard, in its order', () => {
    expect(rows.map(([heading]) => heading)).toEqual(['Is it keeping up?', 'Is it scaling?', 'Is a replica full?', 'What does it cost?']);
  });

  test('queue and running are per ready replica, as the dashboard divides them', () => {
    expect(panelOf(rows, 'Requests waiting per replica').lines[0].points).toEqual([[15, 10], [30, 0]]);
    expect(panelOf(rows, 'Running requests per ready replica').lines[0].points).toEqual([[15, 30], [30, 40 / 3]]);
  });

  test('replicas asked for and ready, GPUs as pods x GPUs per pod, KV cache in percent, TTFT p95 at each minute\'s middle', () => {
    const replicas = panelOf(rows, 'Replicas').lines;
    expect(replicas.map((l) => l.points)).toEqual([[[15, 2], [30, 3]], [[15, 1], [30, 3]]]);
    expect(panelOf(rows, 'GPUs').lines[0].points).toEqual([[15, 8], [30, 12]]);
    expect(panelOf(rows, 'GPUs').title).toBe('GPUs (13.0 GPU-hours over the replay)');
    expect(panelOf(rows, 'KV-cache usage').lines[0].points).toEqual([[15, 20], [30, 30]]);
    expect(panelOf(rows, 'Time to first token').lines[0].points).toEqual([[30, 0.5], [150, 3]]); // minute 1 had no request
  });

  test('thresholds: the autoscaler target and backlog alert, the SLO, the ceiling, the KV-cache alert, --max-num-seqs', () => {
    expect(panelOf(rows, 'Requests waiting per replica').thresholds.map((t) => t.value)).toEqual([5, 10]);
    expect(panelOf(rows, 'Time to first token').thresholds.map((t) => t.value)).toEqual([2]);
    expect(panelOf(rows, 'Replicas').thresholds.map((t) => t.value)).toEqual([8]);
    expect(panelOf(rows, 'KV-cache usage').thresholds.map((t) => t.value)).toEqual([90]);
    expect(panelOf(rows, 'Running requests').thresholds.map((t) => t.value)).toEqual([64]);
  });

  test('requests in flight per ready replica, against the in-flight target, as the dashboard draws them', () => {
    const withTarget = dashboardRows(fakeResult('replay'), { ...LINES, inFlightTarget: 16 });
    const inFlight = panelOf(withTarget, 'Requests in flight per replica');
    expect(inFlight.lines[0].points).toEqual([[15, 40], [30, 40 / 3]]);
    expect(inFlight.thresholds).toEqual([{ label: 'in-flight target', value: 16, color: expect.any(String) }]);
    expect(dashboardSvg(fakeResult('replay'), { ...LINES, inFlightTarget: 16 })).toContain('in-flight target 16');
  });

  test('lines read from a data-parallel chart: the in-flight trigger\'s target, and what a pod runs at once', () => {
    const manifests = testManifests({
      server: { gpuCount: 2, tensorParallelSize: 1, maxNumSeqs: 64 },
      scaledObject: (spec: any) => spec.triggers.push({
        type: 'prometheus',
        name: 'in-flight',
        metricType: 'AverageValue',
        metadata: { serverAddress: 'http://prometheus.monitoring:9090', query: spec.triggers[0].metadata.query, threshold: '32' },
      }),
    });
    expect(dashboardLines(manifests, 2)).toMatchObject({ maxNumSeqs: 128, inFlightTarget: 32 });
  });

  test('without an autoscaler there is no target, backlog or ceiling line', () => {
    const bare = dashboardRows(fakeResult('replay'), { sloTtftSeconds: 2, kvCacheThreshold: 0.9 });
    expect(panelOf(bare, 'Requests waiting per replica').thresholds).toEqual([]);
    expect(panelOf(bare, 'Replicas').thresholds).toEqual([]);
  });

  test('the SVG draws every series and threshold, with an escaped title', () => {
    const svg = dashboardSvg(fakeResult('a<b'), LINES);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a&lt;b: replay of 1000 requests, TTFT p95 1.50 s, 98.8% within 2 s, 13.0 GPU-hours');
    expect(svg.match(/<polyline/g)).toHaveLength(8);
    for (const label of ['target 5', 'backlog alert 10', 'SLO 2', 'max 8', 'alert 90', 'max running 64']) expect(svg).toContain(label);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  test('lines read from the manifests: the ScaledObject target and ceiling, the server\'s --max-num-seqs', () => {
    const manifests = testManifests();
    expect(dashboardLines(manifests, 2)).toEqual({
      sloTtftSeconds: 2,
      targetQueuePerReplica: 5,
      backlogThreshold: 10,
      maxReplicas: 8,
      kvCacheThreshold: 0.9,
      maxNumSeqs: readServer(manifests).maxNumSeqs,
    });
  });
});

describe('simulate --dashboard-svg', () => {
  test('writes the dashboard picture of the replay, with the lines of the replayed manifests', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-svg-'));
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, ['TIMESTAMP,ContextTokens,GeneratedTokens', ...Array.from({ length: 200 }, (_, i) => `${(i * 0.5).toFixed(3)},500,100`)].join('\n'));
    const yaml = join(dir, 'app.yaml');
    writeFileSync(yaml, testManifests().map((m) => stringify(m)).join('---\n'));
    const file = join(dir, 'dashboard.svg');
    const code = main(['simulate', '--trace', trace, '--manifests', yaml, '--dashboard-svg', file], () => {}, () => {});
    expect(code).toBe(0);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toContain('test-autoscaler: replay of 200 requests');
    expect(svg).toContain('target 5');
    expect(svg).toContain('max 8');
  });
});
