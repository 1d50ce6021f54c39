import { namespaceBudgets, workloadsOfBudget } from './budget-index';
import { budgetSelector } from './budget-model';
import { commonMatch, describeAssignment, runtimeKeysOf, templateLabelsOf } from './runtime-labels';
import { objectNamespace, objectRef, podTemplateOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * The eviction API refuses to evict a pod that more than one budget selects ("This pod has more than one
 * PodDisruptionBudget, which the eviction subresource does not support", pkg/registry/core/pod/storage/eviction.go), so
 * every drain of its node stalls. Runtime role labels are taken as any value: budgets on different role values never
 * meet on one pod; budgets on the same value, or one without a role term, do.
 */
export const budgetOverlap: IPolicyRule = {
  id: 'DOK-BUDGET-OVERLAP',
  level: RuleLevel.ERROR,
  finding: 'A PodDisruptionBudget selects pods another PodDisruptionBudget also selects: the eviction API refuses to evict them.',
  explanation: 'A pod selected by two PodDisruptionBudgets cannot be evicted at all (eviction.go refuses pods with more than one budget), '
    + 'so `kubectl drain` and node upgrades hang on its node. Make the selectors disjoint, e.g. one budget per role value plus one `DoesNotExist` on the role key.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (o.kind !== 'PodDisruptionBudget') return Verdict.notApplicable();
    const index = namespaceBudgets(context, objectNamespace(o));
    const problems: string[] = [];
    // Only the workloads this budget selects can be shared with another, and only with a budget that selects them too.
    for (const workload of workloadsOfBudget(o, index)) {
      const labels = templateLabelsOf(workload, podTemplateOf(workload));
      const keys = runtimeKeysOf(workload);
      for (const other of (index.selecting.get(workload) ?? []).filter((b) => b !== o)) {
        const both = commonMatch([budgetSelector(o), budgetSelector(other)], labels, keys);
        if (both !== undefined) {
          problems.push(`PodDisruptionBudget \`${other.metadata?.name}\` also selects the pods of ${objectRef(workload)}${describeAssignment(both, [budgetSelector(o), budgetSelector(other)])}, `
            + 'which the eviction API then refuses to evict');
        }
      }
    }
    return Verdict.fromProblems(problems);
  },
};
