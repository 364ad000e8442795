import { App } from 'cdk8s';
import { llama70bOnH100 } from './llama-70b-h100';
import { llama8bOnL4 } from './llama-8b-l4';
import { qwen7bScaleToZero } from './qwen-7b-scale-to-zero';

/** Every example chart, by the file name it is written to (`dist/<name>.k8s.yaml`). */
export const EXAMPLES: { [name: string]: (app: App) => unknown } = {
  'llama-8b-l4': llama8bOnL4,
  'llama-70b-h100': llama70bOnH100,
  'qwen-7b-scale-to-zero': qwen7bScaleToZero,
};

// The README quick starts (examples/quickstart*.ts) are apps of their own and synthesize themselves.
if (require.main === module) {
  const app = new App({ outdir: process.argv[2] ?? 'dist' });
  for (const build of Object.values(EXAMPLES)) build(app);
  app.synth();
  console.log(`synthesized ${Object.keys(EXAMPLES).join(', ')} into ${app.outdir}/`);
}
