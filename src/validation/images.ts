import { Check } from '../errors';

/**
 * Container image references (distribution/reference grammar: `[registry/]path[:tag][@digest]`), and the oldest
 * vLLM release that understands every flag the library emits.
 */
const IMAGE_REFERENCE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

/** `--shutdown-timeout` arrived in vLLM 0.18.0 (vllm-project/vllm vllm/entrypoints/openai/cli_args.py). */
export const MIN_VLLM_VERSION: readonly [number, number, number] = [0, 18, 0];

/** What is wrong with an image reference, if anything. */
export function imageProblem(image: string): string | undefined {
  if (typeof image !== 'string' || image.length === 0) return 'must not be empty';
  if (/\s/.test(image)) return 'must not contain whitespace';
  if (image.length > 512 || !IMAGE_REFERENCE.test(image)) return "must be an image reference such as 'vllm/vllm-openai:v0.18.0' (lower-case repository, optional tag and digest)";
  return undefined;
}

/** Checks an image prop. */
export function checkImage(check: Check, prop: string, image: string | undefined): void {
  if (image === undefined) return;
  const problem = imageProblem(image);
  if (problem) throw check.error(prop, image, problem);
}

/**
 * Refuses a vLLM OpenAI server image whose tag names a release older than 0.18.0: it would exit on
 * `--shutdown-timeout`. Images of other repositories, `latest` and digests are not judged.
 */
export function checkVllmImageVersion(check: Check, prop: string, image: string, overrideProp: string): void {
  const match = /(?:^|\/)vllm-openai:v?(\d+)\.(\d+)(?:\.(\d+))?(?:[^@]*)?(?:@.*)?$/.exec(image);
  if (!match) return;
  const version = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  const older = version[0] !== MIN_VLLM_VERSION[0] ? version[0] < MIN_VLLM_VERSION[0]
    : version[1] !== MIN_VLLM_VERSION[1] ? version[1] < MIN_VLLM_VERSION[1] : version[2] < MIN_VLLM_VERSION[2];
  if (older) {
    throw check.error(prop, image, `is vLLM ${version.join('.')}, older than ${MIN_VLLM_VERSION.join('.')}: it refuses --shutdown-timeout, which the library emits for a graceful drain; `
      + `use a newer tag, or set ${overrideProp}: true if the image is patched`);
  }
}
