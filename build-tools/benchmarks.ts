/**
 * Generates docs/benchmarks.md and docs/benchmarks/*.svg: the policy comparison of `cdk8s-vllm bench`,
 * then experiments on the library's default policy (waiting threshold, KV-cache trigger).
 *
 *   npx ts-node --project test/tsconfig.json build-tools/benchmarks.ts [TRACE] [RATE_SCALE]
 *
 * The trace is read at run time and never copied into the repository.
 */
import { appendFileSync } from 'fs';
import { Duration } from 'cdk8s';
import { main } from '../src/cli';
import { QueueAutoscalerProps } from '../src/queue-autoscaler';
import { runBenchmark } from '../src/simulation/benchmark';
import { exampleManifests } from '../src/simulation/example-chart';
import { lowerBound, LowerBoundOutcome } from '../src/simulation/lower-bound';
import { readServer } from '../src/simulation/manifests';
import { SimulationResult } from '../src/simulation/results';
import { simulate } from '../src/simulation/simulate';
import { Trace } from '../src/simulation/trace';

const TRACE = process.argv[2] ?? 'data/traces/azure-llm-2023-conv.csv';
const RATE_SCALE = Number(process.argv[3] ?? 8);
const PAGE = 'docs/benchmarks.md';
const SLO = 2;

/** QueueAutoscaler props of one variant of the default policy. */
type Variant = [name: string, props: Partial<QueueAutoscalerProps>];

const seconds = (n: number) => Duration.seconds(n);
/** The defaults before the replay evidence: 5 waiting per replica, 60 s scale-up stabilization. */
const EARLIER: Partial<QueueAutoscalerProps> = { targetQueuePerReplica: 5, scaleUp: { stabilizationWindow: seconds(60) } };

/** Replays the example chart synthesized with a QueueAutoscaler built from `props` (its defaults otherwise). */
function replay(trace: Trace, bound: LowerBoundOutcome, [name, props]: Variant): SimulationResult {
  return simulate({
    manifests: exampleManifests({ autoscaler: props }),
    trace,
    sloTtftSeconds: SLO,
    name,
    lowerBoundGpuHours: bound.gpuHours,
    initialReplicas: bound.warmStartReplicas,
  });
}

function row(scale: number, r: SimulationResult): string {
  return `| ${scale}x | ${r.name} | ${(r.sloAttainment * 100).toFixed(2)}% | ${r.ttftP99.toFixed(2)} s | ${r.gpuHours.toFixed(1)} | `
    + `${(r.gpuHours / r.lowerBoundGpuHours).toFixed(2)} | ${r.scaleUps}/${r.scaleDowns} | ${(r.peakKvCacheUsage * 100).toFixed(0)}% | ${r.preemptions} |`;
}

const HEADER = '| rate | QueueAutoscaler props | within SLO | TTFT p99 | GPU-hours | x lower bound | ups/downs | peak KV | preemptions |\n|---|---|---:|---:|---:|---:|---:|---:|---:|';

const EXPERIMENTS: [title: string, variants: Variant[]][] = [
  ['A KV-cache trigger (`kvCacheTrigger`: mean `vllm:kv_cache_usage_perc`, metric type Value, as a second trigger)', [
    ['defaults', {}],
    ['kvCacheTrigger 0.8', { kvCacheTrigger: {} }],
    ['kvCacheTrigger 0.6', { kvCacheTrigger: { threshold: 0.6 } }],
    ['kvCacheTrigger 0.4', { kvCacheTrigger: { threshold: 0.4 } }],
    ['kvCacheTrigger 0.3', { kvCacheTrigger: { threshold: 0.3 } }],
    ['earlier defaults (target 5, scaleUp window 60 s)', EARLIER],
    ['earlier defaults, kvCacheTrigger 0.8', { ...EARLIER, kvCacheTrigger: {} }],
  ]],
  ['The waiting target (`targetQueuePerReplica`) and the scale-up stabilization window (`scaleUp.stabilizationWindow`)', [
    ['earlier defaults (target 5, scaleUp window 60 s)', EARLIER],
    ['target 5, scaleUp window 0 s', { targetQueuePerReplica: 5 }],
    ['target 2, scaleUp window 60 s', { scaleUp: { stabilizationWindow: seconds(60) } }],
    ['target 2, scaleUp window 30 s', { scaleUp: { stabilizationWindow: seconds(30) } }],
    ['defaults (target 2, scaleUp window 0 s)', {}],
    ['target 1', { targetQueuePerReplica: 1 }],
    ['target 3', { targetQueuePerReplica: 3 }],
    ['target 10', { targetQueuePerReplica: 10 }],
  ]],
  ['Scale-down (`scaleDown`: stabilization window, pods per period)', [
    ['defaults (300 s, 1 pod per 180 s)', {}],
    ['300 s, 1 pod per 300 s', { scaleDown: { period: seconds(300) } }],
    ['600 s, 1 pod per 180 s', { scaleDown: { stabilizationWindow: seconds(600) } }],
    ['120 s, 1 pod per 60 s', { scaleDown: { stabilizationWindow: seconds(120), period: seconds(60) } }],
  ]],
];

/** Policies of the bench that have both fewer GPU-hours and more requests within the SLO than `default`. */
function dominating(): string {
  const result = runBenchmark({ trace: Trace.fromCsvFile(TRACE).scaleRate(RATE_SCALE), sloTtftSeconds: SLO });
  const own = result.policies.find((p) => p.name === 'default')!;
  const better = result.policies.filter((p) => p.gpuHours < own.gpuHours && p.sloAttainment > own.sloAttainment);
  const verdict = better.length === 0
    ? 'no compared policy has both fewer GPU-hours and more requests within the SLO: `default` is on the cost/SLO frontier.'
    : `\`default\` is NOT on the cost/SLO frontier: ${better.map((p) => `\`${p.name}\` (${(p.sloAttainment * 100).toFixed(2)}%, `
      + `${p.gpuHours.toFixed(1)} GPU-hours)`).join(', ')} has both fewer GPU-hours and more requests within the SLO than \`default\` `
      + `(${(own.sloAttainment * 100).toFixed(2)}%, ${own.gpuHours.toFixed(1)} GPU-hours).`;
  return ['', '## Frontier check', '', `At ${RATE_SCALE}x: ${verdict}`, ''].join('\n');
}

function experiments(): string {
  const server = readServer(exampleManifests());
  const source = Trace.fromCsvFile(TRACE);
  const tables = EXPERIMENTS.map(() => [HEADER]);
  for (const scale of [4, 6, 8]) {
    const trace = source.scaleRate(scale);
    const bound = lowerBound(server, trace, SLO);
    EXPERIMENTS.forEach(([, variants], i) => {
      for (const variant of variants) tables[i].push(row(scale, replay(trace, bound, variant)));
    });
  }
  return [
    '',
    '## Experiments on the default policy',
    '',
    'Generated by `npx ts-node --project test/tsconfig.json build-tools/benchmarks.ts` on the same trace at 4x, 6x and 8x its rate.',
    'Each row synthesizes the example chart with a QueueAutoscaler given the props shown (its defaults otherwise) and replays',
    'the ScaledObject it emits; engine, controllers and cold start are the same for every row. "peak KV" is the highest',
    '`vllm:kv_cache_usage_perc` any replica reported at a scrape.',
    '',
    ...EXPERIMENTS.flatMap(([title], i) => [`### ${title}`, '', ...tables[i], '']),
  ].join('\n');
}

const args = ['bench', '--trace', TRACE, '--rate-scale', String(RATE_SCALE), '--svg', 'docs/benchmarks', '--markdown', PAGE];
const started = Date.now();
const code = main(args);
if (code !== 0) process.exit(code);
console.log(`bench: ${((Date.now() - started) / 1000).toFixed(1)} s`);
appendFileSync(PAGE, dominating() + experiments());
console.log(`wrote ${PAGE}`);
