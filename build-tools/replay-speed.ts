/**
 * Replay speed: one hour of the Azure conversation trace at 10x through the autoscaled example, timed in process
 * (the replay alone: trace read, chart synthesized and the optimistic reference computed beforehand), for a cold
 * and a warm start; optionally side by side with another build of the package (its compiled `lib/`), interleaved
 * run by run so both see the same machine.
 *
 *   npx projen bench:replay [-- --baseline /path/to/other/checkout [--request-count]]
 */
import { join, resolve } from 'path';
import { exampleManifests } from '../src/simulation/cluster/example-chart';
import { Trace } from '../src/simulation/traffic/trace';

const RUNS = 7;
const baselineIndex = process.argv.indexOf('--baseline');
const baselineDir = baselineIndex > 0 ? resolve(process.argv[baselineIndex + 1]) : undefined;

type Replay = (start: string, extra?: object) => void;
/** A build's replay through its public API (`Simulation.run`), so builds of any source layout compare. */
function replayOf(dir: string, manifests: unknown[]): Replay {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(join(dir, 'lib'));
  const trace = lib.Trace.fromCsvFile(TRACE_FILE).scaleRate(10);
  return (start, extra) => lib.Simulation.run({
    manifests,
    trace,
    optimisticGpuHours: 1,
    ...(start === 'given' ? { initialReplicas: 1 } : { start }),
    ...extra,
  });
}

const TRACE_FILE = join(__dirname, '..', 'data', 'traces', 'azure-llm-2023-conv.csv');
const here = Trace.fromCsvFile(TRACE_FILE).scaleRate(10);
// Both builds replay the same synthesized chart: the autoscaled example of this checkout, or with --request-count its
// request-count triggers alone (what a build older than the demand trigger can read).
const requestCount = { targetQueuePerReplica: 5, capacityTrigger: { enabled: true, utilization: 0.25 }, demandTrigger: { enabled: false } };
const manifests = exampleManifests(process.argv.includes('--request-count') ? { autoscaler: requestCount } : {});
const builds: [string, Replay][] = [['this checkout', replayOf(join(__dirname, '..'), manifests)]];
if (baselineDir) builds.push([`baseline (${baselineDir})`, replayOf(baselineDir, manifests)]);
// The demand trigger's query (counters, rates and a subquery) against the request-count triggers, in this checkout.
if (!baselineDir) builds.push(['this checkout, request-count triggers', replayOf(join(__dirname, '..'), exampleManifests({ autoscaler: requestCount }))]);
// The node layer and pinned connections are new: only this checkout runs them.
const cases: [string, string, object?][] = [['warm start (15-minute lead-in)', 'warm'], ['cold start', 'cold'], ['given warm replicas', 'given'],
  ['warm start, nodes autoscaled', 'warm', { nodes: { mode: 'autoscaled' } }], ['warm start, connections:64:300', 'warm', { routing: 'connections:64:300' }]];
const rows: string[] = [];
for (const [label, start, extra] of cases) {
  const times = new Map<string, number[]>(builds.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, replay] of builds) {
      if (extra !== undefined && !name.startsWith('this checkout')) continue;
      const t0 = process.hrtime.bigint();
      replay(start, extra);
      times.get(name)!.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  for (const [name, list] of times) {
    if (list.length === 0) continue;
    list.sort((a, b) => a - b);
    rows.push(`| ${name} | ${label} | ${list[Math.floor(list.length / 2)].toFixed(2)} s | ${list[0].toFixed(2)}-${list[list.length - 1].toFixed(2)} s |`);
  }
}
console.log(`One hour of the Azure conversation trace at 10x (${here.length} requests), ${RUNS} runs each:\n`);
console.log('| build | start | median | range |\n|---|---|---:|---:|');
console.log(rows.join('\n'));
