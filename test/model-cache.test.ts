import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiObject, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, VllmService } from '../src';
import { expectValidManifests } from './schema/validate';
import { argValue, container, findAll, findOne, LLAMA_70B, LLAMA_8B, testChart } from './util';

function synthCached(cacheProps: Partial<ConstructorParameters<typeof ModelCache>[2]> = {}, model: Model = LLAMA_8B) {
  const chart = testChart();
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx', ...cacheProps });
  const large = model.parametersBillions > 8;
  new VllmService(chart, 'server', { model, cache, gpu: large ? Gpu.H100 : Gpu.L4, gpuCount: large ? 4 : 1 });
  return { chart, cache, manifests: Testing.synth(chart) };
}

/** The weights claim (not the compile-cache claim). */
function weightsClaim(manifests: any[]): any {
  const claims = findAll(manifests, 'PersistentVolumeClaim').filter((c) => !c.metadata.name.includes('compilecache'));
  expect(claims).toHaveLength(1);
  return claims[0];
}

describe('ModelCache claim', () => {
  test('a ReadWriteMany claim sized from the model', () => {
    const { manifests } = synthCached({}, LLAMA_70B);
    const claim = weightsClaim(manifests);
    // 130.4 GiB x 1.25 + 5 GiB = 168 GiB.
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'shared-rwx', resources: { requests: { storage: '168Gi' } } });
  });

  test('size and access mode can be set', () => {
    const { manifests } = synthCached({ size: Size.gibibytes(500), accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE });
    expect(weightsClaim(manifests).spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Gi' } } });
  });

  test('an existing claim emits no claim and is mounted by name', () => {
    const { manifests } = synthCached({ storageClassName: undefined, existingClaimName: 'llama-weights' });
    expect(findAll(manifests, 'PersistentVolumeClaim')).toHaveLength(0);
    const volumes = findOne(manifests, 'Deployment').spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'weights', persistentVolumeClaim: { claimName: 'llama-weights', readOnly: true } });
  });

  test('each revision gets its own claim, so a revision bump never downloads a second copy into a full claim', () => {
    const claimOf = (revision: string) => {
      const { manifests } = synthCached({}, Model.huggingFace('org/model', { parametersBillions: 1, revision }));
      const name = weightsClaim(manifests).metadata.name;
      expect(findOne(manifests, 'Deployment').spec.template.spec.volumes).toContainEqual({ name: 'weights', persistentVolumeClaim: { claimName: name, readOnly: true } });
      return name;
    };
    expect(claimOf('abc')).toBe(claimOf('abc'));
    expect(claimOf('abc')).not.toBe(claimOf('def'));
    expect(claimOf('abc')).toMatch(/^[a-z0-9-]{1,63}$/);
  });
});

describe('ModelCache compile cache', () => {
  test('a writable ReadWriteMany claim of its own, mounted by the servers as VLLM_CACHE_ROOT', () => {
    const { manifests } = synthCached();
    const claim = findOne(manifests, 'PersistentVolumeClaim', 'compilecache');
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'shared-rwx', resources: { requests: { storage: '10Gi' } } });
    const deployment = findOne(manifests, 'Deployment');
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'compile-cache', persistentVolumeClaim: { claimName: claim.metadata.name, readOnly: false } });
    const vllm = container(deployment, 'vllm');
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/var/cache/vllm-compile', name: 'compile-cache' });
    expect(vllm.env).toContainEqual({ name: 'VLLM_CACHE_ROOT', value: '/var/cache/vllm-compile' });
  });

  test('the cold start annotation counts a compile from the cache, not from scratch', () => {
    const { manifests } = synthCached({}, LLAMA_70B);
    // 140 GB at 1,000 MB/s + 10 s compile from the cache + 30 s engine start-up.
    expect(findOne(manifests, 'Deployment').metadata.annotations['vllm.cdk8s.io/cold-start-seconds']).toBe('180');
    expect(findOne(manifests, 'Deployment').metadata.annotations['vllm.cdk8s.io/cold-start-breakdown']).toBe('weights=140s compile=10s engine=30s');
    const { manifests: off } = synthCached({ compileCache: false }, LLAMA_70B);
    expect(findOne(off, 'Deployment').metadata.annotations['vllm.cdk8s.io/cold-start-seconds']).toBe('210');
    expect(container(findOne(off, 'Deployment'), 'vllm').env).toContainEqual({ name: 'VLLM_CACHE_ROOT', value: '/var/cache/vllm/vllm' });
  });
});

describe('ModelCache populate Job', () => {
  test('downloads one pinned revision into a plain directory, with bounded retries', () => {
    const { manifests } = synthCached();
    const job = findOne(manifests, 'Job');
    const populate = container(job, 'populate');
    expect(job.spec.backoffLimit).toBe(4);
    expect(job.spec.activeDeadlineSeconds).toBe(3600);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(populate.env).toEqual(expect.arrayContaining([
      { name: 'MODEL_ID', value: 'meta-llama/Llama-3.1-8B-Instruct' },
      { name: 'MODEL_REVISION', value: 'main' },
      { name: 'WEIGHTS_DIR', value: '/models/meta-llama/Llama-3.1-8B-Instruct/main' },
      { name: 'COMPLETION_MARKER', value: '/models/meta-llama/Llama-3.1-8B-Instruct/main/.complete' },
    ]));
    const script = populate.command[2];
    expect(script).toContain('local_dir=os.environ["WEIGHTS_DIR"]');
    // Idempotent: the marker short-circuits; and it is written last, atomically.
    expect(script.indexOf('if os.path.exists(marker)')).toBeLessThan(script.indexOf('snapshot_download('));
    expect(script.lastIndexOf('os.replace(marker + ".tmp", marker)')).toBeGreaterThan(script.indexOf('snapshot_download('));
    expect(populate.volumeMounts).toContainEqual({ mountPath: '/models', name: 'weights' });
  });

  test('is named from a hash of model id and revision, so a new revision gets a new Job', () => {
    const name = (revision: string) => findOne(synthCached({}, Model.huggingFace('org/model', { parametersBillions: 1, revision })).manifests, 'Job').metadata.name;
    expect(name('abc')).toBe(name('abc'));
    expect(name('abc')).not.toBe(name('def'));
    expect(name('abc')).toMatch(/^[a-z0-9-]{1,63}$/);
  });

  test('is named from a hash of its rendered spec: a token or a patched field is a new Job, never an update', () => {
    const jobName = (build: (chart: any) => void) => {
      const chart = testChart();
      build(chart);
      return findOne(Testing.synth(chart), 'Job').metadata.name;
    };
    const plain = jobName((chart) => new ModelCache(chart, 'weights', { model: LLAMA_8B }));
    const secret = (chart: any) => kplus.Secret.fromSecretName(chart, 'token', 'hf-token');
    const withToken = jobName((chart) => new ModelCache(chart, 'weights', {
      model: Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, token: { secret: secret(chart), key: 'token' } }),
    }));
    const patched = jobName((chart) => {
      const cache = new ModelCache(chart, 'weights', { model: LLAMA_8B });
      ApiObject.of(cache.populateJob!).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/resources/limits/memory', '8Gi'));
    });
    expect(new Set([plain, withToken, patched]).size).toBe(3);
    expect(plain).toBe(jobName((chart) => new ModelCache(chart, 'weights', { model: LLAMA_8B })));
    expect(plain).toMatch(/^test-weights-[0-9a-f]{8}-[0-9a-f]{10}$/);
  });

  test('takes the hub token from the same Secret', () => {
    const chart = testChart();
    const secret = kplus.Secret.fromSecretName(chart, 'token', 'hf-token');
    const model = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8, token: { secret, key: 'token' } });
    new ModelCache(chart, 'weights', { model });
    const env = container(findOne(Testing.synth(chart), 'Job'), 'populate').env;
    expect(env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } });
  });

  test('no Job when populate is off', () => {
    expect(findAll(synthCached({ populate: false }).manifests, 'Job')).toHaveLength(0);
  });
});

describe('Servers with a cache', () => {
  test('mount it read-only, serve from the directory offline, and wait for the marker', () => {
    const { manifests } = synthCached();
    const deployment = findOne(manifests, 'Deployment');
    const vllm = container(deployment, 'vllm');
    expect(vllm.args[0]).toBe('/models/meta-llama/Llama-3.1-8B-Instruct/main');
    expect(argValue(vllm.args, '--served-model-name')).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(vllm.args).not.toContain('--revision');
    expect(vllm.env).toContainEqual({ name: 'HF_HUB_OFFLINE', value: '1' });
    expect(vllm.env.map((e: any) => e.name)).not.toContain('HF_TOKEN');
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/models', name: 'weights', readOnly: true });
    const wait = deployment.spec.template.spec.initContainers[0];
    expect(wait.name).toBe('wait-for-weights');
    expect(wait.env).toEqual([
      { name: 'COMPLETION_MARKER', value: '/models/meta-llama/Llama-3.1-8B-Instruct/main/.complete' },
      { name: 'WAIT_SECONDS', value: '3600' },
      { name: 'POPULATE_SELECTOR', value: 'vllm.cdk8s.io/model-cache=test-weights-c869ec03' },
    ]);
    // The selector finds the Job's pods.
    expect(findOne(manifests, 'Job').spec.template.metadata.labels['vllm.cdk8s.io/model-cache']).toBe('test-weights-c869ec03');
  });

  test('the wait for the weights ends: past the Job\'s deadline it fails and names the Job', () => {
    const { manifests } = synthCached();
    const wait = findOne(manifests, 'Deployment').spec.template.spec.initContainers[0];
    expect(wait.command.slice(0, 2)).toEqual(['sh', '-c']);
    const dir = mkdtempSync(join(tmpdir(), 'weights-'));
    const run = (waitSeconds: string) => spawnSync('sh', ['-c', wait.command[2]], {
      env: { PATH: process.env.PATH, COMPLETION_MARKER: join(dir, '.complete'), WAIT_SECONDS: waitSeconds, POPULATE_SELECTOR: 'vllm.cdk8s.io/model-cache=weights' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const missing = run('0');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('model weights not ready after 0s');
    expect(missing.stderr).toContain('kubectl logs -l vllm.cdk8s.io/model-cache=weights');
    writeFileSync(join(dir, '.complete'), 'done\n');
    expect(run('0').status).toBe(0);
  });

  test('the claim and Job come before the Deployment', () => {
    const kinds = synthCached().manifests.map((o) => o.kind);
    expect(kinds.indexOf('PersistentVolumeClaim')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(kinds.indexOf('Job')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  test('the cold start is estimated from the cache bandwidth', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_70B });
    const server = new VllmService(chart, 'server', { model: LLAMA_70B, cache, gpu: Gpu.H100, gpuCount: 4 });
    // 140 GB at 1000 MB/s + 10 s of compile from the compile cache + 30 s.
    expect(server.coldStart.totalSeconds).toBe(180);
  });

  test('every object is schema-valid', () => {
    expectValidManifests(synthCached().manifests);
  });
});

describe('ModelCache bad input', () => {
  const SUBJECT = "ModelCache 'test/weights'";
  const cache = (props: object) => () => new ModelCache(testChart(), 'weights', { model: LLAMA_8B, ...props });
  test.each([
    [{ backoffLimit: -1 }, 'backoffLimit (-1) must be a whole number from 0 to 100'],
    [{ size: Size.gibibytes(10) }, "size ('10Gi') must hold the weights: at least 15Gi"],
    [{ existingClaimName: 'Bad_Name' }, "existingClaimName ('Bad_Name') must be a valid Kubernetes object name"],
    [{ existingClaimName: 'weights', storageClassName: 'rwx' },
      "existingClaimName ('weights') cannot be combined with storageClassName, size or accessMode (they describe a new claim)"],
    [{ downloadDeadline: Duration.seconds(0) }, "downloadDeadline ('0s') must be a whole number of seconds from 1 to 604800"],
    [{ compileCacheSize: Size.mebibytes(100) }, "compileCacheSize ('100Mi') must be at least 1Gi"],
  ])('%j is refused', (props, message) => {
    expect(cache(props)).toThrow(`${SUBJECT}: ${message}`);
  });
});

describe('ModelCache on a real cluster', () => {
  test('the populate Job has the memory its download client buffers, and bounds its concurrency', () => {
    const populate = container(findOne(synthCached({}, LLAMA_70B).manifests, 'Job'), 'populate');
    // Xet: about 2 GB plus 512 MB for each of the 8 files in flight, about 6 GiB, plus Python and the page cache.
    expect(populate.resources.limits.memory).toBe('8192Mi');
    expect(populate.resources.requests.memory).toBe('8192Mi');
    expect(populate.env).toContainEqual({ name: 'DOWNLOAD_WORKERS', value: '8' });
    expect(populate.command[2]).toContain('max_workers=int(os.environ["DOWNLOAD_WORKERS"])');
  });

  /** Runs the populate script against a stand-in huggingface_hub that lists `files` and records the download call. */
  function runPopulate(files: string[]): { ignore: string[]; workers: number } {
    const script = container(findOne(synthCached().manifests, 'Job'), 'populate').command[2];
    const dir = mkdtempSync(join(tmpdir(), 'populate-'));
    const pkg = join(dir, 'huggingface_hub');
    spawnSync('mkdir', ['-p', pkg, join(dir, 'weights')]);
    writeFileSync(join(pkg, '__init__.py'), [
      'import json, os',
      'class HfApi:',
      '    def list_repo_files(self, repo_id, revision=None):',
      `        return json.loads(${JSON.stringify(JSON.stringify(files))})`,
      'def snapshot_download(repo_id, revision, local_dir, ignore_patterns, max_workers):',
      '    with open(os.environ["RECORD"], "w") as f:',
      '        json.dump({"ignore": ignore_patterns, "workers": max_workers}, f)',
      '    return local_dir',
    ].join('\n'));
    const record = join(dir, 'record.json');
    const run = spawnSync('python3', ['-c', script], {
      env: {
        PATH: process.env.PATH,
        PYTHONPATH: dir,
        RECORD: record,
        MODEL_ID: 'org/model',
        MODEL_REVISION: 'abc',
        DOWNLOAD_WORKERS: '8',
        WEIGHTS_DIR: join(dir, 'weights'),
        COMPLETION_MARKER: join(dir, 'weights', '.complete'),
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(readFileSync(record, 'utf8'));
  }

  test('a Mistral-format repository (consolidated weights only) gets its weights', () => {
    const { ignore } = runPopulate(['consolidated.safetensors', 'params.json', 'tekken.json', 'README.md']);
    expect(ignore).not.toContain('consolidated*');
    expect(ignore).toEqual(['original/*', '*.pth']);
  });

  test('a repository with Hugging Face-format shards skips the consolidated duplicate', () => {
    const { ignore, workers } = runPopulate(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
      'model.safetensors.index.json', 'consolidated.safetensors', 'params.json', 'original/consolidated.00.pth']);
    expect(ignore).toEqual(['original/*', '*.pth', 'consolidated*']);
    expect(workers).toBe(8);
  });

  test('a revision that is not a commit is said at synth; a commit hash is not', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const chart = testChart();
      new ModelCache(chart, 'floating', { model: Model.huggingFace('org/floating', { parametersBillions: 1 }) });
      new ModelCache(chart, 'pinned', { model: Model.huggingFace('org/pinned', { parametersBillions: 1, revision: '1605565b47bb9346c5515c34102e054115b4f98b' }) });
      Testing.synth(chart);
      const messages = warn.mock.calls.map((c) => String(c[0]));
      expect(messages.filter((m) => m.includes("ModelCache 'test/floating': model revision ('main') is a branch or tag, not a commit"))).toHaveLength(1);
      expect(messages.filter((m) => m.includes('test/pinned'))).toHaveLength(0);
    } finally {
      warn.mockRestore();
    }
  });
});
