import { performance } from 'perf_hooks';
import { App, Chart } from 'cdk8s';
import { Gpu, Model, ModelCache, VllmService } from '../src';

/**
 * Measures how long one chart of 100 VllmServices (each with a ModelCache) takes to build and
 * synthesize to YAML. Prints the first (cold) run and the median of the runs after it.
 */
function synthOnce(): { ms: number; objects: number } {
  const start = performance.now();
  const app = new App({ outdir: 'dist/bench' });
  const chart = new Chart(app, 'fleet', { namespace: 'inference' });
  for (let i = 0; i < 100; i++) {
    const model = Model.huggingFace(`org/model-${i}`, { parametersBillions: 8 });
    const cache = new ModelCache(chart, `weights-${i}`, { model, storageClassName: 'shared-rwx' });
    new VllmService(chart, `server-${i}`, { model, cache, gpu: Gpu.L4 });
  }
  const yaml = app.synthYaml();
  return { ms: performance.now() - start, objects: yaml.split('\n---\n').length };
}

const runs = Number(process.argv[2] ?? 7);
const first = synthOnce();
const results = Array.from({ length: runs }, synthOnce);
const times = results.map((r) => r.ms).sort((a, b) => a - b);
console.log(`100 VllmServices + ModelCaches, ${results[0].objects} objects: median ${(times[Math.floor(runs / 2)] / 1000).toFixed(3)} s `
  + `(min ${(times[0] / 1000).toFixed(3)} s, max ${(times[runs - 1] / 1000).toFixed(3)} s, ${runs} runs after a first, cold run of ${(first.ms / 1000).toFixed(3)} s)`);
