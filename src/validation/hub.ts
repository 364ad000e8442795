import { posix } from 'path';
import { Check } from '../errors';

/**
 * Hugging Face hub ids, as the hub and huggingface_hub accept them
 * (huggingface/huggingface_hub src/huggingface_hub/utils/_validators.py validate_repo_id, v0.26):
 * `[namespace/]name` of letters, digits, '-', '_' and '.', at most 96 characters, no '--' or '..',
 * not starting or ending with '-' or '.'.
 */
const REPO_PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/** What is wrong with a hub model id `organisation/name`, if anything. */
export function modelIdProblem(modelId: string): string | undefined {
  if (typeof modelId !== 'string') return "must be a Hugging Face id 'organisation/name'";
  const parts = modelId.split('/');
  if (parts.length !== 2 || parts.some((p) => p.length === 0)) return "must be a Hugging Face id 'organisation/name'";
  if (parts.some((p) => p.length > 96)) return "must be a Hugging Face id 'organisation/name' with each part at most 96 characters";
  if (modelId.includes('--') || modelId.includes('..')) return "must be a Hugging Face id 'organisation/name': the hub refuses '--' and '..'";
  if (!parts.every((p) => REPO_PART.test(p))) {
    return "must be a Hugging Face id 'organisation/name' of letters, digits, '-', '_' and '.', each part not starting or ending with '-' or '.'";
  }
  return undefined;
}

/** A directory under `root` that stays under it once normalised (no '..', no '.', no empty segment). */
export function checkInsideDirectory(check: Check, prop: string, root: string, path: string): void {
  const normalised = posix.normalize(path);
  check.that(normalised === path && path.startsWith(`${root}/`) && !path.split('/').some((s) => s === '.' || s === '..'), prop, path,
    `must stay inside ${root}: it is derived from the model id and revision`);
}
