import { ApplyFinding, ApplyVerdict } from '../apply-finding';

/** A Kubernetes object as read from YAML or JSON. */
export type Manifest = Record<string, any>;

/** Every object of both outputs, for rules that look beyond the object pair (StorageClasses, racks). */
export interface ApplyContext {
  readonly previous: Manifest[];
  readonly current: Manifest[];
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

/** Binary and decimal suffixes of resource.Quantity, for comparing storage sizes. */
const QUANTITY_FACTORS: Record<string, number> = {
  '': 1,
  'k': 1e3,
  'M': 1e6,
  'G': 1e9,
  'T': 1e12,
  'P': 1e15,
  'E': 1e18,
  'Ki': 2 ** 10,
  'Mi': 2 ** 20,
  'Gi': 2 ** 30,
  'Ti': 2 ** 40,
  'Pi': 2 ** 50,
  'Ei': 2 ** 60,
};

/** Bytes of a quantity (`10Gi`, `500M`, 1073741824); undefined when it is not one. */
export function quantityBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)([KMGTPE]i|[kMGTPE])?$/.exec(value) : null;
  return match ? Number(match[1]) * QUANTITY_FACTORS[match[2] ?? ''] : undefined;
}
