import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { expectValidManifests } from './schema/validate';
import { findOne } from './util';

const ROOT = path.resolve(__dirname, '..');

function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README quick start', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const quickstart = fs.readFileSync(path.join(ROOT, 'examples/quickstart.ts'), 'utf8');

  test('is examples/quickstart.ts, word for word', () => {
    expect(typescriptBlocks(readme)).toContain(quickstart);
  });

  test('compiles and synthesizes schema-valid YAML as written', () => {
    // GIVEN an empty output directory
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'quickstart-'));
    process.env.CDK8S_OUTDIR = outdir;
    try {
      // WHEN the quick start runs (it imports 'cdk8s-vllm', mapped to the sources)
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- run the module once, in isolation
      jest.isolateModules(() => require('../examples/quickstart'));
      // THEN it writes one chart with the serving tier
      const manifests = parseAllDocuments(fs.readFileSync(path.join(outdir, 'llama.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      expect(manifests.map((o) => o.kind).sort()).toEqual(
        ['Deployment', 'Job', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
      expect(findOne(manifests, 'Deployment').metadata.namespace).toBe('inference');
      expectValidManifests(manifests);
    } finally {
      delete process.env.CDK8S_OUTDIR;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
