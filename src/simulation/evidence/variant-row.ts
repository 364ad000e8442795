import { Manifest } from '../cluster/manifests';

/** A further benchmark row: another chart of the same server (a variant of the default's settings), under the same bounds. */
export interface VariantRow {
  readonly name: string;
  readonly description: string;
  readonly manifests: Manifest[];
}
