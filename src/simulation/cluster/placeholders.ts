import { Manifest, manifestsOfKind, ServerSpec } from './manifests';
import { PlaceholderSpec } from './replay';
import { HEADROOM_FOR_ANNOTATION } from '../../gpu-headroom';
import { CronWindow } from '../control/cron';

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
