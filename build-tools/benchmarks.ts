/**
 * Generates docs/benchmarks.md and docs/benchmarks/*.svg (the scenario suite of `cdk8s-vllm bench --suite`) and
 * docs/dashboard.svg (ServingDashboard's panels drawn from a replay of the quick start at 8x).
 *
 *   npx ts-node --project test/tsconfig.json build-tools/benchmarks.ts
 */
import { main } from '../src/cli/cli';

const started = Date.now();
const code = main(['bench', '--suite', '--svg', 'docs/benchmarks', '--markdown', 'docs/benchmarks.md'], () => undefined)
  || main(['simulate', '--trace', 'data/traces/azure-llm-2023-conv.csv', '--rate-scale', '8', '--dashboard-svg', 'docs/dashboard.svg'], () => undefined);
console.log(`benchmarks: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
