import { databasesSelectedBy, namespaceBudgets } from './budget-index';
import {
  budgetFigures, instanceName, instanceQuorum, instanceReplicas, instancesOf, roleValues, steadyMembers,
} from './budget-model';
import { objectNamespace } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A budget over database members must let drains proceed without losing quorum. The disruption controller counts
 * integer minAvailable against the selected pods and maxUnavailable or percentages (rounded up) against the replicas of
 * the owning controllers (pkg/controller/disruption getExpectedPodCount); the budgets of one instance add up, since a
 * drain evicts under each of them at once.
 */
export const budgetQuorum: IPolicyRule = {
  id: 'DOK-BUDGET-QUORUM',
  level: RuleLevel.ERROR,
  finding: 'A PodDisruptionBudget lets drains take a database below quorum, or allows no eviction of several members.',
  explanation: 'Budgets must keep at least the quorum (annotation `cdk8s-databases.io/quorum`, by default a majority of three or more members, '
    + 'one of a primary/standby pair) of the members up '
    + 'during voluntary disruptions, and still allow one eviction when they select several members, or node drains hang forever. '
    + 'Set maxUnavailable to members - quorum (at least 1), or minAvailable to the quorum.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (o.kind !== 'PodDisruptionBudget') return Verdict.notApplicable();
    const sets = databasesSelectedBy(o, context);
    if (sets.length === 0) return Verdict.notApplicable();
    const namespace = objectNamespace(o);
    const budgets = context.inNamespace('PodDisruptionBudget', namespace);
    const roles = (key: string) => context.memo(`DOK-BUDGET-QUORUM:role-values:${namespace}:${key}`, () => roleValues(key, budgets));
    const problems: string[] = [];
    for (const members of instancesOf(sets, context)) {
      const running = steadyMembers(members, budgets, roles);
      const mine = budgetFigures(o, running);
      const name = instanceName(members);
      if (mine.selected.length > 1 && mine.allowed === 0) {
        problems.push(`it allows no eviction of the ${mine.selected.length} members of \`${name}\` it selects (${mine.reading}): node drains hang until someone deletes the budget`);
      }
      const total = instanceReplicas(members);
      if (total <= 1 || mine.allowed === 0) continue;
      const quorum = instanceQuorum(members);
      // A budget allows evictions only of members it selects: the others allow none and are left out below anyway.
      const others = namespaceBudgets(context, namespace).budgets.candidates(running.map((m) => m.labels)).filter((b) => b !== o)
        .map((b) => ({ name: b.metadata?.name, allowed: budgetFigures(b, running).allowed }))
        .filter((b) => b.allowed > 0);
      const evictable = mine.allowed + others.reduce((n, b) => n + b.allowed, 0);
      if (total - evictable < quorum) {
        const withOthers = others.length ? ` (${mine.allowed} under this budget, ${others.map((b) => `${b.allowed} under \`${b.name}\``).join(', ')})` : '';
        problems.push(`drains may evict ${evictable} of the ${total} members of \`${name}\` at once${withOthers} with ${mine.reading}, `
          + `leaving ${total - evictable}, below its quorum of ${quorum}`);
      }
    }
    return Verdict.fromProblems(problems);
  },
};
