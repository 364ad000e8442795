import { expectValidManifests, validateManifests } from './validate';

const labels = { app: 'vllm' };

function deployment(spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'vllm', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{
            name: 'vllm',
            image: 'vllm/vllm-openai:v0.6.0',
            ports: [{ name: 'http', containerPort: 8000 }],
            resources: { limits: { 'nvidia.com/gpu': 1, 'memory': '32Gi' } },
          }],
        },
      },
      ...spec,
    },
  };
}

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'vllm', labels },
  spec: { selector: labels, ports: [{ name: 'http', port: 8000, targetPort: 'http' }] },
};

function scaledObject(spec: Record<string, unknown> = { scaleTargetRef: { name: 'vllm' } }) {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'vllm' },
    spec: {
      minReplicaCount: 1,
      maxReplicaCount: 4,
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'http://prometheus:9090', query: 'sum(vllm:num_requests_waiting)', threshold: '5' } }],
      ...spec,
    },
  };
}

const serviceMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'vllm' },
  spec: { selector: { matchLabels: labels }, endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }] },
};

function prometheusRule(rule: Record<string, unknown> = { alert: 'VllmPreempting', expr: 'rate(vllm:num_preemptions_total[5m]) > 0', for: '5m' }) {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'vllm' },
    spec: { groups: [{ name: 'vllm', rules: [rule] }] },
  };
}

function httpScaledObject(spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'http.keda.sh/v1alpha1',
    kind: 'HTTPScaledObject',
    metadata: { name: 'vllm' },
    spec: {
      hosts: ['vllm.example.com'],
      replicas: { min: 0, max: 4 },
      scaleTargetRef: { name: 'vllm', kind: 'Deployment', apiVersion: 'apps/v1', service: 'vllm', port: 8000 },
      ...spec,
    },
  };
}

function interceptorRoute(spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'http.keda.sh/v1beta1',
    kind: 'InterceptorRoute',
    metadata: { name: 'vllm' },
    spec: {
      target: { service: 'vllm', port: 8000 },
      rules: [{ hosts: ['vllm.example.com'] }],
      scalingMetric: { concurrency: { targetValue: 256 } },
      ...spec,
    },
  };
}

const validSet = () => [deployment(), service, scaledObject(), serviceMonitor, prometheusRule(), httpScaledObject(), interceptorRoute()];

test('a valid set passes, each object checked by the expected schema source', () => {
  expect(() => expectValidManifests(validSet())).not.toThrow();
  expect(validateManifests(validSet()).map((r) => [r.kind, r.source])).toEqual([
    ['Deployment', 'kubernetes-models'],
    ['Service', 'kubernetes-models'],
    ['ScaledObject', '@kubernetes-models/keda+crd:keda.sh_scaledobjects.yaml'],
    ['ServiceMonitor', '@kubernetes-models/prometheus-operator+crd:monitoring.coreos.com_servicemonitors.yaml'],
    ['PrometheusRule', '@kubernetes-models/prometheus-operator+crd:monitoring.coreos.com_prometheusrules.yaml'],
    ['HTTPScaledObject', 'crd:http.keda.sh_httpscaledobjects.yaml'],
    ['InterceptorRoute', 'crd:http.keda.sh_interceptorroutes.yaml'],
  ]);
});

test.each([
  ['Deployment with string replicas', deployment({ replicas: 'two' }), 'Deployment/vllm: spec.replicas must be integer'],
  ['ScaledObject without scaleTargetRef', scaledObject({}), 'ScaledObject/vllm: spec is missing required field "scaleTargetRef"'],
  ['PrometheusRule rule without expr', prometheusRule({ alert: 'NoExpr' }), 'PrometheusRule/vllm: spec.groups[0].rules[0] is missing required field "expr"'],
  ['HTTPScaledObject with string replicas.min', httpScaledObject({ replicas: { min: 'one' } }), 'HTTPScaledObject/vllm: spec.replicas.min must be integer'],
  ['HTTPScaledObject with unknown field', httpScaledObject({ minReplicas: 1 }), 'HTTPScaledObject/vllm: spec has unknown field "minReplicas"'],
  ['HTTPScaledObject with port and portName', httpScaledObject({ scaleTargetRef: { service: 'vllm', port: 8000, portName: 'http' } }),
    "HTTPScaledObject/vllm: spec.scaleTargetRef must define either the 'portName' or the 'port'"],
  ['InterceptorRoute without a target', interceptorRoute({ target: undefined }), 'InterceptorRoute/vllm: spec is missing required field "target"'],
  ['unknown kind', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, 'Widget/w: (root) no schema for apiVersion=example.com/v1 kind=Widget'],
  ['known group, unknown kind', { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'd' } }, 'Deploymnet/d: (root) no schema for apiVersion=apps/v1 kind=Deploymnet'],
])('%s is rejected', (_label, bad, message) => {
  expect(() => expectValidManifests([...validSet(), bad])).toThrow(message);
  const results = validateManifests([...validSet(), bad]);
  expect(results.filter((r) => !r.valid).map((r) => r.index)).toEqual([7]);
});

test('every invalid object is listed in one error', () => {
  expect(() => expectValidManifests([deployment({ replicas: 'two' }), service, scaledObject({})])).toThrow(
    /2 schema violation\(s\):\n {2}Deployment\/vllm: spec\.replicas must be integer\n {2}ScaledObject\/vllm: spec is missing required field "scaleTargetRef"/,
  );
});

test('a batch of ~200 manifests validates in one quick call', () => {
  const batch = Array.from({ length: 29 }, validSet).flat();
  const start = Date.now();
  const results = validateManifests(batch);
  const elapsed = Date.now() - start;
  expect(results).toHaveLength(203);
  expect(results.every((r) => r.valid)).toBe(true);
  expect(elapsed).toBeLessThan(5000);
});

test('a custom resource with an unknown field is rejected by its upstream CRD', () => {
  // GIVEN a ServiceMonitor whose endpoint has a misspelt field (npm schemas accept unknown fields)
  const monitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'vllm' },
    spec: { selector: { matchLabels: { app: 'vllm' } }, endpoints: [{ port: 'http', intervall: '15s' }] },
  };
  // THEN the CRD check names the field
  expect(() => expectValidManifests([monitor])).toThrow('has unknown field "intervall"');
});
