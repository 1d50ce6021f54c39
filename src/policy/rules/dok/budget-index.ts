import { budgetSelector } from './budget-model';
import { commonMatch, runtimeKeysOf, templateLabelsOf } from './runtime-labels';
import { LabelledIndex, SelectorIndex, requiredLabels } from './selector-index';
import { isDatabaseWorkload, objectNamespace, podTemplateOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';

/** Workloads whose pods budgets protect (Jobs run to completion and are not drained gracefully anyway). */
export const BUDGETED_KINDS = ['StatefulSet', 'Deployment', 'ReplicaSet', 'DaemonSet', 'Pod'];

/** The budgets and budgeted workloads of one namespace, indexed once per check: the budget rules run on every budget. */
export interface NamespaceBudgets {
  /** The workloads, kind by kind in BUDGETED_KINDS order, each kind in the set's order. */
  readonly workloads: LabelledIndex<any>;
  /** The budgets, by a label pair each requires (for running members' labels). */
  readonly budgets: SelectorIndex<any>;
  /** For each workload, the budgets of the namespace that select its pods under some runtime labelling, in order. */
  readonly selecting: Map<any, any[]>;
}

/** The pod template labels a budget's selector is tested against. */
export function budgetedLabels(workload: any): Record<string, string> {
  return templateLabelsOf(workload, podTemplateOf(workload));
}

/** Whether a budget alone selects the pods of a workload under some runtime labelling (as DOK-BUDGET-* read it). */
export function budgetSelectsWorkload(budget: any, workload: any): boolean {
  return commonMatch([budgetSelector(budget)], budgetedLabels(workload), runtimeKeysOf(workload)) !== undefined;
}

/** The workloads of the index a budget selects, in the index's order. */
export function workloadsOfBudget(budget: any, index: NamespaceBudgets): any[] {
  return index.workloads.candidates(requiredLabels(budgetSelector(budget))).filter((w) => budgetSelectsWorkload(budget, w));
}

/**
 * A negative integer minAvailable (the API refuses it, other tools' YAML may hold it) allows evictions even when the
 * budget selects no pod (budgetFigures): such a budget must be a candidate for every label set.
 */
function allowsWithoutPods(budget: any): boolean {
  const minAvailable = budget?.spec?.minAvailable;
  return typeof minAvailable === 'number' && minAvailable < 0;
}

/** The budgets of a namespace and the workloads they select, built once per check and namespace. */
export function namespaceBudgets(context: PolicyContext, namespace: string): NamespaceBudgets {
  return context.memo(`budgets:${namespace}`, () => {
    const workloads = new LabelledIndex(BUDGETED_KINDS.flatMap((k) => context.inNamespace(k, namespace)), budgetedLabels, runtimeKeysOf);
    const budgetList = context.inNamespace('PodDisruptionBudget', namespace);
    const index: NamespaceBudgets = {
      workloads,
      budgets: new SelectorIndex(budgetList, (b) => (allowsWithoutPods(b) ? undefined : requiredLabels(budgetSelector(b)))),
      selecting: new Map(workloads.items.map((w) => [w, []])),
    };
    for (const b of budgetList) for (const w of workloadsOfBudget(b, index)) index.selecting.get(w)!.push(b);
    return index;
  });
}

/** The database StatefulSets of the budget's namespace whose pods it may select at runtime, in the set's order. */
export function databasesSelectedBy(budget: any, context: PolicyContext): any[] {
  return workloadsOfBudget(budget, namespaceBudgets(context, objectNamespace(budget)))
    .filter((w) => w.kind === 'StatefulSet' && isDatabaseWorkload(w));
}
