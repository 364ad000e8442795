import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, Lazy, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CACHE_MOUNT_PATH, COMPLETION_MARKER, VLLM_IMAGE } from './defaults';
import { Check, subjectOf } from './errors';
import { Model } from './model';
import { hardenedContainerSecurity, hardenedPodSecurity, writableScratch } from './pod-security';
import { ColdStart } from './sizing';
import { checkDownloadDeadline } from './validation/cache';
import { namespaceScope, registerNames } from './validation/collisions';
import { checkInsideDirectory } from './validation/hub';
import { checkImage } from './validation/images';
import { checkNamespace, checkObjectName, checkRenderedMetadata } from './validation/kubernetes-names';
import { gibText, sizeGib } from './validation/quantities';

/** Properties of a ModelCache. */
export interface ModelCacheProps {
  /** The model whose weights the cache holds. */
  readonly model: Model;
  /**
   * Storage class of the claim. It must offer the access mode (ReadWriteMany by default).
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Size of the claim, rounded up to a whole GiB. Each revision gets its own claim (named from the model and revision),
   * so a claim holds one copy.
   * @default - weights x 1.25 plus 5 GiB, rounded up to a whole GiB
   */
  readonly size?: Size;
  /**
   * Access mode of the claim: written once by the populate Job, read by every server on any node.
   * @default kplus.PersistentVolumeAccessMode.READ_WRITE_MANY
   */
  readonly accessMode?: kplus.PersistentVolumeAccessMode;
  /**
   * Use an existing claim instead of creating one.
   * @default - a new claim is created
   */
  readonly existingClaimName?: string;
  /**
   * Run a Job that downloads the weights into the claim. Turn it off when the claim is already filled
   * (for example restored from a volume snapshot); the weights must then be at `weightsPath`.
   * @default true
   */
  readonly populate?: boolean;
  /**
   * Image of the populate Job; it needs Python with `huggingface_hub`.
   * @default - the pinned vLLM image, which ships huggingface_hub
   */
  readonly image?: string;
  /**
   * How many times the populate Job retries a failed download.
   * @default 4
   */
  readonly backoffLimit?: number;
  /**
   * How long the populate Job may run in all before it is stopped.
   * @default - four times the estimated hub download, at least one hour
   */
  readonly downloadDeadline?: Duration;
  /**
   * Namespace of the claim and Job; servers that mount it must run in the same namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Keep vLLM's compile cache (`VLLM_CACHE_ROOT`: torch.compile and Inductor artifacts) on a claim of its own, shared by
   * every server that mounts this cache, so only the first replica of a configuration compiles. A claim of its own
   * because the weights claim is mounted read-only by the servers, while the compile cache must be writable; and its
   * content follows the vLLM version and server settings, not the model revision, so it outlives a revision bump.
   * vLLM keys the cache by a hash of every setting that matters (vllm-project/vllm docs/design/torch_compile.md); it
   * saves artifacts atomically but does not lock the cache against concurrent writers, so replicas of a new
   * configuration that start together each compile, and the first to finish fills the cache for later ones.
   * @default - true for a new claim; false with `existingClaimName` (the library then creates no storage)
   */
  readonly compileCache?: boolean;
  /**
   * Size of the compile-cache claim.
   * @default Size.gibibytes(10)
   */
  readonly compileCacheSize?: Size;
}

/**
 * A PersistentVolumeClaim that holds a model's weights, filled once by a Job, mounted read-only by servers.
 *
 * Scale-ups then read weights from the claim instead of downloading them.
 *
 * @example
 * const model = Model.huggingFace('Qwen/Qwen2.5-7B-Instruct', { parametersBillions: 7.6 });
 * const cache = new ModelCache(chart, 'weights', { model, storageClassName: 'shared-rwx' });
 * new VllmService(chart, 'server', { model, cache, gpu: Gpu.A10G, loadFormat: LoadFormat.RUNAI_STREAMER });
 */
export class ModelCache extends Construct {
  /** Whether pods on several nodes can mount the claim at once (ReadWriteMany, ReadOnlyMany, or an existing claim). */
  public get sharable(): boolean {
    return this.accessMode === undefined
      || this.accessMode === kplus.PersistentVolumeAccessMode.READ_WRITE_MANY
      || this.accessMode === kplus.PersistentVolumeAccessMode.READ_ONLY_MANY;
  }

  /** Weights x 1.25 plus 5 GiB for tokenizer, configuration and download metadata, rounded up. */
  public static defaultSize(model: Model): Size {
    return Size.gibibytes(Math.ceil(model.weightsGib * 1.25 + 5));
  }

  /** The model cached. */
  public readonly model: Model;
  /** The claim that holds the weights. */
  public readonly claim: kplus.IPersistentVolumeClaim;
  /** The claim that holds vLLM's compile cache, shared by the servers; undefined when `compileCache` is off. */
  public readonly compileCacheClaim?: kplus.IPersistentVolumeClaim;
  /** The Job that fills the claim, when `populate` is on. */
  public readonly populateJob?: kplus.Job;
  /**
   * A label selector of the populate Job's pods (`kubectl logs -l <selector>`), when `populate` is on: stable while the
   * Job's name follows its spec.
   */
  public readonly populateSelector?: string;
  /** Where containers mount the claim. */
  public readonly mountPath: string = CACHE_MOUNT_PATH;
  /** Absolute path of the weights directory inside containers that mount the claim. */
  public readonly weightsPath: string;
  /** Absolute path of the file the populate Job writes last; servers wait for it. */
  public readonly completionMarkerPath: string;
  /** Namespace of the claim. */
  public readonly namespace?: string;
  /** How long the populate Job may run in all (its `activeDeadlineSeconds`); servers wait for the weights no longer. */
  public readonly downloadDeadline: Duration;
  /** Access mode of a new claim; undefined for an existing claim (whose mode the library cannot see). */
  public readonly accessMode?: kplus.PersistentVolumeAccessMode;

  public constructor(scope: Construct, id: string, props: ModelCacheProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'ModelCache'));
    check.required(props, ['model']);
    check.integer('backoffLimit', props.backoffLimit, 0, 100);
    if (props.size !== undefined) {
      const gib = sizeGib(check, 'size', props.size);
      check.that(gib >= props.model.weightsGib, 'size', gibText(gib), `must hold the weights: at least ${Math.ceil(props.model.weightsGib)}Gi`);
    }
    checkObjectName(check, 'storageClassName', props.storageClassName);
    checkNamespace(check, 'namespace', props.namespace);
    checkImage(check, 'image', props.image);
    if (props.existingClaimName !== undefined) {
      check.that(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(props.existingClaimName), 'existingClaimName', props.existingClaimName, 'must be a valid Kubernetes object name');
      check.that(props.storageClassName === undefined && props.size === undefined && props.accessMode === undefined,
        'existingClaimName', props.existingClaimName, 'cannot be combined with storageClassName, size or accessMode (they describe a new claim)');
    }
    if (props.downloadDeadline !== undefined) {
      checkDownloadDeadline(check, check.wholeSeconds('downloadDeadline', props.downloadDeadline, 1, 604_800), ColdStart.estimate(props.model, false).weightLoadSeconds);
    }

    this.model = props.model;
    this.namespace = props.namespace ?? Chart.of(this).namespace;
    this.weightsPath = `${CACHE_MOUNT_PATH}/${props.model.directoryName}`;
    this.completionMarkerPath = `${this.weightsPath}/${COMPLETION_MARKER}`;
    checkInsideDirectory(check, 'model', CACHE_MOUNT_PATH, this.weightsPath);
    this.downloadDeadline = props.downloadDeadline
      ?? Duration.seconds(Math.max(3600, Math.ceil(4 * ColdStart.estimate(props.model, false).weightLoadSeconds)));
    const metadata = { namespace: props.namespace };
    this.accessMode = props.existingClaimName === undefined ? props.accessMode ?? kplus.PersistentVolumeAccessMode.READ_WRITE_MANY : undefined;

    // One claim per revision: a new revision is downloaded into a new claim sized for one copy, while servers of the
    // old revision keep reading theirs until the rollout ends (prune the old claim with your GitOps tool).
    const claimName = `${Names.toDnsLabel(this, { maxLen: 52 })}-${shortHash(`${props.model.id}@${props.model.revision}`)}`;
    this.claim = props.existingClaimName !== undefined
      ? kplus.PersistentVolumeClaim.fromClaimName(this, 'Resource', props.existingClaimName)
      : new kplus.PersistentVolumeClaim(this, 'Resource', {
        metadata: { ...metadata, name: claimName },
        storageClassName: props.storageClassName,
        accessModes: [this.accessMode!],
        // cdk8s-plus renders a claim's storage in whole Gi: a size such as Size.mebibytes(200000) is rounded up.
        storage: props.size !== undefined ? Size.gibibytes(Math.ceil(sizeGib(check, 'size', props.size))) : ModelCache.defaultSize(props.model),
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });

    if (props.compileCache ?? props.existingClaimName === undefined) {
      const compileSize = props.compileCacheSize ?? Size.gibibytes(10);
      check.that(compileSize.toMebibytes() >= 1024, 'compileCacheSize', `${compileSize.toMebibytes()}Mi`, 'must be at least 1Gi');
      // Writable by every server: ReadWriteMany, unless the weights live on a single-node claim.
      const single = this.accessMode === kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE
        || this.accessMode === kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD;
      this.compileCacheClaim = new kplus.PersistentVolumeClaim(this, 'CompileCache', {
        metadata,
        storageClassName: props.storageClassName,
        accessModes: [single ? this.accessMode! : kplus.PersistentVolumeAccessMode.READ_WRITE_MANY],
        storage: compileSize,
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });
    }

    if (props.populate ?? true) {
      const selector = { [POPULATE_LABEL]: Names.toLabelValue(this) };
      this.populateJob = this.createPopulateJob(props, metadata, selector);
      this.populateSelector = `${POPULATE_LABEL}=${selector[POPULATE_LABEL]}`;
    }
    const claimRef = this.claim.name;
    registerNames(this, 'ModelCache', () => [{
      kind: 'cache directory',
      scope: `claim '${claimRef}' in ${namespaceScope(this, props.namespace)}`,
      name: this.weightsPath,
      content: `${props.model.id}@${props.model.revision}`,
    }]);
    if (!COMMIT_HASH.test(props.model.revision)) {
      // A branch or tag moves: the same YAML would serve whatever the hub holds when the Job runs. Said at synth.
      const warning = check.problem(`model revision ('${props.model.revision}') is a branch or tag, not a commit: the same YAML `
        + 'downloads whatever the hub holds when the Job runs, and a new replica may serve other weights than the last; pin a '
        + '40-character commit hash (Model.huggingFace(id, { revision }))').message;
      this.node.addValidation({ validate: () => { warnOnce(warning); return []; } });
    }
    checkRenderedMetadata(check, this);
  }

  private createPopulateJob(props: ModelCacheProps, metadata: { namespace?: string }, labels: { [key: string]: string }): kplus.Job {
    const model = props.model;
    const image = props.image ?? VLLM_IMAGE;
    // Job specs are immutable: the name carries a hash of the rendered spec (patches included), so any change to the pod
    // template (model, revision, image, token, resources, ...) is a new Job, never an update `kubectl apply` rejects.
    const base = Names.toDnsLabel(this, { maxLen: 52 });
    let hashing = false;
    const name = Lazy.any({
      produce: () => {
        if (hashing) return base;
        hashing = true;
        try {
          return `${base}-${shortHash(JSON.stringify(ApiObject.of(job).toJson().spec))}`;
        } finally {
          hashing = false;
        }
      },
    }) as unknown as string;
    const job: kplus.Job = new kplus.Job(this, 'Populate', {
      metadata: { ...metadata, name, labels },
      podMetadata: { labels },
      backoffLimit: props.backoffLimit ?? 4,
      activeDeadline: this.downloadDeadline,
      automountServiceAccountToken: false,
      securityContext: hardenedPodSecurity(),
      restartPolicy: kplus.RestartPolicy.NEVER,
    });
    // Downloads go to the claim; the scratch holds the hub client's metadata and Python's temporary files.
    const scratch = writableScratch(job, { tmp: Size.gibibytes(1), cache: Size.gibibytes(1) });
    const container = job.addContainer({
      name: 'populate',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['python3', '-c', POPULATE_SCRIPT],
      envVariables: {
        MODEL_ID: kplus.EnvValue.fromValue(model.id),
        MODEL_REVISION: kplus.EnvValue.fromValue(model.revision),
        DOWNLOAD_WORKERS: kplus.EnvValue.fromValue(String(DOWNLOAD_WORKERS)),
        WEIGHTS_DIR: kplus.EnvValue.fromValue(this.weightsPath),
        COMPLETION_MARKER: kplus.EnvValue.fromValue(this.completionMarkerPath),
        HF_HOME: kplus.EnvValue.fromValue(`${scratch.cachePath}/huggingface`),
        HF_HUB_DISABLE_TELEMETRY: kplus.EnvValue.fromValue('1'),
        HOME: kplus.EnvValue.fromValue(scratch.tmpPath),
        ...(model.token ? { HF_TOKEN: kplus.EnvValue.fromSecretValue(model.token) } : {}),
      },
      securityContext: hardenedContainerSecurity(),
      resources: {
        cpu: { request: kplus.Cpu.units(2) },
        memory: { request: Size.gibibytes(POPULATE_MEMORY_GIB), limit: Size.gibibytes(POPULATE_MEMORY_GIB) },
        ephemeralStorage: { request: scratch.ephemeralStorage, limit: scratch.ephemeralStorage },
      },
    });
    scratch.mountInto(container);
    container.mount(CACHE_MOUNT_PATH, kplus.Volume.fromPersistentVolumeClaim(this, 'PopulateVolume', this.claim, { name: 'weights' }));
    ApiObject.of(job).metadata.addLabel('app.kubernetes.io/component', 'model-cache');
    return job;
  }
}

/**
 * Files the populate Job downloads at once (`snapshot_download(max_workers=...)`, whose default is 8): set explicitly,
 * because the Job's memory is sized from it.
 */
const DOWNLOAD_WORKERS = 8;
/**
 * Memory of the populate Job, GiB. The Hugging Face client's Xet transfer (installed with huggingface_hub by default)
 * buffers about 2 GB for the whole download plus 512 MB for each file in flight (huggingface/xet-core,
 * its reconstruction.rs and data.rs download settings; the out-of-memory kills of kserve/kserve#5326 and
 * huggingface/huggingface_hub#3300 on models over 8 GB): 2 + 0.5 x 8 = 6 GiB, plus 2 GiB for Python, the client and
 * the page cache of the files being written.
 */
const POPULATE_MEMORY_GIB = 2 + 0.5 * DOWNLOAD_WORKERS + 2;

/** The label of the populate Job and its pods. */
const POPULATE_LABEL = 'vllm.cdk8s.io/model-cache';

const warned = new Set<string>();

/** Prints a synth-time warning on stderr, once per process (an app synthesizes every chart, validating each time). */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`Warning: ${message}`);
}

/** A full git commit hash: the only revision that pins the weights. */
const COMMIT_HASH = /^[0-9a-f]{40}$/;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * Downloads one pinned revision into a plain directory (not a hub cache: servers mount it read-only),
 * once: it exits at once when the completion marker is there, and writes the marker last.
 */
const POPULATE_SCRIPT = `import os, sys
from huggingface_hub import HfApi, snapshot_download
marker = os.environ["COMPLETION_MARKER"]
if os.path.exists(marker):
    print("weights already present at", os.environ["WEIGHTS_DIR"])
    sys.exit(0)
repo, revision = os.environ["MODEL_ID"], os.environ["MODEL_REVISION"]
# original/ and *.pth: Meta's consolidated checkpoint, a duplicate of the safetensors vLLM loads. consolidated*:
# Mistral's format (with params.json and tekken.json), the only weights of some repositories and a duplicate of the
# Hugging Face-format shards in others: skipped only when those shards exist.
files = HfApi().list_repo_files(repo, revision=revision)
hf_shards = any(f.endswith(".safetensors") and not os.path.basename(f).startswith("consolidated") for f in files)
ignore = ["original/*", "*.pth"] + (["consolidated*"] if hf_shards else [])
path = snapshot_download(repo_id=repo, revision=revision, local_dir=os.environ["WEIGHTS_DIR"],
                         ignore_patterns=ignore, max_workers=int(os.environ["DOWNLOAD_WORKERS"]))
with open(marker + ".tmp", "w") as f:
    f.write(repo + "@" + revision + "\\n")
os.replace(marker + ".tmp", marker)
print("weights downloaded to", path)
`;
