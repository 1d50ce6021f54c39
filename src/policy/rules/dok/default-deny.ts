import { templateLabels, workloadName } from './database-pod';
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
    + 'any pod in the cluster, compromised or not, can otherwise reach the database port. An ingress rule `{}` (no from, no ports) '
    + 'allows everything again and must go.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const labels = templateLabels(o);
    const namespace = objectNamespace(o);
    const policies: SelectorIndex<any> = context.memo(`DOK-DEFAULT-DENY:network-policies:${namespace}`,
      () => new SelectorIndex(context.inNamespace('NetworkPolicy', namespace), (p) => requiredLabels(p.spec?.podSelector ?? {})));
    const selecting = policies.candidates([labels])
      .filter((p) => selectorMatches(p.spec?.podSelector ?? {}, labels) && appliesToIngress(p));
    if (selecting.length === 0) {
      return Verdict.nonCompliant(`no NetworkPolicy of namespace ${objectNamespace(o)} selects the pods of ${workloadName(o)} for Ingress: `
        + 'they accept connections from every pod and address');
    }
    const openers = selecting.filter((p) => (p.spec?.ingress ?? []).some(allowsEverything));
    return Verdict.fromProblems(openers.map((p) => `NetworkPolicy ${objectNamespace(p)}/${p.metadata?.name} selects the pods of `
      + `${workloadName(o)} with an ingress rule that allows every source on every port`));
  },
};

function appliesToIngress(policy: any): boolean {
  const types = policy.spec?.policyTypes;
  return !Array.isArray(types) || types.length === 0 || types.includes('Ingress');
}

/** A rule with no `from` (or an empty one) and no `ports` matches all traffic. */
function allowsEverything(rule: any): boolean {
  return (rule?.from ?? []).length === 0 && (rule?.ports ?? []).length === 0;
}
