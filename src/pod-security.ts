import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { RUN_AS_USER } from './defaults';

/** Non-root, fixed UID/GID, group ownership of volumes changed only when the root of the volume differs. */
export function hardenedPodSecurity(): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: RUN_AS_USER,
    group: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/** Read-only root filesystem, no privilege escalation, every capability dropped, runtime-default seccomp. */
export function hardenedContainerSecurity(): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: RUN_AS_USER,
    group: RUN_AS_USER,
    readOnlyRootFilesystem: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/** The only writable directories of a hardened container: `/tmp` and a cache directory, both emptyDirs. */
export interface WritableScratch {
  readonly tmpPath: string;
  readonly cachePath: string;
  /** What the two emptyDirs may hold in all: the container's ephemeral-storage request and limit. */
  readonly ephemeralStorage: Size;
  mountInto(container: kplus.Container): void;
}

/** Sizes of the scratch emptyDirs. */
export interface ScratchSizes {
  readonly tmp: Size;
  readonly cache: Size;
}

/**
 * Declares the writable scratch volumes on a pod-owning construct, each with a `sizeLimit` (the kubelet evicts a pod
 * that writes more), so the node's disk is accounted for by the scheduler through the ephemeral-storage request.
 */
export function writableScratch(scope: Construct, sizes: ScratchSizes): WritableScratch {
  const tmp = kplus.Volume.fromEmptyDir(scope, 'TmpVolume', 'tmp', { sizeLimit: sizes.tmp });
  const cache = kplus.Volume.fromEmptyDir(scope, 'CacheVolume', 'cache', { sizeLimit: sizes.cache });
  const tmpPath = '/tmp';
  const cachePath = '/var/cache/vllm';
  return {
    tmpPath,
    cachePath,
    ephemeralStorage: Size.mebibytes(sizes.tmp.toMebibytes() + sizes.cache.toMebibytes()),
    mountInto(container: kplus.Container) {
      container.mount(tmpPath, tmp);
      container.mount(cachePath, cache);
    },
  };
}
