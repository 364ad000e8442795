import { Check } from '../errors';

/** A `kplus.SecretValue` (`{ secret, key }`): a plain string here would be a literal credential. */
export function checkSecretValue(check: Check, prop: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    throw check.error(prop, '<redacted>', 'must be a Secret reference { secret, key }, not a literal string: store the token in a Kubernetes Secret');
  }
  const candidate = value as { secret?: { name?: unknown }; key?: unknown };
  check.that(value !== null && typeof value === 'object' && candidate.secret !== undefined && candidate.secret !== null
    && typeof candidate.secret.name === 'string' && typeof candidate.key === 'string' && candidate.key.length > 0,
  prop, '<object>', 'must be a Secret reference { secret: kplus.Secret.fromSecretName(...), key }');
}
