import { Check } from '../errors';

/**
 * A populate Job's deadline (`activeDeadlineSeconds`) that leaves time for the download: Kubernetes kills the Job
 * at the deadline whatever its progress, and the servers then wait for weights that never come.
 */
export function checkDownloadDeadline(check: Check, deadlineSeconds: number, estimatedDownloadSeconds: number): void {
  const estimate = Math.ceil(estimatedDownloadSeconds);
  check.that(deadlineSeconds >= estimate, 'downloadDeadline', `${deadlineSeconds}s`,
    `is shorter than the estimated download of the weights (${estimate}s at 100 MB/s from the hub): the Job would be killed before it finishes; allow at least ${estimate}s`);
}
