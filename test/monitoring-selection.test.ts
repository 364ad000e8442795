import { Testing } from 'cdk8s';
import { Gpu, MonitoringSelection, QueueAutoscaler, ServingAlerts, VllmService } from '../src';
import { findOne, LLAMA_8B, testChart } from './util';

const RELEASE = { release: 'kube-prometheus-stack' };

function synthAll(selectFirst: boolean) {
  const chart = testChart();
  if (selectFirst) new MonitoringSelection(chart, 'monitoring', { labels: RELEASE });
  const server = new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
  const autoscaler = new QueueAutoscaler(chart, 'autoscaler', { server, maxReplicas: 2, prometheusAddress: 'http://prometheus:9090' });
  new ServingAlerts(chart, 'alerts', { server, autoscaler });
  if (!selectFirst) new MonitoringSelection(chart, 'monitoring', { labels: RELEASE });
  return Testing.synth(chart);
}

describe('MonitoringSelection', () => {
  test.each([true, false])('labels the ServiceMonitor and the PrometheusRule (declared first: %s)', (selectFirst) => {
    const manifests = synthAll(selectFirst);
    expect(findOne(manifests, 'ServiceMonitor').metadata.labels).toMatchObject(RELEASE);
    expect(findOne(manifests, 'PrometheusRule').metadata.labels).toMatchObject(RELEASE);
    // Only the objects Prometheus selects: the Deployment and the ScaledObject keep their own labels.
    expect(findOne(manifests, 'Deployment').metadata.labels.release).toBeUndefined();
  });

  test('without one, the objects carry only the library labels', () => {
    const chart = testChart();
    new VllmService(chart, 'server', { model: LLAMA_8B, gpu: Gpu.L4 });
    expect(findOne(Testing.synth(chart), 'ServiceMonitor').metadata.labels.release).toBeUndefined();
  });

  test('one per chart', () => {
    const chart = testChart();
    new MonitoringSelection(chart, 'monitoring', { labels: RELEASE });
    expect(() => new MonitoringSelection(chart, 'again', { labels: RELEASE })).toThrow(
      "MonitoringSelection 'test/again': the chart already has a MonitoringSelection ('test/monitoring'): declare one per chart");
  });

  test.each([
    [{}, 'labels ({}) must hold at least one label'],
    [{ release: 'not a value' }, "labels.release ('not a value') must be a valid Kubernetes label value (at most 63 characters)"],
    [{ 'bad key!': 'x' }, "labels ('bad key!') must be valid Kubernetes label keys"],
  ])('%j is refused', (labels, message) => {
    expect(() => new MonitoringSelection(testChart(), 'monitoring', { labels })).toThrow(`MonitoringSelection 'test/monitoring': ${message}`);
  });
});
