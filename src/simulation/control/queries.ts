import { RE2JS } from 're2js';
import { METRIC } from '../../promql';

/**
 * The simple Prometheus queries a ScaledObject may carry, recognised rather than evaluated: one vLLM gauge with
 * label matchers, aggregated (`sum`, `avg`) or not. Anything else is refused by name (promql-eval.ts reads more).
 */
export const GAUGES = [METRIC.waiting, METRIC.running, METRIC.kvCacheUsage] as const;
export type Gauge = typeof GAUGES[number];

/**
 * The vLLM V1 counters a scrape reads (`vllm/v1/metrics/loggers.py` PrometheusStatLogger; prometheus_client adds
 * `_total`). Only PromQL queries read them (`rate`, `increase`, ...); per-pod HPA metrics accept gauges only.
 */
export const COUNTERS = [METRIC.promptTokens, METRIC.generationTokens, METRIC.requestSuccess] as const;

export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface GaugeQuery {
  /** `none`: the bare selector, one element per scraped pod. */
  readonly aggregation: 'sum' | 'avg' | 'none';
  readonly gauge: Gauge;
  readonly matchers: LabelMatcher[];
}

/** One scraped pod's gauges. */
export interface PodGauges {
  readonly [METRIC.waiting]: number;
  readonly [METRIC.running]: number;
  readonly [METRIC.kvCacheUsage]: number;
}

/** One scraped pod's counters, cumulative since the pod's engine started (see EngineStats). */
export interface PodCounters {
  /** Prompt tokens of the requests that got their first token. */
  readonly 'vllm:prompt_tokens_total': number;
  /** Tokens generated. */
  readonly 'vllm:generation_tokens_total': number;
  /** Requests finished with their answer (upstream one series per `finished_reason`; here their sum). */
  readonly 'vllm:request_success_total': number;
}

/** Every vLLM series a scrape reads from one pod: its gauges and its counters. */
export interface PodMetrics extends PodGauges, PodCounters {}

/** Labels Prometheus adds to every scraped series (Prometheus Operator); the simulator assumes they match. */
const TARGET_LABELS = ['namespace', 'service', 'pod', 'instance', 'job', 'container', 'endpoint'];

/** Labels of the simulated series. */
export interface SeriesLabels {
  readonly namespace?: string;
  readonly service?: string;
  readonly model_name: string;
  readonly engine: string;
}

const QUERY_PATTERN = /^\s*(sum|avg)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([^}]*)\})?\s*\)\s*$/;
const SELECTOR_PATTERN = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([^}]*)\})?\s*$/;
const MATCHER_PATTERN = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/**
 * Parses `sum(<gauge>{<matchers>})`, `avg(<gauge>{<matchers>})` or the bare `<gauge>{<matchers>}` (as the vLLM
 * production-stack chart ships it); throws an error naming what is not supported.
 */
export function parseGaugeQuery(query: string, subject: string): GaugeQuery {
  const aggregated = QUERY_PATTERN.exec(query);
  const bare = aggregated ? null : SELECTOR_PATTERN.exec(query);
  if (!aggregated && !bare) {
    throw new Error(`${subject}: query '${query}' is not supported: the simulator reads sum(<metric>{...}), avg(<metric>{...}) or <metric>{...} `
      + `over ${GAUGES.join(', ')} (it recognises these forms, it is not a PromQL engine)`);
  }
  const [aggregation, metric, body] = aggregated ? [aggregated[1], aggregated[2], aggregated[3]] : ['none', bare![1], bare![2]];
  const gauge = GAUGES.find((g) => g === metric);
  if (!gauge) throw new Error(`${subject}: query '${query}' reads '${metric}'; the simulator models only ${GAUGES.join(', ')}`);
  const matchers: LabelMatcher[] = [];
  for (const part of splitMatchers(body ?? '')) {
    const m = MATCHER_PATTERN.exec(part);
    if (!m) throw new Error(`${subject}: query '${query}': label matcher '${part.trim()}' must look like label="value"`);
    matchers.push(labelMatcher(m[1], m[2], m[3].replace(/\\(.)/g, '$1'), (what) => {
      throw new Error(`${subject}: query '${query}': ${what}`);
    }));
  }
  return { aggregation: aggregation as GaugeQuery['aggregation'], gauge, matchers };
}

const REGEX_CACHE = new Map<string, RE2JS>();

/**
 * What is wrong with a label matcher's regular expression, as Prometheus compiles it (Go's regexp, RE2 syntax:
 * no lookarounds, no backreferences), if anything.
 */
export function labelRegexProblem(value: string): string | undefined {
  try {
    labelRegex(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A label matcher's regular expression as Prometheus matches it: RE2, in time linear in the label's length (so
 * `(a+)+` from a manifest cannot stall a replay), anchored at both ends, `.` matching a newline
 * (prometheus/prometheus model/labels/regexp.go NewFastRegexMatcher: `^(?s:<value>)$`).
 */
function labelRegex(value: string): RE2JS {
  let regex = REGEX_CACHE.get(value);
  if (regex === undefined) {
    // Compiled alone first, so an unbalanced `a)(b` is refused rather than completed by the anchoring group.
    RE2JS.compile(value);
    regex = RE2JS.compile(`^(?s:${value})$`);
    REGEX_CACHE.set(value, regex);
  }
  return regex;
}

/** A matcher read from a query: its regular expression, if any, is one Prometheus accepts; `fail` reports it. */
export function labelMatcher(label: string, op: string, value: string, fail: (what: string) => never): LabelMatcher {
  if (op === '=~' || op === '!~') {
    const problem = labelRegexProblem(value);
    if (problem !== undefined) fail(`label matcher ${label}${op}"${value}": ${problem} (Prometheus reads RE2 syntax: no lookarounds or backreferences)`);
  }
  return { label, op: op as LabelMatcher['op'], value };
}

/** Whether a series with these labels is selected by the matchers. */
export function selects(matchers: LabelMatcher[], labels: SeriesLabels): boolean {
  return matchers.every((m) => {
    const actual = (labels as unknown as { [k: string]: string | undefined })[m.label];
    // Target labels the simulator does not track are assumed to match; any other label is absent, as on real series.
    if (actual === undefined && TARGET_LABELS.includes(m.label)) return true;
    const value = actual ?? '';
    switch (m.op) {
      case '=': return value === m.value;
      case '!=': return value !== m.value;
      case '=~': return labelRegex(m.value).test(value);
      default: return !labelRegex(m.value).test(value);
    }
  });
}

/**
 * The query's result over the latest scrape, as KEDA's Prometheus scaler reads it (kedacore/keda v2.20
 * pkg/scalers/prometheus_scaler.go ExecutePromQuery): `{ value }` for one element, `{ empty: true }` for none
 * (0 with ignoreNullValues, an error without), `{ multiple: n }` for more ("returned multiple elements", an error).
 */
export function evaluate(query: GaugeQuery, labels: SeriesLabels, pods: PodGauges[]): { value?: number; empty?: boolean; multiple?: number } {
  if (pods.length === 0 || !selects(query.matchers, labels)) return { empty: true };
  if (query.aggregation === 'none') return pods.length > 1 ? { multiple: pods.length } : { value: pods[0][query.gauge] };
  let sum = 0;
  for (const pod of pods) sum += pod[query.gauge];
  return { value: query.aggregation === 'sum' ? sum : sum / pods.length };
}

function splitMatchers(body: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && quoted) {
      current += ch + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}
