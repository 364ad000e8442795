import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Check, subjectOf } from './errors';

/** Properties of a MonitoringSelection. */
export interface MonitoringSelectionProps {
  /**
   * Labels your Prometheus selects ServiceMonitors and PrometheusRules by (its `serviceMonitorSelector` and
   * `ruleSelector`). A default kube-prometheus-stack selects `release: <its Helm release name>`, e.g.
   * `{ release: 'kube-prometheus-stack' }`.
   */
  readonly labels: { [label: string]: string };
}

/**
 * How the chart's Prometheus finds the library's ServiceMonitors and PrometheusRules: one chart-wide setting.
 *
 * Without the labels your Prometheus selects, it ignores them: KEDA then reads no queue (the fallback holds capacity
 * forever) and no alert is loaded. Every ServiceMonitor and PrometheusRule of the chart carries the labels, whether
 * it was created before or after the selection.
 *
 * @example
 * new MonitoringSelection(chart, 'monitoring', { labels: { release: 'kube-prometheus-stack' } });
 */
export class MonitoringSelection extends Construct {
  /** The selection of the chart that holds `scope`, if one was declared. */
  public static of(scope: IConstruct): MonitoringSelection | undefined {
    return Chart.of(scope).node.findAll().find((c): c is MonitoringSelection => c instanceof MonitoringSelection);
  }

  /**
   * Labels `object` (a ServiceMonitor or PrometheusRule) with the chart's selection, now or when the selection is declared.
   * @internal
   */
  public static _select(object: ApiObject): void {
    MonitoringSelection.of(object)?.label(object);
  }

  /** The labels Prometheus selects by. */
  public readonly labels: { [label: string]: string };

  public constructor(scope: Construct, id: string, props: MonitoringSelectionProps) {
    super(scope, id);
    const check = new Check(subjectOf(this, 'MonitoringSelection'));
    check.required(props, ['labels']);
    const existing = Chart.of(this).node.findAll().find((c) => c instanceof MonitoringSelection && c !== this);
    if (existing) throw check.problem(`the chart already has a MonitoringSelection ('${existing.node.path}'): declare one per chart`);
    const entries = Object.entries(props.labels);
    check.that(entries.length > 0, 'labels', props.labels, 'must hold at least one label');
    for (const [key, value] of entries) {
      check.that(LABEL_KEY.test(key), 'labels', key, 'must be valid Kubernetes label keys');
      check.that(LABEL_VALUE.test(value), `labels.${key}`, value, 'must be a valid Kubernetes label value (at most 63 characters)');
    }
    this.labels = { ...props.labels };
    for (const object of Chart.of(this).node.findAll()) {
      if (object instanceof ApiObject && SELECTED_KINDS.has(object.kind)) this.label(object);
    }
  }

  private label(object: ApiObject): void {
    for (const [key, value] of Object.entries(this.labels)) object.metadata.addLabel(key, value);
  }
}

const SELECTED_KINDS = new Set(['ServiceMonitor', 'PrometheusRule']);
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
