import { SimulationResult } from '../evidence/results';

/** Hand-written SVG charts (no plotting dependency): one per policy over time, and cost against SLO. */

const WIDTH = 900;
const PANEL = 150;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const GAP = 40;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 1 : 0);
}

/** A "nice" upper bound for an axis. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

interface Panel { readonly top: number; readonly yMax: number; label: string }

function panelFrame(panel: Panel, xMax: number, xLabel: boolean): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const parts = [`<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${PANEL}" fill="none" stroke="#999"/>`];
  for (let i = 0; i <= 5; i++) {
    const y = panel.top + PANEL - (i / 5) * PANEL;
    parts.push(`<line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((panel.yMax * i) / 5)}</text>`);
  }
  parts.push(`<text x="14" y="${panel.top + PANEL / 2}" transform="rotate(-90 14 ${panel.top + PANEL / 2})" text-anchor="middle" font-size="12">${escape(panel.label)}</text>`);
  if (xLabel) {
    const minutes = xMax / 60;
    const step = niceMax(minutes / 6);
    for (let m = 0; m <= minutes + 1e-9; m += step) {
      const x = LEFT + (m * 60 / xMax) * plotWidth;
      parts.push(`<text x="${x}" y="${panel.top + PANEL + 16}" text-anchor="middle" font-size="11">${fmt(m)}</text>`);
    }
    parts.push(`<text x="${LEFT + plotWidth / 2}" y="${panel.top + PANEL + 32}" text-anchor="middle" font-size="12">minutes</text>`);
  }
  return parts.join('\n');
}

function polyline(points: [number, number][], panel: Panel, xMax: number, color: string, step: boolean, dash?: string): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const sx = (t: number): number => LEFT + (t / xMax) * plotWidth;
  const sy = (v: number): number => panel.top + PANEL - (Math.min(v, panel.yMax) / panel.yMax) * PANEL;
  const coords: string[] = [];
  points.forEach(([t, v], i) => {
    if (step && i > 0) coords.push(`${sx(t).toFixed(1)},${sy(points[i - 1][1]).toFixed(1)}`);
    coords.push(`${sx(t).toFixed(1)},${sy(v).toFixed(1)}`);
  });
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${coords.join(' ')}"/>`;
}

/** A GPU-hours yardstick for the charts' cost ratios. */
export interface CostReference {
  readonly name: string;
  readonly gpuHours: number;
}

/** The yardstick of a replay on its own: the optimistic reference. */
export function optimisticCost(result: SimulationResult): CostReference {
  return { name: 'optimistic', gpuHours: result.optimisticGpuHours };
}

const START_NOTES: { [start: string]: string } = {
  warm: 'replicas at 0: what a 15-minute lead-in on the trace left',
  cold: 'replicas at 0: the floor (cold start)',
  given: 'replicas at 0: the given warm count',
};

/** Replicas, queue depth and TTFT (p95 per minute) of one policy over time. */
export function policyChart(result: SimulationResult, sloTtftSeconds: number, reference: CostReference = optimisticCost(result)): string {
  const timeline = result.timeline;
  const xMax = Math.max(60, ...timeline.map((p) => p.time), result.ttftP95ByMinute.length * 60);
  const replicas: Panel = { top: TOP, yMax: niceMax(Math.max(1, result.maxReplicas, ...timeline.map((p) => p.replicas))), label: 'replicas' };
  const queue: Panel = { top: TOP + PANEL + GAP, yMax: niceMax(Math.max(1, ...timeline.map((p) => p.queued))), label: 'requests waiting' };
  const ttftValues = result.ttftP95ByMinute.filter((v) => v >= 0);
  const ttftClip = 20 * sloTtftSeconds;
  const clipped = ttftValues.some((v) => v > ttftClip);
  const ttft: Panel = {
    top: TOP + 2 * (PANEL + GAP),
    yMax: niceMax(Math.max(2 * sloTtftSeconds, ...ttftValues.map((v) => Math.min(v, ttftClip)))),
    label: 'TTFT p95 (s)',
  };
  // The line is drawn clipped at the axis top, which rounds the clip up (niceMax): the note names where it clips.
  if (clipped) ttft.label = `TTFT p95 (s), clipped at ${fmt(ttft.yMax)} s`;
  const height = ttft.top + PANEL + 50;
  const ttftPoints: [number, number][] = [];
  result.ttftP95ByMinute.forEach((v, m) => {
    if (v >= 0) ttftPoints.push([m * 60 + 30, v]);
  });
  const title = `${result.name}: ${(result.sloAttainment * 100).toFixed(2)}% within ${sloTtftSeconds} s, `
    + `${result.billedGpuHours.toFixed(1)} billed GPU-hours (${(result.billedGpuHours / reference.gpuHours).toFixed(2)}x ${reference.name})`;
  const sloY = ttft.top + PANEL - (sloTtftSeconds / ttft.yMax) * PANEL;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    panelFrame(replicas, xMax, false),
    polyline(timeline.map((p) => [p.time, p.replicas]), replicas, xMax, COLORS[0], true),
    polyline(timeline.map((p) => [p.time, p.readyReplicas]), replicas, xMax, COLORS[2], true, '4 3'),
    `<text x="${WIDTH - RIGHT - 6}" y="${replicas.top + 14}" text-anchor="end" font-size="11"><tspan fill="${COLORS[0]}">asked for</tspan> / <tspan fill="${COLORS[2]}">ready</tspan></text>`,
    `<text x="${LEFT + 6}" y="${replicas.top + 14}" font-size="11" fill="#555">${escape(START_NOTES[result.start] ?? '')}</text>`,
    panelFrame(queue, xMax, false),
    polyline(timeline.map((p) => [p.time, p.queued]), queue, xMax, COLORS[1], false),
    panelFrame(ttft, xMax, true),
    `<line x1="${LEFT}" y1="${sloY}" x2="${WIDTH - RIGHT}" y2="${sloY}" stroke="#555" stroke-dasharray="6 4"/>`,
    `<text x="${WIDTH - RIGHT - 6}" y="${sloY - 4}" text-anchor="end" font-size="11">SLO ${sloTtftSeconds} s</text>`,
    polyline(ttftPoints, ttft, xMax, COLORS[3], false),
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Every policy as a point: GPU-hours over the reference's (x) against the fraction of requests within the SLO (y),
 * zoomed to the points near 100 % (with a target, no lower than ten times its miss below it: 90 % for 99 %, where a
 * point further down sits on the edge; its legend gives the figure) and with the target drawn.
 */
export function costChart(results: SimulationResult[], sloTtftSeconds: number, reference: CostReference = optimisticCost(results[0]),
  target?: number): string {
  const height = 480;
  const plotWidth = WIDTH - LEFT - 300;
  const plotHeight = height - TOP - 70;
  const ratios = results.map((r) => r.billedGpuHours / reference.gpuHours);
  const xMax = niceMax(Math.max(1.5, ...ratios) * 1.05);
  const lowest = Math.min(target ?? 1, ...results.map((r) => r.sloAttainment));
  const limit = target !== undefined ? Math.max(0, 1 - 10 * (1 - target)) : 0;
  const span = niceMax(Math.max(0.001, (1 - Math.max(lowest, limit)) * 1.1));
  const yFloor = Math.max(0, 1 - span);
  const decimals = span <= 0.005 ? 2 : span <= 0.05 ? 1 : 0;
  const sx = (v: number): number => LEFT + (v / xMax) * plotWidth;
  const sy = (v: number): number => TOP + plotHeight - ((v - yFloor) / (1 - yFloor)) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${LEFT + plotWidth / 2}" y="22" text-anchor="middle" font-size="14">Cost against latency objective (TTFT &lt;= ${sloTtftSeconds} s)</text>`,
    `<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5;
    const yv = yFloor + ((1 - yFloor) * i) / 5;
    parts.push(`<text x="${sx(xv)}" y="${TOP + plotHeight + 16}" text-anchor="middle" font-size="11">${xv.toFixed(2)}</text>`);
    parts.push(`<line x1="${LEFT}" y1="${sy(yv)}" x2="${LEFT + plotWidth}" y2="${sy(yv)}" stroke="#eee"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${sy(yv) + 4}" text-anchor="end" font-size="11">${(yv * 100).toFixed(decimals)}%</text>`);
  }
  if (target !== undefined) {
    parts.push(`<line x1="${LEFT}" y1="${sy(target)}" x2="${LEFT + plotWidth}" y2="${sy(target)}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${LEFT + plotWidth - 4}" y="${sy(target) - 4}" text-anchor="end" font-size="11" fill="#d62728">target ${(target * 100).toFixed(1)}%</text>`);
  }
  parts.push(`<line x1="${sx(1)}" y1="${TOP}" x2="${sx(1)}" y2="${TOP + plotHeight}" stroke="#555" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${sx(1) + 4}" y="${TOP + 12}" font-size="11">${escape(reference.name)}</text>`);
  parts.push(`<text x="${LEFT + plotWidth / 2}" y="${TOP + plotHeight + 36}" text-anchor="middle" font-size="12">GPU-hours / ${escape(reference.name)}'s</text>`);
  parts.push(`<text x="14" y="${TOP + plotHeight / 2}" transform="rotate(-90 14 ${TOP + plotHeight / 2})" text-anchor="middle" font-size="12">requests within SLO</text>`);
  results.forEach((r, i) => {
    const color = COLORS[i % COLORS.length];
    const y = Math.max(r.sloAttainment, yFloor);
    parts.push(`<circle cx="${sx(ratios[i]).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="5" fill="${color}"/>`);
    parts.push(`<text x="${LEFT + plotWidth + 20}" y="${TOP + 14 + i * 18}" font-size="12" fill="${color}">● ${escape(r.name)}: `
      + `${(r.sloAttainment * 100).toFixed(1)}%, ${ratios[i].toFixed(2)}x</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
