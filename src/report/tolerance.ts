import { k8s } from 'cdk8s-plus-28';
import { BudgetView, MemberView, evaluateBudgets } from '../disruption/budgets';
import { RoleLabel } from '../engines/engine-definition';
import { ReplicationMode } from '../engines/engine-port';
import { HOST_KEY, ZONE_KEY, worstMembersPerDomain } from '../topology/spread';

/** What a replicated database survives, computed from its synthesized objects. */
export interface Tolerance {
  /** Members in all StatefulSets. */
  readonly replicas: number;
  /**
   * Zones declared.
   * @default - not declared
   */
  readonly zones?: number;
  /** Members (or, for rings, replicas of each token range) that must be up for writes. */
  readonly quorum: number;
  /**
   * The most members one zone can hold under the synthesized spread and affinity.
   * @default - unknown (zones not declared)
   */
  readonly maxMembersPerZone?: number;
  /** Whole zones that can be lost while quorum holds. */
  readonly zoneFailuresTolerated: number;
  /** Nodes that can be lost while quorum holds, whatever members they run. */
  readonly nodeFailuresTolerated: number;
  /** Members a node drain can take down at the same time (from the PodDisruptionBudgets). */
  readonly drainsEvictAtOnce: number;
  /** Members selected by more than one budget (always empty in what the library emits). */
  readonly overlappingBudgetMembers: string[];
  /** One line, e.g. "3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict 1 pod at a time; quorum 2". */
  readonly summary: string;
  /** Caveats and operating notes. */
  readonly notes: string[];
}

/**
 * The scheduling-relevant part of a StatefulSet, in the shape of its JSON: what the tolerance figures read, recorded
 * as the objects are built instead of resolving every object again (a test checks they equal the synthesized YAML).
 */
export interface StatefulSetView {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly replicas: number;
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string> };
      readonly spec: { readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[]; readonly affinity?: k8s.Affinity };
    };
  };
}

export interface ToleranceInput {
  readonly statefulSets: StatefulSetView[];
  readonly budgets: any[];
  readonly mode: ReplicationMode;
  readonly quorum: number;
  readonly zonesDeclared?: number;
  readonly roleLabel?: RoleLabel;
  readonly replicationFactor?: number;
  readonly notes: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Reads replicas, spread constraints, zone affinity and budgets back from the synthesized JSON. */
export function computeTolerance(input: ToleranceInput): Tolerance {
  const notes = [...input.notes];
  const sets = input.statefulSets;
  const replicas = sets.reduce((n, s) => n + s.spec.replicas, 0);
  const zones = input.zonesDeclared;

  const maxPerZone = zones === undefined ? undefined : maxMembersPerZone(sets, replicas, zones);
  const ring = input.mode === ReplicationMode.RING;
  const rf = input.replicationFactor ?? replicas;
  // For a ring, what matters is how many replicas of one token range a zone can hold:
  // NetworkTopologyStrategy puts replicas on distinct racks first.
  const racks = sets.length;
  const unitPerZone = ring ? Math.ceil(rf / Math.max(1, Math.min(racks, zones ?? racks))) : (maxPerZone ?? replicas);
  const total = ring ? rf : replicas;
  let zoneFailures = 0;
  if (zones !== undefined && zones > 1) {
    while (zoneFailures + 1 < zones && total - (zoneFailures + 1) * unitPerZone >= input.quorum) zoneFailures++;
  } else if (zones === undefined) {
    notes.push('Zones are not declared: zone-loss tolerance is not known at synth time.');
  }

  const host = constraint(sets[0], HOST_KEY);
  const zone = constraint(sets[0], ZONE_KEY);
  const onePerNode = (host?.whenUnsatisfiable === 'DoNotSchedule' && host.maxSkew === 1)
    || (zone?.whenUnsatisfiable === 'DoNotSchedule' && maxPerZone === 1)
    || (ring && sets.length === rf && pinnedZones(sets).size === sets.length);
  const nodeFailures = onePerNode ? Math.max(0, total - input.quorum) : 0;
  if (!onePerNode) notes.push('Host spreading is only preferred: two members may share a node, so no node failure is guaranteed to be survived.');

  const members: MemberView[] = sets.flatMap((s) => Array.from({ length: s.spec.replicas }, (_, i) => ({
    name: `${s.metadata.name}-${i}`,
    labels: {
      ...s.spec.template.metadata.labels,
      ...(input.roleLabel ? { [input.roleLabel.key]: i === 0 && s === sets[0] ? input.roleLabel.primaryValue : input.roleLabel.replicaValue } : {}),
    },
    controller: s.metadata.name,
    controllerReplicas: s.spec.replicas,
  })));
  const budgets: BudgetView[] = input.budgets.map((b) => ({
    name: b.metadata.name,
    matchLabels: b.spec.selector.matchLabels,
    matchExpressions: b.spec.selector.matchExpressions,
    minAvailable: b.spec.minAvailable,
    maxUnavailable: b.spec.maxUnavailable,
  }));
  const evaluation = evaluateBudgets(budgets, members);

  const zonePart = zones === undefined ? `${plural(replicas, 'replica')}, zones not declared` : `${plural(replicas, 'replica')} over ${plural(zones, 'zone')}`;
  const survives = zoneFailures > 0 || nodeFailures > 0
    ? `survives loss of ${[zoneFailures > 0 ? plural(zoneFailures, 'zone') : '', nodeFailures > 0 ? plural(nodeFailures, 'node') : ''].filter((x) => x).join(' or ')}`
    : 'survives no zone or node loss';
  const drains = evaluation.evictableAtOnce === 1 ? 'drains evict one pod at a time' : `drains evict ${evaluation.evictableAtOnce} pods at a time`;
  const quorumPart = ring ? `QUORUM needs ${input.quorum} of ${rf} replicas per range` : `quorum ${input.quorum}`;
  return {
    replicas,
    zones,
    quorum: input.quorum,
    maxMembersPerZone: maxPerZone,
    zoneFailuresTolerated: zoneFailures,
    nodeFailuresTolerated: nodeFailures,
    drainsEvictAtOnce: evaluation.evictableAtOnce,
    overlappingBudgetMembers: evaluation.overlapping,
    summary: `${zonePart}; ${survives}; ${drains}; ${quorumPart}`,
    notes,
  };
}

function constraint(sts: StatefulSetView, key: string): k8s.TopologySpreadConstraint | undefined {
  return (sts.spec.template.spec.topologySpreadConstraints ?? []).find((c) => c.topologyKey === key);
}

function pinnedZones(sets: StatefulSetView[]): Set<string> {
  const zones = new Set<string>();
  for (const s of sets) {
    const terms = s.spec.template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    for (const t of terms) {
      for (const e of t.matchExpressions ?? []) if (e.key === ZONE_KEY && e.operator === 'In' && e.values?.length === 1) zones.add(e.values[0]);
    }
  }
  return zones;
}

/** Racks pinned to one zone each give exact counts; otherwise the zone spread bounds them. */
function maxMembersPerZone(sets: StatefulSetView[], replicas: number, zones: number): number {
  const pinned = pinnedZones(sets);
  if (pinned.size === sets.length && sets.length > 1) {
    const perZone = new Map<string, number>();
    for (const s of sets) {
      const z = [...pinnedZones([s])][0];
      perZone.set(z, (perZone.get(z) ?? 0) + s.spec.replicas);
    }
    return Math.max(...perZone.values());
  }
  const c = constraint(sets[0], ZONE_KEY);
  return worstMembersPerDomain(c?.whenUnsatisfiable === 'DoNotSchedule', c?.maxSkew ?? 0, replicas, zones);
}
