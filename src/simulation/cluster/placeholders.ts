import { Manifest, manifestsOfKind, ServerSpec } from './manifests';
import { HEADROOM_FOR_ANNOTATION } from '../../gpu-headroom';
import { CronWindow } from '../control/cron';

/** GpuHeadroom's placeholder pods as the chart deploys them. */
export interface PlaceholderSpec {
  /** GPUs each placeholder holds (the server's). */
  readonly gpus: number;
  /** The placeholders wanted at a wall-clock time (seconds since the epoch): the count, raised by its schedules. */
  readonly replicasAt: (epochSeconds: number) => number;
}

/** One placeholder: it holds a slot from `boundAt` (NaN while Pending) until it is deleted (`gone`). */
interface Placeholder {
  boundAt: number;
  gone: number;
}

/**
 * GpuHeadroom's placeholder pods in a replay, by id (negative, so they never clash with server pod indices): how many
 * the ReplicaSet keeps, when each holds GPUs, and the GPU-seconds they hold inside the measured window.
 */
export class PlaceholderPods {
  private readonly pods: Placeholder[] = [];
  private heldSeconds = 0;

  /** `span(from, to)`: seconds of [from, to) inside the measured window (`to` NaN: to the horizon). */
  public constructor(private readonly spec: PlaceholderSpec, private readonly span: (from: number, to: number) => number) {}

  /** GPUs each placeholder holds. */
  public get gpus(): number {
    return this.spec.gpus;
  }

  /** The placeholders wanted at a wall-clock time. */
  public wantedAt(epochSeconds: number): number {
    return this.spec.replicasAt(epochSeconds);
  }

  /** New Pending placeholders; returns their ids. */
  public create(count: number): number[] {
    return Array.from({ length: count }, () => {
      this.pods.push({ boundAt: NaN, gone: NaN });
      return -this.pods.length;
    });
  }

  /** The placeholder got its node at `t`. */
  public bound(id: number, t: number): void {
    this.pod(id).boundAt = t;
  }

  /** The placeholder lost its node at `t` (preempted: it is Pending again; deleted: it is gone). */
  public unbound(id: number, t: number): void {
    const pod = this.pod(id);
    this.heldSeconds += this.span(pod.boundAt, t);
    pod.boundAt = NaN;
  }

  /** Creates or deletes placeholders so that the count wanted at `epochSeconds` exists; the newest go first. */
  public reconcile(epochSeconds: number, t: number): { added: number[]; removed: number[] } {
    const wanted = this.wantedAt(epochSeconds);
    const live = this.pods.map((pod, i) => ({ pod, id: -(i + 1) })).filter(({ pod }) => Number.isNaN(pod.gone));
    const added = this.create(Math.max(0, wanted - live.length));
    const removed = live.slice(wanted).reverse().map(({ pod, id }) => {
      this.unbound(id, t);
      pod.gone = t;
      return id;
    });
    return { added, removed };
  }

  /** GPU-seconds the placeholders held inside the measured window (those still held count to the horizon). */
  public gpuSeconds(): number {
    let seconds = this.heldSeconds;
    for (const pod of this.pods) if (Number.isNaN(pod.gone)) seconds += this.span(pod.boundAt, NaN);
    return seconds * this.spec.gpus;
  }

  private pod(id: number): Placeholder {
    return this.pods[-id - 1];
  }
}

/**
 * GpuHeadroom's placeholders for the server, as the chart deploys them: the Deployment annotated as headroom for
 * the server's Deployment, its GPU limit, and its count (the Deployment's replicas, or its ScaledObject's floor
 * raised by the cron windows that are open). Undefined when the chart holds none.
 */
export function readPlaceholders(manifests: Manifest[], server: ServerSpec): PlaceholderSpec | undefined {
  const deployments = manifestsOfKind(manifests, 'Deployment')
    .filter((d) => d.metadata?.annotations?.[HEADROOM_FOR_ANNOTATION] === server.deploymentName);
  if (deployments.length === 0) return undefined;
  if (deployments.length > 1) throw new Error(`Manifests: ${deployments.length} GpuHeadroom Deployments hold room for '${server.deploymentName}'; expected at most 1`);
  const deployment = deployments[0];
  const name = deployment.metadata?.name;
  const subject = `GpuHeadroom Deployment '${name}'`;
  const container = deployment.spec?.template?.spec?.containers?.[0];
  const gpus = Number(container?.resources?.limits?.['nvidia.com/gpu'] ?? 0);
  if (!Number.isInteger(gpus) || gpus < 1) throw new Error(`${subject}: the placeholder's 'nvidia.com/gpu' limit (${gpus}) must be a whole number >= 1`);
  const scaledObject = manifestsOfKind(manifests, 'ScaledObject').find((s) => s.spec?.scaleTargetRef?.name === name);
  if (!scaledObject) {
    const replicas = Number(deployment.spec?.replicas ?? 1);
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`${subject}: spec.replicas (${replicas}) must be a whole number >= 0`);
    return { gpus, replicasAt: () => replicas };
  }
  const floor = Number(scaledObject.spec?.minReplicaCount ?? 0);
  const windows = (scaledObject.spec?.triggers ?? []).map((trigger: Manifest) => {
    const metadata = trigger.metadata ?? {};
    if (trigger.type !== 'cron') throw new Error(`${subject}: its ScaledObject's trigger type '${trigger.type}' is not modelled (cron)`);
    return { window: new CronWindow(metadata.timezone, metadata.start, metadata.end), replicas: Number(metadata.desiredReplicas) };
  });
  return {
    gpus,
    replicasAt: (epoch) => windows.reduce((most: number, w: { window: CronWindow; replicas: number }) =>
      (w.window.isOpen(epoch) ? Math.max(most, w.replicas) : most), floor),
  };
}
