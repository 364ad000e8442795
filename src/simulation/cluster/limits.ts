/**
 * What one replay models at most, whatever the manifests say: the work of a replay grows with the replicas it
 * runs and the scrapes it takes, not only with the size of the files it reads. Past these, a manifest is refused
 * before the replay starts.
 */
export const REPLAY_LIMITS = {
  /** Replicas of the server (a ScaledObject's, an HPA's or a Deployment's counts). */
  maxReplicas: 1000,
  /** The shortest ServiceMonitor scrape interval, seconds. */
  minScrapeIntervalSeconds: 1,
  /** The longest duration read from a manifest (cold start, grace periods, intervals), seconds: 7 days, a replay's longest span. */
  maxSeconds: 7 * 86_400,
} as const;

/** A replica count read from a manifest: a whole number from `min` to the replay's maximum. */
export function replicaCount(raw: unknown, what: string, min: number): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!(Number.isInteger(value) && value >= min && value <= REPLAY_LIMITS.maxReplicas)) {
    throw new Error(`${what} (${String(raw)}) must be a whole number from ${min} to ${REPLAY_LIMITS.maxReplicas}, the most replicas one replay models`);
  }
  return value;
}
