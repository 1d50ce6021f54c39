import { workloadPodSpec } from './pod-security';
import { objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A mounted ServiceAccount token is a credential to the API server in every container of the pod: whoever gets code
 * execution in the pod (a SQL injection into COPY ... PROGRAM, a compromised exporter) can use it. A pod should carry one
 * only when its ServiceAccount is bound to a role it needs (https://kubernetes.io/docs/concepts/security/service-accounts/).
 */
export const serviceAccountToken: IPolicyRule = {
  id: 'SEC-SERVICE-ACCOUNT-TOKEN',
  level: RuleLevel.WARNING,
  finding: 'A pod mounts a ServiceAccount token although its ServiceAccount is the default one or has no RoleBinding or ClusterRoleBinding.',
  explanation: 'Set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless the pod calls the Kubernetes API; '
    + 'when it does, give it its own ServiceAccount bound to a Role with just what it calls, never the namespace\'s `default` '
    + 'ServiceAccount, whose permissions every other pod in the namespace shares. Cloud workload identity (EKS, AKS) injects its own '
    + 'token volume and does not need the automatic mount.',
  evaluate(o: any, context: PolicyContext): Verdict {
    const spec = workloadPodSpec(o);
    if (!spec) return Verdict.notApplicable();
    const namespace = objectNamespace(o);
    // `serviceAccount` is the deprecated alias the API server still honours when `serviceAccountName` is empty.
    const accountName: string = spec.serviceAccountName || spec.serviceAccount || 'default';
    const account = context.find('ServiceAccount', namespace, accountName);
    const how = tokenMount(spec, account);
    if (!how) return Verdict.compliant();
    if (accountName === 'default') {
      return Verdict.nonCompliant(`pod mounts a token (${how}) of the default ServiceAccount ${namespace}/default: `
        + 'set automountServiceAccountToken: false, or use a ServiceAccount of its own');
    }
    if (isBound(accountName, namespace, context)) return Verdict.compliant();
    return Verdict.nonCompliant(`pod mounts a token (${how}) of ServiceAccount ${namespace}/${accountName}, which no RoleBinding or `
      + 'ClusterRoleBinding in the set names: set automountServiceAccountToken: false');
  },
};

/**
 * How the pod gets a token, or undefined: the automatic mount (the pod's `automountServiceAccountToken` wins over its
 * ServiceAccount's, and both default to true), or a projected `serviceAccountToken` volume it declares itself.
 */
function tokenMount(spec: any, account: any): string | undefined {
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken
    : account?.automountServiceAccountToken !== false;
  if (automount) return 'automountServiceAccountToken is not false';
  const projected = (Array.isArray(spec.volumes) ? spec.volumes : [])
    .find((v: any) => (Array.isArray(v?.projected?.sources) ? v.projected.sources : []).some((s: any) => s?.serviceAccountToken));
  return projected ? `projected volume "${projected.name}"` : undefined;
}

/**
 * Whether a binding names the ServiceAccount, directly or through its groups (`system:serviceaccounts`,
 * `system:serviceaccounts:<namespace>`). A RoleBinding's ServiceAccount subject without a namespace means the
 * binding's own (the RBAC authorizer's appliesToUser).
 */
function isBound(name: string, namespace: string, context: PolicyContext): boolean {
  const subjects = context.memo('SEC-SERVICE-ACCOUNT-TOKEN:bound-subjects', () => boundSubjects(context));
  return subjects.groups.has('system:serviceaccounts') || subjects.groups.has(`system:serviceaccounts:${namespace}`)
    || (subjects.serviceAccounts.get(name)?.has(namespace) ?? false);
}

/** The subjects every binding of the set names, read once per check: ServiceAccount name to namespaces, and the groups. */
function boundSubjects(context: PolicyContext): { serviceAccounts: Map<unknown, Set<unknown>>; groups: Set<unknown> } {
  const serviceAccounts = new Map<unknown, Set<unknown>>();
  const groups = new Set<unknown>();
  for (const b of [...context.ofKind('RoleBinding'), ...context.ofKind('ClusterRoleBinding')]) {
    for (const s of Array.isArray(b?.subjects) ? b.subjects : []) {
      if (s?.kind === 'ServiceAccount') {
        const namespaces = serviceAccounts.get(s.name) ?? new Set<unknown>();
        namespaces.add(s.namespace || (b.kind === 'RoleBinding' ? objectNamespace(b) : ''));
        serviceAccounts.set(s.name, namespaces);
      } else if (s?.kind === 'Group') {
        groups.add(s.name);
      }
    }
  }
  return { serviceAccounts, groups };
}
