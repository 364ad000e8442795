import { parseAllDocuments } from 'yaml';
import { REPLAY_LIMITS } from '../simulation/cluster/limits';
import { readBounded } from '../simulation/traffic/bounded-read';
import { Trace } from '../simulation/traffic/trace';

/** Checks of the command line's flags and files, before any replay starts. */

/** A command-line problem: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** What `--help` says about the budget of one run. */
export const BUDGET_TEXT = `Limits: a trace file is read up to ${Trace.MAX_FILE_BYTES / 2 ** 20} MiB; a replay holds at most `
  + `${Trace.MAX_REQUESTS.toLocaleString('en-US')} requests (after --rate-scale and --flash-crowd) spanning at most 7 days, `
  + `with at most ${Trace.MAX_TOKENS_PER_REQUEST.toLocaleString('en-US')} prompt or output tokens per request (each at least 1). `
  + `Replayed manifests hold at most ${REPLAY_LIMITS.maxReplicas.toLocaleString('en-US')} replicas (every replica count of a ScaledObject, `
  + `HorizontalPodAutoscaler or Deployment), a ServiceMonitor scrape interval of at least ${REPLAY_LIMITS.minScrapeIntervalSeconds} s, and `
  + `durations (cold start, grace periods, polling intervals) of at most ${REPLAY_LIMITS.maxSeconds.toLocaleString('en-US')} s. `
  + 'Within these limits a run needs at most about 1 GiB of memory (0.83 GiB measured for a 235 MB trace of 1,990,000 requests); '
  + 'anything past them is refused before it is read or replayed.';

/** The largest --rate-scale and --flash-crowd multiplier; the request budget may refuse smaller ones for a long trace. */
export const MAX_RATE_FACTOR = 10_000;

export interface ParsedArguments { readonly command: string; readonly options: Map<string, string>; readonly flags: Set<string> }

/** Splits `command --name value --flag ...`; refuses unknown and repeated names. */
export function parseArguments(argv: string[], flagNames: Set<string>, optionNames: Set<string>): ParsedArguments {
  const [command, ...rest] = argv;
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (options.has(name) || flags.has(name)) throw new UsageError(`--${name} is given more than once`);
    if (flagNames.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else if (optionNames.has(name)) {
      // A missing value never takes the next flag: `--svg --json` is a mistake, not a folder named '--json'.
      const value = inline ?? (rest[i + 1]?.startsWith('--') ? undefined : rest[++i]);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { command: command ?? '', options, flags };
}

/** `--policies a,b`: known names, at least one, none twice. */
export function policyList(raw: string | undefined, known: readonly string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const policies = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (policies.length === 0) throw new UsageError(`--policies (${raw}) names no policy; choose from ${known.join(', ')}`);
  for (const p of policies) {
    if (!known.includes(p)) throw new UsageError(`--policies: unknown policy '${p}'; choose from ${known.join(', ')}`);
  }
  if (new Set(policies).size !== policies.length) throw new UsageError(`--policies (${raw}) names a policy twice`);
  return policies;
}

/** `--rate-scale X`: a number in (0, 10000]. */
export function rateScale(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const value = Number(raw);
  if (!(value > 0 && value <= MAX_RATE_FACTOR)) throw new UsageError(`--rate-scale (${raw}) must be a number > 0 and <= ${MAX_RATE_FACTOR}`);
  return value;
}

/** `--flash-crowd START,DURATION,MULTIPLIER`: inside the replay's span, multiplier from 1 to 10000. */
export function flashCrowd(raw: string): { startSeconds: number; durationSeconds: number; multiplier: number } {
  const parts = raw.split(',');
  const [startSeconds, durationSeconds, multiplier] = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 3 || ![startSeconds, durationSeconds, multiplier].every(Number.isFinite)) {
    throw new UsageError(`--flash-crowd (${raw}) must be START_SECONDS,DURATION_SECONDS,MULTIPLIER`);
  }
  const maxSeconds = Trace.MAX_DURATION_SECONDS;
  const inBudget = startSeconds >= 0 && startSeconds <= maxSeconds && durationSeconds > 0 && durationSeconds <= maxSeconds
    && multiplier >= 1 && multiplier <= MAX_RATE_FACTOR;
  if (!inBudget) {
    throw new UsageError(`--flash-crowd (${raw}) needs START_SECONDS and DURATION_SECONDS from 0 to ${maxSeconds} (duration > 0) and MULTIPLIER from 1 to ${MAX_RATE_FACTOR}`);
  }
  return { startSeconds, durationSeconds, multiplier };
}

/** Largest manifests file read, bytes. */
const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** Reads a YAML file of Kubernetes objects: every document a mapping with apiVersion and kind, at least one. */
export function readManifestsFile(file: string): any[] {
  let text: string;
  try {
    text = readBounded(file, MAX_MANIFEST_BYTES, '--manifests');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const documents = parseAllDocuments(text);
  const manifests: any[] = [];
  for (const [i, doc] of (Array.isArray(documents) ? documents : [documents]).entries()) {
    if (doc.errors.length > 0) throw new UsageError(`--manifests '${file}' is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const value = doc.toJSON();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') {
      throw new UsageError(`--manifests '${file}': document ${i + 1} is not a Kubernetes object (a YAML mapping with apiVersion and kind)`);
    }
    manifests.push(value);
  }
  if (manifests.length === 0) throw new UsageError(`--manifests '${file}' holds no Kubernetes object`);
  return manifests;
}
