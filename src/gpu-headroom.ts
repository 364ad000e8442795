import { ApiObject, JsonPatch, Lazy, Names } from 'cdk8s';
import { Construct } from 'constructs';
import { Check, subjectOf } from './errors';
import { ScaledObject } from './imports/keda-keda.sh';
import { checkRenderedMetadata } from './validation/kubernetes-names';
import { checkScheduleWindow } from './validation/schedule';
import { VllmService } from './vllm-service';
import type { FloorSchedule } from './warm-floor';

/** The annotation that names the server Deployment a set of placeholders holds room for (the replay reads it). */
export const HEADROOM_FOR_ANNOTATION = 'vllm.cdk8s.io/headroom-for';

/** Properties of GpuHeadroom. */
export interface GpuHeadroomProps {
  /** The server whose new replicas the placeholders make room for. */
  readonly server: VllmService;
  /**
   * Server-sized slots of GPU capacity to hold (placeholder pods).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Windows that hold more slots before known peaks (a KEDA cron trigger each on the placeholder Deployment).
   * @default - none
   */
  readonly schedules?: FloorSchedule[];
  /**
   * Priority of the placeholder pods: below every server pod (0 unless your cluster sets a default), and at least
   * cluster-autoscaler's `--expendable-pods-priority-cutoff` (default -10) so an evicted placeholder still asks
   * for a new node.
   * @default -10
   */
  readonly priority?: number;
}

/**
 * Standing GPU capacity for the next scale-out: placeholder pods, each the size of one server replica (its GPUs,
 * CPU and memory, node selector, tolerations and affinity), at a negative `PriorityClass`. A new server pod that
 * finds no free GPU preempts a placeholder and starts at once on a node that is already up; the evicted
 * placeholder is Pending, and the node autoscaler adds a node for it. This is the overprovisioning pattern of
 * cluster-autoscaler's FAQ ("How can I configure overprovisioning with Cluster Autoscaler?"); Karpenter
 * provisions for pending placeholders the same way.
 *
 * The placeholders run the server's own image (a `sleep`), so the node pulls the image while it is held and a
 * replica that preempts a placeholder starts without a pull. They hold their GPUs without using them: the
 * headroom is billed like any GPU that is up.
 *
 * @example
 * const model = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
 * const server = new VllmService(chart, 'server', { model, gpu: Gpu.H100, gpuCount: 4 });
 * new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 8, prometheusAddress: 'http://prometheus-operated.monitoring.svc:9090' });
 * // One replica's worth of GPUs held on a node that is already up, for the next scale-out.
 * new GpuHeadroom(chart, 'headroom', { server, replicas: 1 });
 */
export class GpuHeadroom extends Construct {
  /** Placeholder pods held outside the schedules. */
  public readonly replicas: number;
  /** The windows that hold more. */
  public readonly schedules: FloorSchedule[];
  /** The priority of the placeholder pods. */
  public readonly priority: number;
  /** The placeholder Deployment. */
  public readonly deployment: ApiObject;
  /** The PriorityClass of the placeholders (cluster-scoped). */
  public readonly priorityClass: ApiObject;
  /** The ScaledObject that raises the placeholders in the schedules' windows, when there are schedules. */
  public readonly scaledObject?: ApiObject;

  public constructor(scope: Construct, id: string, props: GpuHeadroomProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'GpuHeadroom'));
    check.required(props, ['server']);
    check.that(props !== null && typeof props === 'object', 'props', props, 'must be an object with at least `server`');
    check.that(props.server instanceof VllmService, 'server', props.server, 'must be a VllmService');
    this.replicas = props.replicas ?? 1;
    check.integer('replicas', this.replicas, 0, 1000);
    this.schedules = props.schedules ?? [];
    check.that(Array.isArray(this.schedules), 'schedules', this.schedules, 'must be an array of { timezone, start, end, replicas } windows');
    this.schedules.forEach((schedule, i) => checkScheduleWindow(check, schedule, i, 1000, this.replicas));
    check.that(this.replicas > 0 || this.schedules.length > 0, 'replicas', this.replicas, 'of 0 holds nothing: give a schedule, or at least 1');
    this.priority = props.priority ?? -10;
    check.integer('priority', this.priority, -1_000_000_000, -1);
    const server = props.server;
    const name = Names.toDnsLabel(this);
    const labels = { 'app.kubernetes.io/name': 'gpu-headroom', 'app.kubernetes.io/component': 'gpu-headroom', 'vllm.cdk8s.io/headroom': name };

    this.priorityClass = new ApiObject(this, 'PriorityClass', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value: this.priority,
      globalDefault: false,
      // Placeholders never evict anything themselves; they only wait to be evicted.
      preemptionPolicy: 'Never',
      description: `GPU headroom for ${server.node.path}: placeholder pods that every server pod preempts`,
    });
    // Cluster-scoped: the chart's namespace must not be set on it.
    if (this.priorityClass.metadata.namespace !== undefined) this.priorityClass.addJsonPatch(JsonPatch.remove('/metadata/namespace'));

    this.deployment = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: server.namespace,
        labels,
        annotations: { [HEADROOM_FOR_ANNOTATION]: server.deployment.name },
      },
      spec: Lazy.any({ produce: () => this.deploymentSpec(server, name, labels) }),
    });

    if (this.schedules.length > 0) {
      this.scaledObject = new ScaledObject(this, 'Schedules', {
        metadata: { name, namespace: server.namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicaCount: this.replicas,
          maxReplicaCount: Math.max(this.replicas, ...this.schedules.map((s) => s.replicas)),
          triggers: this.schedules.map((schedule, i) => ({
            type: 'cron',
            name: `headroom-window-${i}`,
            metadata: { timezone: schedule.timezone, start: schedule.start, end: schedule.end, desiredReplicas: String(schedule.replicas) },
          })),
        },
      });
    }
    checkRenderedMetadata(check, this);
  }

  /** The placeholder pods: the server's size, placement and image, a `sleep`, and the low priority. */
  private deploymentSpec(server: VllmService, name: string, labels: { [key: string]: string }): any {
    const serverPod = ApiObject.of(server.deployment).toJson().spec.template.spec;
    const serverContainer = (serverPod.containers as any[]).find((c) => c.name === 'vllm') ?? serverPod.containers[0];
    const podSecurity = serverPod.securityContext;
    return {
      // KEDA owns the count when schedules raise it.
      ...(this.schedules.length > 0 ? {} : { replicas: this.replicas }),
      selector: { matchLabels: { 'vllm.cdk8s.io/headroom': name } },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: name,
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          ...(serverPod.nodeSelector ? { nodeSelector: serverPod.nodeSelector } : {}),
          ...(serverPod.tolerations ? { tolerations: serverPod.tolerations } : {}),
          ...(serverPod.affinity ? { affinity: serverPod.affinity } : {}),
          ...(podSecurity ? { securityContext: podSecurity } : {}),
          containers: [{
            name: 'placeholder',
            image: serverContainer.image,
            command: ['sleep', 'infinity'],
            resources: serverContainer.resources,
            ...(serverContainer.securityContext ? { securityContext: serverContainer.securityContext } : {}),
          }],
        },
      },
    };
  }
}
