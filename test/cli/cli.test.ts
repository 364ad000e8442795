import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/cli';
import { testManifests } from '../simulation/helpers';

function traceFile(dir: string): string {
  const lines = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  for (let i = 0; i < 300; i++) lines.push(`${(i * 0.4).toFixed(3)},500,100`);
  const file = join(dir, 'small.csv');
  writeFileSync(file, lines.join('\n'));
  return file;
}

function capture(argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (t) => out.push(t), (t) => err.push(t));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cdk8s-vllm command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const trace = traceFile(dir);
  const small = ['--model', 'meta-llama/Llama-3.1-8B-Instruct', '--parameters-billions', '8', '--gpu', 'H100-80GB', '--gpu-count', '1'];

  test('bench --json prints exactly one JSON object with the policies asked for, the SLO and the references', () => {
    const { code, out } = capture(['bench', '--trace', trace, '--json', '--policies', 'default,cpu-hpa,static', '--rate-scale', '2', '--max-replicas', '3', ...small]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.trace).toMatchObject({ file: 'small.csv', requests: 600, rateScale: 2 });
    expect(parsed.policies.map((p: any) => p.name)).toEqual(['default', 'cpu-hpa', 'static']);
    for (const policy of parsed.policies) {
      expect(Object.keys(policy)).toEqual(expect.arrayContaining(['name', 'sloAttainment', 'gpuHours', 'failed', 'maxReplicas', 'source']));
      expect(policy.maxReplicas).toBeLessThanOrEqual(3);
    }
    expect(parsed.sloTtftSeconds).toBe(2);
    expect(parsed.sloTarget).toBe(0.99);
    expect(parsed.references.clairvoyant).toMatchObject({ gpuHours: expect.any(Number), sloAttainment: expect.any(Number) });
    expect(parsed.references.optimistic).toMatchObject({ gpuHours: expect.any(Number) });
    expect(parsed.setup).toMatchObject({ maxReplicas: 3, gpuCount: 1, start: 'warm' });
  });

  test('bench --nodes autoscaled reports the nodes, the causal reference, billed and pod GPU-hours and pending time', () => {
    const { code, out } = capture(['bench', '--trace', trace, '--json', '--policies', 'default,static', '--rate-scale', '4', '--max-replicas', '3',
      '--nodes', 'autoscaled', '--node-gpus', '2', '--node-provisioning', '120', '--image-pull', '30', '--node-scale-down', '300', '--min-nodes', '1',
      '--routing', 'connections:8:60', ...small]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.nodes).toEqual({ mode: 'autoscaled', gpusPerNode: 2, provisioningSeconds: 120, imagePullSeconds: 30, scaleDownSeconds: 300, minNodes: 1, maxNodes: 1000 });
    expect(parsed.setup.routing).toBe('connections:8:60');
    expect(parsed.references.causal).toMatchObject({ billedGpuHours: expect.any(Number), sloAttainment: expect.any(Number) });
    for (const row of [...parsed.policies, parsed.references.clairvoyant, parsed.references.causal]) {
      expect(row).toMatchObject({ billedGpuHours: expect.any(Number), gpuHours: expect.any(Number), pendingSeconds: expect.any(Number) });
      // Whole 2-GPU nodes are billed for 1-GPU replicas, and from their order: never less than the pods hold.
      expect(row.billedGpuHours).toBeGreaterThanOrEqual(row.gpuHours - 1e-9);
    }
    const own = parsed.policies[0];
    expect(own.xClairvoyant).toBeCloseTo(own.billedGpuHours / parsed.references.clairvoyant.billedGpuHours, 4);
    // The clairvoyant is never beaten: no row meets the target below its billed GPU-hours.
    for (const row of parsed.policies) {
      expect(row.sloAttainment >= 0.99 && row.billedGpuHours < parsed.references.clairvoyant.billedGpuHours - 1e-9).toBe(false);
    }
  });

  test('--nodes and --routing are checked; --random-routing stays an alias of --routing random', () => {
    expect(capture(['bench', '--trace', trace, '--nodes', 'cloud']).err).toContain("--nodes 'cloud' must be free, autoscaled or fixed:N");
    expect(capture(['bench', '--trace', trace, '--node-gpus', '8']).err).toContain('--node-gpus needs --nodes autoscaled or --nodes fixed:N');
    expect(capture(['bench', '--trace', trace, '--nodes', 'fixed:2', '--min-nodes', '1']).err).toContain('--min-nodes does not go with --nodes fixed:N');
    expect(capture(['bench', '--trace', trace, '--routing', 'sticky']).err).toContain("--routing 'sticky' must be round-robin, random or connections:N[:LIFETIME_SECONDS]");
    expect(capture(['bench', '--trace', trace, '--routing', 'round-robin', '--random-routing']).err).toContain('--random-routing and --routing round-robin disagree');
    expect(capture(['bench', '--suite', '--nodes', 'autoscaled']).err).toContain('--nodes does not go with --suite');
    const alias = JSON.parse(capture(['simulate', '--trace', trace, '--json', '--random-routing', ...small]).out);
    const named = JSON.parse(capture(['simulate', '--trace', trace, '--json', '--routing', 'random', ...small]).out);
    expect(alias).toEqual(named);
    const fixed = capture(['simulate', '--trace', trace, '--json', '--nodes', 'fixed:1', '--rate-scale', '8', ...small]);
    expect(fixed.code).toBe(0);
  });

  test('bench --seeds reports the mean and range over seeds; --manifests benchmarks your chart as the default row', () => {
    const yaml = join(dir, 'mine.yaml');
    writeFileSync(yaml, testManifests().map((m) => stringify(m)).join('---\n'));
    const { code, out } = capture(['bench', '--trace', trace, '--json', '--policies', 'default', '--rate-scale', '1.5', '--seeds', '2', '--manifests', yaml]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.seeds).toBe(2);
    expect(parsed.setup.seeds).toEqual([1, 2]);
    expect(parsed.policies[0].sloAttainmentRange).toHaveLength(2);
    expect(parsed.setup.model).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  test('bench writes SVG charts and a Markdown page that names the command', () => {
    const svgDir = join(dir, 'svg');
    const markdown = join(dir, 'bench.md');
    const { code, out, err } = capture(['bench', '--trace', trace, '--policies', 'default', '--svg', svgDir, '--markdown', markdown, ...small]);
    expect(code).toBe(0);
    expect(out).toContain('within SLO');
    expect(existsSync(join(svgDir, 'default.svg'))).toBe(true);
    expect(err).toContain(`wrote ${join(svgDir, 'default.svg')}`);
    expect(existsSync(join(svgDir, 'cost-vs-slo.svg'))).toBe(true);
    const page = readFileSync(markdown, 'utf8');
    expect(page).toContain(`cdk8s-vllm bench --trace ${trace}`);
    expect(page).toContain('![svg/default.svg](svg/default.svg)');
  });

  test('simulate replays the autoscaler of a YAML file', () => {
    const yaml = join(dir, 'app.yaml');
    writeFileSync(yaml, testManifests().map((m) => stringify(m)).join('---\n'));
    const { code, out } = capture(['simulate', '--trace', trace, '--manifests', yaml, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out).policies[0].name).toBe('test-autoscaler');
  });

  test('simulate without --manifests replays the library default on the example deployment, and --example selects another', () => {
    const quickStart = capture(['simulate', '--trace', trace, '--json']);
    expect(quickStart.code).toBe(0);
    const onL4 = capture(['simulate', '--trace', trace, '--json', '--example', 'llama-8b-l4']);
    expect(onL4.code).toBe(0);
    // Same trace, same policy: 4 x H100 per replica against 1 x L4 per replica.
    const [big, small4] = [JSON.parse(quickStart.out).policies[0], JSON.parse(onL4.out).policies[0]];
    expect(big.name).toMatch(/autoscaler/);
    expect(big.optimisticGpuHours).not.toBe(small4.optimisticGpuHours);
    const unknown = capture(['simulate', '--trace', trace, '--example', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("--example 'nope' is not one of llama-70b-h100, llama-8b-l4, qwen-7b-a10g");
  });

  test('the trace can be reshaped: a diurnal envelope and a flash crowd', () => {
    const plain = JSON.parse(capture(['bench', '--trace', trace, '--json', '--policies', 'default', ...small]).out);
    const crowd = JSON.parse(capture(['bench', '--trace', trace, '--json', '--policies', 'default', '--flash-crowd', '30,20,3', ...small]).out);
    const diurnal = JSON.parse(capture(['bench', '--trace', trace, '--json', '--policies', 'default', '--diurnal', '0.1', ...small]).out);
    expect(crowd.trace.requests).toBe(plain.trace.requests + 100);
    expect(diurnal.trace.requests).toBeLessThan(plain.trace.requests);
    expect(capture(['bench', '--trace', trace, '--flash-crowd', '30,x']).err).toContain('--flash-crowd (30,x) must be START_SECONDS,DURATION_SECONDS,MULTIPLIER');
  });

  test('usage errors exit with 2 and say what is wrong', () => {
    expect(capture(['bench']).err).toContain('cdk8s-vllm: --trace FILE is required');
    expect(capture(['bench', '--trace', trace, '--rate-scale', '-1']).code).toBe(2);
    expect(capture(['bench', '--trace', trace, '--policies', 'magic']).err).toContain("--policies: unknown policy 'magic'");
    expect(capture(['launch']).err).toContain("unknown command 'launch'");
    expect(capture(['simulate', '--trace', trace, '--manifests', join(dir, 'none.yaml')]).err).toContain(`--manifests '${join(dir, 'none.yaml')}' cannot be read`);
    expect(capture(['bench', '--trace', join(dir, 'none.csv')]).code).toBe(1);
    expect(capture(['help']).out).toContain('usage:');
    expect(capture(['bench', '--trace', trace, '--policies', ',']).err).toContain('--policies (,) names no policy');
    expect(capture(['bench', '--trace', trace, '--start', 'hot']).err).toContain('--start (hot) must be warm or cold');
  });

  test('--version prints the package version', () => {
    const { code, out } = capture(['--version']);
    expect(code).toBe(0);
    expect(out).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version);
  });
});
