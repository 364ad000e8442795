import { ScrapeRecorder } from '../../../src/simulation/cluster/scrape-recorder';
import { evaluateQuery, parsePromQL, PodSample, ScrapeHistory } from '../../../src/simulation/control/promql-eval';
import { PodMetrics } from '../../../src/simulation/control/queries';

const LABELS = { namespace: 'inference', service: 'svc', model_name: 'm', engine: '0' };
const SEL = '{namespace="inference",service="svc",model_name="m"}';

function metrics(t: number, pod: number): PodMetrics {
  return {
    'vllm:num_requests_waiting': pod % 3,
    'vllm:num_requests_running': 8,
    'vllm:kv_cache_usage_perc': 0.5,
    'vllm:prompt_tokens_total': 900 * t + pod,
    'vllm:generation_tokens_total': 100 * t,
    'vllm:request_success_total': Math.floor(t / 2),
  };
}

/** Scrapes every 15 s from 15 s to `until`, `pods` pods each. */
function recorder(until: number, pods: number): ScrapeRecorder {
  const history = new ScrapeRecorder(LABELS);
  for (let t = 15; t <= until; t += 15) history.record(t, Array.from({ length: pods }, (_, pod) => ({ pod, metrics: metrics(t, pod) })));
  return history;
}

describe('ScrapeRecorder', () => {
  test('a range holds the scrapes in (from, to], oldest first; an instant reads the latest within the 5-minute lookback', () => {
    const history = recorder(600, 2);
    const times: number[] = [];
    history.forEachScrape(540, 600, (t, samples) => {
      times.push(t);
      expect(samples).toHaveLength(2);
    });
    expect(times).toEqual([555, 570, 585, 600]);
    const between: number[] = [];
    history.forEachScrape(547.5, 592.5, (t) => between.push(t));
    expect(between).toEqual([555, 570, 585]);
    const none: number[] = [];
    history.forEachScrape(-100, 14, (t) => none.push(t));
    history.forEachScrape(600, 10_000, (t) => none.push(t));
    expect(none).toEqual([]);
    expect(history.at(607.5)[0].metrics['vllm:prompt_tokens_total']).toBe(900 * 600);
    expect(history.at(900)).toHaveLength(2);
    expect(history.at(900.5)).toEqual([]);
    expect(history.at(14)).toEqual([]);
  });

  test('scrapes are recorded in time order', () => {
    const history = recorder(30, 1);
    expect(() => history.record(30, [])).toThrow('ScrapeRecorder: scrape at 30 s is not after the last one (30 s)');
  });

  const demand = (range: string): string => `(sum(rate(vllm:prompt_tokens_total${SEL}[${range}])) * 0.00012 `
    + `+ sum(rate(vllm:generation_tokens_total${SEL}[${range}])) * 0.004)`;
  const ENGINE_TIME = `max_over_time(${demand('1m')}[900s:15s]) + sum(vllm:num_requests_waiting${SEL}) * ${demand('15m')}`
    + ` / clamp_min(sum(rate(vllm:request_success_total${SEL}[15m])), 0.001) / 60`;

  /** The history, counting the samples range reads visit; `keep`: whether it lets subquery points be kept. */
  function counting(history: ScrapeRecorder, keep: boolean): { history: ScrapeHistory; visited: () => number } {
    let visited = 0;
    const wrapped: ScrapeHistory = {
      labels: history.labels,
      at: (t) => history.at(t),
      forEachScrape: (from, to, visit) => history.forEachScrape(from, to, (t: number, samples: PodSample[]) => {
        visited += samples.length;
        visit(t, samples);
      }),
      ...(keep ? { completeUntil: () => history.completeUntil() } : {}),
    };
    return { history: wrapped, visited: () => visited };
  }

  test('the engine-time query reads only the scrapes its ranges cover: the same work one hour or two into a replay', () => {
    // 16 pods scraped every 15 s for 2 hours.
    const { history, visited } = counting(recorder(7200, 16), false);
    const query = parsePromQL(ENGINE_TIME, 'q');
    const visits = [3607.5, 7207.5].map((t) => {
      const before = visited();
      expect(evaluateQuery(query, history, t).value).toBeGreaterThan(0);
      return visited() - before;
    });
    // The subquery's 60 points read 2 x 4 scrapes of 16 pods; the 15m rates, 3 x 60 scrapes of 16 pods.
    expect(visits).toEqual([60 * 2 * 4 * 16 + 3 * 60 * 16, 60 * 2 * 4 * 16 + 3 * 60 * 16]);
  });

  test('a poll reuses the subquery points of the previous one, with the same results', () => {
    // Scrapes recorded as a replay records them, a poll 7.5 s after each (KEDA's 15 s polling interval).
    const full = recorder(7200, 16);
    const live = new ScrapeRecorder(LABELS);
    const { history, visited } = counting(live, true);
    const query = parsePromQL(ENGINE_TIME, 'q');
    const fresh = (t: number) => evaluateQuery(parsePromQL(ENGINE_TIME, 'q'), full, t).value;
    const perPoll: number[] = [];
    full.forEachScrape(0, 7200, (t, samples) => {
      live.record(t, samples);
      const before = visited();
      const result = evaluateQuery(query, history, t + 7.5).value;
      perPoll.push(visited() - before);
      if (t % 900 === 0) expect(result).toBe(fresh(t + 7.5));
    });
    // Past the first 15 minutes, each poll evaluates one new subquery point (2 rates over 4 scrapes of 16 pods)
    // and the three 15m rates.
    expect(new Set(perPoll.slice(61))).toEqual(new Set([2 * 4 * 16 + 3 * 60 * 16]));
    const started = Date.now();
    for (let t = 907.5; t <= 7200; t += 15) evaluateQuery(query, full, t);
    // 420 polls of a 2-hour replay: milliseconds (a loose bound for a shared machine).
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
