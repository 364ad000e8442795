import { Chart, Duration, Testing } from 'cdk8s';
import { Gpu, Model, VllmService, VllmServiceProps } from '../../src';
import { EngineConfig } from '../../src/simulation/engine/engine';
import { SimulationResult } from '../../src/simulation/evidence/results';

/** Llama 3.1 8B (architecture known to the library). */
export function smallModel(): Model {
  return Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 });
}

/** Options of the test server. */
export interface TestServerOptions {
  readonly server?: Partial<VllmServiceProps>;
  /** Patches applied to the ScaledObject fixture's spec. */
  readonly scaledObject?: (spec: any) => void;
  /** Replace the ScaledObject by this autoscaler object (its scaleTargetRef is filled in). */
  readonly autoscaler?: any;
}

/**
 * Llama 3.1 8B on one H100 (no cache: downloads from the hub) with the ScaledObject fixture of the
 * library's default policy: waiting per replica 5, +2 pods per 60 s, -1 pod per 180 s after 300 s.
 */
export function testManifests(options: TestServerOptions = {}): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'inference' });
  const server = new VllmService(chart, 'server', {
    model: smallModel(), gpu: Gpu.H100, gpuCount: 1, scrapeInterval: Duration.seconds(15), ...options.server,
  });
  server.markHasAutoscaler();
  const manifests: any[] = Testing.synth(chart);
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: server.deployment.name };
  if (options.autoscaler) {
    return [...manifests, { ...options.autoscaler, spec: { ...options.autoscaler.spec, scaleTargetRef: target } }];
  }
  const spec: any = {
    scaleTargetRef: target,
    pollingInterval: 15,
    cooldownPeriod: 300,
    initialCooldownPeriod: 400,
    minReplicaCount: 1,
    maxReplicaCount: 8,
    fallback: { failureThreshold: 3, replicas: 1, behavior: 'currentReplicasIfHigher' },
    advanced: {
      horizontalPodAutoscalerConfig: {
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
          scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 180 }] },
        },
      },
    },
    triggers: [{
      type: 'prometheus',
      name: 'queue',
      metricType: 'AverageValue',
      metadata: {
        serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
        query: `sum(vllm:num_requests_waiting{namespace="inference",service="${server.serviceName}",model_name="${server.model.servedModelName}"})`,
        threshold: '5',
        activationThreshold: '0',
        ignoreNullValues: 'false',
      },
    }],
  };
  options.scaledObject?.(spec);
  return [...manifests, { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'test-autoscaler', namespace: 'inference' }, spec }];
}

/** An engine whose every step takes exactly `stepSeconds` (no KV or compute term): step counts are times. */
export function flatEngine(overrides: Partial<EngineConfig> = {}, stepSeconds = 0.01): EngineConfig {
  return {
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    kvCapacityTokens: 1_000_000,
    maxModelLen: 100_000,
    weightSecondsPerStep: stepSeconds,
    kvSecondsPerToken: 0,
    computeSecondsPerToken: 0,
    parallelFactor: 1,
    stepOverheadSeconds: 0,
    ...overrides,
  };
}

/** A result with round figures, for report and chart tests. */
export function fakeResult(name: string, overrides: Partial<SimulationResult> = {}): SimulationResult {
  return {
    name,
    requests: 1000,
    ttftP50: 0.1234567,
    ttftP95: 1.5,
    ttftP99: 150,
    sloAttainment: 0.987654321,
    gpuHours: 13,
    billedGpuHours: 13,
    pendingSeconds: 0,
    optimisticGpuHours: 10,
    start: 'warm',
    secondsAtCeiling: 0,
    paused: false,
    scaleUps: 3,
    scaleDowns: 2,
    maxReplicas: 5,
    preemptions: 7,
    failed: 1,
    gpusPerReplica: 4,
    peakKvCacheUsage: 0.3,
    timeline: [
      { time: 15, replicas: 2, readyReplicas: 1, queued: 10, running: 30, maxKvCacheUsage: 0.2 },
      { time: 30, replicas: 3, readyReplicas: 3, queued: 0, running: 40, maxKvCacheUsage: 0.3 },
    ],
    ttftP95ByMinute: [0.5, -1, 3],
    ...overrides,
  };
}
