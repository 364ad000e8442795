import { Check } from '../errors';

/**
 * Prometheus and KEDA rules for the values the library puts in queries, rule files and triggers.
 */

/** Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`, `__` reserved (prometheus/prometheus model/labels, LegacyValidation). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus' default `--query.lookback-delta`: an instant query sees a series only if it has a sample this recent. */
export const LOOKBACK_SECONDS = 300;

/** Checks the label names (and values) of a label map added to alerts: promtool refuses a rule file otherwise. */
export function checkPrometheusLabels(check: Check, prop: string, labels: { [name: string]: string } | undefined): void {
  if (labels === undefined) return;
  if (labels === null || typeof labels !== 'object') throw check.error(prop, labels, 'must be a map of label names to values');
  for (const [name, value] of Object.entries(labels)) {
    check.that(LABEL_NAME.test(name) && !name.startsWith('__'), `${prop} key`, name,
      "must be a Prometheus label name: letters, digits and '_', not starting with a digit or '__'");
    check.that(typeof value === 'string' && value.length > 0, `${prop}['${name}']`, value, 'must be a non-empty string (an empty value removes the label)');
  }
}

/**
 * The Prometheus address of a KEDA prometheus trigger. KEDA appends `/api/v1/query?query=...&time=...` to it
 * (kedacore/keda pkg/scalers/prometheus_scaler.go, v2.17), so it must be a bare base URL: http(s), a host, no query,
 * no fragment, no surrounding whitespace, no path already ending in the API, and no credentials in plain text
 * (use `authentication`, a TriggerAuthentication backed by a Secret).
 */
export function prometheusAddressProblem(address: string): string | undefined {
  if (typeof address !== 'string' || address.length === 0) return 'must be an http:// or https:// URL';
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (address.trim() !== address || /\s/.test(address)) return 'must not contain whitespace (KEDA uses the address as written)';
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname.length === 0) return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') {
    return 'must not carry credentials in plain text: set authentication (a KEDA TriggerAuthentication backed by a Secret)';
  }
  if (url.search !== '' || address.includes('?')) return 'must have no query string: KEDA appends /api/v1/query?query=... to it';
  if (url.hash !== '' || address.includes('#')) return 'must have no fragment: KEDA appends /api/v1/query?query=... to it';
  if (/\/api\/v1(\/query(_range)?)?\/?$/.test(url.pathname)) {
    return "must be the base URL of Prometheus, without '/api/v1/query': KEDA appends it";
  }
  return undefined;
}

/** A scrape interval an instant query can see: below Prometheus' 5-minute lookback, or series vanish between scrapes. */
export function checkScrapeInterval(check: Check, prop: string, seconds: number): void {
  check.that(seconds < LOOKBACK_SECONDS, prop, `${seconds}s`,
    `must be shorter than Prometheus' ${LOOKBACK_SECONDS / 60}-minute lookback (query.lookback-delta), or every query sees gaps between scrapes: at most ${LOOKBACK_SECONDS - 1}s`);
}

/**
 * The namespace an in-cluster Prometheus address names (`<service>.<namespace>`, optionally `.svc[.<domain>]`);
 * undefined for a bare service name (the client's own namespace) or an address outside the cluster.
 */
export function namespaceOfAddress(address: string): string | undefined {
  const labels = new URL(address).hostname.split('.');
  if (labels.length < 2 || (labels.length > 2 && labels[2] !== 'svc')) return undefined;
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(labels[1]) ? labels[1] : undefined;
}

/**
 * Text that Prometheus renders as written in an alerting rule's labels and annotations. It expands both as Go
 * templates (text/template), so a `{{` in a value the user gave (a served model name, a runbook URL, a label) would
 * open an action, and promtool refuses the whole rule file when it does not parse. Each `{{` becomes an action that
 * prints `{{`; a `}}` outside an action is plain text already.
 */
export function templateLiteral(text: string): string {
  return text.split('{{').join('{{ "{{" }}');
}
