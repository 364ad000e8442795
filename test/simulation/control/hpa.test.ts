import {
  externalAverageValueReplicas, externalValueReplicas, HpaController, HpaSpec, perPodReplicas, resolveBehavior,
} from '../../../src/simulation/control/hpa';

function controller(behavior: any = {}, minReplicas = 1, maxReplicas = 20): HpaController {
  const spec: HpaSpec = { minReplicas, maxReplicas, behavior: resolveBehavior(behavior, 'test') };
  return new HpaController(spec);
}

describe('replica calculators', () => {
  test('External AverageValue: ceil(total / target) outside the 0.1 tolerance', () => {
    expect(externalAverageValueReplicas(4, 42, 10)).toBe(4); // ratio 42 / 40 = 1.05
    expect(externalAverageValueReplicas(4, 43, 10)).toBe(4); // ratio 1.075
    // 1 - 44 / 40 is -0.10000000000000009 in float64, as in the Go controller: just outside the tolerance.
    expect(externalAverageValueReplicas(4, 44, 10)).toBe(5);
    expect(externalAverageValueReplicas(4, 45, 10)).toBe(5); // ratio 1.125 -> ceil(4.5)
    expect(externalAverageValueReplicas(4, 0, 10)).toBe(0);
    expect(externalAverageValueReplicas(4, 35, 10)).toBe(4); // ratio 0.875 -> ceil(3.5) = 4
    expect(externalAverageValueReplicas(4, 34, 10)).toBe(4); // 0.85 -> ceil(3.4) = 4
    expect(externalAverageValueReplicas(4, 29, 10)).toBe(3);
  });

  test('External Value: ratio times the ready pods', () => {
    expect(externalValueReplicas(3, 2, 1.6, 0.8)).toBe(4); // ratio 2 x 2 ready pods
    expect(externalValueReplicas(3, 2, 0.85, 0.8)).toBe(3); // ratio 1.0625: within tolerance
    expect(externalValueReplicas(3, 3, 0.4, 0.8)).toBe(2); // ratio 0.5 x 3 = 1.5 -> 2
  });

  test('Pods metric: average over pods with a value', () => {
    const pods = [10, 10, 10].map((value) => ({ ready: true, value }));
    expect(perPodReplicas(3, pods, 5, false)).toBe(6);
    expect(perPodReplicas(3, pods, 10, false)).toBe(3);
    expect(perPodReplicas(3, [], 10, false)).toBeUndefined();
  });

  test('Pods metric: a missing pod counts as 0 when scaling up and as the target when scaling down', () => {
    const missing = { ready: false };
    // Up: ratio 2; the missing pod counts 0 -> 20 / 3 / 5 = 1.33 -> ceil(1.33 x 3) = 4.
    expect(perPodReplicas(3, [{ ready: true, value: 10 }, { ready: true, value: 10 }, missing], 5, false)).toBe(4);
    // Down: ratio 0.2; the missing pod counts 5 -> 7 / 3 / 5 = 0.467 -> ceil(1.4) = 2.
    expect(perPodReplicas(3, [{ ready: true, value: 1 }, { ready: true, value: 1 }, missing], 5, false)).toBe(2);
  });

  test('CPU: unready pods count as 0 on a scale-up, and a ratio that flips direction means no change', () => {
    const pods = [{ ready: true, value: 90 }, { ready: true, value: 90 }, { ready: false, value: 5 }];
    // 90 / 80 = 1.125 > 1; with the unready pod at 0: 180 / 3 / 80 = 0.75 < 1 -> keep 3.
    expect(perPodReplicas(3, pods, 80, true)).toBe(3);
    const hot = [{ ready: true, value: 200 }, { ready: true, value: 200 }, { ready: false, value: 5 }];
    // 400 / 3 / 80 = 1.667 -> ceil(5) = 5.
    expect(perPodReplicas(3, hot, 80, true)).toBe(5);
  });
});

describe('HpaController', () => {
  test('defaults: scale-up by max(100%, 4 pods) per 15 s', () => {
    const hpa = controller();
    expect(hpa.sync(0, 2, [20])).toBe(6); // max(2 x 2 = 4, 2 + 4 = 6)
    expect(hpa.sync(15, 6, [20])).toBe(12); // the event at 0 is out of the 15 s period: max(12, 10)
    expect(hpa.sync(20, 12, [20])).toBe(12); // 5 s later: the period started at 6 -> max(12, 10) = 12
  });

  test('selectPolicy Min takes the smallest change; Disabled never scales that way', () => {
    expect(controller({ scaleUp: { selectPolicy: 'Min' } }).sync(0, 2, [20])).toBe(4);
    expect(controller({ scaleUp: { selectPolicy: 'Disabled' } }).sync(0, 2, [20])).toBe(2);
    expect(controller({ scaleDown: { selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 } }).sync(0, 5, [1])).toBe(5);
  });

  test('a Pods policy limits the change per period, counted from the period start', () => {
    const hpa = controller({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] } });
    expect(hpa.sync(0, 5, [1])).toBe(4);
    expect(hpa.sync(15, 4, [1])).toBe(4); // one pod already removed within 180 s
    expect(hpa.sync(179, 4, [1])).toBe(4);
    expect(hpa.sync(180, 4, [1])).toBe(3); // the event at 0 is not after the cutoff (180 - 180): the period has passed
  });

  test('a Percent policy rounds up when scaling up and down when scaling down', () => {
    const down = controller({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } });
    expect(down.sync(0, 10, [1])).toBe(9); // trunc(10 x 0.9)
    const up = controller({ scaleUp: { policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } });
    expect(up.sync(0, 3, [10])).toBe(4); // ceil(3 x 1.1) = 4
  });

  test('scale-down stabilisation keeps the highest recommendation of the window', () => {
    const hpa = controller();
    expect(hpa.sync(0, 5, [5])).toBe(5);
    expect(hpa.sync(100, 5, [2])).toBe(5); // the 5 at t=0 is in the 300 s window
    expect(hpa.sync(200, 5, [3])).toBe(5);
    expect(hpa.sync(301, 5, [2])).toBe(3); // window (1, 301]: 2 and 3 -> 3
  });

  test('scale-up stabilisation keeps the lowest recommendation of the window', () => {
    const hpa = controller({ scaleUp: { stabilizationWindowSeconds: 60 } });
    expect(hpa.sync(0, 2, [2])).toBe(2);
    expect(hpa.sync(15, 2, [6])).toBe(2); // min(2, 6) = 2
    expect(hpa.sync(30, 2, [8])).toBe(2);
    expect(hpa.sync(61, 2, [8])).toBe(6); // window (1, 61]: 6, 8, 8 -> 6
  });

  test('min and max clamp the result', () => {
    expect(controller({}, 1, 8).sync(0, 10, [10])).toBe(8);
    expect(controller({}, 3, 8).sync(0, 2, [1])).toBe(3);
    expect(controller({}, 1, 8).sync(0, 4, [100])).toBe(8);
    expect(controller({ scaleDown: { stabilizationWindowSeconds: 0 } }, 2, 8).sync(0, 4, [0])).toBe(2);
  });

  test('with several metrics the largest proposal wins; unreadable metrics block scale-down only', () => {
    expect(controller().sync(0, 4, [2, 6, 3])).toBe(6);
    expect(controller().sync(0, 4, [undefined])).toBe(4);
    expect(controller({ scaleDown: { stabilizationWindowSeconds: 0 } }).sync(0, 4, [undefined, 2])).toBe(4);
    expect(controller().sync(0, 4, [undefined, 6])).toBe(6);
  });

  test('at zero replicas the HPA does nothing (KEDA owns 0 <-> 1)', () => {
    expect(controller().sync(0, 0, [10])).toBe(0);
  });

  test('a warm start counts as a recommendation of the scale-down window', () => {
    const hpa = controller();
    hpa.warmStart(0, 6);
    expect(hpa.sync(7.5, 6, [1])).toBe(6);
  });

  test('bad behavior names the field', () => {
    expect(() => resolveBehavior({ scaleUp: { selectPolicy: 'Fastest' } }, "HPA 'x'")).toThrow("HPA 'x' behavior.scaleUp.selectPolicy ('Fastest') must be Max, Min or Disabled");
    expect(() => resolveBehavior({ scaleDown: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 60 }] } }, "HPA 'x'"))
      .toThrow("HPA 'x' behavior.scaleDown.policies[0].type ('Nodes') must be Pods or Percent");
  });
});

describe('HpaController without behavior (legacy path, normalizeDesiredReplicas)', () => {
  const legacy = (minReplicas = 1, maxReplicas = 20, downscaleStabilizationSeconds?: number): HpaController =>
    new HpaController({ minReplicas, maxReplicas, behavior: resolveBehavior(undefined, 'test'), downscaleStabilizationSeconds });

  test('no behavior means no defaults: resolveBehavior leaves it undefined, an empty behavior gets the defaults', () => {
    expect(resolveBehavior(undefined, 'test')).toBeUndefined();
    expect(resolveBehavior({}, 'test')?.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  test('scale-up limit per sync: max(2 x current, 4), then maxReplicas', () => {
    // From 1: max(2, 4) = 4, so 10 wanted gives 4; from 4: max(8, 4) = 8; from 8: 16, capped by maxReplicas 12.
    const hpa = legacy(1, 12);
    expect(hpa.sync(15, 1, [10])).toBe(4);
    expect(hpa.sync(30, 4, [10])).toBe(8);
    expect(hpa.sync(45, 8, [30])).toBe(12);
  });

  test('scale-up is not stabilised: the new count applies at once, with no per-period pod budget', () => {
    // With default behavior the 15 s period has already spent its budget; the legacy path only looks at current.
    const hpa = legacy();
    expect(hpa.sync(15, 2, [4])).toBe(4);
    expect(hpa.sync(16, 4, [8])).toBe(8); // max(2 x 4, 4) = 8, one second later
  });

  test('scale-down takes the highest recommendation of the last 300 s, then drops without a rate limit', () => {
    const hpa = legacy();
    hpa.warmStart(0, 10); // the initial recommendation: the current count (recordInitialRecommendation)
    expect(hpa.sync(15, 10, [2])).toBe(10); // max(10 @0, 2) = 10
    expect(hpa.sync(300, 10, [2])).toBe(10); // 10 @0 is not before the cutoff 300 - 300 = 0
    // At 301 the cutoff is 1: 10 @0 is old and is overwritten; the window holds 2 @15, 2 @300, 2 @301 -> 2.
    expect(hpa.sync(301, 10, [2])).toBe(2); // 10 -> 2 in one sync: no scale-down policy on this path
  });

  test('the recommendation kept is the one before normalisation, and only one old sample is replaced per sync', () => {
    const hpa = legacy(1, 20, 60);
    expect(hpa.sync(0, 1, [9])).toBe(4); // 9 is recorded, 4 applied (scale-up limit)
    // At 30 the window (60 s) still holds 9: the recommendation is max(9, 3) = 9, capped at max(8, 4) = 8.
    expect(hpa.sync(30, 4, [3])).toBe(8);
    // At 61 the cutoff is 1: 9 @0 is old and replaced by 3 @61; 3 @30 remains -> 3.
    expect(hpa.sync(61, 8, [3])).toBe(3);
  });

  test('the floor clamps the recommendation', () => {
    expect(legacy(3, 20, 0).sync(15, 5, [1])).toBe(3);
  });
});
