#!/usr/bin/env node
import { readFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import { Duration } from 'cdk8s';
import { SWEPT_DEFAULTS } from '../autoscaling-defaults';
import { BUDGET_TEXT, flashCrowd, parseArguments, policyList, rateScale, readManifestsFile, UsageError } from './cli-input';
import { Gpu } from '../gpu';
import { Model } from '../model';
import { ENGINE_USAGE, engineCommand } from './engine-command';
import { writableDirectory, writableFileDirectory, writeOutputFile } from './output-files';
import { ExampleDeploymentOptions } from '../simulation/cluster/deployment-options';
import { EXAMPLE_DEPLOYMENTS, exampleManifests } from '../simulation/cluster/example-chart';
import { findAutoscaler } from '../simulation/cluster/find-autoscaler';
import { Manifest, readServer } from '../simulation/cluster/manifests';
import { NodePoolProps, parseNodeMode } from '../simulation/cluster/node-pool-props';
import { parseRouting } from '../simulation/cluster/routing';
import { PEER_POLICIES, policyNames } from '../simulation/control/policies';
import { ASSUMPTIONS } from '../simulation/engine/assumptions';
import { Benchmark, BenchmarkResult, runBenchmark } from '../simulation/evidence/benchmark';
import { evaluationScenarios } from '../simulation/evidence/generated-suite';
import { SimulationResult } from '../simulation/evidence/results';
import { runSuite, ScenarioResult, standardScenarios } from '../simulation/evidence/suite';
import { settingsJson, settingsLabel, settingsTypeScript, tune, TUNE_DEFAULTS, TuneResult, TuningMeasure } from '../simulation/evidence/tuning';
import { VariantRow } from '../simulation/evidence/variant-row';
import { benchJson, benchMarkdownTable, benchSources, benchSummary, benchTextTable } from '../simulation/report/bench-report';
import { dashboardSvgOf } from '../simulation/report/dashboard-svg';
import { jsonReport, modelled, ReportTrace, summary, textTable } from '../simulation/report/report';
import { suiteJson, suiteSections, suiteShortfalls, suiteSources, suiteSummaryTable, suiteText } from '../simulation/report/suite-report';
import { CostReference, costChart, policyChart } from '../simulation/report/svg';
import { simulate } from '../simulation/simulation';
import { Trace } from '../simulation/traffic/trace';
import { LoadFormat } from '../sizing';

const USAGE = `usage:
  cdk8s-vllm bench --trace FILE [options]       compare autoscaling policies on one trace
  cdk8s-vllm bench --suite [options]            ... on every scenario of the suite (docs/benchmarks.md)
  cdk8s-vllm simulate --trace FILE [options]    replay one autoscaler
  cdk8s-vllm tune --trace FILE [options]        tune the QueueAutoscaler on your traffic and test it on its later part
${ENGINE_USAGE}
  cdk8s-vllm --version | --help

  bench replays the trace through the library's default policy (or, with --manifests, your chart's
  autoscaler), the peer policies (${PEER_POLICIES.map((p) => p.name).join(', ')}) under the same floor and ceiling,
  and static (the fewest fixed replicas that meet the SLO target), against two references: the clairvoyant
  provisioner (knows the trace, pays cold starts, replayed) and the optimistic one (instant replicas, not replayed).
  simulate replays one autoscaler: the one in a synthesized YAML file, or without --manifests the library's default.
  Without --manifests both model the README's quick start (Llama 3.1 70B on 4 x H100 from a ModelCache).
  tune replays the earlier part of your trace (--train-fraction, by time) through a grid of QueueAutoscaler settings
  on your chart's server (or the quick start's), keeps the cheapest that meets the SLO target there with half the
  allowed misses to spare, and reports it, the library's defaults and the causal and clairvoyant references on the
  later part, which it never tuned on. It prints the settings as TypeScript to paste into your QueueAutoscaler.
  engine prints the simulator's time for one engine step (B decodes of L tokens of context plus T prefill tokens).

traffic:
  --trace FILE              CSV of TIMESTAMP,ContextTokens,GeneratedTokens, one request per row
  --suite                   bench: the scenario suite: its held-out evaluation part (traffic generated from published
                            statistics: chat, code, retrieval, long-context and decode-heavy mixes; noisy days, on/off
                            bursts, crowds; nodes free, autoscaled and with pinned connections) and the Azure scenarios
                            the defaults were tuned on (the trace at 1x, 4x, 8x, cold, shuffled, random routing, and
                            generated days); --trace defaults to the bundled Azure conversation trace
  --rate-scale X            replay at X times the trace's rate (default 1)
  --diurnal MIN_FACTOR      thin the trace by a cosine day shape down to MIN_FACTOR (0-1)
  --flash-crowd START_S,DURATION_S,MULTIPLIER   multiply the rate inside a window
  --shuffle-tokens          shuffle (prompt, output) pairs among the arrivals
  --seed N                  seed of the random steps above, and of random routing (default 1)
  --seeds N                 bench: repeat over seeds N, N+1, ... and report the mean and range (default 1)
server and policies:
  --manifests YAML          your synthesized chart: simulate replays its autoscaler; bench makes it the default row
  --deployment NAME         the Deployment to replay when the manifests hold several
  --example NAME            the example deployment (${Object.keys(EXAMPLE_DEPLOYMENTS).join(', ')})
  --model ID --parameters-billions N   another model for the example deployment
  --gpu NAME --gpu-count N --max-num-seqs N   another GPU, GPU count or sequence cap for it
  --policies a,b,...        bench: the rows to run (default: all; ${[...policyNames(), 'static'].join(', ')})
  --max-replicas N          bench: the ceiling of every policy and reference (default: the default policy's)
  --start warm|cold         warm: replay the trace's first 15 min first, unmeasured (default); cold: start at the floor
  --routing round-robin|random|connections:N[:LIFETIME_SECONDS]
                            how requests reach the ready pods: round-robin (an L7 gateway, default), random
                            (kube-proxy iptables, one connection per request), or clients holding N keep-alive
                            connections, each pinned to the pod it opened to and reopened after LIFETIME_SECONDS
                            or when its pod goes away
  --random-routing          the same as --routing random
cluster nodes:
  --nodes free|autoscaled|fixed:N   free: every new pod finds a free GPU node at once (default); autoscaled: a
                            node autoscaler adds a node when a pod fits none and removes one that stays empty;
                            fixed:N: N nodes. Cost is then what the cluster bills: node GPU-hours when autoscaled
  --node-gpus N             GPUs per node (default: 8 for 80 GB GPUs such as H100, H200, A100; 1, 4 or 8 for L4 and A10G)
  --node-provisioning SECONDS   from the node autoscaler's request to a Ready node (default 300)
  --image-pull SECONDS      pulling the server's image onto a node without it (default 160)
  --node-scale-down SECONDS   how long a node stays empty before it is removed (default 600)
  --min-nodes N             nodes that exist from the start and are never removed (default 0)
objective and output:
  --slo-ttft SECONDS        time-to-first-token objective (default 2)
  --slo-target FRACTION     bench: fraction of requests within it that counts as meeting it (default 0.99)
  --json                    print one JSON object instead of tables
  --svg DIR                 write SVG charts to DIR and print their paths
  --dashboard-svg FILE      simulate: draw ServingDashboard's panels from the replay into FILE
  --markdown FILE           bench: write a Markdown page with the command, the tables and the charts
  --train-fraction F        tune: the earlier fraction of the trace tuned on, by time (default 0.5); the rest is tested

${BUDGET_TEXT}`;

const FLAGS = new Set(['json', 'help', 'version', 'shuffle-tokens', 'random-routing', 'suite']);
const OPTIONS = new Set(['trace', 'rate-scale', 'slo-ttft', 'svg', 'markdown', 'policies', 'model', 'parameters-billions', 'gpu',
  'gpu-count', 'max-num-seqs', 'manifests', 'deployment', 'seed', 'diurnal', 'flash-crowd', 'example', 'max-replicas', 'seeds',
  'start', 'slo-target', 'dashboard-svg', 'nodes', 'node-gpus', 'node-provisioning', 'image-pull', 'node-scale-down', 'min-nodes',
  'routing', 'train-fraction']);

const NODE_FIGURES: [string, keyof NodePoolProps][] = [['node-gpus', 'gpusPerNode'], ['node-provisioning', 'provisioningSeconds'],
  ['image-pull', 'imagePullSeconds'], ['node-scale-down', 'scaleDownSeconds'], ['min-nodes', 'minNodes']];

/** `--nodes` and the figures of the node pool; the figures need nodes that are modelled. */
function nodeOptions(options: Map<string, string>): NodePoolProps | undefined {
  const text = options.get('nodes');
  let props: NodePoolProps | undefined;
  try {
    props = text === undefined ? undefined : parseNodeMode(text);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
  const figures: { [key: string]: number } = {};
  for (const [flag, key] of NODE_FIGURES) {
    if (!options.has(flag)) continue;
    if (props === undefined || props.mode === 'free') throw new UsageError(`--${flag} needs --nodes autoscaled or --nodes fixed:N`);
    if (flag === 'min-nodes' && props.mode === 'fixed') throw new UsageError('--min-nodes does not go with --nodes fixed:N: N is the node count');
    const whole = flag === 'node-gpus' || flag === 'min-nodes';
    figures[key] = numberOption(options, flag, 0, (n) => (whole ? Number.isInteger(n) && n >= (flag === 'node-gpus' ? 1 : 0) : n >= 0) && n <= 86_400,
      whole ? `a whole number from ${flag === 'node-gpus' ? 1 : 0} to 86400` : 'a number of seconds from 0 to 86400');
  }
  return props === undefined ? undefined : { ...props, ...figures };
}

/** `--routing`, or `--random-routing` (its alias). */
function routingOption(options: Map<string, string>, flags: Set<string>): string {
  const text = options.get('routing');
  if (text !== undefined && flags.has('random-routing') && text !== 'random') throw new UsageError(`--random-routing and --routing ${text} disagree`);
  const routing = text ?? (flags.has('random-routing') ? 'random' : 'round-robin');
  try {
    parseRouting(routing);
  } catch (error) {
    throw new UsageError(`--${(error as Error).message}`);
  }
  return routing;
}

/** Options only one command reads; given to the other, they would be ignored silently. */
const COMMAND_OF: { [name: string]: string[] } = Object.fromEntries([
  ...['suite', 'seeds', 'policies', 'markdown'].map((name) => [name, ['bench']]),
  ...['max-replicas', 'slo-target'].map((name) => [name, ['bench', 'tune']]),
  ['dashboard-svg', ['simulate']],
  ['train-fraction', ['tune']],
  // tune replays your chart's server (or the quick start's) from a warm start, and writes no charts.
  ...['example', 'model', 'parameters-billions', 'gpu', 'gpu-count', 'max-num-seqs', 'start', 'svg'].map((name) => [name, ['bench', 'simulate']]),
]);

/** Refuses an option that the command does not read. */
function checkApplies(parsed: Parsed): void {
  for (const name of [...parsed.options.keys(), ...parsed.flags]) {
    const owners = COMMAND_OF[name];
    if (owners !== undefined && !owners.includes(parsed.command)) {
      throw new UsageError(`--${name} does not apply to ${parsed.command}: only ${owners.join(' and ')} read${owners.length === 1 ? 's' : ''} it`);
    }
  }
}

interface Parsed { readonly command: string; readonly options: Map<string, string>; readonly flags: Set<string> }

function parse(argv: string[]): Parsed {
  return parseArguments(argv, FLAGS, OPTIONS);
}

function numberOption(options: Map<string, string>, name: string, fallback: number, rule: (n: number) => boolean, ruleText: string): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !rule(value)) throw new UsageError(`--${name} (${raw}) must be ${ruleText}`);
  return value;
}

function deploymentOptions(options: Map<string, string>): ExampleDeploymentOptions {
  const modelId = options.get('model');
  const parameters = options.get('parameters-billions');
  if ((modelId === undefined) !== (parameters === undefined)) throw new UsageError('--model and --parameters-billions go together');
  const model = modelId !== undefined ? Model.huggingFace(modelId, { parametersBillions: Number(parameters) }) : undefined;
  const gpuName = options.get('gpu');
  const gpu = gpuName === undefined ? undefined
    : Gpu.presets().find((g) => g.name.toLowerCase() === gpuName.toLowerCase() || g.productLabel === gpuName);
  if (gpuName !== undefined && gpu === undefined) throw new UsageError(`--gpu '${gpuName}' is not one of ${Gpu.presets().map((g) => g.name).join(', ')}`);
  const gpuCount = options.has('gpu-count') ? numberOption(options, 'gpu-count', 4, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1') : undefined;
  const maxNumSeqs = options.has('max-num-seqs') ? numberOption(options, 'max-num-seqs', 256, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1') : undefined;
  const exampleName = options.get('example') ?? 'llama-70b-h100';
  const example = EXAMPLE_DEPLOYMENTS[exampleName];
  if (example === undefined) throw new UsageError(`--example '${exampleName}' is not one of ${Object.keys(EXAMPLE_DEPLOYMENTS).join(', ')}`);
  const preset = example();
  return { model: model ?? preset.model, gpu: gpu ?? preset.gpu, gpuCount: gpuCount ?? preset.gpuCount, maxNumSeqs: maxNumSeqs ?? preset.maxNumSeqs };
}

function loadTrace(options: Map<string, string>, flags: Set<string>): Trace {
  const file = options.get('trace');
  if (file === undefined) throw new UsageError('--trace FILE is required');
  const scale = rateScale(options.get('rate-scale'));
  const seed = numberOption(options, 'seed', 1, (n) => Number.isInteger(n), 'a whole number');
  let trace = Trace.fromCsvFile(file);
  if (scale !== 1) trace = trace.scaleRate(scale, seed);
  if (options.has('diurnal')) {
    const minFactor = numberOption(options, 'diurnal', 0.2, (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1');
    trace = trace.withDiurnalEnvelope({ minFactor, seed });
  }
  const crowd = options.get('flash-crowd');
  if (crowd !== undefined) {
    trace = trace.withFlashCrowd({ ...flashCrowd(crowd), seed });
  }
  if (flags.has('shuffle-tokens')) trace = trace.shuffleTokens(seed);
  return trace;
}

/** A progress bar on stderr, only when stderr is a terminal. */
function progressBar(): ((label: string, fraction: number) => void) & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  const update = (label: string, fraction: number): void => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round(fraction * width);
    const text = `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label}`;
    if (text !== last) process.stderr.write(text.padEnd(60));
    last = text;
  };
  return Object.assign(update, { done: () => { if (tty && last !== '') process.stderr.write(`\r${' '.repeat(60)}\r`); } });
}

function writeCharts(dir: string, results: SimulationResult[], slo: number, reference?: CostReference, target?: number): string[] {
  const files: string[] = [];
  const write = (file: string, text: string): void => {
    writeOutputFile(file, text, '--svg');
    files.push(file);
  };
  write(join(dir, 'cost-vs-slo.svg'), costChart(results, slo, reference, target));
  for (const result of results) write(join(dir, `${result.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.svg`), policyChart(result, slo, reference));
  return files;
}

function traceInfo(trace: Trace): ReportTrace {
  return { file: trace.name, requests: trace.length, durationSeconds: trace.durationSeconds, rateScale: trace.rateScale };
}

function startOption(options: Map<string, string>): 'warm' | 'cold' {
  const start = options.get('start') ?? 'warm';
  if (start !== 'warm' && start !== 'cold') throw new UsageError(`--start (${start}) must be warm or cold`);
  return start;
}

/** The Azure conversation trace that ships with the package (data/traces; CC-BY 4.0, see its README). */
const BUNDLED_TRACE = join(__dirname, '..', '..', 'data', 'traces', 'azure-llm-2023-conv.csv');

/** What bench and bench --suite share: the SLO, the server (the example or your chart) and the ceiling. */
function benchmarkSettings(options: Map<string, string>) {
  const file = options.get('manifests');
  return {
    sloTtftSeconds: numberOption(options, 'slo-ttft', ASSUMPTIONS.defaultSloTtftSeconds, (n) => n > 0, 'a number of seconds > 0'),
    sloTarget: numberOption(options, 'slo-target', ASSUMPTIONS.sloTarget, (n) => n > 0 && n <= 1, 'a fraction > 0 and <= 1'),
    deployment: file === undefined ? deploymentOptions(options) : undefined,
    manifests: file === undefined ? undefined : readManifests(file),
    deploymentName: options.get('deployment'),
    nodes: nodeOptions(options),
    maxReplicas: options.has('max-replicas')
      ? numberOption(options, 'max-replicas', 1, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number from 1 to 1000') : undefined,
  };
}

function suite(parsed: Parsed, argv: string[], out: (text: string) => void, err: (text: string) => void): void {
  const { options, flags } = parsed;
  for (const name of ['rate-scale', 'diurnal', 'flash-crowd', 'seeds', 'start', 'policies', 'routing', 'nodes', ...NODE_FIGURES.map(([flag]) => flag)]) {
    if (options.has(name)) throw new UsageError(`--${name} does not go with --suite: each scenario sets its own`);
  }
  if (flags.has('random-routing')) throw new UsageError('--random-routing does not go with --suite: each scenario sets its own');
  const settings = benchmarkSettings(options);
  const slo = settings.sloTtftSeconds;
  checkOutputs(options);
  const azure = Trace.fromCsvFile(options.get('trace') ?? BUNDLED_TRACE);
  const progress = progressBar();
  const variants: VariantRow[] = settings.deployment === undefined ? [] : exampleVariants(settings.deployment);
  // Held out first: the evaluation part, under the three cluster conditions; then the Azure scenarios the sweep tuned on.
  const scenarios = [...evaluationScenarios(azure), ...standardScenarios(azure).map((s) => ({ ...s, part: 'train' }))];
  const results = runSuite(scenarios, { ...settings, maxReplicas: settings.maxReplicas ?? SUITE_MAX_REPLICAS },
    (scenario, fraction) => progress(scenario, fraction), variants);
  progress.done();
  const charted = results.find((r) => r.scenario.name === CHARTED_SCENARIO) ?? results[0];
  const charts = options.has('svg') ? writeCharts(options.get('svg')!, charted.result.policies.map((p) => p.results[0]), slo,
    { name: 'clairvoyant', gpuHours: charted.result.clairvoyant.billedGpuHours.mean }, charted.result.sloTarget) : [];
  if (options.has('markdown')) writeSuiteMarkdown(options.get('markdown')!, argv, results, charts, charted.scenario.name);
  for (const chart of charts) err(`wrote ${chart}`);
  out(flags.has('json') ? suiteJson(results) : suiteText(results));
}

/** More standing headroom than the default, and (with the demand trigger on) the default without its hold. */
function headroomVariants(deployment: ExampleDeploymentOptions): VariantRow[] {
  if (!SWEPT_DEFAULTS.demandEnabled) {
    const headroom = SWEPT_DEFAULTS.capacityUtilization / 2;
    return [{
      name: `default, utilization ${headroom}`,
      description: `the default with capacityTrigger.utilization ${headroom} (half the default's): more standing headroom`,
      manifests: exampleManifests({ ...deployment, autoscaler: { capacityTrigger: { enabled: true, utilization: headroom } } }),
    }];
  }
  const utilization = Number((SWEPT_DEFAULTS.demandUtilization * 0.75).toFixed(2));
  return [
    {
      name: `default, demand utilization ${utilization}`,
      description: `the default with demandTrigger.utilization ${utilization} (three quarters of the default's): more standing headroom`,
      manifests: exampleManifests({ ...deployment, autoscaler: { demandTrigger: { enabled: true, utilization } } }),
    },
    {
      name: 'default, hold 3 cold starts',
      description: 'the default with demandTrigger.hold three cold starts: capacity kept through longer gaps between bursts, and paid for',
      manifests: exampleManifests({
        ...deployment,
        autoscaler: { demandTrigger: { enabled: true, hold: Duration.seconds(3 * exampleColdStart(deployment)) } },
      }),
    },
    {
      name: 'request-count triggers',
      description: 'the request-count triggers alone, as the previous defaults set them: waiting 5 and in flight 0.25 x --max-num-seqs per replica, +2 pods per 60 s, no demand trigger',
      manifests: exampleManifests({
        ...deployment,
        autoscaler: {
          targetQueuePerReplica: 5, capacityTrigger: { enabled: true, utilization: 0.25 }, demandTrigger: { enabled: false }, scaleUp: { pods: 2 },
        },
      }),
    },
    {
      name: 'default, no hold',
      description: 'the default with demandTrigger.hold 0: the demand followed down at once; the difference is the price and the gain of the hold',
      manifests: exampleManifests({ ...deployment, autoscaler: { demandTrigger: { enabled: true, hold: Duration.seconds(0) } } }),
    },
  ];
}

/** The example server's cold-start estimate, seconds. */
function exampleColdStart(deployment: ExampleDeploymentOptions): number {
  return readServer(exampleManifests(deployment)).coldStartSeconds;
}

/** The ceiling of every policy in the suite: the generated scenarios need up to 12 replicas at their peaks. */
const SUITE_MAX_REPLICAS = 16;

/**
 * Settings a user can change on the example chart, measured beside the default: more standing headroom, the price of
 * the demand trigger's hold, and the cold start with no compile cache or with the Run:ai streamer.
 */
function exampleVariants(deployment: ExampleDeploymentOptions): VariantRow[] {
  return [
    ...headroomVariants(deployment),
    {
      name: 'default, no compile cache',
      description: 'the default on a server whose ModelCache keeps no compile cache (compileCache: false): every replica compiles',
      manifests: exampleManifests({ ...deployment, cache: { compileCache: false } }),
    },
    {
      name: 'default + GpuHeadroom 1',
      description: 'the default with one GpuHeadroom placeholder: a replica-sized GPU slot held at a negative priority, preempted by the next scale-out',
      manifests: exampleManifests({ ...deployment, headroom: 1 }),
    },
    {
      name: 'default, WarmFloor 2',
      description: 'the default with a WarmFloor of 2: the same standing GPUs as one placeholder, but serving',
      manifests: exampleManifests({ ...deployment, floor: 2 }),
      minReplicas: 2,
    },
    {
      name: 'default, Run:ai streamer',
      description: 'the default on a server that streams its weights (loadFormat: LoadFormat.RUNAI_STREAMER): a shorter cold start',
      manifests: exampleManifests({ ...deployment, server: { loadFormat: LoadFormat.RUNAI_STREAMER } }),
    },
  ];
}

/** The scenario whose replays the suite's charts show. */
const CHARTED_SCENARIO = 'code-bursts-95rps-90s';

function writeSuiteMarkdown(file: string, argv: string[], results: ScenarioResult[], charts: string[], charted: string): void {
  const evaluation = results.filter((r) => r.scenario.part === 'evaluation');
  const train = results.filter((r) => r.scenario.part !== 'evaluation');
  writeMarkdownPage(file, argv, 'Command (`npx projen benchmarks` runs it):', [
    SUITE_METHOD,
    '',
    '## The default on the evaluation part (held out: never tuned on)',
    '',
    suiteSummaryTable(evaluation),
    '',
    '## Where the default misses on the evaluation part, by how much and why',
    '',
    suiteShortfalls(evaluation),
    '',
    '## The default on the training part',
    '',
    'The Azure scenarios, nodes free, which the sweep tuned on (first seed there; three seeds here). The generated training',
    'scenarios, under all three cluster conditions, are in [sweep.md](sweep.md), where the default is the first row.',
    '',
    suiteSummaryTable(train),
    '',
    '## How the default was chosen',
    '',
    'By the worst case over the training part, against the causal reference: `npx projen sweep` synthesizes every',
    'configuration of a grid (the engine-time demand trigger at several utilizations, holds and drain times; the',
    'request-count triggers alone at several in-flight utilizations and scale-down paces), replays each on every training',
    'scenario and seed, and keeps the one whose largest miss of the goals is smallest (a miss: the SLO shortfall in points,',
    "or the cost over 1.3x the causal reference's in tenths of it; ties go to the next largest miss). It writes the choice",
    "to `src/autoscaling-defaults.ts` and every configuration's figures to [sweep.md](sweep.md). The evaluation part above",
    'was never replayed by the sweep: its parameter values and seeds are not the training part\'s.',
    '',
    '## Policies compared',
    '',
    suiteSources(results),
    '',
    '## Every scenario',
    '',
    suiteSections(results),
    `## Charts (\`${charted}\`, first seed)`,
    '',
  ], charts);
}

/** Writes a generated Markdown page: the command that made it, the body, then the charts (linked relative to the page). */
function writeMarkdownPage(file: string, argv: string[], commandLine: string, body: string[], charts: string[]): void {
  const dir = dirname(file);
  const link = (chart: string): string => relative(dir, chart).split('\\').join('/');
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by the bench command below; do not edit by hand. -->',
    '',
    commandLine,
    '',
    '```sh',
    `cdk8s-vllm ${argv.join(' ')}`,
    '```',
    '',
    ...body,
    ...charts.map((chart) => `![${link(chart)}](${link(chart)})\n`),
  ];
  writeOutputFile(file, lines.join('\n'), '--markdown');
}

const SUITE_METHOD = [
  'Every scenario replays its trace through the same server (the README quick start: Llama 3.1 70B on 4 x H100 from a',
  'ModelCache) and the same engine, cluster and controller models (docs/simulation.md). Each policy runs under the same',
  'floor and ceiling (1-16 replicas); a peer whose source ships another floor or ceiling gets a second row, `(as shipped)`.',
  '`static` is the fewest fixed replicas that meet the SLO target with hindsight.',
  '',
  'The suite has two parts. The **evaluation part** is generated from published statistics (token mixes of chat, code,',
  'retrieval, long-context and decode-heavy traffic; diurnal days with noise, on/off bursts shorter than a cold start,',
  'flash crowds at the peak and at the trough; docs/simulation.md, "The generated suite") with parameter values and seeds',
  '(101, 102) that the **training part** does not use; the defaults were tuned on the training part only. Each evaluation',
  'scenario runs three ways, and its name says which: with **nodes free** (every new pod finds a free GPU node at once;',
  'cost is pod GPU-hours; two seeds), `/nodes-autoscaled` (8-GPU nodes that a node autoscaler adds in 300 s, an image',
  'pull of 160 s on a fresh node, removal after 600 s empty; cost is node GPU-hours, billed whole; one seed) and',
  '`/connections` (clients hold 64 keep-alive connections pinned to the pod each opened to, recycled every 300 s; nodes',
  'free; one seed). Every other scenario routes round-robin, as an L7 gateway does.',
  '',
  'Three references, started like every row. The **causal** reference is the best reactive provisioner with perfect',
  'measurement: it knows the work that has arrived (prompt and output tokens weighed by the engine model), never the',
  'future, and is the cheapest of its family (headroom, hold) that meets the target; where it misses, no autoscaler that',
  'reacts can meet the target with this cold start. The **clairvoyant** provisioner knows every arrival, sizes capacity by',
  'engine work, pays the real cold start, node wait and pull, and is the cheapest schedule its search finds that meets the',
  "target; when any row meets the target more cheaply, its search widens with that row's schedule, so it is never beaten",
  '(checked on every scenario). The **optimistic** reference starts replicas instantly and is not replayed: a yardstick, not',
  "a bound. Costs are billed GPU-hours, as ratios to the causal reference's and the clairvoyant's. A **warm** start replays",
  "the trace's first 15 minutes first, from what each row asks for then, and measures nothing of them; a **cold** start",
  'begins with at most the floor warm. Figures are means over the seeds, with the range in brackets.',
  '',
  'Goals, on every scenario where the causal reference meets the target (99% of requests with a time to first token',
  'within 2 s): the default meets the target, costs at most 1.3x the causal reference, and no peer or static baseline is',
  'both cheaper and at least as good.',
].join('\n');

function bench(parsed: Parsed, argv: string[], out: (text: string) => void, err: (text: string) => void): void {
  const { options, flags } = parsed;
  if (flags.has('suite')) return suite(parsed, argv, out, err);
  const settings = benchmarkSettings(options);
  const slo = settings.sloTtftSeconds;
  const policies = policyList(options.get('policies'), Benchmark.policyNames());
  const seeds = numberOption(options, 'seeds', 1, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number from 1 to 100');
  const firstSeed = numberOption(options, 'seed', 1, (n) => Number.isInteger(n), 'a whole number');
  checkOutputs(options);
  const trace = loadTrace(options, flags);
  const progress = progressBar();
  const result: BenchmarkResult = runBenchmark({
    ...settings,
    trace,
    policies,
    start: startOption(options),
    seeds,
    firstSeed,
    routing: routingOption(options, flags),
  }, (step, fraction) => progress(step, fraction));
  progress.done();
  const firstSeedResults = result.policies.map((p) => p.results[0]);
  const reference: CostReference = { name: 'clairvoyant', gpuHours: result.clairvoyant.billedGpuHours.mean };
  const charts = options.has('svg') ? writeCharts(options.get('svg')!, firstSeedResults, slo, reference, result.sloTarget) : [];
  if (options.has('markdown')) writeMarkdown(options.get('markdown')!, argv, result, charts);
  for (const chart of charts) err(`wrote ${chart}`);
  if (flags.has('json')) {
    out(benchJson(result));
    return;
  }
  out(benchSummary(result) + '\n');
  out(benchTextTable(result));
  out('\nsources:\n' + benchSources(result));
}

function writeMarkdown(file: string, argv: string[], result: BenchmarkResult, charts: string[]): void {
  writeMarkdownPage(file, argv, 'Command:', [
    ...benchSummary(result).split('\n').map((line) => `- ${line}`),
    '',
    benchMarkdownTable(result),
    '',
    benchSources(result, true),
    '',
  ], charts);
}

function readManifests(file: string): Manifest[] {
  return readManifestsFile(file);
}

/** Output locations are checked before the replay, so a long run never ends on an unwritable path. */
function checkOutputs(options: Map<string, string>): void {
  if (options.has('svg')) writableDirectory(options.get('svg')!, '--svg');
  if (options.has('markdown')) writableFileDirectory(options.get('markdown')!, '--markdown');
  if (options.has('dashboard-svg')) writableFileDirectory(options.get('dashboard-svg')!, '--dashboard-svg');
}

function simulateCommand(parsed: Parsed, out: (text: string) => void, err: (text: string) => void): void {
  const { options, flags } = parsed;
  const file = options.get('manifests');
  const slo = numberOption(options, 'slo-ttft', ASSUMPTIONS.defaultSloTtftSeconds, (n) => n > 0, 'a number of seconds > 0');
  checkOutputs(options);
  let manifests = file === undefined ? exampleManifests(deploymentOptions(options)) : readManifests(file);
  const hasServer = manifests.some((m) => m.kind === 'Deployment' && (m.spec?.template?.spec?.containers ?? []).some((c: Manifest) => (c.command ?? []).includes('vllm')));
  if (!hasServer) {
    // Only an autoscaler: run it against the example deployment.
    const example = exampleManifests(deploymentOptions(options)).filter((m) => m.kind !== 'ScaledObject');
    const name = readServer(example).deploymentName;
    const retarget = (m: Manifest): Manifest => (m.spec?.scaleTargetRef
      ? { ...m, spec: { ...m.spec, scaleTargetRef: { ...m.spec.scaleTargetRef, name } } }
      : m);
    manifests = [...example, ...manifests.map(retarget)];
    err(`note: ${file} holds no vLLM Deployment; the autoscaler is replayed against the example deployment '${name}'`);
  }
  const trace = loadTrace(options, flags);
  const progress = progressBar();
  const result = simulate({
    manifests,
    trace,
    sloTtftSeconds: slo,
    deploymentName: options.get('deployment'),
    start: startOption(options),
    routing: routingOption(options, flags),
    nodes: nodeOptions(options),
    seed: numberOption(options, 'seed', 1, (n) => Number.isInteger(n), 'a whole number'),
  }, (f) => progress('replay', f));
  progress.done();
  if (options.has('svg')) for (const chart of writeCharts(options.get('svg')!, [result], slo)) err(`wrote ${chart}`);
  if (options.has('dashboard-svg')) writeOutputFile(options.get('dashboard-svg')!, dashboardSvgOf(result, manifests, slo, options.get('deployment')), '--dashboard-svg');
  if (flags.has('json')) {
    out(jsonReport(traceInfo(trace), [result], slo));
    return;
  }
  const server = readServer(manifests, options.get('deployment'));
  out(summary(traceInfo(trace), [result], slo));
  out(modelled(server, result, findAutoscaler(manifests, server).autoscaler.maxReplicas) + '\n');
  out(textTable([result]));
}

function tuneCommand(parsed: Parsed, out: (text: string) => void): void {
  const { options, flags } = parsed;
  const file = options.get('manifests');
  const trace = loadTrace(options, flags);
  const progress = progressBar();
  const result = tune({
    trace,
    manifests: file === undefined ? undefined : readManifests(file),
    deploymentName: options.get('deployment'),
    trainFraction: numberOption(options, 'train-fraction', TUNE_DEFAULTS.trainFraction, (n) => n > 0 && n < 1, 'a fraction between 0 and 1'),
    maxReplicas: options.has('max-replicas')
      ? numberOption(options, 'max-replicas', 1, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number from 1 to 1000') : undefined,
    nodes: nodeOptions(options),
    routing: routingOption(options, flags),
    sloTtftSeconds: numberOption(options, 'slo-ttft', TUNE_DEFAULTS.sloTtftSeconds, (n) => n > 0, 'a number of seconds > 0'),
    sloTarget: numberOption(options, 'slo-target', TUNE_DEFAULTS.sloTarget, (n) => n > 0 && n <= 1, 'a fraction > 0 and <= 1'),
    onProgress: (step, fraction) => progress(step, fraction),
  });
  progress.done();
  out(flags.has('json') ? tuneJson(result) : tuneText(result, options));
}

function tuneJson(result: TuneResult): string {
  const r = (m: TuningMeasure) => ({ sloAttainment: m.sloAttainment, billedGpuHours: m.billedGpuHours });
  return JSON.stringify({
    recommended: settingsJson(result.recommended, result.coldStartSeconds),
    train: r(result.train),
    test: r(result.test),
    default: { train: r(result.defaults.train), test: r(result.defaults.test) },
    references: { test: { causal: r(result.references.test.causal), clairvoyant: r(result.references.test.clairvoyant) } },
    maxReplicas: result.maxReplicas,
    trainTrace: traceInfo(result.trainTrace),
    testTrace: traceInfo(result.testTrace),
    candidates: result.candidates.map((c) => ({ label: settingsLabel(c.settings), train: r(c.train) })),
  }, null, 2);
}

function tuneText(result: TuneResult, options: Map<string, string>): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const row = (name: string, train: TuningMeasure | undefined, test: TuningMeasure) => `${name.padEnd(26)} ${train ? pct(train.sloAttainment).padStart(8) : '       -'} `
    + `${train ? train.billedGpuHours.toFixed(1).padStart(9) : '        -'}   ${pct(test.sloAttainment).padStart(8)} ${test.billedGpuHours.toFixed(1).padStart(9)}`;
  const { causal, clairvoyant } = result.references.test;
  return [
    `tuned on ${result.trainTrace.name}: ${result.trainTrace.length} requests over ${(result.trainTrace.durationSeconds / 60).toFixed(0)} min`,
    `tested on ${result.testTrace.name}: ${result.testTrace.length} requests over ${(result.testTrace.durationSeconds / 60).toFixed(0)} min (never tuned on)`,
    `ceiling ${result.maxReplicas} replicas; nodes ${options.get('nodes') ?? 'free'}; routing ${options.get('routing') ?? 'round-robin'}; `
      + `${result.candidates.length} candidates`,
    '',
    `${''.padEnd(26)} ${'train: within SLO'.padStart(18)} GPU-h   ${'test: within SLO'.padStart(8)} GPU-h`,
    row('recommended', result.train, result.test),
    row('library defaults', result.defaults.train, result.defaults.test),
    row(`causal reference${causal.reachesTarget ? '' : ' (misses)'}`, undefined, causal),
    row(`clairvoyant${clairvoyant.reachesTarget ? '' : ' (misses)'}`, undefined, clairvoyant),
    '',
    `recommended: ${settingsLabel(result.recommended)}`,
    '',
    'new QueueAutoscaler(chart, \'autoscaler\', {',
    '  server,',
    `  maxReplicas: ${result.maxReplicas},`,
    '  prometheusAddress,',
    settingsTypeScript(result.recommended, result.coldStartSeconds),
    '});',
    '',
  ].join('\n');
}

/** The version in the package's package.json. */
function packageVersion(): string {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

/** Runs the command line; returns the exit code. */
export function main(argv: string[], out: (text: string) => void = console.log, err: (text: string) => void = console.error): number {
  if (argv[0] === 'engine') return engineCommand(argv.slice(1), out, err);
  try {
    const parsed = parse(argv);
    if (parsed.flags.has('help') || parsed.command === 'help' || parsed.command === '--help') {
      out(USAGE);
      return 0;
    }
    if (parsed.flags.has('version') || parsed.command === '--version' || parsed.command === 'version') {
      out(packageVersion());
      return 0;
    }
    if (['bench', 'simulate', 'tune'].includes(parsed.command)) checkApplies(parsed);
    if (parsed.command === 'bench') bench(parsed, argv, out, err);
    else if (parsed.command === 'simulate') simulateCommand(parsed, out, err);
    else if (parsed.command === 'tune') tuneCommand(parsed, out);
    else throw new UsageError(parsed.command === '' ? 'a command is required' : `unknown command '${parsed.command}'`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`cdk8s-vllm: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    err(`cdk8s-vllm: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
