// Written by `npx projen sweep` (build-tools/sweep.ts) from the replay sweep over the training part of the scenario suite;
// see docs/sweep.md. Edit by re-running the sweep, not by hand.

/** The QueueAutoscaler defaults the sweep chose. */
export const SWEPT_DEFAULTS = {
  targetQueuePerReplica: 50,
  capacityEnabled: false,
  capacityUtilization: 0.25,
  demandEnabled: true,
  demandUtilization: 0.4,
  demandHoldColdStarts: 1,
  demandBacklogDrainSeconds: 60,
  scaleDownStabilizationSeconds: 120,
  scaleDownPeriodSeconds: 60,
  scaleUpPods: 6,
  predictiveEnabled: false,
  predictiveWindowScrapes: 10,
} as const;
