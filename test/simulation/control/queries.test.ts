import { evaluate, parseGaugeQuery, selects } from '../../../src/simulation/control/queries';

const LABELS = { namespace: 'inference', service: 'llama-svc', model_name: 'meta-llama/Llama-3.1-70B-Instruct', engine: '0' };
const pod = (waiting: number, kv: number): any => ({ 'vllm:num_requests_waiting': waiting, 'vllm:num_requests_running': 0, 'vllm:kv_cache_usage_perc': kv });

describe('queries', () => {
  test('recognises sum and avg over a vLLM gauge with matchers', () => {
    const q = parseGaugeQuery('sum(vllm:num_requests_waiting{namespace="inference",service="llama-svc",model_name="meta-llama/Llama-3.1-70B-Instruct"})', 't');
    expect(q).toEqual({
      aggregation: 'sum',
      gauge: 'vllm:num_requests_waiting',
      matchers: [
        { label: 'namespace', op: '=', value: 'inference' },
        { label: 'service', op: '=', value: 'llama-svc' },
        { label: 'model_name', op: '=', value: 'meta-llama/Llama-3.1-70B-Instruct' },
      ],
    });
    expect(evaluate(q, LABELS, [pod(3, 0), pod(4, 0)])).toEqual({ value: 7 });
    const avg = parseGaugeQuery(' avg ( vllm:kv_cache_usage_perc ) ', 't');
    expect(evaluate(avg, LABELS, [pod(0, 0.5), pod(0, 0.7)]).value).toBeCloseTo(0.6, 12);
  });

  test('the unaggregated selector: one element per pod, so more than one pod is an error for KEDA', () => {
    const bare = parseGaugeQuery('vllm:num_requests_waiting', "ScaledObject 'x'");
    expect(bare).toEqual({ aggregation: 'none', gauge: 'vllm:num_requests_waiting', matchers: [] });
    expect(evaluate(bare, LABELS, [pod(3, 0)])).toEqual({ value: 3 });
    expect(evaluate(bare, LABELS, [pod(3, 0), pod(4, 0)])).toEqual({ multiple: 2 });
    expect(evaluate(bare, LABELS, [])).toEqual({ empty: true });
    const matched = parseGaugeQuery('vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-70B-Instruct"}', 't');
    expect(evaluate(matched, LABELS, [pod(2, 0), pod(2, 0), pod(2, 0)])).toEqual({ multiple: 3 });
  });

  test('an empty result: no pod scraped, or matchers that select nothing (e.g. `model=` instead of `model_name=`)', () => {
    const q = parseGaugeQuery('sum(vllm:num_requests_waiting{model_name="other"})', 't');
    expect(evaluate(q, LABELS, [pod(3, 0)])).toEqual({ empty: true });
    expect(evaluate(parseGaugeQuery('sum(vllm:num_requests_waiting)', 't'), LABELS, [])).toEqual({ empty: true });
    // A label the series does not carry matches only "", like Prometheus: `model` is not a vLLM label.
    expect(evaluate(parseGaugeQuery('sum(vllm:num_requests_waiting{model="meta-llama/Llama-3.1-70B-Instruct"})', 't'), LABELS, [pod(3, 0)]))
      .toEqual({ empty: true });
    expect(selects([{ label: 'pod', op: '=', value: 'llama-0' }], LABELS)).toBe(true);
    expect(selects([{ label: 'model_name', op: '=~', value: 'meta-llama/.*' }], LABELS)).toBe(true);
    expect(selects([{ label: 'namespace', op: '!=', value: 'inference' }], LABELS)).toBe(false);
  });

  test('refuses what it cannot read, naming the query', () => {
    expect(() => parseGaugeQuery('rate(vllm:num_requests_waiting[1m])', "ScaledObject 'x'"))
      .toThrow("ScaledObject 'x': query 'rate(vllm:num_requests_waiting[1m])' is not supported");
    expect(() => parseGaugeQuery('max(vllm:num_requests_waiting)', 't')).toThrow('is not supported');
    expect(() => parseGaugeQuery('sum(vllm:gpu_cache_usage_perc)', 't')).toThrow("reads 'vllm:gpu_cache_usage_perc'; the simulator models only");
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name~"x"})', 't')).toThrow("label matcher 'model_name~\"x\"' must look like label=\"value\"");
  });

  test('regular expressions match as Prometheus matches them: RE2, in linear time, anchored, dot matching newlines', () => {
    // GIVEN a catastrophic-backtracking pattern and a label that makes a backtracking engine take exponential time
    const labels = { ...LABELS, model_name: `${'a'.repeat(5000)}b` };
    const nested = parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"(a+)+"})', 't');
    const started = Date.now();
    // WHEN it is matched THEN it finishes at once, and does not match (the 'b')
    expect(evaluate(nested, labels, [pod(1, 0)])).toEqual({ empty: true });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(evaluate(parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"(a+)+b"})', 't'), labels, [pod(1, 0)])).toEqual({ value: 1 });
    expect(selects([{ label: 'model_name', op: '=~', value: 'meta' }], LABELS)).toBe(false);
    expect(selects([{ label: 'model_name', op: '=~', value: 'a.b' }], { ...LABELS, model_name: 'a\nb' })).toBe(true);
  });

  test('regular expressions Prometheus refuses are refused: lookarounds, backreferences, unbalanced groups', () => {
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"(?=meta).*"})', "ScaledObject 'x'"))
      .toThrow(new Error("ScaledObject 'x': query 'sum(vllm:num_requests_waiting{model_name=~\"(?=meta).*\"})': label matcher model_name=~\"(?=meta).*\": "
        + 'error parsing regexp: invalid or unsupported Perl syntax: `(?=` (Prometheus reads RE2 syntax: no lookarounds or backreferences)'));
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name!~"a(?!b)"})', 't')).toThrow('invalid or unsupported Perl syntax: `(?!`');
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"(a)\\\\1"})', 't')).toThrow('invalid escape sequence: `\\1`');
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"(a"})', 't')).toThrow('missing closing ): `(a`');
    expect(() => parseGaugeQuery('sum(vllm:num_requests_waiting{model_name=~"a)(b"})', 't')).toThrow('unexpected ): `a)(b`');
  });
});
