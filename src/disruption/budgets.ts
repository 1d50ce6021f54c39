/** A PodDisruptionBudget as the library plans it. */
export interface BudgetPlan {
  readonly id: string;
  readonly name: string;
  readonly selector: Record<string, string>;
  /** Selects only pods without this label (a `DoesNotExist` expression). */
  readonly withoutLabel?: string;
  readonly minAvailable?: number;
  readonly maxUnavailable?: number;
  readonly description: string;
}

/** A member of a database as the disruption controller sees it. */
export interface MemberView {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** Replicas of the StatefulSet that owns it: the controller's expected count for maxUnavailable and percentages. */
  readonly controllerReplicas: number;
  readonly controller: string;
}

/** A budget as synthesized (the `spec` of a policy/v1 PodDisruptionBudget). */
export interface BudgetView {
  readonly name: string;
  readonly matchLabels: Record<string, string>;
  readonly matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
}

export interface DisruptionEvaluation {
  /** Members selected by more than one budget: the eviction API refuses to evict them. */
  readonly overlapping: string[];
  /** Members a drain can take down at the same time, all members being healthy at the start. */
  readonly evictableAtOnce: number;
  /** Allowed disruptions per budget with every member healthy. */
  readonly allowed: Record<string, number>;
}

function selects(b: BudgetView, labels: Record<string, string>): boolean {
  return Object.entries(b.matchLabels).every(([k, v]) => labels[k] === v) && (b.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'DoesNotExist': return !(e.key in labels);
      case 'Exists': return e.key in labels;
      case 'In': return e.key in labels && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn': return !(e.key in labels) || !(e.values ?? []).includes(labels[e.key]);
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
}

/**
 * Evaluates budgets the way the Kubernetes disruption controller does: for `maxUnavailable` and
 * percentages the expected count is the replicas of the controllers owning the selected pods (not the
 * number of pods selected); for an integer `minAvailable` it is the selected pods.
 * @see https://kubernetes.io/docs/tasks/run-application/configure-pdb/#arbitrary-controllers-and-selectors
 */
export function evaluateBudgets(budgets: BudgetView[], members: MemberView[]): DisruptionEvaluation {
  const allowed: Record<string, number> = {};
  for (const b of budgets) {
    const selected = members.filter((m) => selects(b, m.labels));
    const controllers = new Map(selected.map((m) => [m.controller, m.controllerReplicas]));
    const expected = [...controllers.values()].reduce((a, n) => a + n, 0);
    const healthy = selected.length;
    let desired: number;
    if (b.maxUnavailable !== undefined) {
      desired = expected - resolve(b.maxUnavailable, expected);
    } else if (typeof b.minAvailable === 'string') {
      desired = resolve(b.minAvailable, expected);
    } else {
      desired = b.minAvailable ?? 0;
    }
    allowed[b.name] = Math.max(0, healthy - desired);
  }
  const overlapping = budgetOverlaps(budgets, members).map((o) => o.member);
  // A drain evicts pods one at a time while every budget selecting the pod still allows one more.
  const remaining = { ...allowed };
  let evictable = 0;
  for (const m of members) {
    if (overlapping.includes(m.name)) continue;
    const mine = budgets.filter((b) => selects(b, m.labels));
    if (mine.every((b) => remaining[b.name] > 0)) {
      for (const b of mine) remaining[b.name] -= 1;
      evictable += 1;
    }
  }
  return { overlapping, evictableAtOnce: evictable, allowed };
}

/** A member selected by more than one budget, and the budgets that select it. */
export interface BudgetOverlap {
  readonly member: string;
  readonly budgets: string[];
}

/** The members more than one budget selects: the eviction API refuses to evict any of them. */
export function budgetOverlaps(budgets: BudgetView[], members: MemberView[]): BudgetOverlap[] {
  return members
    .map((m) => ({ member: m.name, budgets: budgets.filter((b) => selects(b, m.labels)).map((b) => b.name) }))
    .filter((o) => o.budgets.length > 1);
}

/** A planned budget as the disruption controller reads it. */
export function budgetView(p: BudgetPlan): BudgetView {
  return {
    name: p.name,
    matchLabels: p.selector,
    matchExpressions: p.withoutLabel ? [{ key: p.withoutLabel, operator: 'DoesNotExist' }] : undefined,
    minAvailable: p.minAvailable,
    maxUnavailable: p.maxUnavailable,
  };
}

/** Percentages scale the expected count, rounded up, as the disruption controller does for both fields. */
function resolve(value: number | string, expected: number): number {
  if (typeof value === 'number') return value;
  return Math.ceil((expected * Number(value.replace('%', ''))) / 100);
}
