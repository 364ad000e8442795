import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/cli';
import { BUDGET_TEXT } from '../../src/cli/cli-input';
import { Benchmark } from '../../src/simulation/evidence/benchmark';
import { testManifests } from '../simulation/helpers';

// Every bad command line gets one clear first line and a non-zero exit, quickly, before any replay.

function run(argv: string[]): { code: number; first: string; ms: number } {
  const err: string[] = [];
  const started = Date.now();
  const code = main(argv, () => undefined, (t) => err.push(t));
  return { code, first: (err.join('\n').split('\n')[0] ?? ''), ms: Date.now() - started };
}

describe('cdk8s-vllm refuses bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-input-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const header = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';
  const ok = file('ok.csv', header + Array.from({ length: 50 }, (_, i) => `${i},100,10`).join('\n'));
  /** The test chart as a YAML file, after `edit` changed its objects; returns the path. */
  const chart = (name: string, edit: (objects: any[], deployment: any) => any[] | void, base: any[] = testManifests()): string => {
    const objects = JSON.parse(JSON.stringify(base));
    const deployment = objects.find((o: any) => o.kind === 'Deployment');
    const edited = edit(objects, deployment) ?? objects;
    return file(name, edited.map((o: any) => stringify(o)).join('---\n'));
  };
  const scaledObject = (objects: any[]): any => objects.find((o) => o.kind === 'ScaledObject');
  const deploymentName = testManifests().find((o) => o.kind === 'Deployment').metadata.name;
  const fifo = (name: string): string => {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    return path;
  };

  test.each([
    ['zero-token requests', () => ['bench', '--trace', file('zero.csv', `${header}0,0,0\n1,0,0\n`)],
      1, "cdk8s-vllm: Trace 'zero.csv' line 2: prompt tokens '0' must be a whole number from 1 to 10000000 (vLLM refuses an empty prompt and max_tokens 0)"],
    ['/dev/zero', () => ['bench', '--trace', '/dev/zero'], 1, "cdk8s-vllm: Trace file '/dev/zero' is not a regular file"],
    ['a far-future timestamp', () => ['bench', '--trace', file('future.csv', `${header}2023-11-16 18:15:46,10,10\n9999-12-31 23:59:59,10,10\n`)],
      1, "cdk8s-vllm: Trace 'future.csv' spans 251702142253 s from its first arrival to its last; one replay covers at most 604800 s (7 days): check for a far-future timestamp"],
    ['mixed timestamp formats', () => ['bench', '--trace', file('mixed.csv', `${header}2023-11-16 18:15:46,10,10\n12.5,10,10\n`)],
      1, "cdk8s-vllm: Trace 'mixed.csv' line 3: timestamp '12.5' mixes formats: the trace started with dates (YYYY-MM-DD HH:MM:SS)"],
    ['an impossible date', () => ['bench', '--trace', file('feb30.csv', `${header}2023-02-30 10:00:00,10,10\n`)],
      1, "cdk8s-vllm: Trace 'feb30.csv' line 2: timestamp '2023-02-30 10:00:00' must be a real date 'YYYY-MM-DD HH:MM:SS[.fraction]' (UTC) or seconds >= 0"],
    ['token counts past int32', () => ['bench', '--trace', file('int32.csv', `${header}1,2147483648,10\n`)],
      1, "cdk8s-vllm: Trace 'int32.csv' line 2: prompt tokens '2147483648' must be a whole number from 1 to 10000000 (vLLM refuses an empty prompt and max_tokens 0)"],
    ['--rate-scale 1e6', () => ['bench', '--trace', ok, '--rate-scale', '1e6'], 2, 'cdk8s-vllm: --rate-scale (1e6) must be a number > 0 and <= 10000'],
    ['a rate scale past the request budget', () => ['bench', '--trace', file('300.csv', header + Array.from({ length: 300 }, (_, i) => `${i},100,10`).join('\n')), '--rate-scale', '10000'],
      1, "cdk8s-vllm: Trace '300.csv': rate scale 10000 would make about 3000000 requests from 300; one replay holds at most 2000000 (at most 6666x this trace)"],
    ['--flash-crowd 0,3600,1e6', () => ['bench', '--trace', ok, '--flash-crowd', '0,3600,1e6'],
      2, 'cdk8s-vllm: --flash-crowd (0,3600,1e6) needs START_SECONDS and DURATION_SECONDS from 0 to 604800 (duration > 0) and MULTIPLIER from 1 to 10000'],
    ['--policies ","', () => ['bench', '--trace', ok, '--policies', ','], 2, `cdk8s-vllm: --policies (,) names no policy; choose from ${Benchmark.policyNames().join(', ')}`],
    ['an unwritable --svg directory', () => ['bench', '--trace', ok, '--svg', join(ok, 'charts')],
      2, `cdk8s-vllm: --svg '${join(ok, 'charts')}' is not a writable directory: '${ok}' is not a directory`],
    ['--manifests that are not YAML', () => ['simulate', '--trace', ok, '--manifests', file('bad.yaml', 'key: [unclosed\n')],
      2, `cdk8s-vllm: --manifests '${join(dir, 'bad.yaml')}' is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:`],
    ['--manifests that hold no Kubernetes object', () => ['simulate', '--trace', ok, '--manifests', file('words.yaml', 'just words\n')],
      2, `cdk8s-vllm: --manifests '${join(dir, 'words.yaml')}': document 1 is not a Kubernetes object (a YAML mapping with apiVersion and kind)`],
    ['repeated flags', () => ['bench', '--trace', ok, '--trace', ok], 2, 'cdk8s-vllm: --trace is given more than once'],
    ['a flag missing its value before another flag', () => ['bench', '--trace', ok, '--svg', '--json'], 2, 'cdk8s-vllm: --svg needs a value'],
    ['a flag missing its value at the end', () => ['bench', '--trace', ok, '--markdown'], 2, 'cdk8s-vllm: --markdown needs a value'],
    ['a bench option given to simulate', () => ['simulate', '--trace', ok, '--policies', 'default'], 2, 'cdk8s-vllm: --policies does not apply to simulate: only bench reads it'],
    ['a bench flag given to simulate', () => ['simulate', '--trace', ok, '--suite'], 2, 'cdk8s-vllm: --suite does not apply to simulate: only bench reads it'],
    ['a simulate option given to bench', () => ['bench', '--trace', ok, '--dashboard-svg', join(dir, 'd.svg')], 2, 'cdk8s-vllm: --dashboard-svg does not apply to bench: only simulate reads it'],
    ['a FIFO as --trace', () => ['bench', '--trace', fifo('trace.fifo')], 1, `cdk8s-vllm: Trace file '${join(dir, 'trace.fifo')}' is not a regular file`],
    ['a FIFO as --manifests', () => ['simulate', '--trace', ok, '--manifests', fifo('chart.fifo')], 2, `cdk8s-vllm: --manifests '${join(dir, 'chart.fifo')}' is not a regular file`],
    ['an infinite cold start', () => ['simulate', '--trace', ok, '--manifests', chart('cold.yaml', (_o, d) => { d.metadata.annotations['vllm.cdk8s.io/cold-start-seconds'] = 'Infinity'; })],
      1, `cdk8s-vllm: Deployment '${deploymentName}': annotation 'vllm.cdk8s.io/cold-start-seconds' (Infinity) must be a number of seconds from 0 to 604800`],
    ['an infinite shutdown timeout', () => ['simulate', '--trace', ok, '--manifests', chart('shutdown.yaml', (_o, d) => {
      const args: string[] = d.spec.template.spec.containers[0].args;
      args.splice(0, args.length, ...args.filter((a, i) => a !== '--shutdown-timeout' && args[i - 1] !== '--shutdown-timeout'), '--shutdown-timeout', 'Infinity');
    })], 1, `cdk8s-vllm: Deployment '${deploymentName}': vLLM argument --shutdown-timeout (Infinity) must be a number of seconds from 0 to 604800`],
    ['a ScaledObject whose Deployment is missing', () => ['simulate', '--trace', ok, '--manifests', chart('orphan.yaml', (o) => { scaledObject(o).spec.scaleTargetRef.name = 'gone'; })],
      1, `cdk8s-vllm: ScaledObject 'test-autoscaler': spec.scaleTargetRef (Deployment 'gone') names no object of the manifests (Deployments: ${deploymentName})`],
    ['a ScaledObject of 1e9 replicas', () => ['simulate', '--trace', ok, '--manifests', chart('so-1e9.yaml', (o) => { scaledObject(o).spec.maxReplicaCount = 1e9; })],
      1, "cdk8s-vllm: ScaledObject 'test-autoscaler': spec.maxReplicaCount (1000000000) must be a whole number from 1 to 1000, the most replicas one replay models"],
    ['a Deployment of 1e6 fixed replicas', () => ['simulate', '--trace', ok, '--manifests', chart('fixed-1e6.yaml', (o, d) => { d.spec.replicas = 1e6; return o.filter((x) => x.kind !== 'ScaledObject'); })],
      1, 'cdk8s-vllm: Deployment: spec.replicas (1000000) must be a whole number from 0 to 1000, the most replicas one replay models'],
    ['an HPA of 1e6 replicas', () => ['simulate', '--trace', ok, '--manifests', chart('hpa-1e6.yaml', (o, d) => [
      ...o.filter((x) => x.kind !== 'ScaledObject'),
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'hpa' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name }, minReplicas: 1, maxReplicas: 1e6 } },
    ])], 1, "cdk8s-vllm: HorizontalPodAutoscaler 'hpa': spec.maxReplicas (1000000) must be a whole number from 1 to 1000, the most replicas one replay models"],
    ['a zero scrape interval', () => ['simulate', '--trace', ok, '--manifests', chart('scrape-0.yaml', (o) => { o.find((x) => x.kind === 'ServiceMonitor').spec.endpoints[0].interval = '0s'; })],
      1, "cdk8s-vllm: ServiceMonitor 'test-server-servicemonitor-c8d1d22b' endpoints[0].interval ('0s') must be from 1s to 604800s: a replay scrapes every pod at each interval"],
  ])('%s', (_name, argv, code, first) => {
    const result = run(argv());
    expect(result.first).toBe(first);
    expect(result.code).toBe(code);
    expect(result.ms).toBeLessThan(2000);
  });

  test('a flash crowd whose replay would pass the request budget is refused before any copy is made', () => {
    const result = run(['bench', '--trace', ok, '--rate-scale', '5000', '--flash-crowd', '0,10,10000']);
    expect(result.first).toBe("cdk8s-vllm: Trace 'ok.csv': flash crowd multiplier 10000 would make about 500200000 requests from 250000; one replay holds at most 2000000 (at most 8x this trace)");
    expect(result.code).toBe(1);
  });

  test('a flag missing its value creates no file named after the next flag', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(run(['bench', '--trace', ok, '--svg', '--json']).code).toBe(2);
      expect(run(['bench', '--trace', ok, '--markdown', '--json']).code).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(dir, '--json'))).toBe(false);
  });

  test('--help states the limits of a replay: replicas, scrape interval and durations as well as file sizes', () => {
    const out: string[] = [];
    main(['--help'], (t) => out.push(t));
    expect(BUDGET_TEXT).toContain('Replayed manifests hold at most 1,000 replicas (every replica count of a ScaledObject, HorizontalPodAutoscaler or Deployment), '
      + 'a ServiceMonitor scrape interval of at least 1 s, and durations (cold start, grace periods, polling intervals) of at most 604,800 s.');
    expect(out.join('\n')).toContain(BUDGET_TEXT);
  });

  test('--help states the memory budget', () => {
    const out: string[] = [];
    expect(main(['--help'], (t) => out.push(t))).toBe(0);
    expect(out.join('\n')).toContain(BUDGET_TEXT);
    expect(BUDGET_TEXT).toContain('at most about 1 GiB of memory');
  });
});
