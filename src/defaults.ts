/** The vLLM OpenAI-compatible server image the library pins (supports every flag it emits, `--shutdown-timeout` included). */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.18.0';

/** The non-root user and group the server and the cache populate Job run as. */
export const RUN_AS_USER = 1000;

/** Where a ModelCache claim is mounted in every container that reads or writes it. */
export const CACHE_MOUNT_PATH = '/models';

/** The file a populate Job writes last, inside the weights directory. */
export const COMPLETION_MARKER = '.complete';

/**
 * The label every object and pod of one server carries, and every selector of the library matches: owned by the
 * library, unlike `app.kubernetes.io/instance`, which Argo CD sets (and overwrites) on every object it tracks
 * (its default tracking method in 2.x).
 */
export const SERVER_LABEL = 'vllm.cdk8s.io/server';
