import { Testing } from 'cdk8s';
import { GpuHeadroom, ModelCache, MonitoringSelection, QueueAutoscaler, ServingAlerts, VllmService, WarmFloor } from '../../src';
import { ValidationError } from '../../src/errors';
import { ServingDashboard } from '../../src/serving-dashboard';
import { refusal, testChart } from '../util';

// From JavaScript a construct may get no props, or an empty object: each names what is missing, never a TypeError.

type Build = (props: any) => unknown;

const CONSTRUCTS: [string, Build, string][] = [
  ['VllmService', (props) => new VllmService(testChart(), 'x', props), 'model, gpu'],
  ['ModelCache', (props) => new ModelCache(testChart(), 'x', props), 'model'],
  ['QueueAutoscaler', (props) => new QueueAutoscaler(testChart(), 'x', props), 'server, maxReplicas, prometheusAddress'],
  ['WarmFloor', (props) => new WarmFloor(testChart(), 'x', props), 'autoscaler'],
  ['ServingAlerts', (props) => new ServingAlerts(testChart(), 'x', props), 'server'],
  ['ServingDashboard', (props) => new ServingDashboard(testChart(), 'x', props), 'servers'],
  ['MonitoringSelection', (props) => new MonitoringSelection(testChart(), 'x', props), 'labels'],
  ['GpuHeadroom', (props) => new GpuHeadroom(testChart(), 'x', props), 'server'],
];

describe('missing or empty props objects', () => {
  test.each(CONSTRUCTS)('%s without props', (kind, build, names) => {
    expect(refusal(() => build(undefined))).toBe(`${kind} 'test/x': props (undefined) must be an object with ${names}`);
  });

  test.each(CONSTRUCTS)('%s with {}', (kind, build, names) => {
    const first = names.split(', ')[0];
    expect(refusal(() => build({}))).toBe(`${kind} 'test/x': ${first} (undefined) is required (props must hold ${names})`);
  });

  test('synthesis is never reached with a half-built construct', () => {
    const chart = testChart();
    expect(() => new ServingDashboard(chart, 'd', {} as any)).toThrow(ValidationError);
    expect(() => Testing.synth(chart)).not.toThrow(TypeError);
  });
});
