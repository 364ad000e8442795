import { costChart, policyChart } from '../../../src/simulation/report/svg';
import { fakeResult } from '../helpers';

describe('svg', () => {
  test('a policy chart has the three panels, the SLO line and an escaped title', () => {
    const svg = policyChart(fakeResult('a<b'), 2);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a&lt;b: 98.77% within 2 s, 13.0 billed GPU-hours (1.30x optimistic)');
    expect(svg).toContain('replicas at 0: what a 15-minute lead-in on the trace left');
    expect(svg).toContain('TTFT p95 (s)<');
    expect(svg.match(/<polyline/g)).toHaveLength(4); // replicas asked, ready, queue, TTFT
    expect(svg).toContain('SLO 2 s');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  test('a TTFT over 20x the SLO is clipped, and the axis says so; the cost can be against the clairvoyant', () => {
    const svg = policyChart(fakeResult('slow', { ttftP95ByMinute: [0.5, 300], start: 'cold' }), 2, { name: 'clairvoyant', gpuHours: 6.5 });
    // 20 x the SLO is 40 s, and the axis rounds up to 50 s, where the line is clipped.
    expect(svg).toContain('TTFT p95 (s), clipped at 50 s');
    expect(svg).not.toContain('clipped at 40 s');
    expect(svg).toContain('(2.00x clairvoyant)');
    expect(svg).toContain('replicas at 0: the floor (cold start)');
  });

  test('the cost chart places one point per policy', () => {
    const svg = costChart([fakeResult('default'), fakeResult('cpu-hpa', { sloAttainment: 0.2, gpuHours: 3, billedGpuHours: 3 })], 2);
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toContain('default: 98.8%, 1.30x');
    expect(svg).toContain('cpu-hpa: 20.0%, 0.30x');
  });

  test('the cost chart zooms to the attainments near 100 % and draws the target', () => {
    const svg = costChart([fakeResult('default', { sloAttainment: 0.995 }), fakeResult('peer', { sloAttainment: 0.992 })], 2, undefined, 0.99);
    const ticks = [...svg.matchAll(/text-anchor="end" font-size="11">([0-9.]+)%</g)].map((m) => Number(m[1]));
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(98);
    expect(Math.max(...ticks)).toBe(100);
    expect(svg).toContain('target 99.0%');
    // A point far below sits on the edge of a window no wider than ten times the target's miss.
    const wide = costChart([fakeResult('default', { sloAttainment: 0.995 }), fakeResult('broken', { sloAttainment: 0.2 })], 2, undefined, 0.99);
    const wideTicks = [...wide.matchAll(/text-anchor="end" font-size="11">([0-9.]+)%</g)].map((m) => Number(m[1]));
    expect(Math.min(...wideTicks)).toBeGreaterThanOrEqual(80);
    expect(wide).toContain('broken: 20.0%');
  });
});
