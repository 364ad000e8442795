import { spawnSync } from 'child_process';
import * as path from 'path';

/** One schema violation; `path` is like `spec.template.spec.containers[0].image` or `(root)`. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

export interface ValidationResult {
  /** Position of the object in the input array. */
  readonly index: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  /** What validated it: an npm package name or `crd:<file>`; absent when no schema was found. */
  readonly source?: string;
  readonly valid: boolean;
  readonly errors: ValidationIssue[];
}

const WORKER = path.join(__dirname, 'validate-worker.mjs');

/**
 * Validates Kubernetes objects against upstream schemas: kubernetes-models (core kinds),
 * @kubernetes-models/keda, @kubernetes-models/prometheus-operator, and otherwise the CRDs in
 * data/crds. Objects no schema covers are invalid. All objects go through one child
 * process because the schema packages are ESM-only.
 */
export function validateManifests(manifests: any[]): ValidationResult[] {
  const proc = spawnSync(process.execPath, [WORKER], {
    input: JSON.stringify(manifests),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (proc.error) throw proc.error;
  if (proc.status !== 0) {
    throw new Error(`schema validation worker failed (exit ${proc.status ?? proc.signal}):\n${proc.stderr}`);
  }
  return JSON.parse(proc.stdout) as ValidationResult[];
}

/** Throws one Error listing every violation as `Kind/name: <path> <message>`. */
export function expectValidManifests(manifests: any[]): void {
  const lines = validateManifests(manifests)
    .filter((r) => !r.valid)
    .flatMap((r) => r.errors.map((e) => `${r.kind ?? '<no kind>'}/${r.name ?? `<unnamed #${r.index}>`}: ${e.path} ${e.message}`));
  if (lines.length > 0) {
    throw new Error(`${lines.length} schema violation(s):\n  ${lines.join('\n  ')}`);
  }
}
