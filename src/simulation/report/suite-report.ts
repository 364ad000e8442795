import { benchJson, benchMarkdownTable, benchSources, benchSummary, benchTextTable } from './bench-report';
import { BenchmarkPolicy, BenchmarkResult } from '../evidence/benchmark';
import { ScenarioResult } from '../evidence/suite';

/** How the library's own rows (the default and its variants) name their source. */
const LIBRARY_SOURCE = 'this library';

/** The goals a default is held to on every scenario where the causal reference meets the SLO target. */
export const GOALS = {
  /** Billed GPU-hours at most this many times the causal reference's. */
  maxCostOverCausal: 1.3,
} as const;

/** How the default fares on one scenario against the goals. */
export interface Verdict {
  readonly scenario: string;
  /** Whether the causal reference met the target (the goals apply only then). */
  readonly reachable: boolean;
  readonly meetsTarget: boolean;
  readonly withinCost: boolean;
  /** Peers or static that are both cheaper and better than the default. */
  readonly dominatedBy: string[];
  /** Target minus the default's attainment (> 0: a shortfall), fraction. */
  readonly shortfall: number;
  /** The default's billed GPU-hours over the causal reference's. */
  readonly costRatio: number;
  /** ... over the clairvoyant's. */
  readonly clairvoyantRatio: number;
}

/** The default's verdict on one scenario. */
export function verdict(name: string, result: BenchmarkResult, defaultName = 'default'): Verdict {
  const own = result.policies.find((p) => p.name === defaultName);
  if (!own) throw new Error(`suite: scenario '${name}' has no '${defaultName}' row`);
  const costRatio = own.billedGpuHours.mean / result.causal.billedGpuHours.mean;
  // Only the peers and the static baseline count: the default's own variants are settings of the same policy.
  const dominatedBy = result.policies
    .filter((p) => p.name !== defaultName && !p.source.startsWith(LIBRARY_SOURCE) && dominates(p, own))
    .map((p) => p.name);
  return {
    scenario: name,
    reachable: result.causal.reachesTarget,
    meetsTarget: own.sloAttainment.mean >= result.sloTarget,
    withinCost: costRatio <= GOALS.maxCostOverCausal,
    dominatedBy,
    shortfall: result.sloTarget - own.sloAttainment.mean,
    costRatio,
    clairvoyantRatio: own.billedGpuHours.mean / result.clairvoyant.billedGpuHours.mean,
  };
}

/** Cheaper and at least as good: equal attainment at fewer billed GPU-hours dominates. */
function dominates(p: BenchmarkPolicy, own: BenchmarkPolicy): boolean {
  return p.billedGpuHours.mean < own.billedGpuHours.mean && p.sloAttainment.mean >= own.sloAttainment.mean;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** One row per scenario: references, the default, and the goals. */
export function suiteSummaryTable(results: ScenarioResult[]): string {
  const lines = [
    '| scenario | causal: within SLO, billed GPU-h | clairvoyant: within SLO, billed GPU-h | default: within SLO | default: x causal | default: x clairvoyant | >= target | <= 1.3x causal | not dominated |',
    '|---|---:|---:|---:|---:|---:|:---:|:---:|:---:|',
  ];
  for (const { scenario, result } of results) {
    const v = verdict(scenario.name, result);
    const own = result.policies.find((p) => p.name === 'default')!;
    const mark = (ok: boolean): string => (v.reachable ? (ok ? 'yes' : '**no**') : 'n/a');
    const causal = result.causal;
    lines.push(`| \`${scenario.name}\` | ${pct(causal.sloAttainment.mean)}${causal.reachesTarget ? '' : ' (misses)'}, ${causal.billedGpuHours.mean.toFixed(1)} `
      + `| ${pct(result.clairvoyant.sloAttainment.mean)}${result.clairvoyant.reachesTarget ? '' : ' (misses)'}, ${result.clairvoyant.billedGpuHours.mean.toFixed(1)} `
      + `| ${pct(own.sloAttainment.mean)} | ${v.costRatio.toFixed(2)} | ${v.clairvoyantRatio.toFixed(2)} `
      + `| ${mark(v.meetsTarget)} | ${mark(v.withinCost)} `
      + `| ${!v.reachable ? 'n/a' : v.dominatedBy.length === 0 ? 'yes' : `**no**: ${v.dominatedBy.map((n) => `\`${n}\``).join(', ')}`} |`);
  }
  return lines.join('\n');
}

/**
 * Where the default misses a goal on a scenario the causal reference can serve: by how much, why, and what the
 * measured variant rows (settings a user can change) buy instead.
 */
export function suiteShortfalls(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const { scenario, result } of results) {
    const v = verdict(scenario.name, result);
    if (!v.reachable || (v.meetsTarget && v.withinCost && v.dominatedBy.length === 0)) continue;
    const misses: string[] = [];
    if (!v.meetsTarget) misses.push(`${(v.shortfall * 100).toFixed(2)} points below the ${(result.sloTarget * 100).toFixed(0)}% target`);
    if (!v.withinCost) misses.push(`${(v.costRatio - GOALS.maxCostOverCausal).toFixed(2)}x over the cost goal (${v.costRatio.toFixed(2)}x the causal reference)`);
    if (v.dominatedBy.length > 0) misses.push(`both cheaper and better: ${v.dominatedBy.map((n) => `\`${n}\``).join(', ')}`);
    const trades = result.policies.filter((p) => p.source.startsWith(LIBRARY_SOURCE) && p.name !== 'default')
      .map((p) => `\`${p.name}\` reaches ${pct(p.sloAttainment.mean)} at ${(p.billedGpuHours.mean / result.causal.billedGpuHours.mean).toFixed(2)}x`);
    const causal = ` The causal reference (perfect measurement, no foresight) meets the target at ${(result.causal.billedGpuHours.mean / result.clairvoyant.billedGpuHours.mean).toFixed(2)}x the clairvoyant.`;
    lines.push(`- \`${scenario.name}\`: ${misses.join('; ')}. Why: ${scenario.challenge}.${causal}${trades.length > 0 ? ` Trading cost for it (x causal): ${trades.join('; ')}.` : ''}`);
  }
  return lines.length === 0 ? 'None: the default meets every goal wherever the causal reference meets the target.' : lines.join('\n');
}

/** Each scenario's full table, in Markdown. */
export function suiteSections(results: ScenarioResult[]): string {
  return results.map(({ scenario, result }) => [
    `### \`${scenario.name}\`: ${scenario.description}`,
    '',
    ...benchSummary(result).split('\n').map((line) => `- ${line}`),
    '',
    benchMarkdownTable(result),
    '',
  ].join('\n')).join('\n');
}

/** The sources of the compared policies (the same on every scenario). */
export function suiteSources(results: ScenarioResult[]): string {
  return results.length === 0 ? '' : benchSources(results[0].result, true);
}

/** The suite as plain text: each scenario's summary and table. */
export function suiteText(results: ScenarioResult[]): string {
  return results.map(({ scenario, result }) => `== ${scenario.name}: ${scenario.description}\n${benchSummary(result)}\n\n${benchTextTable(result)}\n`).join('\n');
}

/** The suite as JSON: `{ scenarios: [{ name, description, verdict, ...bench JSON }] }`. */
export function suiteJson(results: ScenarioResult[]): string {
  return JSON.stringify({
    scenarios: results.map(({ scenario, result }) => ({
      name: scenario.name,
      part: scenario.part ?? 'train',
      description: scenario.description,
      verdict: verdict(scenario.name, result),
      ...JSON.parse(benchJson(result)),
    })),
  }, null, 2);
}
