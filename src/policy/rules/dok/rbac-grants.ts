import { ApiRequest, plural } from './api-requests';
import { CLUSTER_SCOPED_KINDS, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';

/** The resources of cluster-scoped kinds: namespaced Roles never grant them. */
const CLUSTER_SCOPED_RESOURCES = new Set([...CLUSTER_SCOPED_KINDS].map(plural));

/** The RBAC rules bound to one ServiceAccount in the set; `unknown` names roles the set does not hold. */
export interface BoundRules {
  readonly rules: any[];
  readonly unknown: string[];
}

/**
 * The rules that apply to a ServiceAccount's requests in `namespace`: Roles and ClusterRoles bound by RoleBindings of
 * that namespace, and ClusterRoles bound by ClusterRoleBindings (RBAC authorizer: a ServiceAccount subject's namespace
 * defaults to the RoleBinding's; the groups `system:serviceaccounts[:<ns>]` and `system:authenticated` hold it too).
 */
export function boundRules(context: PolicyContext, saNamespace: string, saName: string, namespace: string, clusterScoped: boolean): BoundRules {
  const rules: any[] = [];
  const unknown: string[] = [];
  const bindings = [
    ...bindingsNaming(context, 'ClusterRoleBinding', undefined, saNamespace, saName),
    ...(clusterScoped ? [] : bindingsNaming(context, 'RoleBinding', namespace, saNamespace, saName)),
  ].filter((b) => (Array.isArray(b.subjects) ? b.subjects : []).some((s: any) => subjectMatches(s, b, saNamespace, saName)));
  for (const b of bindings) {
    const ref = b.roleRef ?? {};
    const role = ref.kind === 'Role' && b.kind === 'RoleBinding' ? context.find('Role', objectNamespace(b), ref.name)
      : ref.kind === 'ClusterRole' ? context.ofKind('ClusterRole').find((r) => r.metadata?.name === ref.name) : undefined;
    if (!role || role.aggregationRule) unknown.push(`${ref.kind} ${ref.name}`);
    else rules.push(...(Array.isArray(role.rules) ? role.rules : []));
  }
  return { rules, unknown };
}

/**
 * The bindings (of a kind, in a namespace or all of them) with a subject that may name the ServiceAccount, in the set's
 * order: from an index by subject kind and name built once per check, since every Job's every API call asks.
 */
function bindingsNaming(context: PolicyContext, kind: string, namespace: string | undefined, saNamespace: string, saName: string): any[] {
  const index: { bySubject: Map<string, any[]>; position: Map<any, number> } = context.memo(`rbac-grants:${kind}-by-subject:${namespace ?? '*'}`, () => {
    const bindings = namespace === undefined ? context.ofKind(kind) : context.inNamespace(kind, namespace);
    const bySubject = new Map<string, any[]>();
    for (const b of bindings) {
      const keys = new Set<string>((Array.isArray(b.subjects) ? b.subjects : []).map((s: any) => subjectKey(s?.kind, s?.name)));
      for (const key of keys) {
        const named = bySubject.get(key) ?? [];
        named.push(b);
        bySubject.set(key, named);
      }
    }
    return { bySubject, position: new Map(bindings.map((b, i) => [b, i])) };
  });
  const keys = [
    subjectKey('ServiceAccount', saName),
    ...['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`, 'system:authenticated'].map((g) => subjectKey('Group', g)),
    subjectKey('User', `system:serviceaccount:${saNamespace}:${saName}`),
  ];
  return [...new Set(keys.flatMap((k) => index.bySubject.get(k) ?? []))].sort((a, b) => index.position.get(a)! - index.position.get(b)!);
}

function subjectKey(kind: unknown, name: unknown): string {
  return `${String(kind)}\u0000${String(name)}`;
}

function subjectMatches(s: any, binding: any, saNamespace: string, saName: string): boolean {
  switch (s?.kind) {
    case 'ServiceAccount':
      return s.name === saName && (s.namespace ?? (binding.kind === 'RoleBinding' ? objectNamespace(binding) : undefined)) === saNamespace;
    case 'Group':
      return ['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`, 'system:authenticated'].includes(s.name);
    case 'User':
      return s.name === `system:serviceaccount:${saNamespace}:${saName}`;
    default:
      return false;
  }
}

export function isClusterScopedResource(resource: string): boolean {
  return CLUSTER_SCOPED_RESOURCES.has(resource.split('/')[0]);
}

/**
 * Whether one of `rules` allows the request (RBAC RuleAllows): verb, API group, resource or `*` or `*\/subresource`,
 * and resourceNames, which a request without a name (create, list of a collection) never passes. A name known only at
 * run time (`*`) is taken to be one of the names listed.
 */
export function rulesAllow(rules: any[], request: ApiRequest): boolean {
  const [, sub] = request.resource.split('/');
  return rules.some((r) => {
    const verbs: string[] = list(r?.verbs);
    const groups: string[] = list(r?.apiGroups);
    const resources: string[] = list(r?.resources);
    const names: string[] = list(r?.resourceNames);
    if (!verbs.includes('*') && !verbs.includes(request.verb)) return false;
    if (!groups.includes('*') && !groups.includes(request.group)) return false;
    if (!resources.includes('*') && !resources.includes(request.resource) && !(sub && resources.includes(`*/${sub}`))) return false;
    if (names.length === 0) return true;
    return request.name !== undefined && (request.name === '*' || names.includes(request.name));
  });
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
}
