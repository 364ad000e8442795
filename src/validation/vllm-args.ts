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
  '--api-key': 'apiKey: { secret, key }',
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

/**
 * `--load-format` values vLLM knows (vllm-project/vllm vllm/config/load.py LoadFormats, v0.18); any other makes it exit.
 * The Run:ai streamer is set with the `loadFormat` prop, which sizes the pod's memory and the cold start for it.
 */
const LOAD_FORMATS = ['auto', 'pt', 'safetensors', 'npcache', 'dummy', 'tensorizer', 'sharded_state', 'gguf', 'bitsandbytes', 'mistral',
  'fastsafetensors', 'runai_streamer_sharded'];

/**
 * The guarded flags `flag` names: itself, or those it abbreviates. vLLM's parser is argparse with `allow_abbrev`, so an
 * unambiguous prefix (`--api-ke`, `--max-num-seq`) is read as the full flag, and an ambiguous one stops the server.
 */
function guardedFlags(flag: string): string[] {
  const guarded = [...Object.keys(SECRET_FLAGS), ...Object.keys(TYPED_FLAGS), '--load-format'];
  if (guarded.includes(flag)) return [flag];
  if (!flag.startsWith('--') || flag.length < 3) return [];
  return guarded.filter((g) => g.startsWith('--') && g.startsWith(flag));
}

/**
 * Refuses extra arguments that override a typed flag (written in full or abbreviated) or carry a credential, a second
 * positional argument (vllm serve takes one, the model, which the library passes), NUL bytes, and `--load-format`
 * values vLLM does not know or that the `loadFormat` prop must set.
 */
export function checkExtraArgs(check: Check, extraArgs: string[] | undefined, loadFormatSet = false): void {
  if (extraArgs === undefined) return;
  check.that(Array.isArray(extraArgs), 'extraArgs', extraArgs, 'must be a list of strings');
  let takesValue = false;
  for (const [i, arg] of extraArgs.entries()) {
    const prop = `extraArgs[${i}]`;
    check.that(typeof arg === 'string', prop, arg, 'must be a string');
    check.that(!arg.includes('\u0000'), prop, arg.replace(/\u0000/g, '\\0'), 'must not contain a NUL byte: no process argument can carry one');
    const flag = normalizeFlag(arg);
    if (flag === undefined) {
      check.that(takesValue, prop, arg, "is a second positional argument: vllm serve takes one, the model, which the library passes; give a flag's value right after the flag or as --flag=value");
      takesValue = false;
      continue;
    }
    takesValue = !arg.includes('=');
    const flags = guardedFlags(flag);
    if (flags.length === 0) continue;
    const abbreviation = flags[0] === flag ? '' : `abbreviates ${flags.join(' and ')} (vLLM's parser accepts unambiguous prefixes) and `;
    const secret = flags.map((f) => SECRET_FLAGS[f]).find((use) => use !== undefined);
    if (secret) throw check.error(prop, flag, `${abbreviation}must not carry a credential on the command line: use ${secret}`);
    if (flags.length === 1 && flags[0] === '--load-format') {
      checkLoadFormatArg(check, prop, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : extraArgs[i + 1], abbreviation, loadFormatSet);
      continue;
    }
    const typed = flags.map((f) => TYPED_FLAGS[f] ?? 'loadFormat').join(' and ');
    throw check.error(prop, flag, `${abbreviation}would silently override the flag the library derives; set it with ${typed}`);
  }
}

function checkLoadFormatArg(check: Check, prop: string, value: string | undefined, abbreviation: string, loadFormatSet: boolean): void {
  if (loadFormatSet) throw check.error(prop, '--load-format', `${abbreviation}would silently override the flag the library derives; set it with loadFormat`);
  if (value !== undefined && value.startsWith('runai_streamer')) {
    throw check.error(prop, value, 'must be set with loadFormat: LoadFormat.RUNAI_STREAMER, which sizes the pod\'s memory and the cold start for the streamer');
  }
  check.that(value !== undefined && LOAD_FORMATS.includes(value), prop, value ?? '', `is not a --load-format vLLM knows: one of ${LOAD_FORMATS.join(', ')}`);
}

/** Values shaped like the access tokens of Hugging Face, OpenAI-style APIs and GitHub, whatever the variable's name. */
const TOKEN_SHAPED = /^(hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,})$/;

/**
 * A map of extra environment variables: valid names, no literal credentials, scratch paths kept writable, and none of
 * the variables a typed prop sets (`setByProps`: name to prop), which `env` would silently replace.
 */
export function checkEnv(check: Check, env: { [name: string]: kplus.EnvValue } | undefined, writableDirs: string[],
  setByProps: { [name: string]: string } = {}, gpus = 1): void {
  if (env === undefined) return;
  check.that(env !== null && typeof env === 'object', 'env', env, 'must be a map of names to EnvValue');
  for (const [name, value] of Object.entries(env)) {
    const problem = envNameProblem(name);
    if (problem) throw check.error('env key', name, problem);
    const prop = setByProps[name];
    if (prop !== undefined) throw check.error('env key', name, `is set from ${prop}: env would silently replace it; set one of them`);
    check.that(value !== null && typeof value === 'object' && ('value' in value || 'valueFrom' in value), `env.${name}`, value,
      'must be an EnvValue (EnvValue.fromValue, EnvValue.fromSecretValue, ...)');
    const literal = value.value;
    if (literal === undefined) continue;
    if (CREDENTIAL_NAME.test(name) && literal !== '') {
      throw check.error(`env.${name}`, '<redacted>', 'looks like a credential and must not be a literal value: use EnvValue.fromSecretValue({ secret, key })');
    }
    if (TOKEN_SHAPED.test(literal)) {
      throw check.error(`env.${name}`, '<redacted>', 'has the shape of an access token (hf_..., sk-..., ghp_...) and must not be a literal value: use EnvValue.fromSecretValue({ secret, key })');
    }
    if (name === 'CUDA_VISIBLE_DEVICES') {
      const listed = literal.split(',').filter((device: string) => device.trim() !== '').length;
      check.that(listed >= gpus, `env.${name}`, literal,
        `lists ${listed} GPU${listed === 1 ? '' : 's'}, fewer than the ${gpus} each replica runs on (gpuCount): the parallel ranks would find no device`);
    }
    if (WRITABLE_PATH_VARIABLES.includes(name)) {
      const inside = writableDirs.some((dir) => literal === dir || literal.startsWith(`${dir}/`));
      check.that(inside && !literal.split('/').includes('..'), `env.${name}`, literal,
        `must be a path under ${writableDirs.join(' or ')}: the root filesystem is read-only`);
    }
  }
}
