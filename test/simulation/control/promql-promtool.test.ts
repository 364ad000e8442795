import { ScrapeRecorder } from '../../../src/simulation/cluster/scrape-recorder';
import { evaluateAt, parsePromQL, PodSample } from '../../../src/simulation/control/promql-eval';
import { PodMetrics } from '../../../src/simulation/control/queries';
import { InputSeries, PromqlExprTest, requirePromtool, testRules } from '../../promql/promtool';

/**
 * The replay's PromQL evaluator against promtool on the same scrapes: counters with a reset, a pod that appears
 * mid-way with counts already made, a pod that goes away, ranges where Prometheus extrapolates to the range's
 * ends, by half an interval, or to the counter's zero.
 *
 * Scrapes are 15 s apart at 5 s past each multiple of 15 (5, 20, 35, ...), so no sample sits on the start of a
 * range or of a subquery: Prometheus 2 (Debian's promtool) reads ranges as [t - d, t], Prometheus 3 and the replay
 * as (t - d, t], and they agree wherever no sample is at t - d.
 */
const hasPromtool = requirePromtool();
const describePromtool = hasPromtool ? describe : describe.skip;

const LABELS = { namespace: 'inference', service: 'svc', model_name: 'm', engine: '0' };
const SEL = '{namespace="inference",service="svc",model_name="m"}';
const END = 1100;
const SCRAPES = Array.from({ length: Math.floor((END - 5) / 15) + 1 }, (_, j) => 5 + 15 * j);

/** A fixed pseudo-random sequence in [0, 1). */
function randoms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

interface PodHistory {
  readonly name: string;
  /** Scrapes from `from` to `until` (inclusive). */
  readonly from: number;
  readonly until: number;
  readonly metrics: Map<number, PodMetrics>;
}

/** A pod's series: counters with irregular increments (and a reset at `resetAt`, if given), a waiting gauge. */
function pod(name: string, from: number, until: number, seed: number, start: { [counter: string]: number }, resetAt?: number): PodHistory {
  const random = randoms(seed);
  const metrics = new Map<number, PodMetrics>();
  let prompt = start.prompt;
  let generated = start.generated;
  let success = start.success;
  for (const t of SCRAPES.filter((s) => s >= from && s <= until)) {
    if (t === resetAt) {
      // The container restarted: counting starts again from what the new process did since.
      prompt = 37;
      generated = 5;
      success = 1;
    } else if (t > from) {
      prompt += Math.floor(random() * 6000);
      generated += Math.floor(random() * 900);
      success += Math.floor(random() * 8);
    }
    metrics.set(t, {
      'vllm:num_requests_waiting': Math.floor(random() * 20),
      'vllm:num_requests_running': 8,
      'vllm:kv_cache_usage_perc': 0.5,
      'vllm:prompt_tokens_total': prompt,
      'vllm:generation_tokens_total': generated,
      'vllm:request_success_total': success,
    });
  }
  return { name, from, until, metrics };
}

const PODS: PodHistory[] = [
  pod('p0', 5, END, 1, { prompt: 90_000, generated: 20_000, success: 60 }, 605),
  // Appears at 455 with a little counted already (its zero point is near its first scrape).
  pod('p1', 455, END, 2, { prompt: 900, generated: 150, success: 1 }),
  // Appears at 650 with much counted (extrapolated by half an interval, not to its zero).
  pod('p2', 650, END, 3, { prompt: 400_000, generated: 70_000, success: 300 }),
  // Goes away after 905 (a staleness marker at the next scrape).
  pod('p3', 5, 905, 4, { prompt: 10_000, generated: 2_000, success: 10 }),
];

function recorder(): ScrapeRecorder {
  const history = new ScrapeRecorder(LABELS);
  for (const t of SCRAPES) {
    const samples: PodSample[] = [];
    PODS.forEach((p, index) => {
      const metrics = p.metrics.get(t);
      if (metrics) samples.push({ pod: index, metrics });
    });
    history.record(t, samples);
  }
  return history;
}

/** The pods' series as promtool input: one value per second, `_` where there is no scrape, `stale` once a pod is gone. */
function inputSeries(): InputSeries[] {
  const series: InputSeries[] = [];
  const names: (keyof PodMetrics)[] = ['vllm:num_requests_waiting', 'vllm:prompt_tokens_total', 'vllm:generation_tokens_total', 'vllm:request_success_total'];
  for (const p of PODS) {
    for (const name of names) {
      const values: string[] = [];
      for (let t = 0; t <= END; t++) {
        const m = p.metrics.get(t);
        values.push(m ? String(m[name]) : t === p.until + 15 ? 'stale' : '_');
      }
      const labels = Object.entries({ ...LABELS, pod: p.name }).map(([k, v]) => `${k}="${v}"`).join(',');
      series.push({ series: `${name}{${labels}}`, values: values.join(' ') });
    }
  }
  return series;
}

/** A promtool check that `expr` (one element, or none) is `value` within a relative 1e-9; or that it is empty. */
function check(expr: string, evalTime: number, value: number | undefined): PromqlExprTest {
  if (value === undefined) return { expr, eval_time: `${evalTime}s`, exp_samples: [] };
  const tolerance = 1e-9 * Math.max(1, Math.abs(value));
  return { expr: `abs((${expr}) - ${value}) < bool ${tolerance}`, eval_time: `${evalTime}s`, exp_samples: [{ labels: '{}', value: 1 }] };
}

/**
 * Runs the checks over the input series. promtool loads the samples up to the last multiple of the evaluation
 * interval at or before the latest eval time, so the interval is one second: every sample is loaded.
 */
function promtool(tests: PromqlExprTest[]): void {
  testRules([], [{ interval: '1s', input_series: inputSeries(), promql_expr_test: tests }], { evaluationInterval: '1s' });
}

const demand = (range: string): string => `(sum(rate(vllm:prompt_tokens_total${SEL}[${range}])) * 0.00012 `
  + `+ sum(rate(vllm:generation_tokens_total${SEL}[${range}])) * 0.004)`;
const ENGINE_TIME = `max_over_time(${demand('1m')}[900s:15s])\n  + sum(vllm:num_requests_waiting${SEL}) * ${demand('15m')}\n`
  + `  / clamp_min(sum(rate(vllm:request_success_total${SEL}[15m])), 0.001) / 60`;

/** Queries whose result is one element (or none). */
const AGGREGATE_QUERIES = [
  `sum(rate(vllm:prompt_tokens_total${SEL}[1m]))`,
  `sum(increase(vllm:generation_tokens_total${SEL}[15m]))`,
  `sum(rate(vllm:request_success_total${SEL}[15m]))`,
  `max_over_time(${demand('1m')}[900s:15s])`,
  `min_over_time((sum(rate(vllm:generation_tokens_total${SEL}[1m])))[5m:15s])`,
  `avg_over_time((sum(rate(vllm:generation_tokens_total${SEL}[1m])))[10m:30s])`,
  `max_over_time((sum(vllm:num_requests_waiting${SEL}))[15m:15s])`,
  `sum(max_over_time(vllm:num_requests_waiting${SEL}[2m]))`,
  `sum(avg_over_time(vllm:prompt_tokens_total${SEL}[1m30s]))`,
  `rate((sum(vllm:prompt_tokens_total${SEL}))[5m:1m])`,
  `deriv((sum(vllm:generation_tokens_total${SEL}))[5m:15s])`,
  ENGINE_TIME,
];

/** Queries with one element per pod, compared pod by pod. */
const PER_POD_QUERIES = [
  `rate(vllm:prompt_tokens_total${SEL}[1m])`,
  `increase(vllm:prompt_tokens_total${SEL}[1m])`,
  `rate(vllm:generation_tokens_total${SEL}[15m])`,
  `increase(vllm:request_success_total${SEL}[5m])`,
  `max_over_time(vllm:num_requests_waiting${SEL}[5m])`,
];

/** Eval times (none on a scrape, nor a range's or subquery's start on one): mid-run, after p3 went, at the end. */
const EVAL_TIMES = [460, 700, 925, 1000, 1099];

describePromtool('the replay PromQL evaluator agrees with promtool', () => {
  test('rate, increase, the _over_time functions, subqueries and the engine-time query, over counters with a reset, a new pod and a gone pod', () => {
    const history = recorder();
    const tests: PromqlExprTest[] = [];
    const seen = { empty: 0, values: 0 };
    for (const time of EVAL_TIMES) {
      for (const query of AGGREGATE_QUERIES) {
        const result = evaluateAt(parsePromQL(query, 'q'), history, time);
        if (typeof result === 'number') throw new Error(`${query}: a scalar`);
        expect(result.size).toBeLessThanOrEqual(1);
        const value = result.size === 0 ? undefined : [...result.values()][0];
        seen[value === undefined ? 'empty' : 'values']++;
        tests.push(check(query, time, value));
      }
      for (const query of PER_POD_QUERIES) {
        const result = evaluateAt(parsePromQL(query, 'q'), history, time) as Map<string, number>;
        PODS.forEach((p, index) => {
          const value = result.get(`pod=${index}`);
          seen[value === undefined ? 'empty' : 'values']++;
          // The pod's own element: a matcher on the pod label (which the replay's series do not carry) in promtool only.
          tests.push(check(`sum(${query.replace(SEL, `{${SEL.slice(1, -1)},pod="${p.name}"}`)})`, time, value));
        });
      }
    }
    // The checks cover pods with and without a result (gone, not yet there).
    expect(seen.empty).toBeGreaterThan(5);
    expect(seen.values).toBeGreaterThan(100);
    expect(() => promtool(tests)).not.toThrow();
  });

  test('the comparison fails when the replay is wrong', () => {
    const query = `sum(rate(vllm:prompt_tokens_total${SEL}[1m]))`;
    const value = evaluateAt(parsePromQL(query, 'q'), recorder(), 1000) as Map<string, number>;
    expect(() => promtool([check(query, 1000, value.get('')! * 1.001)]))
      .toThrow(/exp:.*1E\+00[\s\S]*got:.*\{\} 0/);
  });
});

