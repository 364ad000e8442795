import { PodSample, ScrapeHistory } from '../control/promql-eval';
import { SeriesLabels } from '../control/queries';

/** The scrapes of a replay, as Prometheus holds them: the latest sample of each series within the 5-minute lookback. */
export class ScrapeRecorder implements ScrapeHistory {
  private static readonly LOOKBACK_SECONDS = 300;
  private readonly times: number[] = [];
  private readonly samples: PodSample[][] = [];

  public constructor(public readonly labels: SeriesLabels) {}

  public record(time: number, samples: PodSample[]): void {
    this.times.push(time);
    this.samples.push(samples);
  }

  public at(time: number): PodSample[] {
    let low = 0;
    let high = this.times.length - 1;
    if (high < 0 || this.times[0] > time) return [];
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.times[mid] <= time) low = mid;
      else high = mid - 1;
    }
    return time - this.times[low] <= ScrapeRecorder.LOOKBACK_SECONDS ? this.samples[low] : [];
  }
}
