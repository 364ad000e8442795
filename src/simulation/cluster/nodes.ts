import { MinHeap } from './collections';

/**
 * How GPU nodes come and go in a replay:
 * - `free`: every pod finds a free GPU node at once (no node is modelled);
 * - `autoscaled`: a node autoscaler (cluster-autoscaler, Karpenter) adds a node when a pod fits no node and
 *   removes one that has stayed empty for its scale-down delay;
 * - `fixed`: `minNodes` nodes, no more and no fewer.
 */
export type NodeMode = 'free' | 'autoscaled' | 'fixed';

/** A GPU node pool as the replay runs it (all figures resolved: see `resolveNodePool`). */
export interface NodePoolSpec {
  readonly mode: NodeMode;
  /** GPUs on one node; a pod fits a node with that many GPUs free (first fit). */
  readonly gpusPerNode: number;
  /** Seconds from the node autoscaler's request to a Ready node with its GPUs advertised. */
  readonly provisioningSeconds: number;
  /** Seconds to pull the server's image onto a node that does not have it. */
  readonly imagePullSeconds: number;
  /** Seconds a node stays empty before the node autoscaler removes it. */
  readonly scaleDownSeconds: number;
  /** Nodes that exist from the start, hold the image, and are never removed. */
  readonly minNodes: number;
  /** The most nodes the pool grows to (autoscaled). */
  readonly maxNodes: number;
}

/** Who holds a slot: a server replica, or a GpuHeadroom placeholder that any server pod may preempt. */
export enum PodPriority {
  SERVER = 0,
  PLACEHOLDER = 1,
}

/** Where a pod was placed, and from when its containers can start (the image is on the node). */
export interface Placement {
  readonly pod: number;
  readonly node: number;
  readonly runnableAt: number;
}

/** What a node-pool event did: pods placed (with the placeholders they evicted) and the time it happened. */
export interface NodeEvents {
  readonly placed: Placement[];
  /** Placeholders preempted by the placements: they are Pending again. */
  readonly evicted: number[];
}

class GpuNode {
  public freeGpus: number;
  public imageReadyAt: number;
  public removedAt = NaN;
  public readonly pods = new Set<number>();
  /** Bumped whenever the node stops being empty, so a stale removal check is recognised. */
  public emptyEpoch = 0;

  public constructor(public readonly index: number, public readonly orderedAt: number, public readyAt: number, gpus: number,
    hasImage: boolean, public readonly removable: boolean) {
    this.freeGpus = gpus;
    this.imageReadyAt = hasImage ? -Infinity : NaN;
  }

  /** Ordered and not removed. */
  public get exists(): boolean {
    return Number.isNaN(this.removedAt);
  }
}

const NODE_READY = 0;
const RELEASE = 1;
const REMOVAL_CHECK = 2;

/**
 * GPU nodes, first-fit packing, Pending pods, node provisioning and removal: the part of a scale-out that
 * cluster-autoscaler (or Karpenter) decides. A pod that fits no Ready node waits (Pending); in `autoscaled` mode
 * the pool orders as many nodes as the Pending pods need beyond those already on their way, within `maxNodes`;
 * a new node is Ready after `provisioningSeconds`, and the first pod placed on it pulls the image. A node empty
 * for `scaleDownSeconds` is removed (not the `minNodes` that exist from the start). A server pod that fits no
 * node preempts a placeholder on a Ready node; the placeholder is Pending again and orders the next node.
 */
export class NodePool {
  private readonly nodes: GpuNode[] = [];
  private readonly podNode = new Map<number, GpuNode>();
  private readonly podGpus = new Map<number, number>();
  private readonly priority = new Map<number, PodPriority>();
  private readonly pendingSince = new Map<number, number>();
  private readonly events = new MinHeap();
  private readonly eventKinds: number[] = [];
  private readonly eventTargets: number[] = [];
  private readonly eventEpochs: number[] = [];
  private pendingSeconds = 0;

  public constructor(public readonly spec: NodePoolSpec, private readonly measureFrom: number, private readonly horizon: number) {
    for (let i = 0; i < spec.minNodes; i++) this.addNode(0, 0, true, false);
  }

  /** Time of the next node event (a node ready, a pod's GPUs released, a removal check), or Infinity. */
  public get nextEventAt(): number {
    return this.events.length > 0 ? this.events.peekKey() : Infinity;
  }

  /**
   * Nodes for the pods that run at the start: added at time 0, holding the image, removable like any other
   * (the `minNodes` are already there).
   */
  public placeAtStart(pods: { pod: number; gpus: number; priority: PodPriority }[]): NodeEvents {
    const needed = this.nodesFor(pods.map((p) => p.gpus));
    for (let i = this.nodes.length; i < Math.min(needed, this.maxNodes()); i++) this.addNode(0, 0, true, true);
    const placed: Placement[] = [];
    for (const p of pods) {
      const placement = this.request(p.pod, p.gpus, p.priority, 0);
      if (placement.placed.length > 0) placed.push(...placement.placed);
    }
    return { placed, evicted: [] };
  }

  /** A new pod asks for a node: placed at once, placed by preempting a placeholder, or Pending (and nodes ordered). */
  public request(pod: number, gpus: number, priority: PodPriority, t: number): NodeEvents {
    this.podGpus.set(pod, gpus);
    this.priority.set(pod, priority);
    const node = this.firstFit(gpus, t);
    if (node) return { placed: [this.bind(pod, node, t)], evicted: [] };
    if (priority === PodPriority.SERVER) {
      const victim = this.placeholderToPreempt(gpus, t);
      if (victim !== undefined) {
        const victimNode = this.podNode.get(victim)!;
        this.unbind(victim, t);
        this.pendingSince.set(victim, t);
        const placed = this.bind(pod, victimNode, t);
        this.orderNodes(t);
        return { placed: [placed], evicted: [victim] };
      }
    }
    this.pendingSince.set(pod, t);
    this.orderNodes(t);
    return { placed: [], evicted: [] };
  }

  /**
   * A pod is gone (deleted while Pending, or its containers ended at `at`, which may be ahead of the replay's
   * clock while it drains): its GPUs are free from `at`.
   */
  public release(pod: number, at: number): void {
    if (this.pendingSince.has(pod)) {
      this.countPending(pod, at);
      this.pendingSince.delete(pod);
      return;
    }
    if (!this.podNode.has(pod)) return;
    this.schedule(at, RELEASE, pod, 0);
  }

  /** Runs the node events due at `t`: nodes that become Ready take Pending pods; empty nodes are removed. */
  public fire(t: number): NodeEvents {
    const placed: Placement[] = [];
    while (this.events.length > 0 && this.events.peekKey() <= t) {
      const slot = this.events.pop();
      const kind = this.eventKinds[slot];
      const target = this.eventTargets[slot];
      if (kind === RELEASE) {
        this.unbind(target, t);
      } else if (kind === REMOVAL_CHECK) {
        const node = this.nodes[target];
        if (node.exists && node.pods.size === 0 && node.emptyEpoch === this.eventEpochs[slot]) node.removedAt = t;
      }
      // A Ready node, or GPUs freed: Pending pods (servers first, oldest first) take what fits.
      placed.push(...this.placePending(t));
      if (kind === NODE_READY) this.watchEmpty(this.nodes[target], t);
    }
    return { placed, evicted: [] };
  }

  /** Server pod-seconds spent Pending inside the measured window (those still Pending count up to `until`). */
  public pendingSecondsUntil(until: number): number {
    let seconds = this.pendingSeconds;
    for (const [pod, since] of this.pendingSince) {
      if (this.priority.get(pod) === PodPriority.SERVER) seconds += this.overlap(since, until);
    }
    return seconds;
  }

  /** GPU-seconds of the nodes held inside the measured window: from their order until removal (or the horizon). */
  public nodeGpuSeconds(): number {
    let seconds = 0;
    for (const node of this.nodes) {
      const end = Number.isNaN(node.removedAt) ? this.horizon : node.removedAt;
      seconds += this.overlap(node.orderedAt, end) * this.spec.gpusPerNode;
    }
    return seconds;
  }

  /** Nodes ordered and not yet removed. */
  public get nodeCount(): number {
    return this.nodes.filter((n) => n.exists).length;
  }

  /** Whether the pod is waiting for a node. */
  public isPending(pod: number): boolean {
    return this.pendingSince.has(pod);
  }

  private placePending(t: number): Placement[] {
    const placed: Placement[] = [];
    const waiting = [...this.pendingSince.keys()]
      .sort((a, b) => this.priority.get(a)! - this.priority.get(b)! || this.pendingSince.get(a)! - this.pendingSince.get(b)!);
    for (const pod of waiting) {
      const node = this.firstFit(this.podGpus.get(pod)!, t);
      if (!node) continue;
      this.countPending(pod, t);
      this.pendingSince.delete(pod);
      placed.push(this.bind(pod, node, t));
    }
    return placed;
  }

  private firstFit(gpus: number, t: number): GpuNode | undefined {
    return this.nodes.find((n) => n.exists && n.readyAt <= t && n.freeGpus >= gpus);
  }

  private placeholderToPreempt(gpus: number, t: number): number | undefined {
    for (const node of this.nodes) {
      if (!node.exists || node.readyAt > t) continue;
      for (const pod of node.pods) {
        if (this.priority.get(pod) === PodPriority.PLACEHOLDER && node.freeGpus + this.podGpus.get(pod)! >= gpus) return pod;
      }
    }
    return undefined;
  }

  private bind(pod: number, node: GpuNode, t: number): Placement {
    node.pods.add(pod);
    node.freeGpus -= this.podGpus.get(pod)!;
    node.emptyEpoch++;
    this.podNode.set(pod, node);
    // The first pod on a node without the image pulls it; the pods placed while it downloads wait for the same pull.
    if (Number.isNaN(node.imageReadyAt)) node.imageReadyAt = t + this.spec.imagePullSeconds;
    return { pod, node: node.index, runnableAt: Math.max(t, node.imageReadyAt) };
  }

  private unbind(pod: number, t: number): void {
    const node = this.podNode.get(pod);
    if (!node) return;
    this.podNode.delete(pod);
    node.pods.delete(pod);
    node.freeGpus += this.podGpus.get(pod)!;
    this.watchEmpty(node, t);
  }

  /** An empty node the autoscaler may remove is checked again once it has been empty for the scale-down delay. */
  private watchEmpty(node: GpuNode, t: number): void {
    if (node.pods.size > 0 || !node.removable || this.spec.mode !== 'autoscaled') return;
    node.emptyEpoch++;
    this.schedule(t + this.spec.scaleDownSeconds, REMOVAL_CHECK, node.index, node.emptyEpoch);
  }

  /** cluster-autoscaler's scale-up: enough new nodes for the Pending pods that the nodes on their way cannot take. */
  private orderNodes(t: number): void {
    if (this.spec.mode !== 'autoscaled') return;
    const upcoming = this.nodes.filter((n) => n.exists && n.readyAt > t);
    let room = upcoming.map((n) => n.freeGpus);
    const unplaced: number[] = [];
    for (const pod of this.pendingSince.keys()) {
      const gpus = this.podGpus.get(pod)!;
      const slot = room.findIndex((free) => free >= gpus);
      if (slot >= 0) room[slot] -= gpus;
      else unplaced.push(gpus);
    }
    const wanted = this.nodesFor(unplaced);
    const allowed = Math.max(0, this.maxNodes() - this.nodeCount);
    for (let i = 0; i < Math.min(wanted, allowed); i++) this.addNode(t, t + this.spec.provisioningSeconds, false, true);
  }

  private maxNodes(): number {
    return this.spec.mode === 'fixed' ? this.spec.minNodes : this.spec.maxNodes;
  }

  /** Nodes that first-fit packing needs for pods of these sizes. */
  private nodesFor(sizes: number[]): number {
    const free: number[] = [];
    for (const gpus of sizes) {
      const slot = free.findIndex((f) => f >= gpus);
      if (slot >= 0) free[slot] -= gpus;
      else free.push(this.spec.gpusPerNode - gpus);
    }
    return free.length;
  }

  private addNode(orderedAt: number, readyAt: number, hasImage: boolean, removable: boolean): void {
    const node = new GpuNode(this.nodes.length, orderedAt, readyAt, this.spec.gpusPerNode, hasImage, removable);
    this.nodes.push(node);
    if (readyAt > orderedAt) this.schedule(readyAt, NODE_READY, node.index, 0);
    else this.watchEmpty(node, readyAt);
  }

  private schedule(at: number, kind: number, target: number, epoch: number): void {
    this.eventKinds.push(kind);
    this.eventTargets.push(target);
    this.eventEpochs.push(epoch);
    this.events.push(at, this.eventKinds.length - 1);
  }

  private countPending(pod: number, until: number): void {
    if (this.priority.get(pod) === PodPriority.SERVER) this.pendingSeconds += this.overlap(this.pendingSince.get(pod)!, until);
  }

  private overlap(from: number, to: number): number {
    return Math.max(0, Math.min(to, this.horizon) - Math.max(from, this.measureFrom));
  }
}
