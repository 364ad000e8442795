import * as kplus from 'cdk8s-plus-28';
import { Check } from '../errors';
import { envNameProblem } from './kubernetes-names';

/**
 * What may go into a VllmService's `extraArgs` and `env`.
 *
 * vLLM parses its arguments with argparse (vllm/utils/argparse_utils.py FlexibleArgumentParser, v0.18): `--a_b` is read as
 * `--a-b`, `--flag=value` as `--flag value`, and the last occurrence of a flag wins, so an extra argument silently
 * overrides the typed one the library emits (and sized the pod, probes and autoscaler for).
 */

/** Flags the library emits from typed props, and the prop that sets each. */
const TYPED_FLAGS: { [flag: string]: string } = {
  '--model': 'model (Model.huggingFace) or cache',
  '--revision': 'model (Model.huggingFace revision)',
  '--served-model-name': 'model (Model.huggingFace servedModelName)',
  '--host': 'none: the server listens on every interface, as the Service requires',
  '--port': 'none: the Service, probes and ServiceMonitor use port 8000',
  '--tensor-parallel-size': 'tensorParallelSize',
  '-tp': 'tensorParallelSize',
  '--data-parallel-size': 'gpuCount and tensorParallelSize',
  '-dp': 'gpuCount and tensorParallelSize',
  '--gpu-memory-utilization': 'gpuMemoryUtilization',
  '--max-model-len': 'maxModelLen',
  '--max-num-seqs': 'maxNumSeqs',
  '--max-num-batched-tokens': 'maxNumBatchedTokens',
  '--shutdown-timeout': 'drain.shutdownTimeout',
};

/** Flags whose value is a credential: on the command line it shows in `kubectl get pod -o yaml` and `ps`. */
const SECRET_FLAGS: { [flag: string]: string } = {
  '--api-key': 'env: { VLLM_API_KEY: EnvValue.fromSecretValue({ secret, key }) }',
  '--hf-token': 'Model.huggingFace(..., { token: { secret, key } })',
};

/** Environment variables the library sets to writable paths under a read-only root filesystem. */
const WRITABLE_PATH_VARIABLES = ['HOME', 'XDG_CACHE_HOME', 'HF_HOME', 'VLLM_CACHE_ROOT', 'VLLM_CONFIG_ROOT', 'TRITON_CACHE_DIR', 'TORCHINDUCTOR_CACHE_DIR'];

/** A credential word as a whole `_`-separated part of the name: `HF_TOKEN`, `DB_PASSWORD`, not `TOKENIZERS_PARALLELISM`. */
const CREDENTIAL_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)(_|$)/i;

/** `--max_model_len=4096` -> `--max-model-len`. */
export function normalizeFlag(arg: string): string | undefined {
  if (!arg.startsWith('-')) return undefined;
  const name = arg.split('=')[0];
  return name.startsWith('--') ? `--${name.slice(2).replace(/_/g, '-')}` : name;
}

/** Refuses extra arguments that override a typed flag or carry a credential. */
export function checkExtraArgs(check: Check, extraArgs: string[] | undefined): void {
  if (extraArgs === undefined) return;
  check.that(Array.isArray(extraArgs), 'extraArgs', extraArgs, 'must be a list of strings');
  for (const [i, arg] of extraArgs.entries()) {
    check.that(typeof arg === 'string', `extraArgs[${i}]`, arg, 'must be a string');
    const flag = normalizeFlag(arg);
    if (flag === undefined) continue;
    const secret = SECRET_FLAGS[flag];
    if (secret) throw check.error(`extraArgs[${i}]`, flag, `must not carry a credential on the command line: use ${secret}`);
    const prop = TYPED_FLAGS[flag];
    if (prop) throw check.error(`extraArgs[${i}]`, flag, `would silently override the flag the library derives; set it with ${prop}`);
  }
}

/** A map of extra environment variables: valid names, no literal credentials, scratch paths kept writable. */
export function checkEnv(check: Check, env: { [name: string]: kplus.EnvValue } | undefined, writableDirs: string[]): void {
  if (env === undefined) return;
  check.that(env !== null && typeof env === 'object', 'env', env, 'must be a map of names to EnvValue');
  for (const [name, value] of Object.entries(env)) {
    const problem = envNameProblem(name);
    if (problem) throw check.error('env key', name, problem);
    check.that(value !== null && typeof value === 'object' && ('value' in value || 'valueFrom' in value), `env.${name}`, value,
      'must be an EnvValue (EnvValue.fromValue, EnvValue.fromSecretValue, ...)');
    const literal = value.value;
    if (literal === undefined) continue;
    if (CREDENTIAL_NAME.test(name) && literal !== '') {
      throw check.error(`env.${name}`, '<redacted>', 'looks like a credential and must not be a literal value: use EnvValue.fromSecretValue({ secret, key })');
    }
    if (WRITABLE_PATH_VARIABLES.includes(name)) {
      const inside = writableDirs.some((dir) => literal === dir || literal.startsWith(`${dir}/`));
      check.that(inside && !literal.split('/').includes('..'), `env.${name}`, literal,
        `must be a path under ${writableDirs.join(' or ')}: the root filesystem is read-only`);
    }
  }
}
