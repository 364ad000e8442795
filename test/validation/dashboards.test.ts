import { Chart, Testing } from 'cdk8s';
import { Gpu, Model, ServingAlerts, VllmService } from '../../src';
import { ServingDashboard } from '../../src/serving-dashboard';
import { LLAMA_8B, refusal, testChart } from '../util';

// Grafana and Prometheus read the dashboards and rule sets: GIVEN props, WHEN constructed (or the app synthesized),
// THEN the exact message.

function server(chart: Chart, id = 'server', model = LLAMA_8B): VllmService {
  return new VllmService(chart, id, { model, gpu: Gpu.L4 });
}

test('two ServingAlerts on one server are refused, naming both', () => {
  const chart = testChart();
  const s = server(chart);
  new ServingAlerts(chart, 'alerts', { server: s });
  expect(refusal(() => new ServingAlerts(chart, 'more', { server: s })))
    .toBe("ServingAlerts 'test/more': server ('test/server') is already watched by ServingAlerts 'test/alerts': two rule sets on one server fire every alert twice; keep one");
});

test.each(['', '   '])('a dashboard title %j is refused', (title) => {
  const chart = testChart();
  expect(refusal(() => new ServingDashboard(chart, 'dashboard', { servers: [server(chart)], title })))
    .toBe(`ServingDashboard 'test/dashboard': title ('${title}') must not be empty: Grafana refuses to provision a dashboard without a title`);
});

test("a served model name holding ',' is refused", () => {
  const chart = testChart();
  const model = Model.huggingFace('org/m', { parametersBillions: 1, servedModelName: 'a,b' });
  expect(refusal(() => new ServingDashboard(chart, 'dashboard', { servers: [server(chart, 'server', model)] })))
    .toBe("ServingDashboard 'test/dashboard': servers ('test/server') serves the model name 'a,b', which holds ',': Grafana splits a custom variable's values on ',', and the model variable would match no series");
});

test('a title that pushes the ConfigMap over 1 MiB is refused', () => {
  const chart = testChart();
  const message = refusal(() => new ServingDashboard(chart, 'dashboard', { servers: [server(chart)], title: 'x'.repeat(1024 * 1024) }));
  expect(message).toMatch(/^ServingDashboard 'test\/dashboard': rendered ConfigMap data \('\d+ bytes'\) must total at most 1048576 bytes \(1 MiB, the API server's limit on a ConfigMap\): shorten the title or split the servers over several dashboards$/);
  expect(() => new ServingDashboard(chart, 'fits', { servers: [server(chart, 'other')], title: 'x'.repeat(1000) })).not.toThrow();
});

test('two dashboards with one uid in one app are refused, across charts', () => {
  const app = Testing.app();
  const a = new Chart(app, 'a', { namespace: 'inference' });
  const b = new Chart(app, 'b', { namespace: 'other' });
  new ServingDashboard(a, 'dashboard', { servers: [server(a)], uid: 'llm' });
  new ServingDashboard(b, 'dashboard', { servers: [server(b)], uid: 'llm' });
  expect(() => Testing.synth(a)).toThrow(new Error("Validation failed with the following errors:\n  [b/dashboard] ServingDashboard 'b/dashboard': dashboard uid ('llm') is also the uid of ServingDashboard 'a/dashboard': "
    + 'Grafana keeps one dashboard per uid and drops the other; give one of them another uid'));
});
