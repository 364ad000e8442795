import { Check } from '../errors';
import { dnsSubdomainProblem } from './kubernetes-names';

/** A Secret's data key, as the API server accepts it (k8s.io/apimachinery validation IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** What is wrong with a Secret data key, if anything. */
function secretKeyProblem(key: string): string | undefined {
  if (key.length > 253) return `must be at most 253 characters (has ${key.length})`;
  if (!SECRET_KEY.test(key) || key === '.' || key === '..') return "must be letters, digits, '-', '_' and '.' (not '.' or '..'), as a Secret's data keys are";
  return undefined;
}

/**
 * A `kplus.SecretValue` (`{ secret, key }`): a plain string here would be a literal credential. The Secret's name and
 * key must be ones the API server accepts: otherwise the pod is refused, or never starts (CreateContainerConfigError).
 */
export function checkSecretValue(check: Check, prop: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    throw check.error(prop, '<redacted>', 'must be a Secret reference { secret, key }, not a literal string: store the credential in a Kubernetes Secret');
  }
  const candidate = value as { secret?: { name?: unknown }; key?: unknown };
  check.that(value !== null && typeof value === 'object' && candidate.secret !== undefined && candidate.secret !== null
    && typeof candidate.secret.name === 'string' && typeof candidate.key === 'string' && candidate.key.length > 0,
  prop, '<object>', 'must be a Secret reference { secret: kplus.Secret.fromSecretName(...), key }');
  const name = candidate.secret!.name as string;
  const nameProblem = dnsSubdomainProblem(name);
  if (nameProblem) throw check.error(`${prop}.secret.name`, name, nameProblem);
  const keyProblem = secretKeyProblem(candidate.key as string);
  if (keyProblem) throw check.error(`${prop}.key`, candidate.key, keyProblem);
}
