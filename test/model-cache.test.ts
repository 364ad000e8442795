import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Gpu, Model, ModelCache, VllmService } from '../src';
import { expectValidManifests } from './schema/validate';
import { argValue, container, findAll, findOne, LLAMA_70B, LLAMA_8B, testChart } from './util';

function synthCached(cacheProps: Partial<ConstructorParameters<typeof ModelCache>[2]> = {}, model: Model = LLAMA_8B) {
  const chart = testChart();
  const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx', ...cacheProps });
  const large = model.parametersBillions > 8;
  new VllmService(chart, 'server', { model, cache, gpu: large ? Gpu.H100_80GB : Gpu.L4, gpuCount: large ? 4 : 1 });
  return { chart, cache, manifests: Testing.synth(chart) };
}

describe('ModelCache claim', () => {
  test('a ReadWriteMany claim sized from the model', () => {
    const { manifests } = synthCached({}, LLAMA_70B);
    const claim = findOne(manifests, 'PersistentVolumeClaim');
    // 130.4 GiB x 1.25 + 5 GiB = 168 GiB.
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'shared-rwx', resources: { requests: { storage: '168Gi' } } });
  });

  test('size and access mode can be set', () => {
    const { manifests } = synthCached({ size: Size.gibibytes(500), accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE });
    expect(findOne(manifests, 'PersistentVolumeClaim').spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Gi' } } });
  });

  test('an existing claim emits no claim and is mounted by name', () => {
    const { manifests } = synthCached({ storageClassName: undefined, existingClaimName: 'llama-weights' });
    expect(findAll(manifests, 'PersistentVolumeClaim')).toHaveLength(0);
    const volumes = findOne(manifests, 'Deployment').spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'weights', persistentVolumeClaim: { claimName: 'llama-weights', readOnly: true } });
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
    expect(argValue(vllm.args, '--model')).toBe('/models/meta-llama/Llama-3.1-8B-Instruct/main');
    expect(argValue(vllm.args, '--served-model-name')).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(vllm.args).not.toContain('--revision');
    expect(vllm.env).toContainEqual({ name: 'HF_HUB_OFFLINE', value: '1' });
    expect(vllm.env.map((e: any) => e.name)).not.toContain('HF_TOKEN');
    expect(vllm.volumeMounts).toContainEqual({ mountPath: '/models', name: 'weights', readOnly: true });
    const wait = deployment.spec.template.spec.initContainers[0];
    expect(wait.name).toBe('wait-for-weights');
    expect(wait.env).toEqual([{ name: 'COMPLETION_MARKER', value: '/models/meta-llama/Llama-3.1-8B-Instruct/main/.complete' }]);
  });

  test('the claim and Job come before the Deployment', () => {
    const kinds = synthCached().manifests.map((o) => o.kind);
    expect(kinds.indexOf('PersistentVolumeClaim')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(kinds.indexOf('Job')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  test('the cold start is estimated from the cache bandwidth', () => {
    const chart = testChart();
    const cache = new ModelCache(chart, 'weights', { model: LLAMA_70B });
    const server = new VllmService(chart, 'server', { model: LLAMA_70B, cache, gpu: Gpu.H100_80GB, gpuCount: 4 });
    // 140 GB at 1000 MB/s + 30 s.
    expect(server.coldStart.totalSeconds).toBe(170);
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
  ])('%j is refused', (props, message) => {
    expect(cache(props)).toThrow(`${SUBJECT}: ${message}`);
  });
});
