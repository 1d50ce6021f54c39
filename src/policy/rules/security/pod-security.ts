import { podSpecOf } from '../../manifest';

/**
 * Readers shared by the security rules. The pod-security messages copy the admission plugin's wording
 * (k8s.io/pod-security-admission policy/helpers.go joinQuote and pluralize), so a finding reads like the error
 * `kubectl apply` would print in a namespace labelled `pod-security.kubernetes.io/enforce: restricted`.
 */

/** A container of a pod spec, ephemeral containers included (the admission plugin's visitContainers). */
export interface NamedContainer {
  readonly name: string;
  readonly container: any;
}

/** Every container the admission plugin visits: init containers (sidecars among them), containers, ephemeral containers. */
export function everyContainer(spec: any): NamedContainer[] {
  const lists = [spec?.initContainers, spec?.containers, spec?.ephemeralContainers];
  return lists.flatMap((list) => (Array.isArray(list) ? list : []))
    .filter((c: any) => c && typeof c === 'object')
    .map((c: any) => ({ name: String(c.name ?? '(unnamed)'), container: c }));
}

/** The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob), or undefined. */
export function workloadPodSpec(o: any): any | undefined {
  const spec = podSpecOf(o);
  return spec && typeof spec === 'object' ? spec : undefined;
}

/** `"a", "b"` as the admission plugin quotes names. */
export function joinQuote(items: string[]): string {
  return items.length ? `"${items.join('", "')}"` : '';
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `container "a"` or `containers "a", "b"`. */
export function containersPhrase(names: string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}
