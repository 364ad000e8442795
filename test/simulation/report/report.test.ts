import { percentile } from '../../../src/simulation/evidence/measure';
import { jsonReport, markdownTable, summary, textTable } from '../../../src/simulation/report/report';
import { fakeResult } from '../helpers';

const TRACE = { file: 'azure.csv', requests: 1000, durationSeconds: 3600.123456789, rateScale: 8 };

describe('report', () => {
  test('JSON: exactly the trace and policy fields, in order, rounded', () => {
    const parsed = JSON.parse(jsonReport(TRACE, [fakeResult('default')], 2));
    expect(Object.keys(parsed)).toEqual(['trace', 'sloTtftSeconds', 'policies']);
    expect(parsed.sloTtftSeconds).toBe(2);
    expect(parsed.trace).toEqual({ file: 'azure.csv', requests: 1000, durationSeconds: 3600.123457, rateScale: 8 });
    expect(parsed.policies[0]).toEqual({
      name: 'default',
      requests: 1000,
      ttftP50: 0.123457,
      ttftP95: 1.5,
      ttftP99: 150,
      sloAttainment: 0.987654,
      billedGpuHours: 13,
      gpuHours: 13,
      pendingSeconds: 0,
      optimisticGpuHours: 10,
      scaleUps: 3,
      scaleDowns: 2,
      maxReplicas: 5,
      preemptions: 7,
      failed: 1,
      secondsAtCeiling: 0,
      paused: false,
      start: 'warm',
    });
    expect(Object.keys(parsed.policies[0])).toEqual(['name', 'requests', 'ttftP50', 'ttftP95', 'ttftP99', 'sloAttainment', 'billedGpuHours', 'gpuHours',
      'pendingSeconds', 'optimisticGpuHours', 'scaleUps', 'scaleDowns', 'maxReplicas', 'preemptions', 'failed', 'secondsAtCeiling', 'paused', 'start']);
  });

  test('tables show the SLO attainment, the cost against the optimistic reference and the tail', () => {
    const text = textTable([fakeResult('default'), fakeResult('cpu-hpa', { sloAttainment: 0.5 })]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^default\s+98\.77%\s+0\.12 s\s+1\.50 s\s+150 s\s+13\.0\s+13\.0\s+1\.30\s+-\s+3\s+2\s+5\s+7\s+1$/);
    expect(lines[3]).toContain('50.00%');
    const markdown = markdownTable([fakeResult('default')]).split('\n');
    expect(markdown[0]).toBe('| policy | within SLO | TTFT p50 | TTFT p95 | TTFT p99 | billed GPU-h | pod GPU-h | x optimistic | pending | ups | downs | max replicas | preemptions | failed |');
    expect(markdown[2]).toBe('| default | 98.77% | 0.12 s | 1.50 s | 150 s | 13.0 | 13.0 | 1.30 | - | 3 | 2 | 5 | 7 | 1 |');
    expect(summary(TRACE, [fakeResult('default')], 2)).toBe('trace azure.csv: 1000 requests over 60.0 min at 8x; SLO: time to first token <= 2 s; optimistic reference 10.0 GPU-hours');
  });
});

test('a policy that served no request has no time to first token: none in the tables, null in JSON', () => {
  const none = fakeResult('stuck', { ttftP50: NaN, ttftP95: NaN, ttftP99: NaN, sloAttainment: 0 });
  expect(JSON.parse(jsonReport(TRACE, [none], 2)).policies[0]).toMatchObject({ ttftP50: null, ttftP95: null, ttftP99: null });
  expect(markdownTable([none]).split('\n')[2]).toBe('| stuck | 0.00% | none | none | none | 13.0 | 13.0 | 1.30 | - | 3 | 2 | 5 | 7 | 1 |');
  expect(percentile(new Float64Array(0), 0.99)).toBeNaN();
});
