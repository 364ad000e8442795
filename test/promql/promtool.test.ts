import { checkRules, evalExpr, promtoolPath, PromtoolTest, requirePromtool, testRules } from './promtool';

const hasPromtool = requirePromtool();
const describePromtool = hasPromtool ? describe : describe.skip;

const groups = [{
  name: 'vllm',
  rules: [
    { record: 'vllm:num_requests_waiting:sum', expr: 'sum(vllm:num_requests_waiting)' },
    {
      alert: 'VllmPreempting',
      expr: 'sum by (pod) (rate(vllm:num_preemptions_total[5m])) > 0',
      for: '2m',
      labels: { severity: 'warning' },
      annotations: { summary: 'vLLM pod {{ $labels.pod }} is preempting requests' },
    },
  ],
}];

const inputSeries = [
  { series: 'vllm:num_requests_waiting{pod="a"}', values: '2x10' },
  { series: 'vllm:num_requests_waiting{pod="b"}', values: '3x10' },
  { series: 'vllm:num_preemptions_total{pod="a"}', values: '0+5x20' },
];

function preemptionTest(alertname: string, expectedSum: number): PromtoolTest {
  return {
    interval: '1m',
    input_series: inputSeries,
    promql_expr_test: [{ expr: 'vllm:num_requests_waiting:sum', eval_time: '5m', exp_samples: [{ labels: 'vllm:num_requests_waiting:sum', value: expectedSum }] }],
    alert_rule_test: [
      { alertname, eval_time: '1m', exp_alerts: [] }, // still pending
      {
        alertname,
        eval_time: '10m',
        exp_alerts: [{
          exp_labels: { severity: 'warning', pod: 'a' },
          exp_annotations: { summary: 'vLLM pod a is preempting requests' },
        }],
      },
    ],
  };
}

describePromtool('promtool', () => {
  test('recording and alerting rules meet correct expectations', () => {
    expect(() => checkRules(groups)).not.toThrow();
    expect(() => testRules(groups, [preemptionTest('VllmPreempting', 5)])).not.toThrow();
  });

  test('a wrong recorded value fails with promtool output', () => {
    expect(() => testRules(groups, [preemptionTest('VllmPreempting', 3)])).toThrow(/exp: .*3E\+00[\s\S]*got: .*5E\+00/);
  });

  test('an alert on a series name without _total never fires', () => {
    const wrong = [{ name: 'vllm', rules: [{ ...groups[0].rules[1], expr: 'sum by (pod) (rate(vllm:num_preemptions[5m])) > 0' }] }];
    expect(() => testRules(wrong, [preemptionTest('VllmPreempting', 5)].map((t) => ({ ...t, promql_expr_test: [] }))))
      .toThrow(/alertname: VllmPreempting, time: 10m/);
  });

  test('checkRules rejects a broken expression', () => {
    expect(() => checkRules([{ name: 'bad', rules: [{ record: 'x', expr: 'sum(vllm:num_requests_waiting' }] }]))
      .toThrow(/unclosed left parenthesis/);
  });

  test('checkRules rejects duplicate rules', () => {
    expect(() => checkRules([{ name: 'dup', rules: [groups[0].rules[0], groups[0].rules[0]] }])).toThrow(/duplicate/i);
  });

  test('evalExpr works without rule files', () => {
    const series = inputSeries.slice(0, 2);
    expect(() => evalExpr('sum(vllm:num_requests_waiting)', series, '5m', [{ labels: '{}', value: 5 }])).not.toThrow();
    expect(() => evalExpr('sum(vllm:num_requests_waiting)', series, '5m', [{ labels: '{}', value: 3 }])).toThrow(/got: \{\} 5E\+00/);
  });
});

describe('requirePromtool without promtool on PATH', () => {
  const saved = { PATH: process.env.PATH, CI: process.env.CI };
  beforeEach(() => { process.env.PATH = '/nonexistent'; });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.CI === undefined) delete process.env.CI; else process.env.CI = saved.CI;
  });

  test('skips locally with a warning', () => {
    delete process.env.CI;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    expect(promtoolPath()).toBeUndefined();
    expect(requirePromtool()).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/promtool not found/));
  });

  test('throws on CI', () => {
    process.env.CI = 'true';
    expect(() => requirePromtool()).toThrow(/CI is set/);
  });
});
