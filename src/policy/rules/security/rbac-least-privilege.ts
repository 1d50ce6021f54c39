import { labelsOf, objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * The clear cases of RBAC over-privilege (https://kubernetes.io/docs/concepts/security/rbac-good-practices/):
 * wildcards, the verbs that step around RBAC itself, cluster-wide reading of Secrets or exec into pods, and bindings to
 * the built-in roles that hold all of that. A namespaced Role reading the Secrets of its own namespace, or a Role
 * allowing exec into named pods (the library's snapshot Jobs), is ordinary and passes.
 */
export const rbacLeastPrivilege: IPolicyRule = {
  id: 'SEC-RBAC-LEAST-PRIVILEGE',
  level: RuleLevel.ERROR,
  finding: 'A Role, ClusterRole or binding grants more than its subject can need: wildcards, escalate/bind/impersonate, '
    + 'cluster-wide Secret reads or exec, or a built-in admin role.',
  explanation: 'Name the verbs, resources and API groups a ServiceAccount needs (never `*`: it also grants whatever later versions add); '
    + 'do not grant `escalate`, `bind` or `impersonate`, which let the subject give itself any permission; read Secrets and exec into '
    + 'pods through a namespaced Role (or a ClusterRole bound only by RoleBindings), since a ClusterRoleBinding extends them to every '
    + 'namespace, kube-system included; do not bind `cluster-admin`, nor `admin`/`edit` cluster-wide.',
  evaluate(o: any, context: PolicyContext): Verdict {
    switch (o?.kind) {
      case 'Role': return Verdict.fromProblems(ruleProblems(o));
      case 'ClusterRole': return Verdict.fromProblems([...ruleProblems(o), ...clusterWideProblems(o, context)]);
      case 'RoleBinding': case 'ClusterRoleBinding': return Verdict.fromProblems(bindingProblems(o));
      default: return Verdict.notApplicable();
    }
  },
};

interface PolicyRuleEntry {
  readonly index: number;
  readonly verbs: string[];
  readonly resources: string[];
  readonly apiGroups: string[];
  readonly resourceNames: string[];
}

function entriesOf(role: any): PolicyRuleEntry[] {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  return (Array.isArray(role?.rules) ? role.rules : []).map((r: any, index: number) => ({
    index, verbs: list(r?.verbs), resources: list(r?.resources), apiGroups: list(r?.apiGroups), resourceNames: list(r?.resourceNames),
  }));
}

/** RBAC verbs that bypass RBAC: `escalate` and `bind` on roles, `impersonate` on users, groups and ServiceAccounts. */
const SELF_GRANTING_VERBS = ['escalate', 'bind', 'impersonate'];

function ruleProblems(role: any): string[] {
  const problems: string[] = [];
  for (const e of entriesOf(role)) {
    const wild = (['verbs', 'resources', 'apiGroups'] as const).filter((field) => e[field].some((v) => v.includes('*')));
    if (wild.length) problems.push(`rules[${e.index}] uses the wildcard * in ${wild.join(', ')}`);
    const selfGranting = SELF_GRANTING_VERBS.filter((v) => e.verbs.includes(v));
    if (selfGranting.length) problems.push(`rules[${e.index}] grants ${selfGranting.join(', ')} on ${e.resources.join(', ') || '(no resources)'}`);
  }
  return problems;
}

const READ_VERBS = ['get', 'list', 'watch'];
/** Subresources whose `create` runs commands in (or attaches to) any container of a pod, reading its mounted Secrets. */
const EXEC_SUBRESOURCES = ['pods/exec', 'pods/attach'];

/**
 * A ClusterRole is a template: bound by RoleBindings only, it grants in those namespaces; bound by a ClusterRoleBinding,
 * or aggregated into the built-in admin/edit/view roles, it grants everywhere. With no binding in the set it is judged
 * cluster-wide, since nothing here keeps it to a namespace.
 */
function clusterWideProblems(role: any, context: PolicyContext): string[] {
  const name = role?.metadata?.name;
  const bindings = [...context.ofKind('ClusterRoleBinding'), ...context.ofKind('RoleBinding')]
    .filter((b) => b?.roleRef?.kind === 'ClusterRole' && b?.roleRef?.name === name);
  const clusterBinding = bindings.find((b) => b.kind === 'ClusterRoleBinding');
  const aggregatedInto = Object.keys(labelsOf(role)).find((k) => /^rbac\.authorization\.k8s\.io\/aggregate-to-/.test(k) && labelsOf(role)[k] === 'true');
  const where = clusterBinding ? `bound by ClusterRoleBinding ${clusterBinding.metadata?.name}`
    : aggregatedInto ? `aggregated by the label ${aggregatedInto}`
      : bindings.length === 0 ? 'no RoleBinding in the set limits it to a namespace' : undefined;
  if (!where) return [];
  const problems: string[] = [];
  for (const e of entriesOf(role)) {
    if (e.resourceNames.length || !e.apiGroups.includes('')) continue;
    const reads = READ_VERBS.filter((v) => e.verbs.includes(v));
    if (reads.length && e.resources.includes('secrets')) problems.push(`rules[${e.index}] grants ${reads.join(', ')} on secrets in every namespace (${where})`);
    const exec = EXEC_SUBRESOURCES.filter((r) => e.resources.includes(r));
    if (exec.length && e.verbs.includes('create')) problems.push(`rules[${e.index}] grants create on ${exec.join(', ')} in every namespace (${where})`);
  }
  return problems;
}

/** Built-in ClusterRoles that read and write Secrets (admin, edit) or hold every permission (cluster-admin). */
const SECRET_ADMIN_ROLES = ['admin', 'edit'];

function bindingProblems(binding: any): string[] {
  const ref = binding?.roleRef ?? {};
  if (ref.kind !== 'ClusterRole') return [];
  const subjects = (Array.isArray(binding.subjects) ? binding.subjects : []).filter((s: any) => s && typeof s === 'object')
    .map((s: any) => `${s?.kind} ${s?.kind === 'ServiceAccount' ? `${s?.namespace ?? objectNamespace(binding)}/` : ''}${s?.name}`).join(', ');
  if (ref.name === 'cluster-admin') {
    return [`binds the ClusterRole cluster-admin (every verb on every resource${binding.kind === 'RoleBinding' ? ' of the namespace' : ''}) to ${subjects || 'no subject'}`];
  }
  if (binding.kind === 'ClusterRoleBinding' && SECRET_ADMIN_ROLES.includes(ref.name)) {
    return [`binds the ClusterRole ${ref.name} (read and write of Secrets and workloads) in every namespace to ${subjects || 'no subject'}: use a RoleBinding`];
  }
  return [];
}
