import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Check } from '../errors';

/**
 * Kubernetes naming and metadata rules, as the API server applies them
 * (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go, v1.31;
 * annotation size: pkg/api/validation/objectmeta.go TotalAnnotationSizeLimitB).
 * Each function returns what is wrong, or undefined.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** The sum of the sizes of an object's annotation keys and values, in bytes. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Largest value of an int32 field (replicas, probe thresholds, deadlines in seconds). */
export const INT32_MAX = 2 ** 31 - 1;

/** A DNS-1123 label: namespaces and most names that end up in DNS or labels. */
export function dnsLabelProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must not be empty';
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!DNS1123_LABEL.test(value)) return "must be lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)";
  return undefined;
}

/** A DNS-1035 label: Service names (they become DNS names and environment variable prefixes). */
export function dns1035LabelProblem(value: string): string | undefined {
  const problem = dnsLabelProblem(value);
  if (problem) return problem;
  if (!DNS1035_LABEL.test(value)) return 'must start with a lower-case letter (RFC 1035 label: a Service name)';
  return undefined;
}

/** A DNS-1123 subdomain: names of Deployments, Jobs, claims, custom resources, storage classes. */
export function dnsSubdomainProblem(value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must not be empty';
  if (value.length > 253) return `must be at most 253 characters (has ${value.length})`;
  if (!value.split('.').every((part) => DNS1123_LABEL.test(part))) {
    return "must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit (RFC 1123 subdomain)";
  }
  return undefined;
}

/** A label (or annotation) key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'must not be empty';
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && dnsSubdomainProblem(prefix)) return `has a prefix '${prefix}' that is not a DNS subdomain`;
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "must be a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, with an optional DNS-subdomain prefix and '/'";
  }
  return undefined;
}

/** A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
export function labelValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return "must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Checks every key and value of a label map given as a prop. */
export function checkLabels(check: Check, prop: string, labels: { [key: string]: string } | undefined): void {
  if (labels === undefined) return;
  if (labels === null || typeof labels !== 'object') throw check.error(prop, labels, 'must be a map of label keys to values');
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) throw check.error(`${prop} key`, key, keyProblem);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) throw check.error(`${prop}['${key}']`, value, valueProblem);
  }
}

/** A namespace given as a prop: a DNS-1123 label (empty is refused: it silently means the default namespace). */
export function checkNamespace(check: Check, prop: string, namespace: string | undefined): void {
  if (namespace === undefined) return;
  const problem = dnsLabelProblem(namespace);
  if (problem) throw check.error(prop, namespace, problem);
}

/** An object name given as a prop (claims, storage classes, TriggerAuthentications). */
export function checkObjectName(check: Check, prop: string, name: string | undefined): void {
  if (name === undefined) return;
  const problem = dnsSubdomainProblem(name);
  if (problem) throw check.error(prop, name, problem);
}

/** An environment variable name (the portable C-identifier-like rule the API server applied before 1.32). */
export function envNameProblem(name: string): string | undefined {
  return ENV_NAME.test(name) ? undefined : "must be letters, digits, '_', '-' and '.', not starting with a digit";
}

interface RenderedMetadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/**
 * Checks the metadata of every API object under `scope` as it will be rendered (after cdk8s naming):
 * names per kind, namespace, label keys and values, annotation size. Construct ids become names, so a chart
 * or construct id with '_', '.', upper case or a leading digit is caught here, naming the id path.
 */
export function checkRenderedMetadata(check: Check, scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (!ApiObject.isApiObject(child)) continue;
    const object = child as ApiObject;
    const meta = object.metadata.toJson() as RenderedMetadata;
    const name = meta.name ?? object.name;
    const nameProblem = object.kind === 'Service' ? dns1035LabelProblem(name) : object.kind === 'Namespace' ? dnsLabelProblem(name) : dnsSubdomainProblem(name);
    if (nameProblem) {
      throw check.error(`rendered ${object.kind} name`, name,
        `${nameProblem}; it is derived from the construct path '${object.node.path}': use chart and construct ids of lower-case letters, digits and '-', starting with a letter`);
    }
    if (meta.namespace !== undefined) {
      const problem = dnsLabelProblem(meta.namespace);
      if (problem) throw check.error(`rendered ${object.kind} namespace`, meta.namespace, problem);
    }
    for (const [key, value] of Object.entries(meta.labels ?? {})) {
      const problem = labelKeyProblem(key) ?? labelValueProblem(value);
      if (problem) throw check.error(`rendered ${object.kind} label '${key}'`, value, problem);
    }
    for (const key of Object.keys(meta.annotations ?? {})) {
      const problem = labelKeyProblem(key);
      if (problem) throw check.error(`rendered ${object.kind} annotation key`, key, problem);
    }
    const annotationBytes = Object.entries(meta.annotations ?? {})
      .reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
    if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
      throw check.error(`rendered ${object.kind} annotations`, `${annotationBytes} bytes`, `must total at most ${MAX_ANNOTATIONS_BYTES} bytes (256 KiB)`);
    }
  }
}
