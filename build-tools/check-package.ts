/**
 * `npm pack --dry-run` holds what a user needs and nothing else: the compiled code with its typings, the jsii
 * assembly, README, licence, the trace the command line replays by default, and the bundled runtime dependencies.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Findings, ROOT, run } from './release-support';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const packed: string[] = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT }))[0].files
  .map((f: { path: string }) => f.path);

/** Bundled dependencies and what they depend on, as npm bundles them. */
function bundledClosure(): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    Object.keys(manifest.dependencies ?? {}).forEach(visit);
  };
  (pkg.bundledDependencies ?? []).forEach(visit);
  return seen;
}

const bundled = bundledClosure();
const TRACE = 'data/traces/azure-llm-2023-conv.csv';
const allowed = (file: string): boolean => {
  if (['package.json', 'README.md', 'LICENSE', '.jsii', TRACE, 'data/traces/README.md'].includes(file)) return true;
  if (/^lib\/.+(\.js|\.d\.ts)$/.test(file)) return true;
  const dep = file.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  return dep !== null && bundled.has(dep[1]);
};

const findings = new Findings('npm package');
for (const file of packed.filter((f) => !allowed(f))) findings.expect(false, `${file} is packed but no user needs it`);

// Every source module ships compiled with its typings, and the entry points exist.
const sources = run('git', ['ls-files', 'src/*.ts', 'src/**/*.ts'], { cwd: ROOT }).split('\n').filter((f) => f.endsWith('.ts'));
const required = [
  'package.json', 'README.md', 'LICENSE', '.jsii', TRACE, 'data/traces/README.md', pkg.main, pkg.types,
  ...Object.values<string>(pkg.bin ?? {}),
  ...sources.flatMap((src) => [src.replace(/^src\//, 'lib/').replace(/\.ts$/, '.js'), src.replace(/^src\//, 'lib/').replace(/\.ts$/, '.d.ts')]),
  ...[...bundled].map((dep) => `node_modules/${dep}/package.json`),
];
for (const file of required) findings.expect(packed.includes(file), `${file} is missing from the package`);

const own = packed.filter((f) => !f.startsWith('node_modules/'));
findings.report(`${packed.length} files (${own.length} of its own, ${packed.length - own.length} bundled from ${[...bundled].join(', ')}), nothing else`);
