import { ApiObject, Duration, JsonPatch, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SERVER_LABEL } from './defaults';
import { Check, subjectOf } from './errors';
import { InterceptorRoute } from './imports/keda-http-http.keda.sh';
import { ScaledObjectSpecTriggers } from './imports/keda-keda.sh';
import { QueueAutoscaler, ReplicaFloor } from './queue-autoscaler';
import { namespaceScope, registerNames } from './validation/collisions';
import { checkRenderedMetadata } from './validation/kubernetes-names';
import { checkScheduleWindow } from './validation/schedule';
import { checkColdStartTimeout, checkHosts } from './validation/serving';

/** A window that raises the floor before a known peak (a KEDA cron trigger). */
export interface FloorSchedule {
  /** IANA time zone of `start` and `end`, e.g. `Europe/Paris`. */
  readonly timezone: string;
  /** Five-field cron expression at which the window opens, e.g. `30 13 * * 1-5`. */
  readonly start: string;
  /** Five-field cron expression at which the window closes, e.g. `0 22 * * 1-5`. */
  readonly end: string;
  /** The floor while the window is open. */
  readonly replicas: number;
}

/**
 * Routing through the KEDA HTTP add-on, which holds requests while a replica starts from zero.
 *
 * Every request then passes through the add-on's interceptor, which drains for 30 s when it is scaled in or
 * upgraded (`KEDA_HTTP_DRAIN_TIMEOUT`, kedacore/http-add-on interceptor configuration) and is killed after its
 * grace period: longer generations are cut. Raise the add-on chart's `interceptor.drainTimeout` and
 * `interceptor.terminationGracePeriodSeconds` to the server's shutdown timeout (120 s by default) and more.
 */
export interface ScaleToZeroOptions {
  /**
   * Extra `Host` header values the interceptor routes to this server.
   * @default - only the in-cluster names of the emitted ExternalName Service
   */
  readonly hosts?: string[];
  /**
   * Namespace of the HTTP add-on (its interceptor proxy and external scaler).
   * @default 'keda'
   */
  readonly addOnNamespace?: string;
  /**
   * How long the interceptor holds a request while the first replica starts (`timeouts.readiness`).
   * The add-on's own default (v0.14 and later) is no limit.
   * @default - the server's startup window, plus 5 minutes for a GPU node to be provisioned and 5 more to pull the
   * vLLM image (about 10 GB) onto it
   */
  readonly coldStartTimeout?: Duration;
  /**
   * How long the interceptor waits for response headers once a request is sent (`timeouts.responseHeader`);
   * a non-streaming completion sends them only when it is done, so any limit cuts the generations that run longer.
   * The add-on's own default (v0.14 and later) is 300 s.
   * @default - no limit ("0s"): the interceptor never cuts a generation the server would finish
   */
  readonly responseHeaderTimeout?: Duration;
  /**
   * The cluster's DNS domain, for the in-cluster names of the interceptor proxy and of the Service clients call.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Name of the ExternalName Service clients call (port 8080) to reach the server through the interceptor.
   * @default - a name generated from the construct path
   */
  readonly serviceName?: string;
}

/** Properties shared by every floor profile. */
export interface WarmFloorProfileProps {
  /** The autoscaler whose floor this sets. */
  readonly autoscaler: QueueAutoscaler;
  /**
   * Windows that raise the floor before known peaks.
   * @default - none
   */
  readonly schedules?: FloorSchedule[];
  /**
   * Route requests through the KEDA HTTP add-on so they wait while a replica starts from zero.
   * Required for a floor of 0 unless `acceptColdStartFailures` is set.
   * @default - no HTTP add-on
   */
  readonly scaleToZero?: ScaleToZeroOptions;
  /**
   * Accept a floor of 0 without a buffering proxy: requests fail until a replica is ready (minutes), and only a
   * schedule wakes the server (at zero replicas there is no queue metric).
   * @default false
   */
  readonly acceptColdStartFailures?: boolean;
}

/** Properties of a WarmFloor. */
export interface WarmFloorProps extends WarmFloorProfileProps {
  /**
   * The lowest replica count.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Spread the replicas over nodes (one per node while nodes allow).
   * @default - true when `replicas` >= 2
   */
  readonly spreadAcrossNodes?: boolean;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Time allowed for a cluster autoscaler to bring up a GPU node before the first replica can start. */
const NODE_PROVISIONING_SECONDS = 300;
/**
 * Time allowed to pull the vLLM OpenAI image (about 10 GB compressed layers and more) onto a fresh node: an
 * assumption (no upstream figure; minutes in public reports unless images are preloaded or streamed).
 */
const IMAGE_PULL_SECONDS = 300;

/**
 * The replica floor of a QueueAutoscaler: how many replicas stay warm, when the floor rises, and how a floor of
 * zero is made safe.
 */
export class WarmFloor extends Construct implements ReplicaFloor {
  /** Two replicas spread over nodes: one survives a node drain or failure. */
  public static highAvailability(scope: Construct, id: string, props: WarmFloorProfileProps): WarmFloor {
    return new WarmFloor(scope, id, { ...props, replicas: 2, spreadAcrossNodes: true });
  }

  /** One replica: development and tests. */
  public static development(scope: Construct, id: string, props: WarmFloorProfileProps): WarmFloor {
    return new WarmFloor(scope, id, { ...props, replicas: 1 });
  }

  /** Zero replicas when idle: GPUs are released, and the first request waits for a cold start. */
  public static cost(scope: Construct, id: string, props: WarmFloorProfileProps): WarmFloor {
    return new WarmFloor(scope, id, { ...props, replicas: 0 });
  }

  /** The lowest replica count. */
  public readonly replicas: number;
  /** Windows that raise the floor. */
  public readonly schedules: FloorSchedule[];
  /** Namespace of the KEDA HTTP add-on, when scaling to zero through it. */
  public readonly addOnNamespace?: string;
  /** The HTTP add-on's InterceptorRoute, when scaling to zero through the HTTP add-on. */
  public readonly interceptorRoute?: ApiObject;
  /**
   * The Service clients call (port 8080) to go through the interceptor, when scaling to zero through the HTTP add-on.
   */
  public readonly interceptorService?: kplus.Service;

  public constructor(scope: Construct, id: string, props: WarmFloorProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'WarmFloor'));
    check.required(props, ['autoscaler']);
    const autoscaler = props.autoscaler;
    this.replicas = props.replicas ?? 1;
    check.integer('replicas', this.replicas, 0);
    check.that(this.replicas <= autoscaler.maxReplicas, 'replicas', this.replicas,
      `must be <= the autoscaler's maxReplicas (${autoscaler.maxReplicas})`);
    check.that(this.replicas > 0 || props.scaleToZero !== undefined || props.acceptColdStartFailures === true, 'replicas', this.replicas,
      'of 0 needs scaleToZero (the KEDA HTTP add-on buffers requests during the cold start) or acceptColdStartFailures: true');
    check.that(this.replicas > 0 || props.scaleToZero !== undefined || (props.schedules ?? []).length > 0, 'replicas', this.replicas,
      'of 0 without scaleToZero needs a schedule: at zero replicas there is no queue metric, so nothing else would start a replica');
    check.that(props.scaleToZero === undefined || this.replicas === 0, 'replicas', this.replicas, 'must be 0 when scaleToZero is set');

    this.schedules = props.schedules ?? [];
    this.schedules.forEach((schedule, i) => checkScheduleWindow(check, schedule, i, autoscaler.maxReplicas, this.replicas));
    if (props.scaleToZero) {
      const addOnNamespace = props.scaleToZero.addOnNamespace ?? 'keda';
      check.that(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(addOnNamespace), 'scaleToZero.addOnNamespace', addOnNamespace, 'must be a valid namespace name');
      this.addOnNamespace = addOnNamespace;
      if (props.scaleToZero.coldStartTimeout) {
        checkColdStartTimeout(check, check.wholeSeconds('scaleToZero.coldStartTimeout', props.scaleToZero.coldStartTimeout, 1, 86_400),
          autoscaler.server.coldStart.startupWindowSeconds);
      }
      checkHosts(check, 'scaleToZero.hosts', props.scaleToZero.hosts);
      if (props.scaleToZero.responseHeaderTimeout) {
        const seconds = check.wholeSeconds('scaleToZero.responseHeaderTimeout', props.scaleToZero.responseHeaderTimeout, 1, 86_400);
        const shutdown = autoscaler.server.shutdownTimeout.toSeconds();
        check.that(seconds >= shutdown, 'scaleToZero.responseHeaderTimeout', `${seconds}s`,
          `must be >= the server's shutdown timeout (${shutdown}s): a shorter one cuts non-streaming generations the server would finish`);
      }
      const domain = props.scaleToZero.clusterDomain ?? 'cluster.local';
      check.that(DNS_SUBDOMAIN.test(domain), 'scaleToZero.clusterDomain', domain, 'must be a DNS domain such as cluster.local');
      const serviceName = props.scaleToZero.serviceName;
      if (serviceName !== undefined) {
        check.that(DNS_LABEL.test(serviceName), 'scaleToZero.serviceName', serviceName,
          'must be a DNS-1035 label: lower-case letters, digits and -, starting with a letter, at most 63 characters');
      }
      // The interceptor proxy forwards the requests from the add-on's namespace.
      autoscaler.server.allowClientsFrom(addOnNamespace);
      this.interceptorService = this.createInterceptorService(autoscaler, addOnNamespace, domain, serviceName);
      this.interceptorRoute = this.createInterceptorRoute(autoscaler, props.scaleToZero, domain);
    }
    autoscaler._setFloor(this);

    if (props.spreadAcrossNodes ?? this.replicas >= 2) {
      // Best effort (ScheduleAnyway): a full or tainted GPU node must never keep a scale-out Pending; the budget
      // (maxUnavailable 1) keeps a replica serving through a drain.
      ApiObject.of(autoscaler.server.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [{
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        nodeTaintsPolicy: 'Honor',
        matchLabelKeys: ['pod-template-hash'],
        labelSelector: { matchLabels: { [SERVER_LABEL]: autoscaler.server.labels[SERVER_LABEL] } },
      }]));
    }
    checkRenderedMetadata(check, this);
    const interceptor = this.interceptorService;
    if (interceptor) {
      registerNames(this, 'WarmFloor', () => [
        { kind: 'Service', scope: namespaceScope(interceptor, interceptor.metadata.namespace), name: interceptor.name },
      ]);
    }
  }

  /**
   * Cron windows raise the floor; the HTTP add-on's external scaler wakes the server from zero.
   * @internal
   */
  public get _floorTriggers(): ScaledObjectSpecTriggers[] {
    const triggers: ScaledObjectSpecTriggers[] = this.schedules.map((schedule, i) => ({
      type: 'cron',
      name: `floor-window-${i}`,
      metadata: { timezone: schedule.timezone, start: schedule.start, end: schedule.end, desiredReplicas: String(schedule.replicas) },
    }));
    if (this.interceptorRoute && this.addOnNamespace) {
      triggers.push({
        type: 'external-push',
        name: 'http-requests',
        metadata: {
          interceptorRoute: this.interceptorRoute.name,
          scalerAddress: `keda-add-ons-http-external-scaler.${this.addOnNamespace}:9090`,
        },
      });
    }
    return triggers;
  }

  /** An ExternalName Service in the server's namespace that points at the interceptor proxy. */
  private createInterceptorService(autoscaler: QueueAutoscaler, addOnNamespace: string, domain: string, name: string | undefined): kplus.Service {
    return new kplus.Service(this, 'Interceptor', {
      // Not the server's component label: the ServiceMonitor must not select this Service.
      metadata: {
        ...(name !== undefined ? { name } : {}),
        namespace: autoscaler.server.namespace,
        labels: { ...autoscaler.server.labels, 'app.kubernetes.io/component': 'request-buffer' },
      },
      type: kplus.ServiceType.EXTERNAL_NAME,
      externalName: `keda-add-ons-http-interceptor-proxy.${addOnNamespace}.svc.${domain}`,
    });
  }

  /**
   * The HTTP add-on's InterceptorRoute (`http.keda.sh/v1beta1`, v0.14 and later; it supersedes HTTPScaledObject and
   * creates no ScaledObject of its own: the library's ScaledObject names it in an external-push trigger).
   */
  private createInterceptorRoute(autoscaler: QueueAutoscaler, options: ScaleToZeroOptions, domain: string): ApiObject {
    const server = autoscaler.server;
    const serviceName = this.interceptorService!.name;
    const namespace = autoscaler.namespace;
    // Clients reach the interceptor through the ExternalName Service, so its names are the Host headers it routes.
    const inCluster = [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.${domain}`];
    return new InterceptorRoute(this, 'Resource', {
      metadata: { name: Names.toDnsLabel(this), namespace: server.namespace, labels: server.labels },
      spec: {
        target: { service: server.serviceName, port: 8000 },
        rules: [{ hosts: [...new Set([...inCluster, ...(options.hosts ?? [])])] }],
        // One replica runs up to max-num-seqs requests at once per data-parallel rank.
        scalingMetric: { concurrency: { targetValue: server.maxRunningPerReplica } },
        timeouts: {
          readiness: `${options.coldStartTimeout?.toSeconds() ?? server.coldStart.startupWindowSeconds + NODE_PROVISIONING_SECONDS + IMAGE_PULL_SECONDS}s`,
          // "0s" disables the limit (http.keda.sh_interceptorroutes.yaml, spec.timeouts.responseHeader).
          responseHeader: `${options.responseHeaderTimeout?.toSeconds() ?? 0}s`,
        },
      },
    });
  }
}

