import { instanceMembersIn } from './instance-index';
import { runtimeKeysOf, selects, templateLabelsOf, valuesNamed } from './runtime-labels';
import { HINT_QUORUM, LABEL_INSTANCE, labelsOf, numberHint, replicasOf, runtimeRoleValues } from '../../manifest';
import { PolicyContext } from '../../policy-context';

/**
 * PodDisruptionBudgets as the disruption controller (pkg/controller/disruption) evaluates them, over the members of the
 * databases in one namespace in their steady state: the first pod of an instance labelled primary, the others replicas,
 * for each runtime label key (as src/report/tolerance.ts models running members).
 */

/** Role values engines give their primary (Patroni's `master`, the role labeller's `primary`). */
const PRIMARY_VALUES = new Set(['master', 'primary', 'leader', 'writer']);

/** A running member of a database. */
export interface SteadyMember {
  readonly pod: string;
  readonly controller: any;
  readonly labels: Record<string, string>;
}

/** A budget's figures with every member healthy. */
export interface BudgetFigures {
  /** Members the budget selects. */
  readonly selected: SteadyMember[];
  /** Pods the budget wants up (`desiredHealthy`). */
  readonly desired: number;
  /** Evictions it allows at once (`disruptionsAllowed`). */
  readonly allowed: number;
  /** How the budget is read, e.g. `maxUnavailable 1 of 3`. */
  readonly reading: string;
}

/** A budget's selector. */
export function budgetSelector(budget: any): any {
  return budget?.spec?.selector;
}

/** The database instances (their StatefulSets) among `sets`, each once. */
export function instancesOf(sets: any[], context: PolicyContext): any[][] {
  const seen = new Set<any>();
  const instances: any[][] = [];
  for (const s of sets) {
    if (seen.has(s)) continue;
    const members = instanceMembersIn(s, context);
    members.forEach((m) => seen.add(m));
    instances.push(members.includes(s) ? members : [s, ...members]);
  }
  return instances;
}

/** The name an instance goes by in findings. */
export function instanceName(members: any[]): string {
  return labelsOf(members[0])[LABEL_INSTANCE] ?? members[0]?.metadata?.name ?? '(unnamed)';
}

/** Members of all StatefulSets of an instance. */
export function instanceReplicas(members: any[]): number {
  return members.reduce((n, s) => n + replicasOf(s), 0);
}

/**
 * The quorum hint of an instance; without one, the majority of three or more members, else 1: a primary/standby pair
 * (Bitnami charts' two replicas) keeps serving on one member, so "2 of 2" would fail every budget over it.
 */
export function instanceQuorum(members: any[]): number {
  const hinted = members.map((s) => numberHint(s, HINT_QUORUM)).find((q) => q !== undefined);
  if (hinted !== undefined) return hinted;
  const replicas = instanceReplicas(members);
  return replicas >= 3 ? Math.floor(replicas / 2) + 1 : 1;
}

/**
 * Values the namespace's budgets name for a runtime key, split into the primary's and the replicas': the guess used when
 * the controller gives no `cdk8s-databases.io/role-values` hint (see steadyMembers).
 */
export function roleValues(key: string, budgets: any[]): { primary: string; replica: string } {
  const named = budgets.flatMap((b) => valuesNamed(budgetSelector(b), key));
  return {
    primary: named.find((v) => PRIMARY_VALUES.has(v)) ?? 'primary',
    replica: named.find((v) => !PRIMARY_VALUES.has(v)) ?? 'replica',
  };
}

/**
 * The running members of an instance, labelled as in its steady state.
 * @param roles the role values of a runtime key (by default read from `budgets`; a check passes them memoized)
 */
export function steadyMembers(members: any[], budgets: any[], roles = (key: string) => roleValues(key, budgets)): SteadyMember[] {
  return members.flatMap((s, si) => Array.from({ length: Math.max(0, replicasOf(s)) }, (_, i) => {
    const labels: Record<string, string> = { ...templateLabelsOf(s, s.spec?.template) };
    const keys = runtimeKeysOf(s);
    const hinted = runtimeRoleValues(s);
    for (const key of keys) {
      // The controller's hint names the values of its role label (its first runtime key); the guess covers the rest.
      const values = hinted && key === keys[0] ? hinted : roles(key);
      labels[key] = si === 0 && i === 0 ? values.primary : values.replica;
    }
    return { pod: `${s.metadata?.name}-${i}`, controller: s, labels };
  }));
}

/** `50%` of `expected`, rounded up as the disruption controller does for both fields; undefined when not a number or percentage. */
function scaled(value: unknown, expected: number): number | undefined {
  if (typeof value === 'number') return value;
  const m = typeof value === 'string' ? /^(\d+)%$/.exec(value.trim()) : null;
  if (m) return Math.ceil((expected * Number(m[1])) / 100);
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * A budget over `members`: integer minAvailable counts the selected pods; maxUnavailable and percentages scale the
 * replicas of the controllers that own them (disruption controller getExpectedPodCount).
 */
export function budgetFigures(budget: any, members: SteadyMember[]): BudgetFigures {
  const selected = members.filter((m) => selects(budgetSelector(budget), m.labels));
  const expected = [...new Set(selected.map((m) => m.controller))].reduce((n, s) => n + replicasOf(s), 0);
  const { minAvailable, maxUnavailable } = budget?.spec ?? {};
  let desired = 0;
  let reading = 'neither minAvailable nor maxUnavailable';
  if (maxUnavailable !== undefined) {
    const max = scaled(maxUnavailable, expected) ?? 0;
    desired = Math.max(0, expected - max);
    reading = `maxUnavailable ${maxUnavailable} of ${expected} expected pods`;
  } else if (minAvailable !== undefined) {
    desired = typeof minAvailable === 'string' && minAvailable.includes('%') ? scaled(minAvailable, expected) ?? 0 : scaled(minAvailable, selected.length) ?? 0;
    reading = `minAvailable ${minAvailable} of ${selected.length} selected pods`;
  }
  return { selected, desired, allowed: Math.max(0, selected.length - desired), reading };
}
