import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { expectValidManifests } from './schema/validate';
import { findOne } from './util';
import { VLLM_IMAGE } from '../src/defaults';

const ROOT = path.resolve(__dirname, '..');

function typescriptBlocks(markdown: string): string[] {
  // The info string may carry jsii-rosetta's fixture attribute (```ts fixture=empty).
  return [...markdown.matchAll(/```ts(?: [^\n]*)?\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe.each([
  ['quickstart', 'llama', ['Deployment', 'Job', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']],
  ['quickstart-autoscaling', 'llama-autoscaled',
    ['ConfigMap', 'Deployment', 'Job', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'PrometheusRule', 'ScaledObject', 'Service',
      'ServiceMonitor']],
])('README %s', (example, chartName, kinds) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const source = fs.readFileSync(path.join(ROOT, `examples/${example}.ts`), 'utf8');

  test(`is examples/${example}.ts, word for word`, () => {
    expect(typescriptBlocks(readme)).toContain(source);
  });

  test('compiles and synthesizes schema-valid YAML as written', () => {
    // GIVEN an empty output directory
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quickstart-'));
    process.env.CDK8S_OUTDIR = outdir;
    try {
      // WHEN the quick start runs (it imports 'cdk8s-vllm', mapped to the sources)
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- run the module once, in isolation
      jest.isolateModules(() => require(`../examples/${example}`));
      // THEN it writes one chart with the serving tier
      const manifests = parseAllDocuments(fs.readFileSync(path.join(outdir, `${chartName}.k8s.yaml`), 'utf8')).map((d) => d.toJS());
      expect(manifests.map((o) => o.kind).sort()).toEqual(kinds);
      expect(findOne(manifests, 'Deployment').metadata.namespace).toBe('inference');
      // The gated model's token reaches the download, and Prometheus selects what it must read.
      const populate = findOne(manifests, 'Job').spec.template.spec.containers[0];
      expect(populate.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } });
      for (const o of manifests.filter((m) => ['ServiceMonitor', 'PrometheusRule'].includes(m.kind))) {
        expect(o.metadata.labels.release).toBe('kube-prometheus-stack');
      }
      expect(findOne(manifests, 'Service').metadata.name).toBe('llama');
      expectValidManifests(manifests);
    } finally {
      delete process.env.CDK8S_OUTDIR;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

test('every README link and image works from the npm page: absolute, never relative to the repository', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  expect(targets.length).toBeGreaterThan(3);
  expect(targets.filter((t) => !/^https:\/\//.test(t) && !t.startsWith('#'))).toEqual([]);
});

describe('README Install section', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const install = readme.slice(readme.indexOf('\n## Install\n'), readme.indexOf('\n## ', readme.indexOf('\n## Install\n') + 1));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  test('comes right after the quick start', () => {
    expect(readme.indexOf('\n## Install\n')).toBeGreaterThan(readme.indexOf('\n## Quick start\n'));
    expect(readme.slice(readme.indexOf('\n## Quick start\n') + 1, readme.indexOf('\n## Install\n'))).not.toMatch(/\n## /);
  });

  test('states each peer minimum, the Node.js lines and the pinned vLLM image as package.json and the code have them', () => {
    for (const [name, range] of Object.entries<string>(pkg.peerDependencies)) {
      expect(install).toContain(`${name} ${range.replace(/^\^/, '')}`);
    }
    const majors = [...(pkg.engines.node as string).matchAll(/\^(\d+)\./g)].map((m) => m[1]);
    expect(install).toContain(`Node.js ${majors.slice(0, -1).join(', ')} and ${majors[majors.length - 1]}`);
    expect(install).toContain(`\`${VLLM_IMAGE}\``);
  });

  test('names the CRD versions the schema tests validate against', () => {
    const crds = fs.readFileSync(path.join(ROOT, 'data/crds/README.md'), 'utf8');
    const versions = [...crds.matchAll(/\| (?:main after )?(v\d+\.\d+\.\d+)[^|]*\| Apache-2\.0 \|/g)].map((m) => m[1]);
    expect(new Set(versions)).toEqual(new Set(['v2.20.2', 'v0.15.0', 'v0.93.0']));
    for (const version of versions) expect(install).toContain(version);
  });
});
