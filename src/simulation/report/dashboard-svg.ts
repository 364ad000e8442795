import { seconds } from './report';
import { escape, fmt, niceMax } from './svg';
import { Manifest, manifestsOfKind, readServer } from '../cluster/manifests';
import { SimulationResult } from '../evidence/results';

/**
 * The ServingDashboard's panels drawn from a replay, as one SVG: a stand-in for a Grafana screenshot and a way
 * to read a replay the way an on-call engineer reads the live dashboard. Only the panels whose series the
 * simulator produces are drawn (no inter-token latency, throughput or preemption rate over time).
 */

/** The lines drawn on the panels: the same thresholds ServingDashboard draws. */
export interface DashboardLines {
  readonly sloTtftSeconds: number;
  /** The autoscaler's requests waiting per replica. */
  readonly targetQueuePerReplica?: number;
  /** The VllmQueueBacklog alert: ServingAlerts' default, twice the target. */
  readonly backlogThreshold?: number;
  readonly maxReplicas?: number;
  /** The VllmKvCacheSaturated alert's default. */
  readonly kvCacheThreshold: number;
  /** The most a replica runs at once: `--max-num-seqs` times its data-parallel ranks. */
  readonly maxNumSeqs?: number;
  /** The in-flight trigger's requests per replica, when the autoscaler has one. */
  readonly inFlightTarget?: number;
}

const WIDTH = 1200;
const COLUMN = WIDTH / 2;
const PANEL_HEIGHT = 170;
const PANEL_LEFT = 56;
const PANEL_RIGHT = 20;
const ROW_HEADING = 28;
const PANEL_TITLE = 22;
const AXIS = 28;
const COLORS = { series: '#1f77b4', second: '#2ca02c', third: '#9467bd', target: '#e6a700', alert: '#d62728', limit: '#ff7f0e' };

/** One series of a panel: (seconds, value) points. */
export interface Line {
  readonly label: string;
  readonly color: string;
  readonly points: [number, number][];
  readonly dash?: string;
  readonly step?: boolean;
}

/** A dashed horizontal line: an alert threshold, a target or a limit. */
export interface Threshold { readonly label: string; readonly value: number; readonly color: string }

/** One panel: its title, unit, series and threshold lines. */
export interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly lines: Line[];
  readonly thresholds: Threshold[];
  readonly yMax?: number;
}

/** The dashboard's rows (heading, panels) computed from one replay. */
export function dashboardRows(result: SimulationResult, lines: DashboardLines): [string, PanelSpec[]][] {
  const t = result.timeline;
  const perReady = (value: (p: typeof t[number]) => number): [number, number][] =>
    t.map((p) => [p.time, p.readyReplicas > 0 ? value(p) / p.readyReplicas : 0]);
  const ttft: [number, number][] = [];
  result.ttftP95ByMinute.forEach((v, m) => { if (v >= 0) ttft.push([m * 60 + 30, v]); });
  const th = (label: string, value: number | undefined, color: string): Threshold[] => (value === undefined ? [] : [{ label, value, color }]);

  return [
    ['Is it keeping up?', [
      {
        title: 'Requests waiting per replica',
        unit: '',
        lines: [{ label: 'waiting / ready replica', color: COLORS.series, points: perReady((p) => p.queued) }],
        thresholds: [...th('target', lines.targetQueuePerReplica, COLORS.target), ...th('backlog alert', lines.backlogThreshold, COLORS.alert)],
      },
      {
        title: 'Requests in flight per replica',
        unit: '',
        lines: [{ label: 'running + waiting / ready replica', color: COLORS.series, points: perReady((p) => p.running + p.queued) }],
        thresholds: th('in-flight target', lines.inFlightTarget, COLORS.target),
      },
      {
        title: 'Time to first token, p95 of each minute',
        unit: 's',
        lines: [{ label: 'p95', color: COLORS.third, points: ttft }],
        thresholds: th('SLO', lines.sloTtftSeconds, COLORS.alert),
        yMax: niceMax(Math.max(2 * lines.sloTtftSeconds, ...ttft.map(([, v]) => Math.min(v, 20 * lines.sloTtftSeconds)))),
      },
    ]],
    ['Is it scaling?', [
      {
        title: 'Replicas',
        unit: '',
        lines: [
          { label: 'asked for (spec.replicas)', color: COLORS.series, points: t.map((p) => [p.time, p.replicas]), step: true },
          { label: 'ready', color: COLORS.second, points: t.map((p) => [p.time, p.readyReplicas]), step: true, dash: '4 3' },
        ],
        thresholds: th('max', lines.maxReplicas, COLORS.limit),
      },
    ]],
    ['Is a replica full?', [
      {
        title: 'KV-cache usage, fullest replica',
        unit: '%',
        lines: [{ label: 'max over replicas', color: COLORS.series, points: t.map((p) => [p.time, p.maxKvCacheUsage * 100]) }],
        thresholds: th('alert', lines.kvCacheThreshold * 100, COLORS.alert),
        yMax: 100,
      },
      {
        title: 'Running requests per ready replica',
        unit: '',
        lines: [{ label: 'running / ready replica', color: COLORS.series, points: perReady((p) => p.running) }],
        thresholds: th('max running', lines.maxNumSeqs, COLORS.limit),
      },
    ]],
    ['What does it cost?', [
      {
        title: `GPUs (${result.gpuHours.toFixed(1)} GPU-hours over the replay)`,
        unit: '',
        lines: [{ label: 'GPUs', color: COLORS.series, points: t.map((p) => [p.time, p.replicas * result.gpusPerReplica]), step: true }],
        thresholds: [],
      },
    ]],
  ];
}

/** Renders the dashboard's rows from one replay. */
export function dashboardSvg(result: SimulationResult, lines: DashboardLines): string {
  const t = result.timeline;
  const xMax = Math.max(60, ...t.map((p) => p.time), result.ttftP95ByMinute.length * 60);
  const parts: string[] = [];
  let y = 50;
  for (const [heading, panels] of dashboardRows(result, lines)) {
    parts.push(`<text x="12" y="${y + 18}" font-size="15" font-weight="bold">${escape(heading)}</text>`);
    y += ROW_HEADING;
    // Two panels a line, as the dashboard lays them out (half a row each).
    for (let i = 0; i < panels.length; i += 2) {
      panels.slice(i, i + 2).forEach((panel, j) => parts.push(drawPanel(panel, j * COLUMN, y, xMax)));
      y += PANEL_TITLE + PANEL_HEIGHT + AXIS + 10;
    }
  }
  const title = `${result.name}: replay of ${result.requests} requests, TTFT p95 ${seconds(result.ttftP95)}, `
    + `${(result.sloAttainment * 100).toFixed(1)}% within ${lines.sloTtftSeconds} s, ${result.gpuHours.toFixed(1)} GPU-hours`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="15">${escape(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function drawPanel(panel: PanelSpec, left: number, top: number, xMax: number): string {
  const x0 = left + PANEL_LEFT;
  const width = COLUMN - PANEL_LEFT - PANEL_RIGHT;
  const plotTop = top + PANEL_TITLE;
  const values = panel.lines.flatMap((l) => l.points.map(([, v]) => v));
  const yMax = panel.yMax ?? niceMax(Math.max(1, ...values, ...panel.thresholds.map((t) => t.value * 1.1)));
  const sx = (time: number): number => x0 + (time / xMax) * width;
  const sy = (v: number): number => plotTop + PANEL_HEIGHT - (Math.min(Math.max(v, 0), yMax) / yMax) * PANEL_HEIGHT;
  const parts = [
    `<text x="${x0}" y="${top + 15}" font-size="13">${escape(panel.title)}${panel.unit ? ` (${escape(panel.unit)})` : ''}</text>`,
    `<rect x="${x0}" y="${plotTop}" width="${width}" height="${PANEL_HEIGHT}" fill="#fafafa" stroke="#bbb"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    parts.push(`<line x1="${x0}" y1="${sy(v)}" x2="${x0 + width}" y2="${sy(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  const minutes = xMax / 60;
  const step = niceMax(minutes / 6);
  for (let m = 0; m <= minutes + 1e-9; m += step) {
    parts.push(`<text x="${sx(m * 60)}" y="${plotTop + PANEL_HEIGHT + 14}" text-anchor="middle" font-size="11">${fmt(m)}</text>`);
  }
  parts.push(`<text x="${x0 + width}" y="${plotTop + PANEL_HEIGHT + 26}" text-anchor="end" font-size="11">minutes</text>`);
  panel.thresholds.forEach((t, i) => {
    parts.push(`<line x1="${x0}" y1="${sy(t.value).toFixed(1)}" x2="${x0 + width}" y2="${sy(t.value).toFixed(1)}" stroke="${t.color}" stroke-dasharray="6 4"/>`);
    // Labels side by side from the right, so two close lines keep readable labels.
    const x = x0 + width - 4 - i * 110;
    parts.push(`<text x="${x}" y="${(sy(t.value) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="${t.color}">${escape(t.label)} ${fmt(t.value)}</text>`);
  });
  for (const line of panel.lines) {
    const coords: string[] = [];
    line.points.forEach(([time, v], i) => {
      if (line.step && i > 0) coords.push(`${sx(time).toFixed(1)},${sy(line.points[i - 1][1]).toFixed(1)}`);
      coords.push(`${sx(time).toFixed(1)},${sy(v).toFixed(1)}`);
    });
    parts.push(`<polyline fill="none" stroke="${line.color}" stroke-width="1.5"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''} points="${coords.join(' ')}"/>`);
  }
  const legend = panel.lines.map((l) => `<tspan fill="${l.color}">${escape(l.label)}</tspan>`).join(' / ');
  parts.push(`<text x="${x0 + 8}" y="${plotTop + 14}" font-size="11">${legend}</text>`);
  return parts.join('\n');
}

/** The dashboard's lines read from the manifests the replay ran: the ScaledObject's target and maximum, `--max-num-seqs`. */
export function dashboardLines(manifests: Manifest[], sloTtftSeconds: number, deploymentName?: string): DashboardLines {
  const server = readServer(manifests, deploymentName);
  const scaledObject = manifestsOfKind(manifests, 'ScaledObject')
    .find((s) => s.spec?.scaleTargetRef?.name === server.deploymentName);
  const triggers: Manifest[] = scaledObject?.spec?.triggers ?? [];
  const queue = triggers.find((t) => t.type === 'prometheus');
  const target = queue?.metadata?.threshold !== undefined ? Number(queue.metadata.threshold) : undefined;
  const inFlight = triggers.find((t) => t.type === 'prometheus' && t.name === 'in-flight');
  return {
    sloTtftSeconds,
    targetQueuePerReplica: target,
    // ServingAlerts' default VllmQueueBacklog threshold.
    backlogThreshold: target !== undefined ? 2 * target : undefined,
    maxReplicas: scaledObject?.spec?.maxReplicaCount,
    // ServingAlerts' default VllmKvCacheSaturated threshold.
    kvCacheThreshold: 0.9,
    maxNumSeqs: server.maxNumSeqs * server.dataParallelSize,
    inFlightTarget: inFlight?.metadata?.threshold !== undefined ? Number(inFlight.metadata.threshold) : undefined,
  };
}

/** The dashboard picture of a replay (the CLI's `--dashboard-svg`). */
export function dashboardSvgOf(result: SimulationResult, manifests: Manifest[], sloTtftSeconds: number, deploymentName?: string): string {
  return dashboardSvg(result, dashboardLines(manifests, sloTtftSeconds, deploymentName));
}
