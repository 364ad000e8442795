import { MinHeap } from './collections';
import { ServerSpec } from './manifests';
import { METRIC } from '../../promql';
import { Autoscaler, ClusterView, PodView, ScrapedPod } from '../control/autoscaler';
import { PodSample, ScrapeHistory } from '../control/promql-eval';
import { SeriesLabels } from '../control/queries';
import { ASSUMPTIONS } from '../engine/assumptions';
import { EngineReplica } from '../engine/engine';
import { RequestBook, RequestStatus } from '../engine/request-book';
import { TimelinePoint } from '../evidence/results';
import { SeededRandom } from '../traffic/random';
import { Trace } from '../traffic/trace';

export interface ReplayOptions {
  readonly server: ServerSpec;
  readonly autoscaler: Autoscaler;
  readonly trace: Trace;
  /** Wall-clock time of the trace's start (cron windows), seconds since the epoch. */
  readonly startEpochSeconds: number;
  /** Warm replicas at time 0 (at least the autoscaler's floor, at most its ceiling). */
  readonly initialReplicas?: number;
  /**
   * Requests that arrive before this time, and the pods' time before it, are a warm-up: replayed, not measured
   * (GPU-hours, scale events, replica peak and the timeline start here). Default 0.
   */
  readonly measureFromSeconds?: number;
  /**
   * How the Service picks a ready pod: round-robin (kube-proxy in IPVS mode, the even case) or uniformly at
   * random (kube-proxy in iptables mode, `statistic --mode random`), seeded. Default round-robin.
   */
  readonly routing?: Routing;
  /** Seed of random routing. Default 1. */
  readonly routingSeed?: number;
  readonly onProgress?: (fraction: number) => void;
}

/** How the Service spreads requests over ready pods. */
export type Routing = 'round-robin' | 'random';

export interface ReplayOutcome {
  readonly book: RequestBook;
  readonly horizonSeconds: number;
  /** Pod-seconds from creation to termination, within the horizon. */
  readonly podSeconds: number;
  readonly scaleUps: number;
  readonly scaleDowns: number;
  readonly maxReplicas: number;
  readonly preemptions: number;
  /** Requests cut off by a shutdown or rejected. */
  readonly failed: number;
  readonly timeline: TimelinePoint[];
}

const READY = 0;
const DRAIN_DEADLINE = 1;

class Pod {
  public ready = false;
  public terminating = false;
  public deletedAt = NaN;
  public ended = NaN;
  public engine?: EngineReplica;
  public sample?: ScrapedPod;
  public busyAtLastScrape = 0;
  public readyAt: number;

  public constructor(public readonly index: number, public readonly created: number, coldStart: number) {
    this.readyAt = created + coldStart;
  }
}

/**
 * Replays a trace through a cluster: pods (cold start, ready, graceful drain), a Service that spreads
 * requests round-robin over ready pods (kube-proxy in IPVS mode; iptables mode is random), Prometheus
 * scrapes, and the autoscaler's loops. Deterministic: the same inputs give the same outcome.
 */
export class Replay {
  private readonly pods: Pod[] = [];
  private readonly readyPods: Pod[] = [];
  private readonly atService: number[] = [];
  private readonly timers = new MinHeap();
  private readonly timerKinds: number[] = [];
  private readonly timerPods: number[] = [];
  private readonly book: RequestBook;
  private readonly labels: SeriesLabels;
  private scrape: ScrapedPod[] = [];
  private readonly history: ScrapeRecorder;
  private roundRobin = 0;
  private resolved = 0;
  private scaleUps = 0;
  private scaleDowns = 0;
  private maxReplicas = 0;
  private failed = 0;
  private readonly timeline: TimelinePoint[] = [];
  private readonly horizon: number;
  private readonly measureFrom: number;
  private readonly random?: SeededRandom;

  public constructor(private readonly options: ReplayOptions) {
    const server = options.server;
    this.book = new RequestBook(options.trace, server.maxModelLen);
    this.horizon = options.trace.durationSeconds;
    this.measureFrom = options.measureFromSeconds ?? 0;
    if (options.routing === 'random') this.random = new SeededRandom(options.routingSeed ?? 1);
    this.labels = { namespace: server.namespace, service: server.serviceName, model_name: server.servedModelName, engine: '0' };
    this.history = new ScrapeRecorder(this.labels);
  }

  public run(): ReplayOutcome {
    const { server, autoscaler, trace } = this.options;
    const book = this.book;
    const n = book.count;
    const horizon = trace.durationSeconds;
    const endLimit = horizon + ASSUMPTIONS.drainHorizonSeconds;
    const scrapeEvery = server.scrapeIntervalSeconds;
    const pollEvery = autoscaler.pollingIntervalSeconds;
    const phase = ASSUMPTIONS.controllerPhaseSeconds;
    // The first scrape is one interval in: the state before the trace is not modelled.
    let nextScrape = scrapeEvery;
    let nextPoll = pollEvery === undefined ? Infinity : phase;
    let nextSync = phase;

    const initial = autoscaler.pinned ? autoscaler.initialReplicas
      : Math.min(autoscaler.maxReplicas, Math.max(autoscaler.initialReplicas, this.options.initialReplicas ?? 0));
    for (let i = 0; i < initial; i++) {
      const pod = this.createPod(0, 0);
      this.becomeReady(pod, 0);
    }
    if (this.measureFrom <= 0) this.maxReplicas = initial;
    autoscaler.warmStart(initial);

    let next = 0;
    const progressEvery = Math.max(1, Math.floor(n / 100));
    for (;;) {
      const arrival = next < n ? book.arrival[next] : Infinity;
      const timer = this.timers.length > 0 ? this.timers.peekKey() : Infinity;
      const tick = Math.min(nextScrape, nextPoll, nextSync);
      const t = Math.min(arrival, timer, tick);
      if (t > endLimit || (next >= n && this.resolved >= n)) break;
      if (arrival === t) {
        this.arrive(next, t);
        next++;
        if (next % progressEvery === 0) this.options.onProgress?.(next / n);
      } else if (timer === t) {
        this.fireTimer(t);
      } else if (nextScrape === t) {
        this.scrapeAll(t);
        nextScrape += scrapeEvery;
      } else if (nextPoll === t) {
        this.apply(autoscaler.poll(this.view(t)), t);
        nextPoll += pollEvery!;
      } else {
        this.apply(autoscaler.hpaSync(this.view(t)), t);
        nextSync += ASSUMPTIONS.hpaSyncPeriodSeconds;
      }
    }
    this.finishAll(endLimit);
    let podSeconds = 0;
    for (const pod of this.pods) {
      const end = Number.isNaN(pod.ended) ? horizon : Math.min(pod.ended, horizon);
      podSeconds += Math.max(0, end - Math.max(pod.created, this.measureFrom));
    }
    const preemptions = this.pods.reduce((sum, p) => sum + (p.engine?.preemptions ?? 0), 0);
    return {
      book,
      horizonSeconds: horizon,
      podSeconds,
      scaleUps: this.scaleUps,
      scaleDowns: this.scaleDowns,
      maxReplicas: this.maxReplicas,
      preemptions,
      failed: this.failed,
      timeline: this.timeline,
    };
  }

  private arrive(id: number, t: number): void {
    if (this.readyPods.length === 0) {
      this.book.status[id] = RequestStatus.AT_SERVICE;
      this.atService.push(id);
      if (this.activeCount() === 0) this.apply(this.options.autoscaler.push(this.view(t)), t);
      return;
    }
    const pod = this.pickPod();
    pod.engine!.advance(t);
    pod.engine!.enqueue(id, t);
  }

  private pickPod(): Pod {
    const count = this.readyPods.length;
    return this.readyPods[this.random ? Math.floor(this.random.next() * count) : this.roundRobin++ % count];
  }

  private measured(t: number): boolean {
    return t >= this.measureFrom && t <= this.horizon;
  }

  private fireTimer(t: number): void {
    const slot = this.timers.pop();
    const pod = this.pods[this.timerPods[slot]];
    if (this.timerKinds[slot] === READY) {
      if (!pod.terminating) this.becomeReady(pod, t);
    } else if (Number.isNaN(pod.ended)) {
      // The shutdown timeout ran out: what is still in flight is lost.
      pod.engine!.advance(t);
      const lost = pod.engine!.abortAll(t);
      this.failed += lost;
      this.resolved += lost;
      pod.ended = t;
    }
  }

  private schedule(t: number, kind: number, pod: Pod): void {
    this.timerKinds.push(kind);
    this.timerPods.push(pod.index);
    this.timers.push(t, this.timerKinds.length - 1);
  }

  private createPod(t: number, coldStart: number): Pod {
    const pod = new Pod(this.pods.length, t, coldStart);
    this.pods.push(pod);
    return pod;
  }

  private becomeReady(pod: Pod, t: number): void {
    pod.ready = true;
    pod.engine = new EngineReplica(this.options.server.engine, this.book, t, {
      onFinish: (id) => {
        this.resolved++;
        if (this.book.status[id] === RequestStatus.FAILED) this.failed++;
      },
    });
    this.readyPods.push(pod);
    // Requests held at the Service go out as soon as an endpoint exists.
    const held = this.atService.splice(0);
    for (const id of held) {
      const target = this.pickPod();
      target.engine!.advance(t);
      target.engine!.enqueue(id, t);
    }
  }

  private activeCount(): number {
    let count = 0;
    for (const pod of this.pods) if (!pod.terminating) count++;
    return count;
  }

  private apply(replicas: number | undefined, t: number): void {
    if (replicas === undefined) return;
    const active = this.pods.filter((p) => !p.terminating);
    if (replicas > active.length) {
      for (let i = active.length; i < replicas; i++) {
        const pod = this.createPod(t, this.options.server.coldStartSeconds);
        this.schedule(pod.readyAt, READY, pod);
      }
      if (this.measured(t)) this.scaleUps++;
    } else if (replicas < active.length) {
      // ReplicaSet deletion order: pods not ready first, then those ready the shortest time; newest first.
      const victims = active.sort((a, b) => Number(a.ready) - Number(b.ready) || b.readyAt - a.readyAt || b.created - a.created)
        .slice(0, active.length - replicas);
      for (const pod of victims) this.terminate(pod, t);
      if (this.measured(t)) this.scaleDowns++;
    }
    // Scale events and the replica peak are counted inside the trace's horizon, like GPU-hours.
    if (this.measured(t)) this.maxReplicas = Math.max(this.maxReplicas, replicas);
  }

  private terminate(pod: Pod, t: number): void {
    const server = this.options.server;
    pod.terminating = true;
    pod.deletedAt = t;
    if (!pod.ready) {
      pod.ended = t;
      return;
    }
    const index = this.readyPods.indexOf(pod);
    if (index >= 0) this.readyPods.splice(index, 1);
    pod.ready = false;
    pod.sample = undefined;
    const deadline = t + Math.min(server.preStopSeconds + server.shutdownTimeoutSeconds, server.terminationGraceSeconds);
    this.schedule(deadline, DRAIN_DEADLINE, pod);
    this.checkDrained(pod, t);
  }

  /** A draining pod ends once its last request is done and the preStop pause is over. */
  private checkDrained(pod: Pod, t: number): void {
    const engine = pod.engine!;
    engine.advance(t);
    if (engine.inFlight === 0) pod.ended = Math.max(pod.deletedAt + this.options.server.preStopSeconds, engine.lastStepEnd);
  }

  private scrapeAll(t: number): void {
    const interval = this.options.server.scrapeIntervalSeconds;
    const scrape: ScrapedPod[] = [];
    const samples: PodSample[] = [];
    let queued = this.atService.length;
    let running = 0;
    let replicas = 0;
    let maxKv = 0;
    for (const pod of this.pods) {
      if (!pod.terminating) replicas++;
      if (pod.terminating && Number.isNaN(pod.ended)) this.checkDrained(pod, t);
      if (!pod.ready || pod.terminating) continue;
      const engine = pod.engine!;
      engine.advance(t);
      const busy = Math.min(1, Math.max(0, (engine.busySeconds - pod.busyAtLastScrape) / interval));
      pod.busyAtLastScrape = engine.busySeconds;
      const stats = engine.statsAt(t);
      pod.sample = {
        [METRIC.waiting]: stats.waiting,
        [METRIC.running]: stats.running,
        [METRIC.kvCacheUsage]: stats.kvUsage,
        gpuUtilPercent: busy * 100,
        cpuUtilization: ASSUMPTIONS.cpuUtilizationIdle + ASSUMPTIONS.cpuUtilizationAtFullLoad * busy,
      };
      scrape.push(pod.sample);
      samples.push({ pod: pod.index, gauges: pod.sample });
      queued += stats.waiting;
      maxKv = Math.max(maxKv, stats.kvUsage);
      running += stats.running;
    }
    this.scrape = scrape;
    this.history.record(t, samples);
    if (this.measured(t)) {
      // The replicas already running when measurement starts count toward the peak.
      this.maxReplicas = Math.max(this.maxReplicas, replicas);
      this.timeline.push({ time: t - this.measureFrom, replicas, readyReplicas: this.readyPods.length, queued, running, maxKvCacheUsage: maxKv });
    }
  }

  private view(t: number): ClusterView {
    const pods: PodView[] = [];
    for (const pod of this.pods) if (!pod.terminating) pods.push({ ready: pod.ready, sample: pod.sample });
    return {
      now: t,
      epoch: this.options.startEpochSeconds + t,
      replicas: pods.length,
      pods,
      readyPods: this.readyPods.length,
      scrape: this.scrape,
      labels: this.labels,
      pendingAtService: this.atService.length,
      history: this.history,
    };
  }

  private finishAll(limit: number): void {
    for (const pod of this.pods) {
      if (!pod.engine) continue;
      pod.engine.advance(limit);
      if (pod.terminating && Number.isNaN(pod.ended)) pod.ended = Math.max(pod.deletedAt, pod.engine.lastStepEnd);
      this.failed += pod.engine.abortAll(limit);
    }
    for (const id of this.atService.splice(0)) {
      this.book.fail(id, limit);
      this.failed++;
    }
  }
}

/** The scrapes of a replay, as Prometheus holds them: the latest sample of each series within the 5-minute lookback. */
class ScrapeRecorder implements ScrapeHistory {
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
