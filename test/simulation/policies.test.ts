import { testManifests } from './helpers';
import { KedaAutoscaler } from '../../src/simulation/keda';
import { POLICY_NAMES, withPolicy } from '../../src/simulation/policies';

describe('policies', () => {
  const manifests = testManifests();

  test('every baseline is an object the controller model accepts, targeting the Deployment', () => {
    const deployment = manifests.find((m) => m.kind === 'Deployment').metadata.name;
    for (const name of POLICY_NAMES) {
      const autoscalers = withPolicy(manifests, name).filter((m) => m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler');
      expect(autoscalers).toHaveLength(1);
      expect(autoscalers[0].spec.scaleTargetRef.name).toBe(deployment);
    }
  });

  test('default is the synthesized ScaledObject itself, not a copy of the policy', () => {
    const own = manifests.find((m) => m.kind === 'ScaledObject');
    expect(withPolicy(manifests, 'default').find((m) => m.kind === 'ScaledObject')).toBe(own);
  });

  test('the baselines are configured as the compared write-ups and charts describe them', () => {
    const get = (name: string): any => withPolicy(manifests, name).find((m) => m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler');
    expect(get('cpu-hpa').spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 80 });
    expect(get('gpu-util-hpa').spec.metrics[0].pods).toEqual({ metric: { name: 'DCGM_FI_DEV_GPU_UTIL' }, target: { type: 'AverageValue', averageValue: '80' } });
    expect(get('hpa-waiting5').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 8,
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 2, periodSeconds: 120 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
      },
    });
    expect(get('hpa-running5').spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] });
    const queueKv = get('keda-queue10-kv');
    expect(queueKv.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 8, cooldownPeriod: 300 });
    expect(queueKv.spec.triggers.map((t: any) => [t.metadata.query.split('(')[0], t.metadata.threshold])).toEqual([['sum', '10'], ['avg', '0.8']]);
    const stack = get('production-stack');
    expect(stack.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 5, cooldownPeriod: 360 });
    expect(stack.spec.triggers[0].metadata).toMatchObject({ query: 'sum(vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-8B-Instruct"})', threshold: '5' });
    expect(() => new KedaAutoscaler(stack)).not.toThrow();
  });

  test('an unknown policy is refused with the list', () => {
    expect(() => withPolicy(manifests, 'magic')).toThrow(`unknown policy 'magic': choose one of ${POLICY_NAMES.join(', ')}`);
  });
});
