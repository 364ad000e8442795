import { evaluateQuery, parsePromQL, PodSample, ScrapeHistory } from '../../../src/simulation/control/promql-eval';

const LABELS = { namespace: 'inference', service: 'svc', model_name: 'm', engine: '0' };
const SEL = '{namespace="inference",service="svc",model_name="m"}';

function gauges(waiting: number, running: number) {
  return { 'vllm:num_requests_waiting': waiting, 'vllm:num_requests_running': running, 'vllm:kv_cache_usage_perc': 0.5 };
}

/** Scrapes every 15 s from 0: `pods(t)` gives the samples at time t. */
function history(until: number, pods: (t: number) => PodSample[]): ScrapeHistory {
  const times: number[] = [];
  for (let t = 0; t <= until; t += 15) times.push(t);
  return {
    labels: LABELS,
    at: (time) => {
      const latest = times.filter((t) => t <= time).pop();
      return latest === undefined || time - latest > 300 ? [] : pods(latest);
    },
  };
}

describe('PromQL evaluator', () => {
  const twoPods = history(600, (t) => [{ pod: 0, gauges: gauges(2, 10 + t / 15) }, { pod: 1, gauges: gauges(3, 20) }]);

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
    const falling = history(600, (t) => [{ pod: 0, gauges: gauges(0, Math.max(0, 40 - t / 15)) }]);
    const clamped = parsePromQL(`clamp_min(predict_linear((sum(vllm:num_requests_running${SEL}))[5m:1m], 600), 0)`, 'q');
    expect(evaluateQuery(clamped, falling, 600)).toEqual({ value: 0 });
  });

  test('a subquery with fewer than two points has no result', () => {
    const young = history(30, () => [{ pod: 0, gauges: gauges(0, 5) }]);
    expect(evaluateQuery(parsePromQL(`predict_linear((sum(vllm:num_requests_running${SEL}))[5m:1m], 60)`, 'q'), young, 30)).toEqual({ empty: true });
  });

  test('samples older than the 5-minute lookback are not seen', () => {
    expect(evaluateQuery(parsePromQL(`sum(vllm:num_requests_waiting${SEL})`, 'q'), twoPods, 901)).toEqual({ empty: true });
  });

  test('what it cannot read is refused with the place and the reason', () => {
    expect(() => parsePromQL('rate(vllm:num_preemptions_total[1m])', 'trigger q'))
      .toThrow("trigger q: query 'rate(vllm:num_preemptions_total[1m])' at character 5: 'rate' is not modelled");
    expect(() => parsePromQL('sum(vllm:num_requests_waiting', 'q')).toThrow("at character 30: expected ')'");
    expect(() => parsePromQL('sum(x{a=b})', 'q')).toThrow("'x' is not modelled");
  });

  test('label regular expressions are RE2: lookaheads are refused where the query is read, and (a+)+ finishes', () => {
    expect(() => parsePromQL('sum(vllm:num_requests_waiting{model_name=~"(?!m)"})', 'trigger q'))
      .toThrow(new Error('trigger q: query \'sum(vllm:num_requests_waiting{model_name=~"(?!m)"})\' at character 50: label matcher model_name=~"(?!m)": '
        + 'error parsing regexp: invalid or unsupported Perl syntax: `(?!` (Prometheus reads RE2 syntax: no lookarounds or backreferences)'));
    const long = { ...history(600, () => [{ pod: 0, gauges: gauges(2, 1) }]), labels: { ...LABELS, model_name: `${'a'.repeat(5000)}!` } };
    const started = Date.now();
    expect(evaluateQuery(parsePromQL('sum(vllm:num_requests_waiting{model_name=~"(a+)+"})', 'q'), long, 600)).toEqual({ empty: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
