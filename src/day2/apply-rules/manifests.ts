import { LABEL_INSTANCE } from '../../private/labels';
import { ApplyFinding, ApplyVerdict } from '../apply-finding';

/** A Kubernetes object as read from YAML or JSON. */
export type Manifest = Record<string, any>;

/**
 * Both outputs, indexed once by ApplySafety.check for rules that look beyond the object pair (claims, StorageClasses,
 * racks): every lookup is a map access, so a check stays linear in the number of objects.
 */
export interface ApplyContext {
  /** Previous objects by identity. */
  readonly previous: Map<string, Manifest>;
  /** Current objects by identity. */
  readonly current: Map<string, Manifest>;
  /** StatefulSets of each output by `namespace/name`. */
  readonly previousStatefulSets: Map<string, Manifest>;
  readonly currentStatefulSets: Map<string, Manifest>;
  /** Current StorageClasses by name. */
  readonly currentStorageClasses: Map<string, Manifest>;
  /** Current StatefulSets by `namespace/app.kubernetes.io/instance` (the racks of one database). */
  readonly currentStatefulSetsByInstance: Map<string, Manifest[]>;
}

/** Key of a namespaced object in the context's indexes: `namespace/name`. */
export function namespacedKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** The `app.kubernetes.io/instance` of a StatefulSet (its own label, else its pods'). */
export function instanceOf(sts: Manifest): string | undefined {
  return sts.metadata?.labels?.[LABEL_INSTANCE] ?? sts.spec?.template?.metadata?.labels?.[LABEL_INSTANCE];
}

/** Builds the context's indexes, one pass over each output. */
export function indexOutputs(previous: Manifest[], current: Manifest[]): ApplyContext {
  const byIdentity = (objects: Manifest[]) => new Map(objects.map((m) => [identity(m), m]));
  const before = byIdentity(previous);
  const after = byIdentity(current);
  const statefulSets = (objects: Map<string, Manifest>) => new Map([...objects.values()]
    .filter((m) => m.kind === 'StatefulSet').map((m) => [namespacedKey(m.metadata?.namespace, m.metadata?.name), m]));
  const currentStatefulSets = statefulSets(after);
  const byInstance = new Map<string, Manifest[]>();
  for (const sts of currentStatefulSets.values()) {
    const instance = instanceOf(sts);
    if (instance === undefined) continue;
    const key = namespacedKey(sts.metadata?.namespace, instance);
    byInstance.set(key, [...(byInstance.get(key) ?? []), sts]);
  }
  return {
    previous: before,
    current: after,
    previousStatefulSets: statefulSets(before),
    currentStatefulSets,
    currentStorageClasses: new Map([...after.values()].filter((m) => m.kind === 'StorageClass').map((m) => [m.metadata?.name ?? '', m])),
    currentStatefulSetsByInstance: byInstance,
  };
}

/**
 * One apply-safety rule: the object as it was (undefined: new) and as it is now (undefined: gone), with the same
 * identity, and everything else. Returns what applying the change does, nothing when it simply applies.
 */
export type ApplyRule = (previous: Manifest | undefined, current: Manifest | undefined, context: ApplyContext) => ApplyFinding[];

/** The API group of an apiVersion: `apps` for `apps/v1`, '' for the core `v1`. The version is no part of identity. */
export function apiGroup(apiVersion: string | undefined): string {
  const value = apiVersion ?? '';
  return value.includes('/') ? value.slice(0, value.lastIndexOf('/')) : '';
}

/** Identity of an object on the cluster: group, kind, namespace, name (apply updates the object with this identity). */
export function identity(m: Manifest): string {
  return [apiGroup(m.apiVersion), m.kind, m.metadata?.namespace ?? '', m.metadata?.name ?? ''].join('/');
}

/** Structural equality of two JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A finding about `m`. */
export function finding(m: Manifest, field: string, verdict: ApplyVerdict, text: string, fix: string): ApplyFinding {
  return {
    kind: m.kind,
    name: m.metadata?.name ?? '',
    ...(m.metadata?.namespace ? { namespaceName: m.metadata.namespace } : {}),
    field,
    verdict,
    finding: text,
    fix,
  };
}

/** `kind/name` with `-n namespace` for kubectl commands in fixes. */
export function kubectlTarget(m: Manifest): string {
  const ns = m.metadata?.namespace ? ` -n ${m.metadata.namespace}` : '';
  return `${m.kind.toLowerCase()}/${m.metadata?.name}${ns}`;
}

/** A short rendering of a value for messages. */
export function show(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}
