import { PodSample, ScrapeHistory } from '../control/promql-eval';
import { SeriesLabels } from '../control/queries';

/**
 * The scrapes of a replay, as Prometheus holds them: the latest sample of each series within the 5-minute lookback,
 * and the samples of a range. Scrapes are recorded in time order and never change; both reads find their place by
 * binary search over the scrape times, so a query reads only the scrapes it covers.
 */
export class ScrapeRecorder implements ScrapeHistory {
  private static readonly LOOKBACK_SECONDS = 300;
  private readonly times: number[] = [];
  private readonly samples: PodSample[][] = [];

  public constructor(public readonly labels: SeriesLabels) {}

  public record(time: number, samples: PodSample[]): void {
    const last = this.times.length > 0 ? this.times[this.times.length - 1] : -Infinity;
    if (!(time > last)) throw new Error(`ScrapeRecorder: scrape at ${time} s is not after the last one (${last} s)`);
    this.times.push(time);
    this.samples.push(samples);
  }

  public at(time: number): PodSample[] {
    const index = this.firstAfter(time) - 1;
    return index >= 0 && time - this.times[index] <= ScrapeRecorder.LOOKBACK_SECONDS ? this.samples[index] : [];
  }

  /** The latest scrape's time: scrapes are recorded in time order, so none at or before it is still to come. */
  public completeUntil(): number {
    return this.times.length > 0 ? this.times[this.times.length - 1] : -Infinity;
  }

  public forEachScrape(from: number, to: number, visit: (time: number, samples: PodSample[]) => void): void {
    const times = this.times;
    for (let i = this.firstAfter(from); i < times.length && times[i] <= to; i++) visit(times[i], this.samples[i]);
  }

  /** The index of the first scrape later than `time` (the count of scrapes when there is none). */
  private firstAfter(time: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (this.times[mid] <= time) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
