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

/** The parts of a URL as Go's `net/url` Parse splits it (the subset KEDA's prometheus scaler depends on). */
export interface GoUrl {
  /** Lower-cased scheme; empty when Go reads none. */
  readonly scheme: string;
  /** What follows `scheme:` when it does not start with '/': Go then reads no host at all. */
  readonly opaque: string;
  /** Whether `//` opened an authority. */
  readonly hasAuthority: boolean;
  /** The user information before '@', if any. */
  readonly userinfo?: string;
  /** The host without the port. */
  readonly host: string;
  /** The port after ':', as written (possibly empty). */
  readonly port?: string;
  /** The path. */
  readonly path: string;
}

const GO_HOST_CHAR = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;

/**
 * Splits `raw` as Go's `url.Parse` does (golang/go src/net/url/url.go, Go 1.22: getScheme, parse, parseAuthority,
 * parseHost, validOptionalPort, unescape in host mode). Returns what Go refuses, as a string, or the parts.
 * Query and fragment are cut off first, as Go does.
 */
export function parseGoUrl(raw: string): GoUrl | string {
  let rest = raw.split('#')[0];
  if (/[\x00-\x1f\x7f]/.test(rest)) return 'invalid control character in URL';
  let scheme = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return 'missing protocol scheme';
      scheme = rest.slice(0, i).toLowerCase();
      rest = rest.slice(i + 1);
    }
    break;
  }
  rest = rest.split('?')[0];
  if (!rest.startsWith('/') && scheme !== '') return { scheme, opaque: rest, hasAuthority: false, host: '', path: '' };
  if (!rest.startsWith('//')) return { scheme, opaque: '', hasAuthority: false, host: '', path: rest };
  const slash = rest.indexOf('/', 2);
  const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  let host = at < 0 ? authority : authority.slice(at + 1);
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return "missing ']' in host";
    const colonPort = host.slice(close + 1);
    if (colonPort !== '' && !/^:[0-9]*$/.test(colonPort)) return `invalid port ${JSON.stringify(colonPort)} after host`;
    port = colonPort === '' ? undefined : colonPort.slice(1);
    host = host.slice(0, close + 1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const colonPort = host.slice(colon);
      if (!/^:[0-9]*$/.test(colonPort)) return `invalid port ${JSON.stringify(colonPort)} after host`;
      port = colonPort.slice(1);
      host = host.slice(0, colon);
    }
  }
  for (let i = 0; i < host.length; i++) {
    const c = host[i];
    if (c === '%') {
      // Go allows %-escapes in a host only for bytes >= 0x80 (and %25).
      if (!/^%[0-9A-Fa-f]{2}$/.test(host.slice(i, i + 3)) || (parseInt(host[i + 1], 16) < 8 && host.slice(i, i + 3) !== '%25')) {
        return `invalid URL escape ${JSON.stringify(host.slice(i, i + 3))}`;
      }
      i += 2;
      continue;
    }
    if (c.charCodeAt(0) < 0x80 && !GO_HOST_CHAR.test(c)) return `invalid character ${JSON.stringify(c)} in host name`;
  }
  return { scheme, opaque: '', hasAuthority: true, userinfo, host, port, path };
}

const HTTP_URL = 'must be an http:// or https:// URL';
const GO_READS = "Go's net/url, which KEDA uses,";
/** A host KEDA can dial: a DNS name or an IPv4 address, or an IPv6 address in brackets. */
const DIALABLE_HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\.?)$/;

/**
 * The Prometheus address of a KEDA prometheus trigger, read as KEDA reads it: with Go's `net/url`, not a browser's
 * URL parser (which turns '\\' into '/', adds the missing '//' and skips extra slashes). KEDA appends
 * `/api/v1/query?query=...&time=...` to it (kedacore/keda pkg/scalers/prometheus_scaler.go, v2.17), so it must be a
 * bare base URL: http(s), '//', a host it can dial, a port from 1 to 65535, no query, no fragment, no surrounding
 * whitespace, no path already ending in the API, and no credentials in plain text (use `authentication`, a
 * TriggerAuthentication backed by a Secret).
 */
export function prometheusAddressProblem(address: string): string | undefined {
  if (typeof address !== 'string' || address.length === 0) return HTTP_URL;
  if (address.includes('\\')) {
    return `must not contain '\\': ${GO_READS} refuses it in a host and keeps it in a path, where a browser-style parser reads '/'`;
  }
  const url = parseGoUrl(address);
  if (typeof url === 'string' || (url.scheme !== 'http' && url.scheme !== 'https')) {
    const trimmed = parseGoUrl(address.trim());
    const http = typeof trimmed !== 'string' && (trimmed.scheme === 'http' || trimmed.scheme === 'https');
    return http && address.trim() !== address ? 'must not contain whitespace (KEDA uses the address as written)' : HTTP_URL;
  }
  if (/\s/.test(address)) return 'must not contain whitespace (KEDA uses the address as written)';
  if (!url.hasAuthority) {
    return `must have '//' and a host after '${url.scheme}:': ${GO_READS} reads '${url.scheme}:${url.opaque || url.path}' as a URL with no host`;
  }
  if (url.userinfo !== undefined) {
    return 'must not carry credentials in plain text: set authentication (a KEDA TriggerAuthentication backed by a Secret)';
  }
  if (url.host === '') return `has an empty host: ${GO_READS} reads no host where a browser-style parser skips the extra '/'`;
  if (!DIALABLE_HOST.test(url.host)) {
    return `has a host ('${url.host}') KEDA cannot dial: a DNS name of letters, digits, '-' and '.', an IPv4 address, or an IPv6 address in brackets (${GO_READS} keeps %-escapes and other characters as written)`;
  }
  if (url.port !== undefined && url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
    return `has port ${url.port}: a port must be from 1 to 65535 (${GO_READS} accepts any digits, and the connection then fails)`;
  }
  if (address.includes('?')) return 'must have no query string: KEDA appends /api/v1/query?query=... to it';
  if (address.includes('#')) return 'must have no fragment: KEDA appends /api/v1/query?query=... to it';
  if (/\/api\/v1(\/query(_range)?)?\/?$/.test(url.path)) {
    return "must be the base URL of Prometheus, without '/api/v1/query': KEDA appends it";
  }
  if (typeof parseGoUrlPath(url.path) === 'string') return parseGoUrlPath(url.path) as string;
  return undefined;
}

/** A path Go can unescape: every '%' starts a two-digit hex escape. */
function parseGoUrlPath(path: string): string | undefined {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(path);
  return bad ? `has an invalid %-escape in its path ('${path.slice(bad.index, bad.index + 3)}'): ${GO_READS} refuses it` : undefined;
}

/** The largest int64: KEDA keeps a threshold as `int64(value * 1000)` milli-units. */
const INT64_MAX = 2 ** 63 - 1;

/**
 * A trigger threshold as KEDA turns it into the HPA's target: `resource.NewMilliQuantity(int64(value*1000), ...)`
 * (kedacore/keda pkg/scalers/prometheus_scaler.go, GetMetricSpecForScaling, v2.17). Below 0.001 the target is 0
 * milli-units, which the API server refuses in the HPA (a target must be > 0); above int64 milli-units it overflows.
 */
export function checkKedaThreshold(check: Check, prop: string, value: number | undefined): void {
  if (value === undefined) return;
  check.that(Number.isFinite(value) && value > 0, prop, value, 'must be a number > 0');
  check.that(Math.trunc(value * 1000) >= 1, prop, value,
    'is a target of 0 milli-units once KEDA keeps int64(value x 1000), and the API server refuses an HPA with a zero target: use at least 0.001');
  check.that(value * 1000 < INT64_MAX, prop, value,
    `overflows KEDA's int64 milli-units (int64(value x 1000)): use at most ${Math.floor(INT64_MAX / 1000)}`);
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
