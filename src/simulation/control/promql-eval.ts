import { COUNTERS, GAUGES, LabelMatcher, labelMatcher, PodMetrics, selects, SeriesLabels } from './queries';

/**
 * A small PromQL evaluator for the queries a ScaledObject may carry, over the simulated scrapes. It reads the
 * subset the library and its peers emit, and refuses anything else by name:
 *
 *   number | metric{matchers} | sum|avg|max|min|count (expr) | expr (+ - * /) expr | (expr)
 *   clamp_min(expr, number) | clamp_max(expr, number)
 *   rate(range) | increase(range) | max_over_time(range) | min_over_time(range) | avg_over_time(range)
 *   predict_linear(range, seconds) | deriv(range)
 *   where range is metric{matchers}[duration] or the subquery (expr)[duration:duration]
 *
 * A metric is a vLLM gauge (vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc) or
 * counter (vllm:prompt_tokens_total, vllm:generation_tokens_total, vllm:request_success_total). Durations are
 * written as Prometheus writes them: `90s`, `15m`, `1h`, `1m30s` (units ms, s, m, h, d, w, y). `*` and `/` bind
 * tighter than `+` and `-`; all four are left-associative.
 *
 * Semantics follow Prometheus 3 (promql/engine.go, promql/functions.go): a selector gives one element per scraped
 * pod, the latest sample within the 5-minute lookback; a pod no longer scraped has no element (its series is
 * stale); aggregations without `by` give one element (none over an empty input); binary operators match elements
 * with the same labels (aggregated elements have none). A range selector `m[d]` reads each pod's samples in
 * (t - d, t]; a subquery `(expr)[d:s]` evaluates its inner expression at every multiple of `s` in (t - d, t].
 * `rate` and `increase` need two samples, add back counter resets, and extrapolate as `extrapolatedRate` does: to
 * each end of the range when the first or last sample is within 1.1 average sample intervals of it, else by half
 * an interval, and never to before the counter's zero. `max_over_time`, `min_over_time` and `avg_over_time` need
 * one sample; `predict_linear` and `deriv` fit a least-squares line and need two. (Prometheus 2 reads ranges and
 * subqueries as [t - d, t]; the two agree wherever no sample or subquery point falls on t - d.)
 */
export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'selector'; readonly metric: keyof PodMetrics; readonly matchers: LabelMatcher[] }
  | { readonly kind: 'aggregate'; readonly op: 'sum' | 'avg' | 'max' | 'min' | 'count'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'clamp'; readonly op: 'clamp_min' | 'clamp_max'; readonly arg: Expr; readonly bound: number }
  | { readonly kind: 'overRange'; readonly op: RangeFunction; readonly arg: RangeExpr }
  | { readonly kind: 'trend'; readonly op: 'predict_linear' | 'deriv'; readonly arg: RangeExpr; readonly horizonSeconds: number };

/** A range vector: what `rate`, `increase`, the `_over_time` functions and the trends read. */
export type RangeExpr =
  | { readonly kind: 'range'; readonly metric: keyof PodMetrics; readonly matchers: LabelMatcher[]; readonly rangeSeconds: number }
  | { readonly kind: 'subquery'; readonly arg: Expr; readonly rangeSeconds: number; readonly stepSeconds: number };

type RangeFunction = 'rate' | 'increase' | 'max_over_time' | 'min_over_time' | 'avg_over_time';

/** One pod's scraped series at one scrape. */
export interface PodSample {
  /** Identifies the pod's series across scrapes. */
  readonly pod: number;
  readonly metrics: PodMetrics;
}

/** The scrapes a query can see. */
export interface ScrapeHistory {
  /** Labels of the server's series. */
  readonly labels: SeriesLabels;
  /** The samples of the latest scrape at or before `time` that is at most 5 minutes old (Prometheus' lookback), or none. */
  at(time: number): PodSample[];
  /** Calls `visit` with every scrape whose time is in (from, to], oldest first. */
  forEachScrape(from: number, to: number, visit: (time: number, samples: PodSample[]) => void): void;
  /**
   * The time up to which the history is complete: no scrape at or before it will be added later, so a result at or
   * before it never changes and may be kept (a subquery's points, reused by the next poll). Without it nothing is kept.
   */
  completeUntil?(): number;
}

/** A history of one scrape at `time`: what a controller sees when nothing older matters. */
export function singleScrape(labels: SeriesLabels, pods: PodMetrics[], time: number): ScrapeHistory {
  const samples = pods.map((metrics, pod) => ({ pod, metrics }));
  return {
    labels,
    at: (t: number) => (t >= time && t - time <= 300 ? samples : []),
    forEachScrape: (from, to, visit) => {
      if (from < time && time <= to) visit(time, samples);
    },
  };
}

/** An instant vector (element key, from its labels, to value), or a scalar. */
export type Value = number | Map<string, number>;

const AGGREGATIONS = ['sum', 'avg', 'max', 'min', 'count'] as const;
const RANGE_FUNCTIONS: readonly RangeFunction[] = ['rate', 'increase', 'max_over_time', 'min_over_time', 'avg_over_time'];
const METRICS: readonly (keyof PodMetrics)[] = [...GAUGES, ...COUNTERS];
const SUPPORTED = `the simulator reads the gauges ${GAUGES.join(', ')}, the counters ${COUNTERS.join(', ')}, `
  + `${AGGREGATIONS.join(', ')}, ${RANGE_FUNCTIONS.join(', ')}, predict_linear, deriv, clamp_min and clamp_max`;

/** Parses a query; throws an error naming what is not supported. */
export function parsePromQL(query: string, subject: string): Expr {
  const parser = new Parser(query, subject);
  const expr = parser.instant(parser.expression());
  parser.end();
  return expr;
}

/**
 * The query's result at `time`, as KEDA's Prometheus scaler reads it (pkg/scalers/prometheus_scaler.go):
 * `{ value }` for exactly one element or a scalar, `{ empty: true }` for none, `{ multiple: n }` for more.
 */
export function evaluateQuery(expr: Expr, history: ScrapeHistory, time: number): { value?: number; empty?: boolean; multiple?: number } {
  const result = evaluateAt(expr, history, time);
  if (typeof result === 'number') return Number.isNaN(result) ? { empty: true } : { value: result };
  if (result.size === 0) return { empty: true };
  if (result.size > 1) return { multiple: result.size };
  return { value: [...result.values()][0] };
}

/** Element keys of per-pod series (`pod=<n>`), made once per pod. */
const POD_KEYS: string[] = [];
function podKey(pod: number): string {
  return POD_KEYS[pod] ?? (POD_KEYS[pod] = `pod=${pod}`);
}

/** The value of an expression at `time`: an instant vector, or a scalar. */
export function evaluateAt(expr: Expr, history: ScrapeHistory, time: number): Value {
  switch (expr.kind) {
    case 'number': return expr.value;
    case 'selector': {
      const out = new Map<string, number>();
      if (!selects(expr.matchers, history.labels)) return out;
      for (const sample of history.at(time)) out.set(podKey(sample.pod), sample.metrics[expr.metric]);
      return out;
    }
    case 'aggregate': {
      const arg = evaluateAt(expr.arg, history, time);
      const values = typeof arg === 'number' ? [arg] : [...arg.values()];
      const out = new Map<string, number>();
      if (values.length === 0) return out;
      const sum = values.reduce((a, b) => a + b, 0);
      const result = expr.op === 'sum' ? sum : expr.op === 'avg' ? sum / values.length : expr.op === 'count' ? values.length
        : expr.op === 'max' ? Math.max(...values) : Math.min(...values);
      out.set('', result);
      return out;
    }
    case 'binary': return binary(expr.op, evaluateAt(expr.left, history, time), evaluateAt(expr.right, history, time));
    case 'clamp': {
      const clamp = (v: number): number => (expr.op === 'clamp_min' ? Math.max(v, expr.bound) : Math.min(v, expr.bound));
      const arg = evaluateAt(expr.arg, history, time);
      return typeof arg === 'number' ? clamp(arg) : new Map([...arg].map(([k, v]) => [k, clamp(v)]));
    }
    case 'overRange': return overRange(expr, history, time);
    case 'trend': return trend(expr, history, time);
  }
}

function binary(op: '+' | '-' | '*' | '/', left: Value, right: Value): Value {
  const apply = (a: number, b: number): number => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
  if (typeof left === 'number' && typeof right === 'number') return apply(left, right);
  if (typeof left === 'number') return new Map([...(right as Map<string, number>)].map(([k, v]) => [k, apply(left, v)]));
  if (typeof right === 'number') return new Map([...left].map(([k, v]) => [k, apply(v, right)]));
  const out = new Map<string, number>();
  for (const [key, value] of left) {
    const other = right.get(key);
    if (other !== undefined) out.set(key, apply(value, other));
  }
  return out;
}

/**
 * What a function of a range vector needs of one element's samples, gathered in one pass in time order: the
 * first and last sample, the count, the counter-reset correction, the extremes, the sum, and the sums of a
 * least-squares fit with times relative to `origin`. Nothing is kept per sample.
 */
class Samples {
  public count = 0;
  public firstTime = 0;
  public firstValue = 0;
  public lastTime = 0;
  public lastValue = 0;
  /** The values lost at counter resets (the value before each drop), as extrapolatedRate adds them back. */
  public resets = 0;
  public max = NaN;
  public min = NaN;
  public sum = 0;
  public sumX = 0;
  public sumY = 0;
  public sumXY = 0;
  public sumX2 = 0;

  public constructor(private readonly origin: number) {}

  public add(time: number, value: number): void {
    if (this.count === 0) {
      this.firstTime = time;
      this.firstValue = value;
    } else if (value < this.lastValue) {
      this.resets += this.lastValue;
    }
    this.count++;
    this.lastTime = time;
    this.lastValue = value;
    // max_over_time / min_over_time: a NaN is replaced by any later value (promql/functions.go compareOverTime).
    if (value > this.max || Number.isNaN(this.max)) this.max = value;
    if (value < this.min || Number.isNaN(this.min)) this.min = value;
    this.sum += value;
    const x = time - this.origin;
    this.sumX += x;
    this.sumY += value;
    this.sumXY += x * value;
    this.sumX2 += x * x;
  }
}

/** The samples of each element of a range vector at `time`. */
function gather(arg: RangeExpr, history: ScrapeHistory, time: number): Map<string, Samples> {
  const out = new Map<string, Samples>();
  const add = (key: string, t: number, v: number): void => {
    let samples = out.get(key);
    if (samples === undefined) {
      samples = new Samples(time);
      out.set(key, samples);
    }
    samples.add(t, v);
  };
  if (arg.kind === 'range') {
    if (!selects(arg.matchers, history.labels)) return out;
    const metric = arg.metric;
    history.forEachScrape(time - arg.rangeSeconds, time, (t, pods) => {
      for (const sample of pods) add(podKey(sample.pod), t, sample.metrics[metric]);
    });
    return out;
  }
  // Prometheus aligns a subquery's points to multiples of its step.
  const first = Math.floor((time - arg.rangeSeconds) / arg.stepSeconds) + 1;
  const kept = keptPoints(history, arg, first);
  const complete = kept ? history.completeUntil!() : -Infinity;
  for (let k = first; k * arg.stepSeconds <= time + 1e-9; k++) {
    const at = k * arg.stepSeconds;
    let value = kept?.get(k);
    if (value === undefined) {
      value = evaluateAt(arg.arg, history, at);
      if (kept && at <= complete) kept.set(k, value);
    }
    if (typeof value === 'number') add('', at, value);
    else for (const [key, v] of value) add(key, at, v);
  }
  return out;
}

/**
 * A subquery's points already evaluated over a history that will not change before them, by step index: KEDA polls
 * every 15 s over a [15m:15s] subquery, and each poll would otherwise evaluate the same 59 points again. Points
 * before `first` are dropped.
 */
type Subquery = Extract<RangeExpr, { kind: 'subquery' }>;
const KEPT_POINTS = new WeakMap<ScrapeHistory, WeakMap<Subquery, Map<number, Value>>>();
function keptPoints(history: ScrapeHistory, subquery: Subquery, first: number): Map<number, Value> | undefined {
  if (history.completeUntil === undefined) return undefined;
  let bySubquery = KEPT_POINTS.get(history);
  if (bySubquery === undefined) {
    bySubquery = new WeakMap();
    KEPT_POINTS.set(history, bySubquery);
  }
  let points = bySubquery.get(subquery);
  if (points === undefined) {
    points = new Map();
    bySubquery.set(subquery, points);
  }
  // A kept point stays right whatever time is read next; reads forward in time add keys in increasing order, and
  // one back in time adds them out of order, so the map is also cleared when it outgrows twice the subquery's points.
  for (const k of points.keys()) {
    if (k >= first) break;
    points.delete(k);
  }
  const limit = 2 * (subquery.rangeSeconds / subquery.stepSeconds) + 2;
  if (points.size > limit) points.clear();
  return points;
}

function overRange(expr: Extract<Expr, { kind: 'overRange' }>, history: ScrapeHistory, time: number): Value {
  const out = new Map<string, number>();
  const range = expr.arg.rangeSeconds;
  for (const [key, s] of gather(expr.arg, history, time)) {
    switch (expr.op) {
      case 'rate':
      case 'increase': {
        const value = extrapolatedRate(s, time - range, time, expr.op === 'rate' ? range : undefined);
        if (value !== undefined) out.set(key, value);
        break;
      }
      case 'max_over_time': out.set(key, s.max); break;
      case 'min_over_time': out.set(key, s.min); break;
      case 'avg_over_time': out.set(key, s.sum / s.count); break;
    }
  }
  return out;
}

/**
 * `rate` (per second over `rateSeconds`) or `increase` (undefined `rateSeconds`) of a counter's samples in
 * (rangeStart, rangeEnd], as promql/functions.go extrapolatedRate computes it; undefined under two samples.
 */
function extrapolatedRate(s: Samples, rangeStart: number, rangeEnd: number, rateSeconds: number | undefined): number | undefined {
  if (s.count < 2) return undefined;
  const result = s.lastValue - s.firstValue + s.resets;
  const sampled = s.lastTime - s.firstTime;
  const average = sampled / (s.count - 1);
  const threshold = average * 1.1;
  let toStart = s.firstTime - rangeStart;
  let toEnd = rangeEnd - s.lastTime;
  // A series that starts or ends inside the range is extrapolated by half an interval, not to the boundary.
  if (toStart >= threshold) toStart = average / 2;
  // A counter is never extrapolated to before the time it would have been zero.
  if (result > 0 && s.firstValue >= 0) {
    const toZero = sampled * (s.firstValue / result);
    if (toZero < toStart) toStart = toZero;
  }
  if (toEnd >= threshold) toEnd = average / 2;
  let factor = (sampled + toStart + toEnd) / sampled;
  if (rateSeconds !== undefined) factor /= rateSeconds;
  return result * factor;
}

/** A least-squares line per element through its samples (promql/functions.go linearRegression). */
function trend(expr: Extract<Expr, { kind: 'trend' }>, history: ScrapeHistory, time: number): Value {
  const out = new Map<string, number>();
  for (const [key, s] of gather(expr.arg, history, time)) {
    if (s.count < 2) continue;
    const { slope, intercept } = regression(s);
    out.set(key, expr.op === 'deriv' ? slope : intercept + slope * expr.horizonSeconds);
  }
  return out;
}

/** Least squares with times relative to the evaluation time. */
function regression(s: Samples): { slope: number; intercept: number } {
  const n = s.count;
  const covXY = s.sumXY - (s.sumX * s.sumY) / n;
  const varX = s.sumX2 - (s.sumX * s.sumX) / n;
  const slope = varX === 0 ? 0 : covXY / varX;
  return { slope, intercept: s.sumY / n - (slope * s.sumX) / n };
}

const DURATION = /^(\d+)(ms|s|m|h|d|w|y)/;
const UNIT_SECONDS: { [unit: string]: number } = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
const UNIT_ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** A parsed node: an instant expression, or a range vector that only a function taking one may read. */
type Node = Expr | RangeExpr;

class Parser {
  private pos = 0;
  public constructor(private readonly text: string, private readonly subject: string) {}

  /** `+` and `-` over terms, left-associative. */
  public expression(): Node {
    let left = this.term();
    for (let op = this.peekOp('+-'); op; op = this.peekOp('+-')) {
      const at = this.pos++;
      left = { kind: 'binary', op: op as '+' | '-', left: this.instant(left, at), right: this.instant(this.term()) };
    }
    return left;
  }

  public end(): void {
    this.skip();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos, this.pos + 12)}'`);
  }

  /** The node as an instant expression: a range vector here is refused (Prometheus: a range vector must be a function's argument). */
  public instant(node: Node, at: number = this.pos): Expr {
    if (node.kind === 'range' || node.kind === 'subquery') {
      this.fail(`a range vector ([${node.kind === 'range' ? 'range' : 'range:step'}]) is only read by ${RANGE_FUNCTIONS.join(', ')}, predict_linear and deriv`, at);
    }
    return node as Expr;
  }

  /** `*` and `/` over factors, left-associative: they bind tighter than `+` and `-`. */
  private term(): Node {
    let left = this.factor();
    for (let op = this.peekOp('*/'); op; op = this.peekOp('*/')) {
      const at = this.pos++;
      left = { kind: 'binary', op: op as '*' | '/', left: this.instant(left, at), right: this.instant(this.factor()) };
    }
    return left;
  }

  /** A primary expression, then a range `[d]` (on a selector) or a subquery `[d:s]` if one follows. */
  private factor(): Node {
    const primary = this.primary();
    this.skip();
    if (!this.rest().startsWith('[')) return primary;
    const at = this.pos++;
    const rangeSeconds = this.duration();
    this.skip();
    if (this.rest().startsWith(':')) {
      this.pos++;
      this.skip();
      if (this.rest().startsWith(']')) this.fail('a subquery needs its step, e.g. [15m:15s] (the default, the global evaluation interval, is not modelled)');
      const stepSeconds = this.duration();
      this.expect(']');
      return { kind: 'subquery', arg: this.instant(primary, at), rangeSeconds, stepSeconds };
    }
    this.expect(']');
    if (primary.kind !== 'selector') this.fail('a range [duration] follows a metric selector; over an expression, use a subquery (expr)[range:step]', at);
    const selector = primary as Extract<Expr, { kind: 'selector' }>;
    return { kind: 'range', metric: selector.metric, matchers: selector.matchers, rangeSeconds };
  }

  private primary(): Node {
    this.skip();
    const number = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.rest());
    if (number) {
      this.pos += number[0].length;
      return { kind: 'number', value: Number(number[0]) };
    }
    if (this.rest().startsWith('(')) {
      this.pos++;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    const start = this.pos;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.rest());
    if (!name) this.fail('expected a number, a metric, a function or "("');
    this.pos += name![0].length;
    const word = name![0];
    if ((AGGREGATIONS as readonly string[]).includes(word)) {
      this.expect('(');
      this.skip();
      const at = this.pos;
      const arg = this.instant(this.expression(), at);
      this.expect(')');
      return { kind: 'aggregate', op: word as typeof AGGREGATIONS[number], arg };
    }
    if (word === 'clamp_min' || word === 'clamp_max') {
      this.expect('(');
      const arg = this.instant(this.expression());
      this.expect(',');
      const bound = this.number(`${word} needs a number as its bound`);
      this.expect(')');
      return { kind: 'clamp', op: word, arg, bound };
    }
    if ((RANGE_FUNCTIONS as readonly string[]).includes(word)) {
      this.expect('(');
      const arg = this.rangeArgument(word);
      this.expect(')');
      return { kind: 'overRange', op: word as RangeFunction, arg };
    }
    if (word === 'predict_linear' || word === 'deriv') {
      this.expect('(');
      const arg = this.rangeArgument(word);
      let horizonSeconds = 0;
      if (word === 'predict_linear') {
        this.expect(',');
        horizonSeconds = this.number('predict_linear needs a number of seconds');
      }
      this.expect(')');
      return { kind: 'trend', op: word, arg, horizonSeconds };
    }
    const metric = METRICS.find((m) => m === word);
    if (!metric) this.fail(`'${word}' is not modelled; ${SUPPORTED}`, start);
    return { kind: 'selector', metric: metric!, matchers: this.matchers() };
  }

  /** A function's range-vector argument: `metric{...}[d]` or `(expr)[d:s]`. */
  private rangeArgument(fn: string): RangeExpr {
    const at = this.pos;
    const node = this.expression();
    if (node.kind !== 'range' && node.kind !== 'subquery') {
      this.fail(`${fn} needs a range vector: metric{...}[duration] or a subquery (expr)[range:step]`, at);
    }
    return node as RangeExpr;
  }

  private number(what: string): number {
    const node = this.primary();
    if (node.kind !== 'number') this.fail(what);
    return (node as { value: number }).value;
  }

  private matchers(): LabelMatcher[] {
    this.skip();
    if (!this.rest().startsWith('{')) return [];
    this.pos++;
    const matchers: LabelMatcher[] = [];
    for (;;) {
      this.skip();
      if (this.rest().startsWith('}')) {
        this.pos++;
        return matchers;
      }
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/.exec(this.rest());
      if (!m) this.fail('a label matcher must look like label="value"');
      this.pos += m![0].length;
      matchers.push(labelMatcher(m![1], m![2], m![3].replace(/\\(.)/g, '$1'), (what) => this.fail(what)));
    }
  }

  /** A Prometheus duration: whole numbers with units from the largest to the smallest, each at most once (`1h30m`). */
  private duration(): number {
    this.skip();
    const start = this.pos;
    let seconds = 0;
    let lastUnit = -1;
    for (let m = DURATION.exec(this.rest()); m; m = DURATION.exec(this.rest())) {
      const unit = UNIT_ORDER.indexOf(m[2]);
      if (unit <= lastUnit) this.fail(`duration '${this.text.slice(start, this.pos + m[0].length)}': units go from the largest to the smallest, each once`, start);
      lastUnit = unit;
      seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
      this.pos += m[0].length;
    }
    if (lastUnit < 0 || !(seconds > 0)) this.fail('expected a duration such as 5m or 30s', start);
    return seconds;
  }

  private peekOp(ops: string): string | undefined {
    this.skip();
    const c = this.text[this.pos];
    return c !== undefined && ops.includes(c) ? c : undefined;
  }

  private expect(token: string): void {
    this.skip();
    if (!this.rest().startsWith(token)) this.fail(`expected '${token}'`);
    this.pos += token.length;
  }

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private rest(): string {
    return this.text.slice(this.pos);
  }

  private fail(what: string, at: number = this.pos): never {
    throw new Error(`${this.subject}: query '${this.text}' at character ${at + 1}: ${what}`);
  }
}
