import { MinHeap } from './collections';
import { ServerSpec } from './manifests';
import { NodeEvents, NodePool, NodePoolSpec, PodPriority } from './nodes';
import { PlaceholderPods, PlaceholderSpec } from './placeholders';
import { Router, Routing } from './routing';
import { ScrapeRecorder } from './scrape-recorder';
import { METRIC } from '../../promql';
import { Autoscaler, ClusterView, PodView, ScrapedPod } from '../control/autoscaler';
import { PodSample } from '../control/promql-eval';
import { SeriesLabels } from '../control/queries';
import { ASSUMPTIONS } from '../engine/assumptions';
import { EngineReplica } from '../engine/engine';
import { RequestBook, RequestStatus } from '../engine/request-book';
import { TimelinePoint } from '../evidence/results';
import { Trace } from '../traffic/trace';

export interface ReplayOptions {
  readonly server: ServerSpec;
  readonly autoscaler: Autoscaler;
  readonly trace: Trace;
  /** Wall-clock time of the trace's start (cron windows), seconds since the epoch. */
  readonly startEpochSeconds: number;
  /** Replicas at time 0 (at least the autoscaler's floor, at most its ceiling). */
  readonly initialReplicas?: number;
  /** Of the replicas at time 0, at most this many are warm; the others cold-start from time 0. Default: all warm. */
  readonly warmAtMost?: number;
  /**
   * Requests that arrive before this time, and the pods' time before it, are a warm-up: replayed, not measured
   * (GPU-hours, scale events, replica peak and the timeline start here). Default 0.
   */
  readonly measureFromSeconds?: number;
  /** How requests reach the ready pods (see RoutingSpec). Default round-robin. */
  readonly routing?: Routing;
  /** Seed of random routing and of the pods that connections open to. Default 1. */
  readonly routingSeed?: number;
  /** The GPU nodes the pods run on. Default: every pod finds a free GPU node at once. */
  readonly nodes?: NodePoolSpec;
  /** GpuHeadroom placeholders that hold server-sized GPU slots at a priority every server pod preempts. */
  readonly placeholders?: PlaceholderSpec;
  readonly onProgress?: (fraction: number) => void;
}

export type { Routing } from './routing';
export type { PlaceholderSpec } from './placeholders';


export interface ReplayOutcome {
  readonly book: RequestBook;
  readonly horizonSeconds: number;
  /** Server pod-seconds from placement on a node (creation, with nodes free) to termination, within the horizon. */
  readonly podSeconds: number;
  /** GPU-seconds the cluster bills within the horizon: the nodes' when autoscaled, else the server and placeholder pods'. */
  readonly billedGpuSeconds: number;
  /** Server pod-seconds spent Pending (waiting for a node) within the horizon. */
  readonly pendingSeconds: number;
  readonly scaleUps: number;
  readonly scaleDowns: number;
  readonly maxReplicas: number;
  readonly preemptions: number;
  /** Requests cut off by a shutdown or rejected. */
  readonly failed: number;
  /** Requests each pod was sent, by pod (in creation order). */
  readonly routedPerPod: number[];
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
  public routed = 0;
  /** When the pod got its node (NaN while Pending) and when it will be ready. */
  public boundAt = NaN;
  public readyAt = NaN;

  public constructor(public readonly index: number, public readonly created: number) {}

  public get serving(): boolean {
    return this.ready && !this.terminating;
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
  private readonly router: Router<Pod>;
  private readonly pool?: NodePool;
  private readonly placeholders?: PlaceholderPods;
  private resolved = 0;
  /** The replay's clock: the time of the event being handled. */
  private now = 0;
  private scaleUps = 0;
  private scaleDowns = 0;
  private maxReplicas = 0;
  private failed = 0;
  private readonly timeline: TimelinePoint[] = [];
  private readonly horizon: number;
  private readonly measureFrom: number;

  public constructor(private readonly options: ReplayOptions) {
    const server = options.server;
    this.book = new RequestBook(options.trace, server.maxModelLen);
    this.horizon = options.trace.durationSeconds;
    this.measureFrom = options.measureFromSeconds ?? 0;
    this.router = new Router(options.routing, options.routingSeed ?? 1);
    if (options.nodes && options.nodes.mode !== 'free') this.pool = new NodePool(options.nodes, this.measureFrom, this.horizon);
    if (options.placeholders) this.placeholders = new PlaceholderPods(options.placeholders, (from, to) => this.measuredSpan(from, to));
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
    const warm = Math.min(initial, this.options.warmAtMost ?? initial);
    this.startWarm(warm, this.placeholders?.wantedAt(this.options.startEpochSeconds) ?? 0);
    for (let i = warm; i < initial; i++) this.createPod(0);
    if (this.measureFrom <= 0) this.maxReplicas = initial;
    autoscaler.warmStart(initial);

    let next = 0;
    const progressEvery = Math.max(1, Math.floor(n / 100));
    for (;;) {
      const arrival = next < n ? book.arrival[next] : Infinity;
      const timer = Math.min(this.timers.length > 0 ? this.timers.peekKey() : Infinity, this.pool?.nextEventAt ?? Infinity);
      const tick = Math.min(nextScrape, nextPoll, nextSync);
      const t = Math.min(arrival, timer, tick);
      this.now = t;
      if (t > endLimit || (next >= n && this.resolved >= n)) break;
      if (arrival === t) {
        this.arrive(next, t);
        next++;
        if (next % progressEvery === 0) this.options.onProgress?.(next / n);
      } else if (timer === t) {
        if (this.pool && this.pool.nextEventAt === t) this.placed(this.pool.fire(t), t);
        else this.fireTimer(t);
      } else if (nextScrape === t) {
        this.scrapeAll(t);
        nextScrape += scrapeEvery;
      } else if (nextPoll === t) {
        this.apply(autoscaler.poll(this.view(t)), t);
        nextPoll += pollEvery!;
      } else {
        this.apply(autoscaler.hpaSync(this.view(t)), t);
        this.reconcilePlaceholders(t);
        nextSync += autoscaler.syncPeriodSeconds ?? ASSUMPTIONS.hpaSyncPeriodSeconds;
      }
    }
    this.finishAll(endLimit);
    let podSeconds = 0;
    for (const pod of this.pods) podSeconds += this.measuredSpan(pod.boundAt, pod.ended);
    const podGpuSeconds = podSeconds * server.gpuCount;
    const billedGpuSeconds = this.pool?.spec.mode === 'autoscaled' ? this.pool.nodeGpuSeconds()
      : podGpuSeconds + (this.placeholders?.gpuSeconds() ?? 0);
    const preemptions = this.pods.reduce((sum, p) => sum + (p.engine?.preemptions ?? 0), 0);
    return {
      book,
      horizonSeconds: horizon,
      podSeconds,
      billedGpuSeconds,
      pendingSeconds: this.pool?.pendingSecondsUntil(horizon) ?? 0,
      scaleUps: this.scaleUps,
      scaleDowns: this.scaleDowns,
      maxReplicas: this.maxReplicas,
      preemptions,
      failed: this.failed,
      routedPerPod: this.pods.map((pod) => pod.routed),
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
    const pod = this.pickPod(t);
    pod.engine!.advance(t);
    pod.engine!.enqueue(id, t);
  }

  private pickPod(t: number): Pod {
    const pod = this.router.pick(this.readyPods, t);
    pod.routed++;
    return pod;
  }

  /** Seconds of [from, to) inside the measured window (`to` NaN: still running at the horizon). */
  private measuredSpan(from: number, to: number): number {
    if (Number.isNaN(from)) return 0;
    const end = Number.isNaN(to) ? this.horizon : Math.min(to, this.horizon);
    return Math.max(0, end - Math.max(from, this.measureFrom));
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
      this.end(pod, t);
    }
  }

  private schedule(t: number, kind: number, pod: Pod): void {
    this.timerKinds.push(kind);
    this.timerPods.push(pod.index);
    this.timers.push(t, this.timerKinds.length - 1);
  }

  /** The pods (and placeholders) running at time 0, on the nodes they need. */
  private startWarm(replicas: number, placeholders: number): void {
    const gpus = this.options.server.gpuCount;
    const pods: Pod[] = [];
    for (let i = 0; i < replicas; i++) {
      const pod = new Pod(this.pods.length, 0);
      this.pods.push(pod);
      pods.push(pod);
    }
    const held = this.placeholders?.create(placeholders) ?? [];
    if (!this.pool) {
      for (const pod of pods) this.bind(pod, 0, 0);
      for (const id of held) this.placeholders!.bound(id, 0);
      return;
    }
    const events = this.pool.placeAtStart([
      ...pods.map((pod) => ({ pod: pod.index, gpus, priority: PodPriority.SERVER })),
      ...held.map((id) => ({ pod: id, gpus: this.placeholders!.gpus, priority: PodPriority.PLACEHOLDER })),
    ]);
    // The pods that found a node start warm; the others wait for one and then cold-start.
    for (const placement of events.placed) {
      if (placement.pod >= 0) this.bind(this.pods[placement.pod], 0, 0);
      else this.placeholders!.bound(placement.pod, 0);
    }
  }

  private createPod(t: number): Pod {
    const pod = new Pod(this.pods.length, t);
    this.pods.push(pod);
    if (!this.pool) this.bind(pod, t, t + this.options.server.coldStartSeconds);
    else this.placed(this.pool.request(pod.index, this.options.server.gpuCount, PodPriority.SERVER, t), t);
    return pod;
  }

  /** A pod has its node: it is ready at `readyAt` (at once for the warm pods of the start). */
  private bind(pod: Pod, t: number, readyAt: number): void {
    pod.boundAt = t;
    pod.readyAt = readyAt;
    if (readyAt <= t) this.becomeReady(pod, t);
    else this.schedule(readyAt, READY, pod);
  }

  /** Pods the node pool placed start their containers once the image is on the node; evicted placeholders wait again. */
  private placed(events: NodeEvents, t: number): void {
    for (const placement of events.placed) {
      if (placement.pod < 0) {
        this.placeholders!.bound(placement.pod, t);
        continue;
      }
      const pod = this.pods[placement.pod];
      if (!pod.terminating) this.bind(pod, t, placement.runnableAt + this.options.server.coldStartSeconds);
    }
    for (const id of events.evicted) this.placeholders!.unbound(id, t);
  }

  /** The placeholder Deployment's ReplicaSet keeps the count its schedules ask for (a preempted one is recreated, Pending). */
  private reconcilePlaceholders(t: number): void {
    const placeholders = this.placeholders;
    if (!placeholders) return;
    const { added, removed } = placeholders.reconcile(this.options.startEpochSeconds + t, t);
    for (const id of added) {
      if (!this.pool) placeholders.bound(id, t);
      else this.placed(this.pool.request(id, placeholders.gpus, PodPriority.PLACEHOLDER, t), t);
    }
    for (const id of removed) this.pool?.release(id, t);
  }

  /**
   * The pod's containers are gone at `at`: its GPUs go back to the node from then (a drain found over at a later
   * scrape frees them now: the node pool never goes back in time).
   */
  private end(pod: Pod, at: number): void {
    pod.ended = at;
    this.pool?.release(pod.index, Math.max(at, this.now));
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
      const target = this.pickPod(t);
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
      for (let i = active.length; i < replicas; i++) this.createPod(t);
      if (this.measured(t)) this.scaleUps++;
    } else if (replicas < active.length) {
      // ReplicaSet deletion order (controller.ActivePods): unscheduled before scheduled, not ready before ready,
      // ready the shortest time first; newest first.
      const unscheduled = (p: Pod): number => Number(!Number.isNaN(p.boundAt));
      const victims = active.sort((a, b) => unscheduled(a) - unscheduled(b) || Number(a.ready) - Number(b.ready)
        || (b.readyAt || 0) - (a.readyAt || 0) || b.created - a.created)
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
      this.end(pod, t);
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
    if (engine.inFlight === 0) this.end(pod, Math.max(pod.deletedAt + this.options.server.preStopSeconds, engine.lastStepEnd));
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
        'vllm:prompt_tokens_total': stats.promptTokens,
        'vllm:generation_tokens_total': stats.generationTokens,
        'vllm:request_success_total': stats.requestSuccess,
        'gpuUtilPercent': busy * 100,
        'cpuUtilization': ASSUMPTIONS.cpuUtilizationIdle + ASSUMPTIONS.cpuUtilizationAtFullLoad * busy,
      };
      scrape.push(pod.sample);
      samples.push({ pod: pod.index, metrics: pod.sample });
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
      if (pod.terminating && Number.isNaN(pod.ended)) this.end(pod, Math.max(pod.deletedAt, pod.engine.lastStepEnd));
      this.failed += pod.engine.abortAll(limit);
    }
    for (const id of this.atService.splice(0)) {
      this.book.fail(id, limit);
      this.failed++;
    }
  }
}
