/** The vLLM OpenAI-compatible server image the library pins (supports every flag it emits, `--shutdown-timeout` included). */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.18.0';

/** The non-root user and group the server and the cache populate Job run as. */
export const RUN_AS_USER = 1000;

/** Where a ModelCache claim is mounted in every container that reads or writes it. */
export const CACHE_MOUNT_PATH = '/models';

/** The file a populate Job writes last, inside the weights directory. */
export const COMPLETION_MARKER = '.complete';
