// Written by `npx projen sweep` (build-tools/sweep.ts) from the replay sweep over the scenario suite; see
// docs/benchmarks.md ("How the default was chosen"). Edit by re-running the sweep, not by hand.

/** The QueueAutoscaler defaults the sweep chose. */
export const SWEPT_DEFAULTS = {
  targetQueuePerReplica: 5,
  capacityEnabled: true,
  capacityUtilization: 0.25,
  predictiveEnabled: false,
  predictiveWindowScrapes: 10,
  scaleDownStabilizationSeconds: 120,
  scaleDownPeriodSeconds: 60,
  demandEnabled: false,
  demandUtilization: 0.6,
  demandHoldColdStarts: 1,
  demandBacklogDrainSeconds: 60,
} as const;
