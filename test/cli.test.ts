import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { main } from '../src/cli';
import { testManifests } from './simulation/helpers';

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

  test('bench --json prints exactly one JSON object with the policies asked for', () => {
    const { code, out } = capture(['bench', '--trace', trace, '--json', '--policies', 'default,cpu-hpa', '--rate-scale', '2', ...small]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.trace).toMatchObject({ file: 'small.csv', requests: 600, rateScale: 2 });
    expect(parsed.policies.map((p: any) => p.name)).toEqual(['default', 'cpu-hpa']);
  });

  test('bench writes SVG charts and a Markdown page that names the command', () => {
    const svgDir = join(dir, 'svg');
    const markdown = join(dir, 'bench.md');
    const { code, out } = capture(['bench', '--trace', trace, '--policies', 'default', '--svg', svgDir, '--markdown', markdown, ...small]);
    expect(code).toBe(0);
    expect(out).toContain('within SLO');
    expect(existsSync(join(svgDir, 'default.svg'))).toBe(true);
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
    expect(capture(['simulate', '--trace', trace]).err).toContain('--manifests YAML is required');
    expect(capture(['bench', '--trace', join(dir, 'none.csv')]).code).toBe(1);
    expect(capture(['help']).out).toContain('usage:');
  });
});
