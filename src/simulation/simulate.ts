import { ASSUMPTIONS, SECONDS_PER_HOUR } from './assumptions';
import { Autoscaler, HpaAutoscaler } from './autoscaler';
import { KedaAutoscaler } from './keda';
import { lowerBound } from './lower-bound';
import { Manifest, manifestsOfKind, readServer, ServerSpec } from './manifests';
import { Replay } from './replay';
import { RequestStatus } from './request-book';
import { SimulationResult } from './results';
import type { SimulationProps } from './simulation';

/** The replay behind `Simulation.run`, with a progress callback for the command line. */
export function simulate(props: SimulationProps, onProgress?: (fraction: number) => void): SimulationResult {
  const manifests: Manifest[] = props.manifests;
  if (!Array.isArray(manifests)) throw new Error('Simulation: manifests must be an array of objects');
  const slo = props.sloTtftSeconds ?? ASSUMPTIONS.defaultSloTtftSeconds;
  if (!(slo > 0)) throw new Error(`Simulation: sloTtftSeconds (${slo}) must be > 0`);
  const server = readServer(manifests, props.deploymentName);
  const { autoscaler, name } = findAutoscaler(manifests, server);
  const bound = props.lowerBoundGpuHours !== undefined && props.initialReplicas !== undefined
    ? undefined : lowerBound(server, props.trace, slo);
  const outcome = new Replay({
    server,
    autoscaler,
    trace: props.trace,
    onProgress,
    initialReplicas: props.initialReplicas ?? bound!.warmStartReplicas,
    startEpochSeconds: props.startEpochSeconds ?? props.trace.startEpochSeconds,
  }).run();
  const book = outcome.book;
  const ttfts: number[] = [];
  let met = 0;
  for (let i = 0; i < book.count; i++) {
    const ttft = book.firstToken[i] - book.arrival[i];
    if (Number.isNaN(ttft)) continue;
    ttfts.push(ttft);
    if (ttft <= slo && book.status[i] === RequestStatus.DONE) met++;
  }
  const sorted = Float64Array.from(ttfts).sort();
  return {
    name: props.name ?? name,
    requests: book.count,
    ttftP50: percentile(sorted, 0.5),
    ttftP95: percentile(sorted, 0.95),
    ttftP99: percentile(sorted, 0.99),
    sloAttainment: met / book.count,
    gpuHours: (outcome.podSeconds * server.gpuCount) / SECONDS_PER_HOUR,
    lowerBoundGpuHours: props.lowerBoundGpuHours ?? bound!.gpuHours,
    scaleUps: outcome.scaleUps,
    scaleDowns: outcome.scaleDowns,
    maxReplicas: outcome.maxReplicas,
    preemptions: outcome.preemptions,
    failed: outcome.failed,
    peakKvCacheUsage: outcome.timeline.reduce((peak, p) => Math.max(peak, p.maxKvCacheUsage), 0),
    gpusPerReplica: server.gpuCount,
    timeline: outcome.timeline,
    ttftP95ByMinute: ttftByMinute(book.arrival, book.firstToken, outcome.horizonSeconds),
  };
}

function findAutoscaler(manifests: Manifest[], server: ServerSpec): { autoscaler: Autoscaler; name: string } {
  const targets = (m: Manifest): boolean => m.spec?.scaleTargetRef?.name === server.deploymentName
    && (m.spec?.scaleTargetRef?.kind ?? 'Deployment') === 'Deployment';
  const scaledObjects = manifestsOfKind(manifests, 'ScaledObject').filter(targets);
  const hpas = manifestsOfKind(manifests, 'HorizontalPodAutoscaler').filter(targets);
  if (scaledObjects.length + hpas.length !== 1) {
    throw new Error(`Manifests: expected exactly one ScaledObject or HorizontalPodAutoscaler with scaleTargetRef '${server.deploymentName}', `
      + `found ${scaledObjects.length} ScaledObject(s) and ${hpas.length} HorizontalPodAutoscaler(s)`);
  }
  if (scaledObjects.length === 1) {
    const httpScaledObjects = manifests.filter((o) => o.kind === 'HTTPScaledObject');
    return { autoscaler: new KedaAutoscaler(scaledObjects[0], httpScaledObjects), name: scaledObjects[0].metadata?.name ?? 'scaledobject' };
  }
  return { autoscaler: new HpaAutoscaler(hpas[0]), name: hpas[0].metadata?.name ?? 'hpa' };
}

/** Nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function ttftByMinute(arrivals: Float64Array, firstTokens: Float64Array, horizon: number): number[] {
  const minutes = Math.max(1, Math.ceil(horizon / 60));
  const buckets: number[][] = Array.from({ length: minutes }, () => []);
  for (let i = 0; i < arrivals.length; i++) {
    const ttft = firstTokens[i] - arrivals[i];
    buckets[Math.min(minutes - 1, Math.floor(arrivals[i] / 60))].push(Number.isNaN(ttft) ? Infinity : ttft);
  }
  return buckets.map((b) => {
    if (b.length === 0) return -1;
    const p = percentile(Float64Array.from(b).sort(), 0.95);
    return Number.isFinite(p) ? p : -1;
  });
}
