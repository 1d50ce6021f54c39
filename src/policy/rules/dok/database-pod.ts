import { objectNamespace, podSpecOf, podTemplateOf } from '../../manifest';

/** The labels of a workload's pod template: what selectors (Services, policies, spreads) must select. */
export function templateLabels(o: any): Record<string, string> {
  return podTemplateOf(o)?.metadata?.labels ?? {};
}

/** A port that only serves metrics, by the name exporters and the Prometheus operator's conventions give it. */
function isMetricsPort(port: any): boolean {
  const name = String(port?.name ?? '');
  return name === 'metrics' || name.endsWith('-metrics') || name === 'prometheus';
}

/**
 * The containers that run the database itself: the regular containers serving a port other than metrics (the engine,
 * and peers such as Redis Sentinel); when none declares one, the first container. Metrics exporters, config reloaders
 * and role labellers are helpers: whether they are probed does not decide whether the database serves.
 */
export function databaseContainers(o: any): any[] {
  const declared = podSpecOf(o)?.containers;
  // Anything but a list (other tools' malformed YAML) has no containers to judge.
  const containers: any[] = (Array.isArray(declared) ? declared : []).filter((c: any) => c && typeof c === 'object');
  const serving = containers.filter((c) => Array.isArray(c.ports) && c.ports.some((p: any) => !isMetricsPort(p)));
  return serving.length > 0 ? serving : containers.slice(0, 1);
}

/** `StatefulSet namespace/name`, for details that name a workload other than the one evaluated. */
export function workloadName(o: any): string {
  return `${o?.kind} ${objectNamespace(o)}/${o?.metadata?.name ?? '(unnamed)'}`;
}
