import { namespaceBudgets } from './budget-index';
import { budgetSelector } from './budget-model';
import { commonMatch, runtimeKeysOf, templateLabelsOf } from './runtime-labels';
import { isDatabaseWorkload, objectNamespace, replicasOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A replicated database without a PodDisruptionBudget has no say in node drains: `kubectl drain` and cluster upgrades
 * evict all its members as fast as they like. A budget on a runtime role label (the primary's) counts: it selects some of
 * the pods once they run.
 */
export const budgetPresent: IPolicyRule = {
  id: 'DOK-BUDGET-PRESENT',
  level: RuleLevel.ERROR,
  finding: 'A replicated database StatefulSet has no PodDisruptionBudget selecting its pods.',
  explanation: 'Without a PodDisruptionBudget, node drains and cluster upgrades may evict every member at once and lose quorum. '
    + 'Add a PodDisruptionBudget in the same namespace whose selector matches the pod template labels (DoK whitepaper: disruption budgets).',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o) || replicasOf(o) <= 1) return Verdict.notApplicable();
    const labels = templateLabelsOf(o, o.spec?.template);
    const keys = runtimeKeysOf(o);
    const covered = (namespaceBudgets(context, objectNamespace(o)).selecting.get(o)
      ?? context.inNamespace('PodDisruptionBudget', objectNamespace(o)).filter((b) => commonMatch([budgetSelector(b)], labels, keys) !== undefined)).length > 0;
    if (covered) return Verdict.compliant();
    const shown = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');
    return Verdict.nonCompliant(`no PodDisruptionBudget in namespace \`${objectNamespace(o)}\` selects its ${replicasOf(o)} pods (template labels ${shown || 'none'})`);
  },
};
