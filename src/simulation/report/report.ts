import { ServerSpec } from '../cluster/manifests';
import { SimulationResult } from '../evidence/results';

/** The trace part of a report. */
export interface ReportTrace {
  readonly file: string;
  readonly requests: number;
  readonly durationSeconds: number;
  readonly rateScale: number;
}

/** The fields of one policy in the JSON report, in order. */
const JSON_FIELDS = ['name', 'requests', 'ttftP50', 'ttftP95', 'ttftP99', 'sloAttainment', 'billedGpuHours', 'gpuHours', 'pendingSeconds', 'optimisticGpuHours',
  'scaleUps', 'scaleDowns', 'maxReplicas', 'preemptions', 'failed', 'secondsAtCeiling', 'paused', 'start'] as const;

/** The JSON report: `{ trace, sloTtftSeconds, policies: [...] }`, seconds, fractions 0-1 and hours. */
export function jsonReport(trace: ReportTrace, results: SimulationResult[], sloTtftSeconds: number): string {
  const round = (value: number): number => Math.round(value * 1e6) / 1e6;
  return JSON.stringify({
    trace: { file: trace.file, requests: trace.requests, durationSeconds: round(trace.durationSeconds), rateScale: trace.rateScale },
    sloTtftSeconds,
    policies: results.map((r) => Object.fromEntries(JSON_FIELDS.map((field) => {
      const value = r[field];
      return [field, typeof value === 'number' ? round(value) : value];
    }))),
  }, null, 2);
}

const HEADERS = ['policy', 'within SLO', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'billed GPU-h', 'pod GPU-h', 'x optimistic', 'pending', 'ups', 'downs',
  'max replicas', 'preemptions', 'failed'];

function row(r: SimulationResult): string[] {
  return [
    r.name,
    `${(r.sloAttainment * 100).toFixed(2)}%`,
    seconds(r.ttftP50),
    seconds(r.ttftP95),
    seconds(r.ttftP99),
    r.billedGpuHours.toFixed(1),
    r.gpuHours.toFixed(1),
    (r.billedGpuHours / r.optimisticGpuHours).toFixed(2),
    r.pendingSeconds > 0 ? `${(r.pendingSeconds / 60).toFixed(0)} min` : '-',
    String(r.scaleUps),
    String(r.scaleDowns),
    String(r.maxReplicas),
    String(r.preemptions),
    String(r.failed),
  ];
}

/** Seconds as the tables show them; 'none' for a percentile of no request (NaN). */
export function seconds(value: number): string {
  if (!Number.isFinite(value)) return 'none';
  return value >= 100 ? `${value.toFixed(0)} s` : `${value.toFixed(2)} s`;
}

/** A plain-text table, columns aligned. */
export function textTable(results: SimulationResult[]): string {
  const rows = [HEADERS, ...results.map(row)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A Markdown table. */
export function markdownTable(results: SimulationResult[]): string {
  const lines = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of results) lines.push(`| ${row(r).join(' | ')} |`);
  return lines.join('\n');
}

/** The headline of a report: the trace, the SLO and the optimistic reference. */
export function summary(trace: ReportTrace, results: SimulationResult[], sloTtftSeconds: number): string {
  const optimistic = results[0]?.optimisticGpuHours ?? 0;
  return `trace ${trace.file}: ${trace.requests} requests over ${(trace.durationSeconds / 60).toFixed(1)} min at ${trace.rateScale}x; `
    + `SLO: time to first token <= ${sloTtftSeconds} s; optimistic reference ${optimistic.toFixed(1)} GPU-hours`;
}

/** What a replay modelled: the server and the start, and whether the autoscaler sat at its ceiling or was paused. */
export function modelled(server: ServerSpec, result: SimulationResult, maxReplicas: number): string {
  const lines = [
    `server: ${server.model.id} on ${server.gpuCount} x ${server.gpu.name} per replica (tensor parallel ${server.tensorParallelSize}), `
      + `cold start ${server.coldStartSeconds} s, scrape every ${server.scrapeIntervalSeconds} s, ceiling ${maxReplicas} replicas; ${result.start} start`,
  ];
  if (result.secondsAtCeiling > 0) lines.push(`at the ceiling for ${(result.secondsAtCeiling / 60).toFixed(0)} min of the run`);
  if (result.paused) lines.push('the ScaledObject is paused: the replica count never moved');
  return lines.join('\n');
}
