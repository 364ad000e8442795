import { METRIC } from '../promql';

/**
 * The Prometheus queries a ScaledObject may carry, recognised rather than evaluated: an aggregation
 * (`sum` or `avg`) over one vLLM gauge with label matchers. Anything else is refused by name.
 */
export const GAUGES = [METRIC.waiting, METRIC.running, METRIC.kvCacheUsage] as const;
export type Gauge = typeof GAUGES[number];

export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface GaugeQuery {
  readonly aggregation: 'sum' | 'avg';
  readonly gauge: Gauge;
  readonly matchers: LabelMatcher[];
}

/** One scraped pod's gauges. */
export interface PodGauges {
  readonly [METRIC.waiting]: number;
  readonly [METRIC.running]: number;
  readonly [METRIC.kvCacheUsage]: number;
}

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
const MATCHER_PATTERN = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** Parses `sum(<gauge>{<matchers>})` or `avg(<gauge>{<matchers>})`; throws an error naming what is not supported. */
export function parseGaugeQuery(query: string, subject: string): GaugeQuery {
  const match = QUERY_PATTERN.exec(query);
  if (!match) {
    throw new Error(`${subject}: query '${query}' is not supported: the simulator reads sum(<metric>{...}) or avg(<metric>{...}) `
      + `over ${GAUGES.join(', ')} (it recognises these forms, it is not a PromQL engine)`);
  }
  const [, aggregation, metric, body] = match;
  const gauge = GAUGES.find((g) => g === metric);
  if (!gauge) throw new Error(`${subject}: query '${query}' reads '${metric}'; the simulator models only ${GAUGES.join(', ')}`);
  const matchers: LabelMatcher[] = [];
  for (const part of splitMatchers(body ?? '')) {
    const m = MATCHER_PATTERN.exec(part);
    if (!m) throw new Error(`${subject}: query '${query}': label matcher '${part.trim()}' must look like label="value"`);
    matchers.push({ label: m[1], op: m[2] as LabelMatcher['op'], value: m[3].replace(/\\(.)/g, '$1') });
  }
  return { aggregation: aggregation as 'sum' | 'avg', gauge, matchers };
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
      case '=~': return new RegExp(`^(?:${m.value})$`).test(value);
      default: return !new RegExp(`^(?:${m.value})$`).test(value);
    }
  });
}

/** The query's value over the latest scrape, or undefined for an empty result. */
export function evaluate(query: GaugeQuery, labels: SeriesLabels, pods: PodGauges[]): number | undefined {
  if (pods.length === 0 || !selects(query.matchers, labels)) return undefined;
  let sum = 0;
  for (const pod of pods) sum += pod[query.gauge];
  return query.aggregation === 'sum' ? sum : sum / pods.length;
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
