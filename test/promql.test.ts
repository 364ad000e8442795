import { Duration, Testing } from 'cdk8s';
import { Gpu, QueueAutoscaler, VllmService, WarmFloor } from '../src';
import { quote, rateWindow, serverSelector } from '../src/promql';
import { evalExpr, InputSeries, requirePromtool } from './promql/promtool';
import { findOne, LLAMA_8B, testChart } from './util';

/** A series as the Prometheus Operator scrapes it from vLLM: target labels plus vLLM's model_name and engine. */
function scraped(metric: string, labels: { namespace: string; service: string; pod: string; model: string }, values: string): InputSeries {
  return {
    series: `${metric}{namespace="${labels.namespace}",service="${labels.service}",pod="${labels.pod}",job="${labels.service}",`
      + `endpoint="http",container="vllm",instance="${labels.pod}:8000",model_name="${labels.model}",engine="0"}`,
    values,
  };
}

describe('the queue query KEDA runs, evaluated by promtool', () => {
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: 'http://prometheus:9090', kvCacheTrigger: {} });
  WarmFloor.development(chart, 'floor', { autoscaler });
  const triggers = findOne(Testing.synth(chart), 'ScaledObject').spec.triggers;
  const queueQuery = triggers.find((t: any) => t.name === 'queue').metadata.query;
  const kvQuery = triggers.find((t: any) => t.name === 'kv-cache').metadata.query;
  const model = 'meta-llama/Llama-3.1-8B-Instruct';
  const mine = { namespace: 'inference', service: server.serviceName, model };

  const series = (metric: string, a: string, b: string) => [
    scraped(metric, { ...mine, pod: 'a' }, a),
    scraped(metric, { ...mine, pod: 'b' }, b),
    // Same model elsewhere, another model behind another Service, another model name on this Service.
    scraped(metric, { ...mine, namespace: 'staging', pod: 'c' }, '100'),
    scraped(metric, { ...mine, service: 'other-server', model: 'org/other', pod: 'd' }, '100'),
    scraped(metric, { ...mine, model: 'org/other', pod: 'e' }, '100'),
  ];

  test('sums the waiting requests of this server only, as exactly one element', () => {
    if (!requirePromtool()) return;
    evalExpr(queueQuery, series('vllm:num_requests_waiting', '3', '9'), '1m', [{ labels: '{}', value: 12 }]);
  });

  test('averages the KV-cache fill of this server only', () => {
    if (!requirePromtool()) return;
    evalExpr(kvQuery, series('vllm:kv_cache_usage_perc', '0.5', '0.9'), '1m', [{ labels: '{}', value: 0.7 }]);
  });

  test('matches nothing when vLLM labels the model as `model` (the pitfall the query must not fall into)', () => {
    if (!requirePromtool()) return;
    const wrongLabel = [{ series: `vllm:num_requests_waiting{namespace="inference",service="${server.serviceName}",model="${model}"}`, values: '7' }];
    evalExpr(queueQuery, wrongLabel, '1m', []);
  });

  test('a query would fail when its sum sees a typo in the metric name', () => {
    if (!requirePromtool()) return;
    // The misspelt series exists; the query (correctly) ignores it, so expecting its value fails.
    const typo = [scraped('vllm:num_request_waiting', { ...mine, pod: 'a' }, '4')];
    expect(() => evalExpr(queueQuery, typo, '1m', [{ labels: '{}', value: 4 }])).toThrow();
  });
});

describe('the in-flight and forecast queries KEDA runs, evaluated by promtool', () => {
  // A server scraped every minute (the promtool tests' sample interval), with both new triggers on.
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, scrapeInterval: Duration.minutes(1) });
  new QueueAutoscaler(chart, 'autoscaler', {
    server,
    maxReplicas: 8,
    prometheusAddress: 'http://prometheus:9090',
    capacityTrigger: { enabled: true },
    predictiveTrigger: { enabled: true, window: Duration.minutes(5) },
  });
  const triggers = findOne(Testing.synth(chart), 'ScaledObject').spec.triggers;
  const query = (name: string): string => triggers.find((t: any) => t.name === name).metadata.query;
  const mine = { namespace: 'inference', service: server.serviceName, model: 'meta-llama/Llama-3.1-8B-Instruct' };
  // Pod a runs 10, 12, 14, ... (one sample a minute), pod b 20; pod a has 1 waiting, pod b none; another server's pod 100.
  const series = [
    scraped('vllm:num_requests_running', { ...mine, pod: 'a' }, '10+2x20'),
    scraped('vllm:num_requests_running', { ...mine, pod: 'b' }, '20x20'),
    scraped('vllm:num_requests_waiting', { ...mine, pod: 'a' }, '1x20'),
    scraped('vllm:num_requests_waiting', { ...mine, pod: 'b' }, '0x20'),
    scraped('vllm:num_requests_running', { ...mine, service: 'other-server', pod: 'c' }, '100x20'),
  ];

  test('in flight: running plus waiting of this server, one element', () => {
    if (!requirePromtool()) return;
    // At 8 min: pod a runs 26 and waits 1, pod b runs 20.
    evalExpr(query('in-flight'), series, '8m', [{ labels: '{}', value: 47 }]);
  });

  test('forecast: the in-flight trend over the window, extrapolated one cold start ahead', () => {
    if (!requirePromtool()) return;
    // Points of the [5m:1m] subquery at 4-8 min: 39, 41, 43, 45, 47: slope 2 per minute. Ahead by the cold start H s: 47 + H / 30.
    const horizon = server.coldStart.totalSeconds;
    evalExpr(query('in-flight-forecast'), series, '8m', [{ labels: '{}', value: 47 + horizon / 30 }]);
  });

  test('forecast: a falling load is clamped at zero', () => {
    if (!requirePromtool()) return;
    const falling = [scraped('vllm:num_requests_running', { ...mine, pod: 'a' }, '100-20x5'), scraped('vllm:num_requests_waiting', { ...mine, pod: 'a' }, '0x5')];
    evalExpr(query('in-flight-forecast'), falling, '5m', [{ labels: '{}', value: 0 }]);
  });
});

describe('PromQL building blocks', () => {
  test('label values are quoted and escaped', () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(serverSelector({ namespace: 'ns', service: 'svc', modelName: 'org/m' })).toBe('{namespace="ns",service="svc",model_name="org/m"}');
  });

  test('rate windows hold at least four scrapes and a minute', () => {
    expect(rateWindow(Duration.seconds(15))).toBe('1m');
    expect(rateWindow(Duration.seconds(30))).toBe('2m');
    expect(rateWindow(Duration.seconds(20))).toBe('80s');
  });
});

describe('the demand query KEDA runs, evaluated by promtool', () => {
  // A server scraped every minute, with the demand trigger on and round per-token costs, so the figures can be checked by hand.
  const chart = testChart();
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4, scrapeInterval: Duration.minutes(1) });
  new QueueAutoscaler(chart, 'autoscaler', {
    server,
    maxReplicas: 8,
    prometheusAddress: 'http://prometheus:9090',
    demandTrigger: {
      enabled: true,
      prefillSecondsPerToken: 0.25,
      decodeSecondsPerToken: 0.5,
      window: Duration.minutes(4),
      hold: Duration.minutes(10),
      backlogDrainTime: Duration.minutes(1),
    },
  });
  const demand = findOne(Testing.synth(chart), 'ScaledObject').spec.triggers.find((t: any) => t.name === 'demand').metadata.query;
  const mine = { namespace: 'inference', service: server.serviceName, model: 'meta-llama/Llama-3.1-8B-Instruct' };
  const steady = [
    // Pod a: 2 prompt tokens and 1 generated token a second, 6 requests finished a minute, 4 waiting; pod b: 1 prompt token a second.
    scraped('vllm:prompt_tokens_total', { ...mine, pod: 'a' }, '0+120x20'),
    scraped('vllm:prompt_tokens_total', { ...mine, pod: 'b' }, '0+60x20'),
    scraped('vllm:generation_tokens_total', { ...mine, pod: 'a' }, '0+60x20'),
    scraped('vllm:generation_tokens_total', { ...mine, pod: 'b' }, '0x20'),
    scraped('vllm:request_success_total', { ...mine, pod: 'a' }, '0+6x20'),
    scraped('vllm:request_success_total', { ...mine, pod: 'b' }, '0x20'),
    scraped('vllm:num_requests_waiting', { ...mine, pod: 'a' }, '0x20'),
    scraped('vllm:num_requests_waiting', { ...mine, pod: 'b' }, '0x20'),
    // Another server's tokens never count.
    scraped('vllm:prompt_tokens_total', { ...mine, service: 'other-server', pod: 'c' }, '0+6000x20'),
  ];

  test('demand: token rates weighted by their engine cost, in replicas at full utilization', () => {
    if (!requirePromtool()) return;
    // 3 prompt tokens/s x 0.25 + 1 generated token/s x 0.5 = 1.25 engine seconds per second; nothing waits.
    evalExpr(demand, steady, '12m', [{ labels: '{}', value: 1.25 }]);
  });

  test('hold: the highest demand of the hold window, until it has passed', () => {
    if (!requirePromtool()) return;
    // Pod a takes 4 prompt tokens/s for the first 5 minutes: demand 1.75 then, 1.25 after.
    const burst = [scraped('vllm:prompt_tokens_total', { ...mine, pod: 'a' }, '0+240x5 1320+120x24'), ...steady.slice(1)];
    evalExpr(demand, burst, '12m', [{ labels: '{}', value: 1.75 }]);
    evalExpr(demand, burst, '20m', [{ labels: '{}', value: 1.25 }]);
  });

  test('backlog: the waiting requests\' work, at the mean engine seconds of a finished request, served within the drain time', () => {
    if (!requirePromtool()) return;
    // 6 waiting; over 15 minutes 1.25 engine seconds of work per second and 0.1 finished requests per second: 12.5 s a
    // request. 6 x 12.5 s within 60 s adds 1.25 replicas' worth to the demand of 1.25.
    const waiting = [...steady.slice(0, 6), scraped('vllm:num_requests_waiting', { ...mine, pod: 'a' }, '4x20'), scraped('vllm:num_requests_waiting', { ...mine, pod: 'b' }, '2x20')];
    evalExpr(demand, waiting, '16m', [{ labels: '{}', value: 2.5 }]);
  });
});
