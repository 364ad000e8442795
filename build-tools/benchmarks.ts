/**
 * Generates docs/benchmarks.md and docs/benchmarks/*.svg (the scenario suite of `cdk8s-vllm bench --suite`) and
 * docs/dashboard.svg (ServingDashboard's panels drawn from a replay of the quick start at 8x), and checks the
 * references' invariant on every scenario: no policy and no static count meets the target below the clairvoyant
 * provisioner's billed GPU-hours.
 *
 *   npx ts-node --project test/tsconfig.json build-tools/benchmarks.ts
 */
import { main } from '../src/cli/cli';

const started = Date.now();
let json = '';
const code = main(['bench', '--suite', '--svg', 'docs/benchmarks', '--markdown', 'docs/benchmarks.md', '--json'], (text) => { json = text; })
  || main(['simulate', '--trace', 'data/traces/azure-llm-2023-conv.csv', '--rate-scale', '8', '--dashboard-svg', 'docs/dashboard.svg'], () => undefined);
console.log(`benchmarks: ${((Date.now() - started) / 1000).toFixed(1)} s`);
const beaten: string[] = [];
if (code === 0) {
  for (const scenario of JSON.parse(json).scenarios) {
    const clairvoyant = scenario.references.clairvoyant;
    for (const row of scenario.policies) {
      if (row.sloAttainment >= scenario.sloTarget && row.billedGpuHours < clairvoyant.billedGpuHours - 1e-6) {
        beaten.push(`${scenario.name}: '${row.name}' meets the target at ${row.billedGpuHours} billed GPU-hours, below the clairvoyant's ${clairvoyant.billedGpuHours}`);
      }
    }
  }
}
for (const line of beaten) console.error(`the clairvoyant reference is beaten: ${line}`);
process.exit(code || (beaten.length > 0 ? 1 : 0));
