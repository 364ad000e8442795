import { App, Chart, ChartProps, Testing } from 'cdk8s';
import { Gpu, Model } from '../src';
import { SWEPT_DEFAULTS } from '../src/autoscaling-defaults';
import { ValidationError } from '../src/errors';

/** Small, fast models for tests that do not care which model is served. */
export const LLAMA_8B = Model.huggingFace('meta-llama/Llama-3.1-8B-Instruct', { parametersBillions: 8 });
export const LLAMA_70B = Model.huggingFace('meta-llama/Llama-3.1-70B-Instruct', { parametersBillions: 70 });
export { Gpu };

/** A chart in namespace `inference` of a fresh test app. */
export function testChart(props: ChartProps = { namespace: 'inference' }): Chart {
  return new Chart(Testing.app(), 'test', props);
}

/** A chart in its own app, for examples that build their chart from an app. */
export function synthApp(build: (app: App) => unknown): any[] {
  const app = Testing.app();
  build(app);
  return app.charts.flatMap((chart) => Testing.synth(chart));
}

/** The single object of `kind` (whose name contains `nameContains`, when given); fails when there is not exactly one. */
export function findOne(manifests: any[], kind: string, nameContains?: string): any {
  const found = findAll(manifests, kind).filter((o) => nameContains === undefined || o.metadata?.name?.includes(nameContains));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${nameContains ? ` named *${nameContains}*` : ''}, found ${found.length}: ${found.map((o) => o.metadata?.name).join(', ')}`);
  }
  return found[0];
}

/** Every object of `kind`. */
export function findAll(manifests: any[], kind: string): any[] {
  return manifests.filter((o) => o.kind === kind);
}

/** The first container named `name` of a workload (Deployment or Job). */
export function container(workload: any, name: string): any {
  const found = workload.spec.template.spec.containers.find((c: any) => c.name === name);
  if (!found) throw new Error(`no container ${name} in ${workload.kind}/${workload.metadata.name}`);
  return found;
}

/** The value following `flag` in an argument list. */
export function argValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The exact message of the error `fn` throws (fails when it throws none). */
/** The message of the ValidationError `build` throws; fails the test when it throws anything else, or nothing. */
export function refusal(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('expected a ValidationError, but the props were accepted');
}

export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

/** The metric triggers a QueueAutoscaler has with its swept defaults, in the order it emits them. */
export function defaultTriggerNames(): string[] {
  return ['queue', ...(SWEPT_DEFAULTS.capacityEnabled ? ['in-flight'] : []), ...(SWEPT_DEFAULTS.predictiveEnabled ? ['in-flight-forecast'] : []),
    ...(SWEPT_DEFAULTS.demandEnabled ? ['demand'] : [])];
}
