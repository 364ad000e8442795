import { GAUGES, LabelMatcher, labelMatcher, PodGauges, selects, SeriesLabels } from './queries';

/**
 * A small PromQL evaluator for the queries a ScaledObject may carry, over the simulated scrapes. It reads the
 * subset the library and its peers emit, and refuses anything else by name:
 *
 *   number | gauge{matchers} | sum|avg|max|min|count (expr) | expr (+ - * /) expr | (expr)
 *   clamp_min(expr, number) | clamp_max(expr, number)
 *   predict_linear((expr)[range:step], seconds) | deriv((expr)[range:step])
 *
 * Semantics follow Prometheus (promql/engine.go, promql/functions.go): a gauge selector gives one element per
 * scraped pod; aggregations without `by` give one element (none over an empty input); binary operators match
 * elements with the same labels (aggregated elements have none); a subquery evaluates its inner expression at
 * every multiple of `step` inside the range, each time on the latest scrape (within the 5-minute lookback);
 * `predict_linear` and `deriv` fit a least-squares line to those points (at least two are needed).
 */
export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'selector'; readonly gauge: keyof PodGauges; readonly matchers: LabelMatcher[] }
  | { readonly kind: 'aggregate'; readonly op: 'sum' | 'avg' | 'max' | 'min' | 'count'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'clamp'; readonly op: 'clamp_min' | 'clamp_max'; readonly arg: Expr; readonly bound: number }
  | {
    readonly kind: 'trend';
    readonly op: 'predict_linear' | 'deriv';
    readonly arg: Expr;
    readonly rangeSeconds: number;
    readonly stepSeconds: number;
    readonly horizonSeconds: number;
  };

/** One pod's scraped gauges at one scrape. */
export interface PodSample {
  /** Identifies the pod's series across scrapes. */
  readonly pod: number;
  readonly gauges: PodGauges;
}

/** The scrapes a query can see. */
export interface ScrapeHistory {
  /** Labels of the server's series. */
  readonly labels: SeriesLabels;
  /** The samples of the latest scrape at or before `time` that is at most 5 minutes old (Prometheus' lookback), or none. */
  at(time: number): PodSample[];
}

/** A history of one scrape at `time`: what a controller sees when nothing older matters. */
export function singleScrape(labels: SeriesLabels, pods: PodGauges[], time: number): ScrapeHistory {
  const samples = pods.map((gauges, pod) => ({ pod, gauges }));
  return { labels, at: (t: number) => (t >= time && t - time <= 300 ? samples : []) };
}

/** An instant vector: element key (labels) to value; a scalar is a number. */
type Value = number | Map<string, number>;

const AGGREGATIONS = ['sum', 'avg', 'max', 'min', 'count'] as const;

/** Parses a query; throws an error naming what is not supported. */
export function parsePromQL(query: string, subject: string): Expr {
  const parser = new Parser(query, subject);
  const expr = parser.expression();
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

function evaluateAt(expr: Expr, history: ScrapeHistory, time: number): Value {
  switch (expr.kind) {
    case 'number': return expr.value;
    case 'selector': {
      const out = new Map<string, number>();
      if (!selects(expr.matchers, history.labels)) return out;
      for (const sample of history.at(time)) out.set(`pod=${sample.pod}`, sample.gauges[expr.gauge]);
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

/** A subquery's points (Prometheus aligns them to multiples of the step), then a least-squares line per element. */
function trend(expr: Extract<Expr, { kind: 'trend' }>, history: ScrapeHistory, time: number): Value {
  const points = new Map<string, [number, number][]>();
  const first = Math.floor((time - expr.rangeSeconds) / expr.stepSeconds) + 1;
  for (let k = first; k * expr.stepSeconds <= time + 1e-9; k++) {
    const at = k * expr.stepSeconds;
    const value = evaluateAt(expr.arg, history, at);
    const elements = typeof value === 'number' ? new Map([['', value]]) : value;
    for (const [key, v] of elements) {
      if (!points.has(key)) points.set(key, []);
      points.get(key)!.push([at, v]);
    }
  }
  const out = new Map<string, number>();
  for (const [key, series] of points) {
    if (series.length < 2) continue;
    const { slope, intercept } = regression(series, time);
    out.set(key, expr.op === 'deriv' ? slope : intercept + slope * expr.horizonSeconds);
  }
  return out;
}

/** Least squares with times relative to `origin` (promql/functions.go linearRegression). */
function regression(series: [number, number][], origin: number): { slope: number; intercept: number } {
  const n = series.length;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  for (const [t, v] of series) {
    const x = t - origin;
    sumX += x;
    sumY += v;
    sumXY += x * v;
    sumX2 += x * x;
  }
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = varX === 0 ? 0 : covXY / varX;
  return { slope, intercept: sumY / n - (slope * sumX) / n };
}

const DURATION = /^(\d+)(ms|s|m|h|d)/;
const UNIT_SECONDS: { [unit: string]: number } = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

class Parser {
  private pos = 0;
  public constructor(private readonly text: string, private readonly subject: string) {}

  public expression(): Expr {
    let left = this.term();
    for (let op = this.peekOp('+-'); op; op = this.peekOp('+-')) {
      this.pos++;
      left = { kind: 'binary', op: op as '+' | '-', left, right: this.term() };
    }
    return left;
  }

  public end(): void {
    this.skip();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos, this.pos + 12)}'`);
  }

  private term(): Expr {
    let left = this.factor();
    for (let op = this.peekOp('*/'); op; op = this.peekOp('*/')) {
      this.pos++;
      left = { kind: 'binary', op: op as '*' | '/', left, right: this.factor() };
    }
    return left;
  }

  private factor(): Expr {
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
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.rest());
    if (!name) this.fail('expected a number, a metric, a function or "("');
    this.pos += name![0].length;
    const word = name![0];
    if ((AGGREGATIONS as readonly string[]).includes(word)) {
      this.expect('(');
      const arg = this.expression();
      this.expect(')');
      return { kind: 'aggregate', op: word as typeof AGGREGATIONS[number], arg };
    }
    if (word === 'clamp_min' || word === 'clamp_max') {
      this.expect('(');
      const arg = this.expression();
      this.expect(',');
      const bound = this.factor();
      if (bound.kind !== 'number') this.fail(`${word} needs a number as its bound`);
      this.expect(')');
      return { kind: 'clamp', op: word, arg, bound: (bound as { value: number }).value };
    }
    if (word === 'predict_linear' || word === 'deriv') {
      this.expect('(');
      this.expect('(');
      const arg = this.expression();
      this.expect(')');
      this.expect('[');
      const rangeSeconds = this.duration();
      this.expect(':');
      const stepSeconds = this.duration();
      this.expect(']');
      let horizonSeconds = 0;
      if (word === 'predict_linear') {
        this.expect(',');
        const horizon = this.factor();
        if (horizon.kind !== 'number') this.fail('predict_linear needs a number of seconds');
        horizonSeconds = (horizon as { value: number }).value;
      }
      this.expect(')');
      return { kind: 'trend', op: word, arg, rangeSeconds, stepSeconds, horizonSeconds };
    }
    const gauge = GAUGES.find((g) => g === word);
    if (!gauge) this.fail(`'${word}' is not modelled; the simulator reads ${GAUGES.join(', ')}, ${AGGREGATIONS.join(', ')}, clamp_min, clamp_max, predict_linear and deriv`);
    return { kind: 'selector', gauge: gauge!, matchers: this.matchers() };
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

  private duration(): number {
    this.skip();
    let seconds = 0;
    let read = false;
    for (let m = DURATION.exec(this.rest()); m; m = DURATION.exec(this.rest())) {
      seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
      this.pos += m[0].length;
      read = true;
    }
    if (!read || !(seconds > 0)) this.fail('expected a duration such as 5m or 30s');
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

  private fail(what: string): never {
    throw new Error(`${this.subject}: query '${this.text}' at character ${this.pos + 1}: ${what}`);
  }
}
