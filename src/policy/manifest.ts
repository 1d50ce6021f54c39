/**
 * Reading rendered objects: the parts of the Kubernetes API the rules share (pod templates, selectors, namespaces).
 * Everything here takes plain JSON and tolerates missing fields: rules also read other tools' YAML.
 */

import { CLUSTER_SCOPED } from '../private/cluster-scoped';
import { QUANTITY_FACTORS } from '../private/quantity';

/** Kinds without a namespace (the built-in ones and the CRDs the library emits or reads). */
export const CLUSTER_SCOPED_KINDS = CLUSTER_SCOPED;

/** Annotations the library writes on database controllers, and that users may set on their own, for the rules. */
export const HINT_QUORUM = 'cdk8s-databases.io/quorum';
export const HINT_ZONES = 'cdk8s-databases.io/zones';
/** Label keys set on pods at runtime (by Patroni, a role labeller), comma separated: selectors may use them. */
export const HINT_RUNTIME_LABELS = 'cdk8s-databases.io/runtime-labels';
/** On a backup CronJob: the instance it backs up, its worst-case RPO and target in seconds, its retention. */
export const HINT_BACKS_UP = 'cdk8s-databases.io/backs-up';
export const HINT_RPO_SECONDS = 'cdk8s-databases.io/rpo-seconds';
export const HINT_RPO_TARGET_SECONDS = 'cdk8s-databases.io/rpo-target-seconds';
export const HINT_RETENTION = 'cdk8s-databases.io/retention';
/** On a CronJob that restores a backup into a scratch instance and checks it. */
export const HINT_VERIFIES = 'cdk8s-databases.io/verifies-restore-of';
/** The values of the runtime role label, `<primary>,<replica>` (e.g. `master,replica`): which pods a role budget selects. */
export const HINT_ROLE_VALUES = 'cdk8s-databases.io/role-values';
/** Suppressions: `ignore-check.cdk8s-databases.io/<RULE-ID>: <reason>` on the object. */
export const SUPPRESSION_PREFIX = 'ignore-check.cdk8s-databases.io/';

export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';

/** `Kind namespace/name` (or `Kind name` for cluster-scoped kinds): how findings name an object. */
export function objectRef(o: any): string {
  const name = o?.metadata?.name ?? '(unnamed)';
  return CLUSTER_SCOPED_KINDS.has(o?.kind) ? `${o?.kind} ${name}` : `${o?.kind} ${objectNamespace(o)}/${name}`;
}

/** The object's namespace: its own, or `default` as kubectl would apply it. */
export function objectNamespace(o: any): string {
  return o?.metadata?.namespace ?? 'default';
}

export function annotationsOf(o: any): Record<string, string> {
  return o?.metadata?.annotations ?? {};
}

export function labelsOf(o: any): Record<string, string> {
  return o?.metadata?.labels ?? {};
}

/** A whole number annotation, or undefined when absent or not a number. */
export function numberHint(o: any, key: string): number | undefined {
  const v = annotationsOf(o)[key];
  if (v === undefined || !/^\d+$/.test(String(v))) return undefined;
  return Number(v);
}

/** The pod template of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob), or a Pod itself. */
export function podTemplateOf(o: any): { metadata?: any; spec?: any } | undefined {
  switch (o?.kind) {
    case 'Pod': return { metadata: o.metadata, spec: o.spec };
    case 'CronJob': return o.spec?.jobTemplate?.spec?.template;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': case 'ReplicationController':
      return o.spec?.template;
    default: return undefined;
  }
}

export function podSpecOf(o: any): any | undefined {
  return podTemplateOf(o)?.spec;
}

export interface ContainerEntry {
  /** `container`, `init container` or `sidecar` (an init container with `restartPolicy: Always`). */
  readonly role: 'container' | 'init container' | 'sidecar';
  readonly container: any;
}

/** Every container of a pod spec, init containers and sidecars included. */
export function containersOf(spec: any): ContainerEntry[] {
  const init = (Array.isArray(spec?.initContainers) ? spec.initContainers : []).map((c: any): ContainerEntry => ({
    role: c?.restartPolicy === 'Always' ? 'sidecar' : 'init container', container: c,
  }));
  const main = Array.isArray(spec?.containers) ? spec.containers : [];
  return [...init, ...main.map((c: any): ContainerEntry => ({ role: 'container', container: c }))];
}

/** Whether a label selector (`matchLabels` / `matchExpressions`, or a plain map as Services use) selects `labels`. */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const matchLabels: Record<string, string> = isLabelSelector ? selector.matchLabels ?? {} : selector;
  if (typeof matchLabels !== 'object') return false;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  const expressions = isLabelSelector && Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of expressions) {
    if (!e || typeof e.key !== 'string') return false;
    const has = e.key in labels;
    const values: string[] = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In': if (!has || !values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Whether a selector selects nothing at all (an empty `matchLabels` and no expressions selects every pod). */
export function selectsEverything(selector: any): boolean {
  return !!selector && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** The workloads whose pod template `selector` selects, in `namespace`. */
export function workloadsSelectedBy(selector: any, namespace: string, objects: any[]): any[] {
  return objects.filter((o) => objectNamespace(o) === namespace && o.kind !== 'CronJob' && o.kind !== 'Job'
    && podTemplateOf(o) && selectorMatches(selector, podTemplateOf(o)?.metadata?.labels ?? {}));
}

/**
 * A database controller: a StatefulSet that claims volumes, or one the library labels as a database. Rules of the
 * Data on Kubernetes pack apply to these; a stateless StatefulSet is not their business.
 */
export function isDatabaseWorkload(o: any): boolean {
  if (o?.kind !== 'StatefulSet') return false;
  const templates = o.spec?.volumeClaimTemplates;
  return (Array.isArray(templates) && templates.length > 0) || labelsOf(o)[LABEL_COMPONENT] === 'database';
}

/** The database controllers of the same instance (Cassandra racks are several StatefulSets of one ring). */
export function instanceMembers(o: any, objects: any[]): any[] {
  const instance = labelsOf(o)[LABEL_INSTANCE];
  if (!instance) return [o];
  return objects.filter((x) => isDatabaseWorkload(x) && objectNamespace(x) === objectNamespace(o) && labelsOf(x)[LABEL_INSTANCE] === instance);
}

/** Replicas of a controller, with the API's default of 1. */
export function replicasOf(o: any): number {
  const r = o?.spec?.replicas;
  return typeof r === 'number' ? r : 1;
}

/** Label keys set on the pods at runtime, from the controller's hint annotation. */
export function runtimeLabelKeys(o: any): string[] {
  const value = annotationsOf(o)[HINT_RUNTIME_LABELS];
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** The primary's and the replicas' values of the runtime role label, from the controller's hint; undefined without one. */
export function runtimeRoleValues(o: any): { primary: string; replica: string } | undefined {
  const value = annotationsOf(o)[HINT_ROLE_VALUES];
  const [primary, replica] = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
  return primary && replica ? { primary, replica } : undefined;
}

/** A resource quantity as a number (`500m` is 0.5, `1Gi` is 1073741824); undefined when it is not one. */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const m = typeof value === 'string' ? /^([+-]?\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?([numkMGTPE]i?)?$/.exec(value.trim()) : null;
  if (!m || (m[3] && !(m[3] in QUANTITY_FACTORS))) return undefined;
  return Number(m[1]) * 10 ** Number(m[2] ?? 0) * QUANTITY_FACTORS[m[3] ?? ''];
}

/** Whether two quantities are equal (`1` and `1000m`, `0.7` and `700m`), without floating-point noise. */
export function sameQuantity(a: unknown, b: unknown): boolean {
  const x = quantityValue(a);
  const y = quantityValue(b);
  if (x === undefined || y === undefined) return String(a) === String(b);
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
