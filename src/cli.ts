#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import { parseAllDocuments } from 'yaml';
import { Gpu } from './gpu';
import { Model } from './model';
import { ASSUMPTIONS } from './simulation/assumptions';
import { BenchmarkResult, runBenchmark } from './simulation/benchmark';
import { ExampleDeploymentOptions } from './simulation/deployment-options';
import { EXAMPLE_DEPLOYMENTS, exampleManifests } from './simulation/example-chart';
import { Manifest, readServer } from './simulation/manifests';
import { POLICY_NAMES } from './simulation/policies';
import { jsonReport, markdownTable, ReportTrace, summary, textTable } from './simulation/report';
import { SimulationResult } from './simulation/results';
import { simulate } from './simulation/simulate';
import { costChart, policyChart } from './simulation/svg';
import { Trace } from './simulation/trace';

const USAGE = `usage:
  cdk8s-vllm bench --trace FILE [--rate-scale X] [--slo-ttft SECONDS] [--json] [--svg DIR] [--markdown FILE]
                   [--diurnal MIN_FACTOR] [--flash-crowd START_S,DURATION_S,MULTIPLIER] [--seed N] [--policies a,b,...]
                   [--example NAME] [--model ID --parameters-billions N] [--gpu NAME] [--gpu-count N] [--max-num-seqs N]
  cdk8s-vllm simulate --trace FILE [--manifests YAML] [--rate-scale X] [--slo-ttft SECONDS] [--json] [--svg DIR]
                   [--deployment NAME] [--example NAME] [--model ID --parameters-billions N] [--gpu NAME] [--gpu-count N]

  bench compares the autoscaling policies (${POLICY_NAMES.join(', ')}) on one trace;
  simulate replays one autoscaler: the one in a synthesized YAML file, or without --manifests the library's
  default QueueAutoscaler. Both model, unless told otherwise, the README's quick start: Llama 3.1 70B on
  4 x H100 from a ModelCache. --example selects another deployment (${Object.keys(EXAMPLE_DEPLOYMENTS).join(', ')});
  --model, --gpu, --gpu-count and --max-num-seqs change it.`;

const FLAGS = new Set(['json', 'help']);
const OPTIONS = new Set(['trace', 'rate-scale', 'slo-ttft', 'svg', 'markdown', 'policies', 'model', 'parameters-billions', 'gpu',
  'gpu-count', 'max-num-seqs', 'manifests', 'deployment', 'seed', 'diurnal', 'flash-crowd', 'example']);

/** A command-line problem: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Parsed { readonly command: string; readonly options: Map<string, string>; readonly flags: Set<string> }

function parse(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (FLAGS.has(name)) {
      flags.add(name);
    } else if (OPTIONS.has(name)) {
      const value = inline ?? rest[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { command: command ?? '', options, flags };
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

function loadTrace(options: Map<string, string>): Trace {
  const file = options.get('trace');
  if (file === undefined) throw new UsageError('--trace FILE is required');
  const scale = numberOption(options, 'rate-scale', 1, (n) => n > 0, 'a number > 0');
  const seed = numberOption(options, 'seed', 1, (n) => Number.isInteger(n), 'a whole number');
  let trace = Trace.fromCsvFile(file);
  if (scale !== 1) trace = trace.scaleRate(scale, seed);
  if (options.has('diurnal')) {
    const minFactor = numberOption(options, 'diurnal', 0.2, (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1');
    trace = trace.withDiurnalEnvelope({ minFactor, seed });
  }
  const crowd = options.get('flash-crowd');
  if (crowd !== undefined) {
    const [startSeconds, durationSeconds, multiplier] = crowd.split(',').map(Number);
    if (![startSeconds, durationSeconds, multiplier].every(Number.isFinite)) {
      throw new UsageError(`--flash-crowd (${crowd}) must be START_SECONDS,DURATION_SECONDS,MULTIPLIER`);
    }
    trace = trace.withFlashCrowd({ startSeconds, durationSeconds, multiplier, seed });
  }
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

function writeCharts(dir: string, results: SimulationResult[], slo: number): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const result of results) {
    const file = join(dir, `${result.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.svg`);
    writeFileSync(file, policyChart(result, slo));
    files.push(file);
  }
  const cost = join(dir, 'cost-vs-slo.svg');
  writeFileSync(cost, costChart(results, slo));
  return [cost, ...files];
}

function traceInfo(trace: Trace): ReportTrace {
  return { file: trace.name, requests: trace.length, durationSeconds: trace.durationSeconds, rateScale: trace.rateScale };
}

function bench(parsed: Parsed, argv: string[], out: (text: string) => void): void {
  const { options, flags } = parsed;
  const slo = numberOption(options, 'slo-ttft', ASSUMPTIONS.defaultSloTtftSeconds, (n) => n > 0, 'a number of seconds > 0');
  const policies = options.get('policies')?.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of policies ?? []) {
    if (!(POLICY_NAMES as readonly string[]).includes(p)) throw new UsageError(`--policies: unknown policy '${p}'; choose from ${POLICY_NAMES.join(', ')}`);
  }
  const trace = loadTrace(options);
  const progress = progressBar();
  const count = policies?.length ?? POLICY_NAMES.length;
  let index = -1;
  let current = '';
  const props = { trace, sloTtftSeconds: slo, deployment: deploymentOptions(options), policies };
  const result: BenchmarkResult = runBenchmark(props, (policy, fraction) => {
    if (policy !== current) {
      current = policy;
      index++;
    }
    progress(policy, (index + fraction) / count);
  });
  progress.done();
  const charts = options.has('svg') ? writeCharts(options.get('svg')!, result.policies, slo) : [];
  if (options.has('markdown')) writeMarkdown(options.get('markdown')!, argv, result, slo, charts);
  if (flags.has('json')) {
    out(jsonReport(result.trace, result.policies));
    return;
  }
  out(summary(result.trace, result.policies, slo));
  out(`one replica sustains ${result.sustainableRequestsPerSecond.toFixed(2)} requests/s within the SLO at this token mix\n`);
  out(textTable(result.policies));
}

function writeMarkdown(file: string, argv: string[], result: BenchmarkResult, slo: number, charts: string[]): void {
  const dir = dirname(file);
  const link = (chart: string): string => relative(dir, chart).split('\\').join('/');
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by the bench command below; do not edit by hand. -->',
    '',
    'Command:',
    '',
    '```sh',
    `cdk8s-vllm ${argv.join(' ')}`,
    '```',
    '',
    summary(result.trace, result.policies, slo) + '.',
    `One replica sustains ${result.sustainableRequestsPerSecond.toFixed(2)} requests/s within the SLO at the trace's token mix (see docs/simulation.md for the lower bound).`,
    '',
    markdownTable(result.policies),
    '',
    ...charts.map((chart) => `![${link(chart)}](${link(chart)})\n`),
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, lines.join('\n'));
}

function readManifests(file: string): Manifest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--manifests '${file}' cannot be read: ${(error as Error).message}`);
  }
  const documents = parseAllDocuments(text);
  const manifests: Manifest[] = [];
  for (const doc of Array.isArray(documents) ? documents : [documents]) {
    if (doc.errors.length > 0) throw new UsageError(`--manifests '${file}' is not valid YAML: ${doc.errors[0].message}`);
    const value = doc.toJSON();
    if (value && typeof value === 'object') manifests.push(value);
  }
  return manifests;
}

function simulateCommand(parsed: Parsed, out: (text: string) => void, err: (text: string) => void): void {
  const { options, flags } = parsed;
  const file = options.get('manifests');
  const slo = numberOption(options, 'slo-ttft', ASSUMPTIONS.defaultSloTtftSeconds, (n) => n > 0, 'a number of seconds > 0');
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
  const trace = loadTrace(options);
  const progress = progressBar();
  const result = simulate({ manifests, trace, sloTtftSeconds: slo, deploymentName: options.get('deployment') }, (f) => progress('replay', f));
  progress.done();
  if (options.has('svg')) writeCharts(options.get('svg')!, [result], slo);
  if (flags.has('json')) {
    out(jsonReport(traceInfo(trace), [result]));
    return;
  }
  out(summary(traceInfo(trace), [result], slo) + '\n');
  out(textTable([result]));
}

/** Runs the command line; returns the exit code. */
export function main(argv: string[], out: (text: string) => void = console.log, err: (text: string) => void = console.error): number {
  try {
    const parsed = parse(argv);
    if (parsed.flags.has('help') || parsed.command === 'help' || parsed.command === '--help') {
      out(USAGE);
      return 0;
    }
    if (parsed.command === 'bench') bench(parsed, argv, out);
    else if (parsed.command === 'simulate') simulateCommand(parsed, out, err);
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
