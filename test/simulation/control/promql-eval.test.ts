import { ScrapeRecorder } from '../../../src/simulation/cluster/scrape-recorder';
import { evaluateAt, evaluateQuery, parsePromQL, PodSample, ScrapeHistory } from '../../../src/simulation/control/promql-eval';
import { PodMetrics, SeriesLabels } from '../../../src/simulation/control/queries';

const LABELS = { namespace: 'inference', service: 'svc', model_name: 'm', engine: '0' };
const SEL = '{namespace="inference",service="svc",model_name="m"}';

function metrics(waiting: number, running: number, counters: Partial<PodMetrics> = {}): PodMetrics {
  return {
    'vllm:num_requests_waiting': waiting,
    'vllm:num_requests_running': running,
    'vllm:kv_cache_usage_perc': 0.5,
    'vllm:prompt_tokens_total': 0,
    'vllm:generation_tokens_total': 0,
    'vllm:request_success_total': 0,
    ...counters,
  };
}

/** Scrapes every 15 s from `from` to `until`: `pods(t)` gives the samples at time t. */
function history(until: number, pods: (t: number) => PodSample[], labels: SeriesLabels = LABELS, from = 0): ScrapeHistory {
  const recorder = new ScrapeRecorder(labels);
  for (let t = from; t <= until; t += 15) recorder.record(t, pods(t));
  return recorder;
}

function value(query: string, h: ScrapeHistory, time: number): number | undefined {
  return evaluateQuery(parsePromQL(query, 'q'), h, time).value;
}

/** Each element of the query's result, by pod (`pod=<n>`), or '' for an aggregate. */
function elements(query: string, h: ScrapeHistory, time: number): { [key: string]: number } {
  const result = evaluateAt(parsePromQL(query, 'q'), h, time);
  return typeof result === 'number' ? { scalar: result } : Object.fromEntries(result);
}

describe('PromQL evaluator', () => {
  const twoPods = history(600, (t) => [{ pod: 0, metrics: metrics(2, 10 + t / 15) }, { pod: 1, metrics: metrics(3, 20) }]);

  test('sums, sums of sums and arithmetic give one element; a bare selector gives one per pod', () => {
    expect(evaluateQuery(parsePromQL(`sum(vllm:num_requests_waiting${SEL})`, 'q'), twoPods, 600)).toEqual({ value: 5 });
    // At 600 s pod 0 runs 10 + 40 = 50, pod 1 runs 20; waiting 2 + 3.
    expect(evaluateQuery(parsePromQL(`sum(vllm:num_requests_running${SEL}) + sum(vllm:num_requests_waiting${SEL})`, 'q'), twoPods, 600))
      .toEqual({ value: 75 });
    expect(evaluateQuery(parsePromQL(`avg(vllm:num_requests_running${SEL}) * 2 - 1`, 'q'), twoPods, 600)).toEqual({ value: 69 });
    expect(evaluateQuery(parsePromQL(`vllm:num_requests_waiting${SEL}`, 'q'), twoPods, 600)).toEqual({ multiple: 2 });
    expect(evaluateQuery(parsePromQL('sum(vllm:num_requests_waiting{model_name="other"})', 'q'), twoPods, 600)).toEqual({ empty: true });
  });

  test('predict_linear over a subquery fits a line through the points at multiples of the step', () => {
    // Pod 0's running count grows by 1 per 15 s scrape: the sum grows by 1/15 per second.
    // Subquery [5m:1m] at 600 s: points at 360, 420, 480, 540 and 600 s (300 < t - 600 + 300 is excluded at 300).
    // The sum at t is 30 + t / 15, exactly linear: at 600 s, 70; 170 s ahead, 70 + 170 / 15 = 81.333.
    const expr = parsePromQL(`predict_linear((sum(vllm:num_requests_running${SEL}))[5m:1m], 170)`, 'q');
    expect(evaluateQuery(expr, twoPods, 600).value).toBeCloseTo(70 + 170 / 15, 9);
    expect(evaluateQuery(parsePromQL(`deriv((sum(vllm:num_requests_running${SEL}))[5m:1m])`, 'q'), twoPods, 600).value).toBeCloseTo(1 / 15, 12);
    // A falling series is clamped at 0.
    const falling = history(600, (t) => [{ pod: 0, metrics: metrics(0, Math.max(0, 40 - t / 15)) }]);
    const clamped = parsePromQL(`clamp_min(predict_linear((sum(vllm:num_requests_running${SEL}))[5m:1m], 600), 0)`, 'q');
    expect(evaluateQuery(clamped, falling, 600)).toEqual({ value: 0 });
  });

  test('deriv over a plain range selector: one slope per pod from its scrapes', () => {
    // Pod 0 gains 1 per 15 s; pod 1 is flat.
    expect(elements(`deriv(vllm:num_requests_running${SEL}[2m])`, twoPods, 600)).toEqual({ 'pod=0': expect.closeTo(1 / 15, 12), 'pod=1': 0 });
  });

  test('a subquery with fewer than two points has no result', () => {
    const young = history(30, () => [{ pod: 0, metrics: metrics(0, 5) }]);
    expect(evaluateQuery(parsePromQL(`predict_linear((sum(vllm:num_requests_running${SEL}))[5m:1m], 60)`, 'q'), young, 30)).toEqual({ empty: true });
  });

  test('samples older than the 5-minute lookback are not seen', () => {
    expect(evaluateQuery(parsePromQL(`sum(vllm:num_requests_waiting${SEL})`, 'q'), twoPods, 901)).toEqual({ empty: true });
  });

  describe('rate and increase (promql/functions.go extrapolatedRate)', () => {
    // Scrapes every 15 s; the KEDA poll at 607.5 s reads the 1m range (547.5, 607.5]: scrapes 555, 570, 585, 600.
    const counters: { [pod: number]: { [time: number]: number } } = {
      // 10 per second from 0 at t = 0: a full range, 7.5 s to either end (within 1.1 intervals): extrapolated to both.
      0: Object.fromEntries([555, 570, 585, 600].map((t) => [t, 10 * t])),
      // Appears at 570 with 300 already counted: 22.5 s to the start is over 1.1 intervals, so half an interval (7.5 s).
      1: { 570: 300, 585: 450, 600: 600 },
      // Appears at 570 with 10 counted: the zero point (30 s x 10 / 300 = 1 s before 570) is nearer than half an interval.
      2: { 570: 10, 585: 160, 600: 310 },
      // Resets after 570: the 200 before the drop is added back (250 in all).
      3: { 555: 100, 570: 200, 585: 50, 600: 150 },
      // Left after 570: 37.5 s to the end is over 1.1 intervals, so half an interval past its last sample.
      4: { 555: 1000, 570: 1150 },
      // One sample: no rate.
      5: { 600: 5 },
    };
    const h = history(600, (t) => Object.entries(counters)
      .filter(([, series]) => series[t] !== undefined)
      .map(([pod, series]) => ({ pod: Number(pod), metrics: metrics(1, 1, { 'vllm:generation_tokens_total': series[t] }) })));

    test('extrapolate to the range ends, by half an interval where a series starts or ends inside, never below zero', () => {
      expect(elements(`increase(vllm:generation_tokens_total${SEL}[1m])`, h, 607.5)).toEqual({
        'pod=0': expect.closeTo(450 * 60 / 45, 9), // 600
        'pod=1': expect.closeTo(300 * 45 / 30, 9), // 450
        'pod=2': expect.closeTo(300 * (30 + 1 + 7.5) / 30, 9), // 385
        'pod=3': expect.closeTo(250 * 60 / 45, 9),
        'pod=4': expect.closeTo(150 * 30 / 15, 9), // 300
      });
      const rates = elements(`rate(vllm:generation_tokens_total${SEL}[1m])`, h, 607.5);
      expect(rates['pod=0']).toBeCloseTo(10, 9);
      expect(rates['pod=2']).toBeCloseTo(385 / 60, 9);
      expect(rates['pod=5']).toBeUndefined();
      expect(value(`sum(rate(vllm:generation_tokens_total${SEL}[1m]))`, h, 607.5)).toBeCloseTo((600 + 450 + 385 + 250 * 60 / 45 + 300) / 60, 9);
    });

    test('a sample exactly at the start of the range is outside it (Prometheus 3: ranges are left-open)', () => {
      // At 615 the 1m range is (555, 615]: pod 3 has 200, 50, 150 at 570, 585, 600 (150 with the reset), 15 s to either end.
      // With the sample at 555 inside (Prometheus 2), it would be 250 over 45 s, to 333.3.
      expect(elements(`increase(vllm:generation_tokens_total${SEL}[1m])`, h, 615)['pod=3']).toBeCloseTo(150 * 60 / 30, 9);
    });
  });

  test('max_over_time, min_over_time and avg_over_time read a subquery or a range selector', () => {
    // sum(running) = 30 + t / 15; the [5m:1m] subquery at 600 has points 360, 420, 480, 540, 600: 54 ... 70.
    expect(value(`max_over_time((sum(vllm:num_requests_running${SEL}))[5m:1m])`, twoPods, 600)).toBe(70);
    expect(value(`min_over_time((sum(vllm:num_requests_running${SEL}))[5m:1m])`, twoPods, 600)).toBe(54);
    expect(value(`avg_over_time((sum(vllm:num_requests_running${SEL}))[5m:1m])`, twoPods, 600)).toBe(62);
    // Per pod over the scrapes of (540, 600]: pod 0 ran 47 ... 50.
    expect(elements(`max_over_time(vllm:num_requests_running${SEL}[1m])`, twoPods, 600)).toEqual({ 'pod=0': 50, 'pod=1': 20 });
    expect(elements(`avg_over_time(vllm:num_requests_running${SEL}[1m])`, twoPods, 600)).toEqual({ 'pod=0': 48.5, 'pod=1': 20 });
  });

  test('the engine-time query: the peak of the recent demand plus the queue at the mean request cost', () => {
    // Steady counters per pod: 400 prompt tokens, 50 generated tokens and 0.5 requests per second; 6 waiting each.
    const steady = history(1800, (t) => [0, 1].map((pod) => ({
      pod,
      metrics: metrics(6, 1, { 'vllm:prompt_tokens_total': 400 * t, 'vllm:generation_tokens_total': 50 * t, 'vllm:request_success_total': 0.5 * t }),
    })), LABELS, 15);
    const demand = (range: string): string => `(sum(rate(vllm:prompt_tokens_total${SEL}[${range}])) * 0.00012 `
      + `+ sum(rate(vllm:generation_tokens_total${SEL}[${range}])) * 0.004)`;
    const query = `max_over_time(${demand('1m')}[900s:15s]) + sum(vllm:num_requests_waiting${SEL}) * ${demand('15m')}`
      + ` / clamp_min(sum(rate(vllm:request_success_total${SEL}[15m])), 0.001) / 60`;
    // Engine seconds per second: 2 x (400 x 0.00012 + 50 x 0.004) = 0.496; per request 0.496 / 1 = 0.496 s;
    // 12 waiting: 12 x 0.496 / 60 engine-seconds per second of backlog to clear in a minute.
    expect(value(query, steady, 1807.5)).toBeCloseTo(0.496 + (12 * 0.496) / 60, 9);
  });

  test('what it cannot read is refused with the place and the reason', () => {
    expect(() => parsePromQL('irate(vllm:generation_tokens_total[1m])', 'trigger q'))
      .toThrow("trigger q: query 'irate(vllm:generation_tokens_total[1m])' at character 1: 'irate' is not modelled; the simulator reads "
        + 'the gauges vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc, '
        + 'the counters vllm:prompt_tokens_total, vllm:generation_tokens_total, vllm:request_success_total, '
        + 'sum, avg, max, min, count, rate, increase, max_over_time, min_over_time, avg_over_time, predict_linear, deriv, clamp_min and clamp_max');
    for (const fn of ['histogram_quantile(0.9, x)', 'sum_over_time(x[1m])', 'quantile_over_time(0.5, x[1m])', 'abs(x)', 'label_replace(x)']) {
      expect(() => parsePromQL(fn, 'q')).toThrow(`at character 1: '${fn.split('(')[0]}' is not modelled`);
    }
    expect(() => parsePromQL('rate(vllm:num_preemptions_total[1m])', 'q')).toThrow("at character 6: 'vllm:num_preemptions_total' is not modelled");
    expect(() => parsePromQL('sum(vllm:num_requests_waiting', 'q')).toThrow("at character 30: expected ')'");
    expect(() => parsePromQL('sum(x{a=b})', 'q')).toThrow("'x' is not modelled");
    expect(() => parsePromQL('sum by (pod) (vllm:num_requests_waiting)', 'q')).toThrow("at character 5: expected '('");
  });

  test('range vectors go only where a function reads them', () => {
    expect(() => parsePromQL('sum(vllm:prompt_tokens_total[1m])', 'q'))
      .toThrow('at character 5: a range vector ([range]) is only read by rate, increase, max_over_time, min_over_time, avg_over_time, predict_linear and deriv');
    expect(() => parsePromQL('vllm:prompt_tokens_total[1m] * 2', 'q')).toThrow('a range vector ([range]) is only read by');
    expect(() => parsePromQL('1 + (sum(vllm:prompt_tokens_total))[5m:1m]', 'q')).toThrow('a range vector ([range:step]) is only read by');
    expect(() => parsePromQL('rate(vllm:prompt_tokens_total)', 'q'))
      .toThrow('at character 6: rate needs a range vector: metric{...}[duration] or a subquery (expr)[range:step]');
    expect(() => parsePromQL('max_over_time(sum(vllm:prompt_tokens_total)[5m])', 'q'))
      .toThrow('a range [duration] follows a metric selector; over an expression, use a subquery (expr)[range:step]');
    expect(() => parsePromQL('max_over_time((sum(vllm:prompt_tokens_total))[5m:])', 'q')).toThrow('a subquery needs its step');
  });

  test('durations: units from the largest to the smallest, combined', () => {
    const range = (d: string): number => {
      const expr = parsePromQL(`rate(vllm:prompt_tokens_total[${d}])`, 'q');
      return expr.kind === 'overRange' ? expr.arg.rangeSeconds : NaN;
    };
    expect([range('15s'), range('900s'), range('1m'), range('15m'), range('1h'), range('1m30s'), range('1h2m3s'), range('1d'), range('500ms')])
      .toEqual([15, 900, 60, 900, 3600, 90, 3723, 86_400, 0.5]);
    expect(() => range('30s1m')).toThrow("duration '30s1m': units go from the largest to the smallest, each once");
    expect(() => range('1.5m')).toThrow('expected a duration such as 5m or 30s');
    expect(() => range('0s')).toThrow('expected a duration such as 5m or 30s');
  });

  test('* and / bind tighter than + and -, and all four are left-associative', () => {
    const scalar = (q: string): number | undefined => value(q, twoPods, 600);
    expect(scalar('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(scalar('10 - 3 - 2')).toBe(5);
    expect(scalar('12 / 3 / 2')).toBe(2);
    expect(scalar('2 * 3 / 4')).toBe(1.5);
    expect(scalar('(1 + 2) * 3')).toBe(9);
  });

  test('the engine-time query parses into the peak term plus the backlog term', () => {
    const sel = '{namespace="inference",service="vllm",model_name="llama"}';
    const demand = (range: string): string =>
      `(sum(rate(vllm:prompt_tokens_total${sel}[${range}])) * 0.00012 + sum(rate(vllm:generation_tokens_total${sel}[${range}])) * 0.004)`;
    const query = `max_over_time(${demand('1m')}[900s:15s])\n  + sum(vllm:num_requests_waiting${sel}) * ${demand('15m')}\n`
      + `  / clamp_min(sum(rate(vllm:request_success_total${sel}[15m])), 0.001) / 60`;
    const expr = parsePromQL(query, 'q');
    expect(expr.kind).toBe('binary');
    if (expr.kind !== 'binary') return;
    expect(expr.op).toBe('+');
    expect(expr.left).toMatchObject({ kind: 'overRange', op: 'max_over_time', arg: { kind: 'subquery', rangeSeconds: 900, stepSeconds: 15 } });
    // ((waiting * demand) / clamp_min(...)) / 60
    expect(expr.right).toMatchObject({
      kind: 'binary',
      op: '/',
      right: { kind: 'number', value: 60 },
      left: {
        kind: 'binary',
        op: '/',
        left: { kind: 'binary', op: '*', left: { kind: 'aggregate', op: 'sum', arg: { kind: 'selector', metric: 'vllm:num_requests_waiting' } } },
        right: { kind: 'clamp', op: 'clamp_min', bound: 0.001, arg: { kind: 'aggregate', arg: { kind: 'overRange', op: 'rate' } } },
      },
    });
  });

  test('label regular expressions are RE2: lookaheads are refused where the query is read, and (a+)+ finishes', () => {
    expect(() => parsePromQL('sum(vllm:num_requests_waiting{model_name=~"(?!m)"})', 'trigger q'))
      .toThrow(new Error('trigger q: query \'sum(vllm:num_requests_waiting{model_name=~"(?!m)"})\' at character 50: label matcher model_name=~"(?!m)": '
        + 'error parsing regexp: invalid or unsupported Perl syntax: `(?!` (Prometheus reads RE2 syntax: no lookarounds or backreferences)'));
    const long = history(600, () => [{ pod: 0, metrics: metrics(2, 1) }], { ...LABELS, model_name: `${'a'.repeat(5000)}!` });
    const started = Date.now();
    expect(evaluateQuery(parsePromQL('sum(vllm:num_requests_waiting{model_name=~"(a+)+"})', 'q'), long, 600)).toEqual({ empty: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
