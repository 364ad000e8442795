import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { expectValidManifests } from './schema/validate';
import { findOne } from './util';

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
