import { Check } from './errors';

/**
 * What a GPU model offers to an inference server.
 */
export interface GpuProps {
  /** Short name, e.g. `H100-80GB`. */
  readonly name: string;
  /**
   * The node label value set by NVIDIA GPU feature discovery (`nvidia.com/gpu.product`),
   * e.g. `NVIDIA-H100-80GB-HBM3`.
   */
  readonly productLabel: string;
  /** Memory per GPU in MiB, as `nvidia-smi` reports it (slightly below the data-sheet figure). */
  readonly memoryMib: number;
  /** HBM bandwidth per GPU in TB/s (10^12 bytes per second). */
  readonly memoryBandwidthTbps: number;
  /** Dense BF16 tensor throughput per GPU in TFLOP/s (without sparsity). */
  readonly bf16Tflops: number;
}

/**
 * A GPU model: memory, bandwidth and the node label that selects it.
 *
 * Presets follow the vendor data sheets; memory is the figure `nvidia-smi` reports.
 */
export class Gpu {
  /** NVIDIA L4: 24 GB (about 23,000 MiB usable), 0.30 TB/s, 121 TFLOP/s BF16. */
  public static readonly L4 = new Gpu({ name: 'L4', productLabel: 'NVIDIA-L4', memoryMib: 23_000, memoryBandwidthTbps: 0.3, bf16Tflops: 121 });
  /** NVIDIA A10G: 24 GB (about 23,000 MiB usable), 0.60 TB/s, about 70 TFLOP/s BF16 (dense). */
  public static readonly A10G = new Gpu({ name: 'A10G', productLabel: 'NVIDIA-A10G', memoryMib: 23_000, memoryBandwidthTbps: 0.6, bf16Tflops: 70 });
  /** NVIDIA A100 80GB SXM: 81,920 MiB, 2.0 TB/s, 312 TFLOP/s BF16. */
  public static readonly A100 = new Gpu({ name: 'A100-80GB', productLabel: 'NVIDIA-A100-SXM4-80GB', memoryMib: 81_920, memoryBandwidthTbps: 2.0, bf16Tflops: 312 });
  /** NVIDIA H100 80GB SXM: 81,559 MiB, 3.35 TB/s, 989 TFLOP/s BF16. */
  public static readonly H100 = new Gpu({ name: 'H100-80GB', productLabel: 'NVIDIA-H100-80GB-HBM3', memoryMib: 81_559, memoryBandwidthTbps: 3.35, bf16Tflops: 989 });
  /** NVIDIA H200: 143,771 MiB, 4.8 TB/s, 989 TFLOP/s BF16. */
  public static readonly H200 = new Gpu({ name: 'H200', productLabel: 'NVIDIA-H200', memoryMib: 143_771, memoryBandwidthTbps: 4.8, bf16Tflops: 989 });

  /** Every preset, for look-ups by name or node label. */
  public static presets(): Gpu[] {
    return [Gpu.L4, Gpu.A10G, Gpu.A100, Gpu.H100, Gpu.H200];
  }

  /** A GPU that is not a preset. */
  public static custom(props: GpuProps): Gpu {
    return new Gpu(props);
  }

  /** The preset whose `nvidia.com/gpu.product` label is `productLabel`, if any. */
  public static fromProductLabel(productLabel: string): Gpu | undefined {
    return Gpu.presets().find((gpu) => gpu.productLabel === productLabel);
  }

  /** Short name. */
  public readonly name: string;
  /** Value of the `nvidia.com/gpu.product` node label. */
  public readonly productLabel: string;
  /** Memory per GPU in MiB as `nvidia-smi` reports it. */
  public readonly memoryMib: number;
  /** HBM bandwidth per GPU, TB/s. */
  public readonly memoryBandwidthTbps: number;
  /** Dense BF16 throughput per GPU, TFLOP/s. */
  public readonly bf16Tflops: number;

  private constructor(props: GpuProps) {
    const check = new Check(`Gpu '${props?.name}'`);
    check.that(props !== null && typeof props === 'object', 'props', props, 'must be an object');
    check.that(typeof props.name === 'string' && props.name.trim().length > 0 && props.name.length <= 63, 'name', props.name, 'must be 1-63 characters');
    check.that(typeof props.productLabel === 'string', 'productLabel', props.productLabel, 'must be a valid Kubernetes label value');
    check.that(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(props.productLabel), 'productLabel', props.productLabel, 'must be a valid Kubernetes label value');
    check.positive('memoryMib', props.memoryMib);
    check.positive('memoryBandwidthTbps', props.memoryBandwidthTbps);
    check.positive('bf16Tflops', props.bf16Tflops);
    this.name = props.name;
    this.productLabel = props.productLabel;
    this.memoryMib = props.memoryMib;
    this.memoryBandwidthTbps = props.memoryBandwidthTbps;
    this.bf16Tflops = props.bf16Tflops;
  }

  /** Memory per GPU in GiB (2^30 bytes). */
  public get memoryGib(): number {
    return this.memoryMib / 1024;
  }
}
