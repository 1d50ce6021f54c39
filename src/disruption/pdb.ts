import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { BudgetPlan, MemberView, budgetOverlaps, budgetView } from './budgets';
import { RoleLabel } from '../engines/engine-definition';
import { ReplicationMode } from '../engines/engine-port';
import { check } from '../private/errors';
import { ANNOTATION_DECISION } from '../private/labels';
import type { StatefulSetView } from '../report/tolerance';

export interface BudgetInput {
  readonly name: string;
  readonly selector: Record<string, string>;
  readonly mode: ReplicationMode;
  readonly replicas: number;
  readonly quorum: number;
  readonly replicationFactor?: number;
  readonly roleLabel?: RoleLabel;
  readonly roleBudgets: boolean;
}

/**
 * The budgets of a replicated database. Never overlapping: the eviction API refuses to evict a pod
 * selected by two budgets, which would stall every drain of its node.
 */
export function planBudgets(input: BudgetInput): BudgetPlan[] {
  const { name, selector, replicas, quorum } = input;
  if (input.roleBudgets && input.roleLabel) {
    const role = input.roleLabel;
    // Integer minAvailable: a budget over one role selects only some of the StatefulSet's pods, and with
    // maxUnavailable or a percentage the controller would expect all `replicas` of them and never allow an eviction.
    return [
      {
        id: 'PrimaryBudget',
        name: `${name}-primary`,
        selector: { ...selector, [role.key]: role.primaryValue },
        minAvailable: 1,
        description: 'the primary is never evicted: drain its node after a switchover',
      },
      {
        id: 'ReplicaBudget',
        name: `${name}-replicas`,
        selector: { ...selector, [role.key]: role.replicaValue },
        minAvailable: Math.max(0, replicas - 2),
        description: 'one replica down at a time',
      },
      {
        // A member whose role is not known at this instant (the engine's agent or the role labeller has not
        // written it yet, or took it away during a failover) would be in neither budget, free to evict beside a
        // replica. Here it is held, but for one of several, until its role is known again.
        id: 'UnknownRoleBudget',
        name: `${name}-unknown-role`,
        selector,
        withoutLabel: role.key,
        minAvailable: 1,
        description: 'a member whose role is not known yet is not evicted (unless others share that state)',
      },
    ];
  }
  const spare = input.mode === ReplicationMode.RING
    ? (input.replicationFactor ?? replicas) - quorum
    : replicas - quorum;
  const maxUnavailable = input.mode === ReplicationMode.CONSENSUS || input.mode === ReplicationMode.RING ? spare : Math.min(1, spare);
  return [{
    id: 'DisruptionBudget',
    name,
    selector,
    maxUnavailable,
    description: input.mode === ReplicationMode.RING
      ? `at most ${maxUnavailable} node(s) down: every token range keeps QUORUM`
      : input.mode === ReplicationMode.CONSENSUS ? `at most ${maxUnavailable} member(s) down: a majority stays up` : 'one member down at a time',
  }];
}

/**
 * Refuses budgets that select one pod twice: the eviction API refuses to evict such a pod, so every drain of its node
 * would stall. Each StatefulSet's pod template is tried with every label a member can carry: the primary's role value,
 * the replicas', and none while the role is not known.
 */
export function checkBudgetsDisjoint(scope: IConstruct, plans: BudgetPlan[], sets: StatefulSetView[], roleLabel?: RoleLabel): void {
  const roles: Array<[string, Record<string, string>]> = roleLabel
    ? [
      [` labelled ${roleLabel.key}=${roleLabel.primaryValue} (primary)`, { [roleLabel.key]: roleLabel.primaryValue }],
      [` labelled ${roleLabel.key}=${roleLabel.replicaValue} (replica)`, { [roleLabel.key]: roleLabel.replicaValue }],
      [` without ${roleLabel.key}`, {}],
    ]
    : [['', {}]];
  const members: MemberView[] = sets.flatMap((s) => roles.map(([role, labels]) => ({
    name: `the pods of StatefulSet "${s.metadata.name}"${role}`,
    labels: { ...s.spec.template.metadata.labels, ...labels },
    controllerReplicas: s.spec.replicas,
    controller: s.metadata.name,
  })));
  const overlap = budgetOverlaps(plans.map(budgetView), members)[0];
  if (overlap === undefined) return;
  const sameValues = roleLabel !== undefined && roleLabel.primaryValue === roleLabel.replicaValue;
  check(false, scope,
    `\`roleBudgets\`: the PodDisruptionBudgets ${overlap.budgets.map((b) => `"${b}"`).join(' and ')} ${overlap.budgets.length === 2 ? 'both' : 'all'} select ${overlap.member}, and the eviction API refuses to evict a pod two budgets select, so every drain of their nodes would stall. `
    + (sameValues
      ? `The engine gives the primary and the replicas the same role value ("${roleLabel!.primaryValue}"): give them different values (custom engine: \`primaryRoleValue\`, \`replicaRoleValue\`), or remove \`roleBudgets\`.`
      : 'Remove `roleBudgets`, or give the engine role values that tell the primary from the replicas.'));
}

/** A planned budget in the shape of its synthesized JSON. */
export function budgetJson(p: BudgetPlan): any {
  return {
    metadata: { name: p.name },
    spec: { selector: selectorOf(p), minAvailable: p.minAvailable, maxUnavailable: p.maxUnavailable },
  };
}

export function createBudgets(scope: Construct, plans: BudgetPlan[], labels: Record<string, string>): ApiObject[] {
  return plans.map((p) => new k8s.KubePodDisruptionBudget(scope, p.id, {
    metadata: { name: p.name, labels, annotations: { [ANNOTATION_DECISION]: p.description } },
    spec: {
      selector: selectorOf(p),
      ...(p.minAvailable !== undefined ? { minAvailable: k8s.IntOrString.fromNumber(p.minAvailable) } : {}),
      ...(p.maxUnavailable !== undefined ? { maxUnavailable: k8s.IntOrString.fromNumber(p.maxUnavailable) } : {}),
      // A crash-looping member must not block drains: it is not serving anyway.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  }));
}

function selectorOf(p: BudgetPlan): { matchLabels: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string }> } {
  return { matchLabels: p.selector, ...(p.withoutLabel ? { matchExpressions: [{ key: p.withoutLabel, operator: 'DoesNotExist' }] } : {}) };
}
