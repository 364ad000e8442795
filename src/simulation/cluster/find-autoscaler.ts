import { Manifest, manifestsOfKind, ServerSpec } from './manifests';
import { Autoscaler, FixedAutoscaler, HpaAutoscaler } from '../control/autoscaler';
import { KedaAutoscaler } from '../control/keda';

/**
 * The autoscaler that targets the server's Deployment: a ScaledObject (with its HTTP add-on objects), an HPA,
 * or, when nothing targets it, the Deployment's own fixed `spec.replicas` (1 when missing, the Deployment default).
 */
export function findAutoscaler(manifests: Manifest[], server: ServerSpec): { autoscaler: Autoscaler; name: string } {
  const targets = (m: Manifest): boolean => m.spec?.scaleTargetRef?.name === server.deploymentName
    && (m.spec?.scaleTargetRef?.kind ?? 'Deployment') === 'Deployment';
  checkTargetsExist(manifests);
  const scaledObjects = manifestsOfKind(manifests, 'ScaledObject').filter(targets);
  const hpas = manifestsOfKind(manifests, 'HorizontalPodAutoscaler').filter(targets);
  if (scaledObjects.length + hpas.length > 1) {
    throw new Error(`Manifests: expected at most one ScaledObject or HorizontalPodAutoscaler with scaleTargetRef '${server.deploymentName}', `
      + `found ${scaledObjects.length} ScaledObject(s) and ${hpas.length} HorizontalPodAutoscaler(s)`);
  }
  if (scaledObjects.length === 1) {
    const httpScaledObjects = manifests.filter((o) => o.kind === 'InterceptorRoute' || o.kind === 'HTTPScaledObject');
    return { autoscaler: new KedaAutoscaler(scaledObjects[0], httpScaledObjects), name: scaledObjects[0].metadata?.name ?? 'scaledobject' };
  }
  if (hpas.length === 1) return { autoscaler: new HpaAutoscaler(hpas[0]), name: hpas[0].metadata?.name ?? 'hpa' };
  const deployment = manifestsOfKind(manifests, 'Deployment').find((d) => d.metadata?.name === server.deploymentName);
  const replicas = deployment?.spec?.replicas ?? 1;
  return { autoscaler: new FixedAutoscaler(replicas), name: `${server.deploymentName} (${replicas} fixed)` };
}

/**
 * Every ScaledObject and HPA scales a Deployment of the manifests: one whose target is missing (a typo, a renamed
 * server) would leave the server at fixed replicas in the replay, and the cluster with an autoscaler that scales nothing.
 */
function checkTargetsExist(manifests: Manifest[]): void {
  const deployments = manifestsOfKind(manifests, 'Deployment').map((d) => d.metadata?.name);
  for (const kind of ['ScaledObject', 'HorizontalPodAutoscaler']) {
    for (const scaler of manifestsOfKind(manifests, kind)) {
      const ref = scaler.spec?.scaleTargetRef ?? {};
      const targetKind = ref.kind ?? 'Deployment';
      if (manifests.some((m) => m?.kind === targetKind && m.metadata?.name === ref.name)) continue;
      throw new Error(`${kind} '${scaler.metadata?.name}': spec.scaleTargetRef (${targetKind} '${ref.name}') names no object of the manifests`
        + ` (Deployments: ${deployments.join(', ') || 'none'})`);
    }
  }
}
