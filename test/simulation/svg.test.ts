import { fakeResult } from './helpers';
import { costChart, policyChart } from '../../src/simulation/svg';

describe('svg', () => {
  test('a policy chart has the three panels, the SLO line and an escaped title', () => {
    const svg = policyChart(fakeResult('a<b'), 2);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a&lt;b: 98.77% within 2 s, 13.0 GPU-hours (1.30x lower bound)');
    expect(svg.match(/<polyline/g)).toHaveLength(4); // replicas asked, ready, queue, TTFT
    expect(svg).toContain('SLO 2 s');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  test('the cost chart places one point per policy', () => {
    const svg = costChart([fakeResult('default'), fakeResult('cpu-hpa', { sloAttainment: 0.2, gpuHours: 3 })], 2);
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toContain('default: 98.8%, 1.30x');
    expect(svg).toContain('cpu-hpa: 20.0%, 0.30x');
  });
});
