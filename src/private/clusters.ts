import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Charts synthesized for a cluster of their own (a DRPair's sites): their objects never meet another cluster's, so
 * two sites may hold objects of the same kind, namespace and name (a replicated volume's claim, its StatefulSet).
 * Charts not marked share one cluster, as a plain app's do.
 */
const clusters = new WeakMap<Chart, string>();

export function markClusterChart(chart: Chart, cluster: string): void {
  clusters.set(chart, cluster);
}

/** The cluster an object goes to: its chart's, or '' for the app's shared one. */
export function clusterOf(c: IConstruct): string {
  return clusters.get(Chart.of(c)) ?? '';
}
