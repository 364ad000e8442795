import { seconds } from './report';
import { BenchmarkPolicy, BenchmarkReference, BenchmarkResult, SeededValue } from '../evidence/benchmark';

const round = (value: number): number => Math.round(value * 1e6) / 1e6;
const range = (v: SeededValue): number[] => [round(v.min), round(v.max)];
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The benchmark as JSON: the SLO, what was modelled, the references and one entry per policy (means over the
 * seeds, with their ranges). Seconds, fractions 0-1 and hours.
 */
export function benchJson(result: BenchmarkResult): string {
  const clairvoyant = result.clairvoyant;
  const billed = clairvoyant.billedGpuHours.mean;
  return JSON.stringify({
    trace: { ...result.trace, durationSeconds: round(result.trace.durationSeconds) },
    sloTtftSeconds: result.sloTtftSeconds,
    sloTarget: result.sloTarget,
    setup: result.setup,
    nodes: result.nodes,
    seeds: result.setup.seeds.length,
    references: {
      clairvoyant: { ...referenceJson(clairvoyant), capacityFactors: clairvoyant.settings.map(round) },
      causal: { ...referenceJson(result.causal), headrooms: result.causal.settings.map(round) },
      // Not replayed, so no node is modelled: what it bills is its pod GPU-hours, and it never waits.
      optimistic: {
        billedGpuHours: round(result.optimisticGpuHours),
        gpuHours: round(result.optimisticGpuHours),
        pendingSeconds: 0,
        sustainableRequestsPerSecond: round(result.sustainableRequestsPerSecond),
      },
    },
    policies: result.policies.map((p) => ({
      name: p.name,
      source: p.source,
      description: p.description,
      sloAttainment: round(p.sloAttainment.mean),
      sloAttainmentRange: range(p.sloAttainment),
      billedGpuHours: round(p.billedGpuHours.mean),
      billedGpuHoursRange: range(p.billedGpuHours),
      gpuHours: round(p.gpuHours.mean),
      gpuHoursRange: range(p.gpuHours),
      pendingSeconds: round(p.pendingSeconds),
      xClairvoyant: round(p.billedGpuHours.mean / billed),
      xCausal: round(p.billedGpuHours.mean / result.causal.billedGpuHours.mean),
      failed: round(mean(p.results.map((r) => r.failed))),
      maxReplicas: Math.max(...p.results.map((r) => r.maxReplicas)),
      ttftP50: round(finiteMean(p.results.map((r) => r.ttftP50))),
      ttftP95: round(finiteMean(p.results.map((r) => r.ttftP95))),
      ttftP99: round(finiteMean(p.results.map((r) => r.ttftP99))),
      scaleUps: round(mean(p.results.map((r) => r.scaleUps))),
      scaleDowns: round(mean(p.results.map((r) => r.scaleDowns))),
      preemptions: round(mean(p.results.map((r) => r.preemptions))),
      secondsAtCeiling: round(mean(p.results.map((r) => r.secondsAtCeiling))),
      paused: p.results.some((r) => r.paused),
      start: p.results[0].start,
    })),
  }, null, 2);
}

function referenceJson(reference: BenchmarkReference): { [key: string]: unknown } {
  return {
    billedGpuHours: round(reference.billedGpuHours.mean),
    sloAttainment: round(reference.sloAttainment.mean),
    gpuHours: round(reference.gpuHours.mean),
    pendingSeconds: round(reference.pendingSeconds),
    reachesTarget: reference.reachesTarget,
    billedGpuHoursRange: range(reference.billedGpuHours),
    sloAttainmentRange: range(reference.sloAttainment),
    chosen: reference.chosen,
  };
}

const HEADERS = ['policy', 'within SLO', 'billed GPU-h', 'x clairvoyant', 'x causal', 'TTFT p99', 'max replicas', 'pending', 'failed'];

function percent(v: SeededValue): string {
  const text = `${(v.mean * 100).toFixed(2)}%`;
  const [low, high] = [(v.min * 100).toFixed(1), (v.max * 100).toFixed(1)];
  return low === high ? text : `${text} (${low}-${high})`;
}

function hours(v: SeededValue): string {
  const text = v.mean.toFixed(1);
  const [low, high] = [v.min.toFixed(1), v.max.toFixed(1)];
  return low === high ? text : `${text} (${low}-${high})`;
}

function policyRow(p: BenchmarkPolicy, result: BenchmarkResult): string[] {
  return [
    p.name,
    percent(p.sloAttainment),
    hours(p.billedGpuHours),
    (p.billedGpuHours.mean / result.clairvoyant.billedGpuHours.mean).toFixed(2),
    (p.billedGpuHours.mean / result.causal.billedGpuHours.mean).toFixed(2),
    seconds(finiteMean(p.results.map((r) => r.ttftP99))),
    String(Math.max(...p.results.map((r) => r.maxReplicas))),
    pending(p.pendingSeconds),
    mean(p.results.map((r) => r.failed)).toFixed(0),
  ];
}

function pending(secondsPending: number): string {
  return secondsPending > 0 ? `${(secondsPending / 60).toFixed(0)} min` : '-';
}

function referenceRow(name: string, reference: BenchmarkReference, result: BenchmarkResult): string[] {
  return [
    `${name} (reference${reference.reachesTarget ? '' : ', misses the target'})`, percent(reference.sloAttainment), hours(reference.billedGpuHours),
    (reference.billedGpuHours.mean / result.clairvoyant.billedGpuHours.mean).toFixed(2),
    (reference.billedGpuHours.mean / result.causal.billedGpuHours.mean).toFixed(2), '', '', pending(reference.pendingSeconds), '',
  ];
}

function rows(result: BenchmarkResult): string[][] {
  const optimistic = ['optimistic (reference, pod GPU-hours, not replayed)', '', result.optimisticGpuHours.toFixed(1),
    (result.optimisticGpuHours / result.clairvoyant.billedGpuHours.mean).toFixed(2), '', '', '', '', ''];
  return [...result.policies.map((p) => policyRow(p, result)), referenceRow('clairvoyant', result.clairvoyant, result),
    referenceRow('causal', result.causal, result), optimistic];
}

/** The benchmark as a plain-text table, columns aligned. */
export function benchTextTable(result: BenchmarkResult): string {
  const all = [HEADERS, ...rows(result)];
  const widths = HEADERS.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** The benchmark as a Markdown table, with each policy's source below it. */
export function benchMarkdownTable(result: BenchmarkResult): string {
  const lines = [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows(result)) lines.push(`| ${row.map((cell, i) => (i === 0 ? `\`${cell}\`` : cell)).join(' | ')} |`);
  return lines.join('\n');
}

/** Each policy's source, one line each. */
export function benchSources(result: BenchmarkResult, markdown = false): string {
  return result.policies.filter((p) => !p.name.endsWith('(as shipped)'))
    .map((p) => (markdown ? `- \`${p.name}\`: ${p.description}. Source: ${p.source}.` : `  ${p.name}: ${p.source}`)).join('\n');
}

/** What the benchmark modelled, and what to keep in mind reading it. */
export function benchSummary(result: BenchmarkResult): string {
  const s = result.setup;
  const t = result.trace;
  const lines = [
    `trace ${t.file}: ${t.requests} requests over ${(t.durationSeconds / 60).toFixed(1)} min at ${t.rateScale}x`
      + `${s.seeds.length > 1 ? `, seeds ${s.seeds[0]}-${s.seeds[s.seeds.length - 1]} (mean, with the range in brackets)` : `, seed ${s.seeds[0]}`}`,
    `server: ${s.model} on ${s.gpuCount} x ${s.gpu} per replica (tensor parallel ${s.tensorParallelSize}), cold start ${s.coldStartSeconds} s, `
      + `scrape every ${s.scrapeIntervalSeconds} s; every policy within ${s.minReplicas}-${s.maxReplicas} replicas unless marked as shipped; `
      + `${s.start} start${s.start === 'warm' ? ' (the trace\'s first 15 min replayed first, not measured)' : ' (at most the floor warm)'}; ${s.routing} routing`,
    `nodes: ${nodesLine(result)}`,
    `SLO: ${(result.sloTarget * 100).toFixed(1)}% of requests with time to first token <= ${result.sloTtftSeconds} s; `
      + `one replica serves ${result.sustainableRequestsPerSecond.toFixed(2)} requests/s at this token mix with its engine never idle`,
  ];
  lines.push(`references chose: clairvoyant ${unique(result.clairvoyant.chosen)}; causal ${unique(result.causal.chosen)}`);
  const atCeiling = result.policies.filter((p) => p.results.some((r) => r.secondsAtCeiling > 0)).map((p) => p.name);
  if (atCeiling.length > 0) lines.push(`at the ceiling for part of the run: ${atCeiling.map((name) => `'${name}'`).join(', ')}`);
  const paused = result.policies.filter((p) => p.results.some((r) => r.paused)).map((p) => p.name);
  if (paused.length > 0) lines.push(`paused (the replica count never moved): ${paused.map((name) => `'${name}'`).join(', ')}`);
  if (!result.clairvoyant.reachesTarget) {
    lines.push(`the clairvoyant provisioner misses the target within ${s.maxReplicas} replicas: the target is out of reach under this ceiling and cold start`);
  } else if (!result.causal.reachesTarget) {
    lines.push('the causal reference misses the target: no reactive autoscaler meets it with this cold start on this traffic');
  }
  return lines.join('\n');
}

/** The members a reference chose over the seeds, each once. */
function unique(chosen: string[]): string {
  return [...new Set(chosen)].join(' / ');
}

function nodesLine(result: BenchmarkResult): string {
  const n = result.nodes;
  if (n.mode === 'free') return 'free (every new pod finds a free GPU node at once); cost is pod GPU-hours';
  const base = `${n.gpusPerNode} GPUs each, a new node Ready ${n.provisioningSeconds} s after it is asked for, image pull ${n.imagePullSeconds} s`;
  if (n.mode === 'fixed') return `fixed, ${n.minNodes} nodes of ${base}; cost is pod GPU-hours`;
  return `autoscaled, ${base}, removed after ${n.scaleDownSeconds} s empty, ${n.minNodes} from the start; cost is node GPU-hours, billed whole`;
}

/** The mean over the seeds whose replay served a request (NaN, shown as none, when no seed did). */
function finiteMean(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : mean(finite);
}
