import { Gpu } from '../../gpu';
import { Model } from '../../model';

/** The server of the example chart. */
export interface ExampleDeploymentOptions {
  /**
   * The model served.
   * @default - meta-llama/Llama-3.1-70B-Instruct, 70 B parameters (the README quick start)
   */
  readonly model?: Model;
  /**
   * The GPU model.
   * @default Gpu.H100
   */
  readonly gpu?: Gpu;
  /**
   * GPUs per replica.
   * @default 4
   */
  readonly gpuCount?: number;
  /**
   * `--max-num-seqs` of the VllmService.
   * @default - the VllmService default
   */
  readonly maxNumSeqs?: number;
}
