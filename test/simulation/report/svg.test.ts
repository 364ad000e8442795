import { costChart, policyChart } from '../../../src/simulation/report/svg';
import { fakeResult } from '../helpers';

describe('svg', () => {
  test('a policy chart has the three panels, the SLO line and an escaped title', () => {
    const svg = policyChart(fakeResult('a<b'), 2);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a&lt;b: 98.77% within 2 s, 13.0 GPU-hours (1.30x optimistic)');
    expect(svg).toContain('replicas at 0: what a 15-minute lead-in on the trace left');
    expect(svg).toContain('TTFT p95 (s)<');
    expect(svg.match(/<polyline/g)).toHaveLength(4); // replicas asked, ready, queue, TTFT
    expect(svg).toContain('SLO 2 s');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  test('a TTFT over 20x the SLO is clipped, and the axis says so; the cost can be against the clairvoyant', () => {
    const svg = policyChart(fakeResult('slow', { ttftP95ByMinute: [0.5, 300], start: 'cold' }), 2, { name: 'clairvoyant', gpuHours: 6.5 });
    expect(svg).toContain('TTFT p95 (s), clipped at 40 s');
    expect(svg).toContain('(2.00x clairvoyant)');
    expect(svg).toContain('replicas at 0: the floor (cold start)');
  });

  test('the cost chart places one point per policy', () => {
    const svg = costChart([fakeResult('default'), fakeResult('cpu-hpa', { sloAttainment: 0.2, gpuHours: 3 })], 2);
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toContain('default: 98.8%, 1.30x');
    expect(svg).toContain('cpu-hpa: 20.0%, 0.30x');
  });
});
