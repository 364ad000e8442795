import { ServerSpec } from './manifests';
import { NodeMode, NodePoolSpec } from './nodes';
import { ASSUMPTIONS } from '../engine/assumptions';

/** The GPU nodes a replay runs its pods on. */
export interface NodePoolProps {
  /**
   * `free` (every new pod finds a free GPU node at once), `autoscaled` (a node autoscaler adds a node when a pod
   * fits none, after `provisioningSeconds`, and removes one empty for `scaleDownSeconds`) or `fixed` (`minNodes`
   * nodes, no more).
   * @default 'free'
   */
  readonly mode?: string;
  /**
   * GPUs on one node.
   * @default - from the GPU: 8 for GPUs of 80 GB or more (H100, H200, A100); for smaller ones (L4, A10G) the smallest of 1, 4 or 8 that holds a replica
   */
  readonly gpusPerNode?: number;
  /**
   * Seconds from the node autoscaler's request to a Ready node.
   * @default 300
   */
  readonly provisioningSeconds?: number;
  /**
   * Seconds to pull the server's image onto a node that does not have it.
   * @default 160
   */
  readonly imagePullSeconds?: number;
  /**
   * Seconds a node stays empty before it is removed (cluster-autoscaler `--scale-down-unneeded-time`, Karpenter `consolidateAfter`).
   * @default 600
   */
  readonly scaleDownSeconds?: number;
  /**
   * Nodes that exist from the start, hold the image and are never removed; with `fixed`, all the nodes there are.
   * @default - 0 with autoscaled nodes; required with fixed
   */
  readonly minNodes?: number;
  /**
   * The most nodes the pool grows to (autoscaled).
   * @default - no limit besides the replica ceiling
   */
  readonly maxNodes?: number;
}

const MODES: NodeMode[] = ['free', 'autoscaled', 'fixed'];

/** Reads `free`, `autoscaled` or `fixed:N` (the command line's `--nodes`). */
export function parseNodeMode(text: string): NodePoolProps {
  if (text === 'free' || text === 'autoscaled') return { mode: text };
  const match = /^fixed:(\d+)$/.exec(text);
  if (!match) throw new Error(`nodes '${text}' must be free, autoscaled or fixed:N`);
  return { mode: 'fixed', minNodes: Number(match[1]) };
}

/** The node pool with every figure resolved for this server; undefined with nodes free. */
export function resolveNodePool(props: NodePoolProps | undefined, server: ServerSpec): NodePoolSpec | undefined {
  const mode = (props?.mode ?? 'free') as NodeMode;
  if (!MODES.includes(mode)) throw new Error(`nodes: mode ('${props?.mode}') must be one of ${MODES.join(', ')}`);
  if (mode === 'free') return undefined;
  const gpusPerNode = whole('gpusPerNode', props?.gpusPerNode ?? defaultGpusPerNode(server), 1, 64);
  if (gpusPerNode < server.gpuCount) {
    throw new Error(`nodes: gpusPerNode (${gpusPerNode}) must be >= the server's GPUs per replica (${server.gpuCount}): no replica would fit a node`);
  }
  if (mode === 'fixed' && props?.minNodes === undefined) throw new Error('nodes: fixed needs minNodes, the number of nodes');
  const minNodes = whole('minNodes', props?.minNodes ?? 0, mode === 'fixed' ? 1 : 0, 1000);
  const maxNodes = whole('maxNodes', props?.maxNodes ?? 1000, Math.max(1, minNodes), 1000);
  return {
    mode,
    gpusPerNode,
    provisioningSeconds: seconds('provisioningSeconds', props?.provisioningSeconds ?? ASSUMPTIONS.nodeProvisioningSeconds),
    imagePullSeconds: seconds('imagePullSeconds', props?.imagePullSeconds ?? ASSUMPTIONS.imagePullSeconds),
    scaleDownSeconds: seconds('scaleDownSeconds', props?.scaleDownSeconds ?? ASSUMPTIONS.nodeScaleDownSeconds),
    minNodes,
    maxNodes,
  };
}

/** The node shape of the GPU: 8 GPUs for the 80 GB class, else the smallest common shape that holds a replica. */
export function defaultGpusPerNode(server: ServerSpec): number {
  if (server.gpu.memoryMib >= 80_000) return Math.max(ASSUMPTIONS.gpusPerLargeNode, server.gpuCount);
  return ASSUMPTIONS.smallGpuNodeShapes.find((shape) => shape >= server.gpuCount) ?? server.gpuCount;
}

/** The node settings as reported (JSON `nodes`): every figure, or only the mode with nodes free. */
export function nodeSettings(spec: NodePoolSpec | undefined): NodePoolProps {
  return spec ? { ...spec } : { mode: 'free' };
}

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`nodes: ${name} (${value}) must be a whole number from ${min} to ${max}`);
  return value;
}

function seconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 86_400) throw new Error(`nodes: ${name} (${value}) must be a number of seconds from 0 to 86400`);
  return value;
}
