import { templateLabels, workloadName } from './database-pod';
import { isolatesDirection, peerAdmitsAll, rulesOf } from './network-peers';
import { SelectorIndex, requiredLabels } from './selector-index';
import { isDatabaseWorkload, objectNamespace, selectorMatches } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A pod is isolated for ingress once any NetworkPolicy selecting it applies to ingress; then only what some policy allows
 * gets in (kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation).
 * A policy without policyTypes applies to ingress always (networking/v1 NetworkPolicySpec.policyTypes).
 */
export const defaultDeny: IPolicyRule = {
  id: 'DOK-DEFAULT-DENY',
  level: RuleLevel.ERROR,
  finding: 'A database\'s pods accept connections from anywhere.',
  explanation: 'Select the database pods with a NetworkPolicy of policyType Ingress that allows only its clients, peers and monitoring: '
    + 'any pod in the cluster, compromised or not, can otherwise reach the database port. An ingress rule without `from` (whatever '
    + 'its ports), or with a peer `namespaceSelector: {}` without podSelector or an ipBlock 0.0.0.0/0 or ::/0, admits every source '
    + 'again and must go.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const labels = templateLabels(o);
    const namespace = objectNamespace(o);
    const policies: SelectorIndex<any> = context.memo(`DOK-DEFAULT-DENY:network-policies:${namespace}`,
      () => new SelectorIndex(context.inNamespace('NetworkPolicy', namespace), (p) => requiredLabels(p.spec?.podSelector ?? {})));
    const selecting = policies.candidates([labels])
      .filter((p) => selectorMatches(p.spec?.podSelector ?? {}, labels) && isolatesDirection(p, 'Ingress'));
    if (selecting.length === 0) {
      return Verdict.nonCompliant(`no NetworkPolicy of namespace ${objectNamespace(o)} selects the pods of ${workloadName(o)} for Ingress: `
        + 'they accept connections from every pod and address');
    }
    const problems = selecting.flatMap((p) => rulesOf(p, 'ingress').filter(admitsEverySource).map((rule) =>
      `NetworkPolicy ${objectNamespace(p)}/${p.metadata?.name} selects the pods of ${workloadName(o)} with an ingress rule that `
      + `allows every source on ${portsOf(rule)}`));
    return Verdict.fromProblems([...new Set(problems)]);
  },
};

/**
 * A rule admits every source without `from` (or with an empty one), whatever its ports (they narrow the port, not the
 * sources), or when one of its peers admits every pod or address.
 */
function admitsEverySource(rule: any): boolean {
  const from = rule?.from;
  return !Array.isArray(from) || from.length === 0 || from.some(peerAdmitsAll);
}

/** The ports a rule opens, for the finding. */
function portsOf(rule: any): string {
  const ports = Array.isArray(rule?.ports) ? rule.ports : [];
  if (ports.length === 0) return 'every port';
  return `port ${ports.map((p: any) => `${p?.port ?? '(all)'}${p?.endPort ? `-${p.endPort}` : ''}/${p?.protocol ?? 'TCP'}`).join(', ')}`;
}
