import { Manifest } from '../cluster/manifests';

/** A further benchmark row: another chart of the same server (a variant of the default's settings), under the same bounds. */
export interface VariantRow {
  readonly name: string;
  readonly description: string;
  readonly manifests: Manifest[];
  /** The row's own floor, when it sets one (a WarmFloor), instead of the benchmark's. */
  readonly minReplicas?: number;
}
