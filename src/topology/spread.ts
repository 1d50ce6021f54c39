import { k8s } from 'cdk8s-plus-28';

/** Options of a required spread. */
export interface RequiredSpreadOptions {
  /**
   * How many more members one domain may hold than the least loaded one.
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * The number of domains the scheduler assumes exist: with fewer eligible domains, the global minimum
   * counts as zero, so pods stay Pending rather than pile into the remaining domains.
   * @default - the declared zone count (zones), none (hosts)
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/#spread-constraint-definition
   */
  readonly minDomains?: number;
  /**
   * Pod label keys whose values narrow the pods counted, e.g. `['controller-revision-hash']` so a rolling
   * update spreads the new revision by itself (Kubernetes 1.27+ beta, on by default from 1.27).
   * @default - none: all members count
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/#spread-constraint-definition
   */
  readonly matchLabelKeys?: string[];
}

/** Options of a preferred spread. */
export interface PreferredSpreadOptions {
  /**
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * Pod label keys whose values narrow the pods counted (see `RequiredSpreadOptions.matchLabelKeys`).
   * @default - none: all members count
   */
  readonly matchLabelKeys?: string[];
}

/**
 * How members spread over a topology domain (zones or hosts), as a topologySpreadConstraint.
 * Unlike required pod anti-affinity, a spread with `maxSkew` still schedules more members than domains.
 */
export class Spread {
  /** The scheduler refuses placements that break the skew (`DoNotSchedule`). */
  public static required(options: RequiredSpreadOptions = {}): Spread {
    return new Spread('DoNotSchedule', options.maxSkew ?? 1, options.minDomains, options.matchLabelKeys);
  }

  /** The scheduler prefers placements that keep the skew but schedules anyway (`ScheduleAnyway`). */
  public static preferred(options: PreferredSpreadOptions = {}): Spread {
    return new Spread('ScheduleAnyway', options.maxSkew ?? 1, undefined, options.matchLabelKeys);
  }

  /** No constraint over this domain. */
  public static none(): Spread {
    return new Spread(undefined, 0, undefined, undefined);
  }

  private constructor(
    /** `DoNotSchedule`, `ScheduleAnyway`, or undefined for none. */
    public readonly whenUnsatisfiable: string | undefined,
    /** Maximum skew. */
    public readonly maxSkew: number,
    /** minDomains, for required spreads. */
    public readonly minDomains: number | undefined,
    /** matchLabelKeys. */
    public readonly matchLabelKeys: string[] | undefined,
  ) {}

  /** Whether the scheduler enforces it. */
  public get isRequired(): boolean {
    return this.whenUnsatisfiable === 'DoNotSchedule';
  }
}

export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const HOST_KEY = 'kubernetes.io/hostname';

/**
 * A topologySpreadConstraint over all members of a database. Tainted nodes the pods do not
 * tolerate and nodes their node affinity excludes are not counted as domains (`Honor`).
 */
export function spreadConstraint(spread: Spread, topologyKey: string, selector: Record<string, string>,
  minDomains?: number): k8s.TopologySpreadConstraint | undefined {
  if (!spread.whenUnsatisfiable) return undefined;
  return {
    topologyKey,
    maxSkew: spread.maxSkew,
    whenUnsatisfiable: spread.whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    ...(spread.isRequired && minDomains !== undefined ? { minDomains } : {}),
    ...(spread.matchLabelKeys && spread.matchLabelKeys.length > 0 ? { matchLabelKeys: spread.matchLabelKeys } : {}),
    nodeAffinityPolicy: 'Honor',
    nodeTaintsPolicy: 'Honor',
  };
}

/**
 * The most members one domain can hold when `replicas` spread over `domains` with this spread:
 * the skew bound allows max <= min + maxSkew, so max <= (replicas + (domains - 1) * maxSkew) / domains.
 * Without a required spread, every member may land in one domain.
 */
export function worstMembersPerDomain(required: boolean, maxSkew: number, replicas: number, domains: number): number {
  if (!required || domains <= 1) return replicas;
  return Math.min(replicas, Math.floor((replicas + (domains - 1) * maxSkew) / domains));
}

// ---------------------------------------------------------------------------------------------
// A model of kube-scheduler's PodTopologySpread Filter, so that the synth-time checks refuse
// layouts that leave pods Pending. It follows pkg/scheduler/framework/plugins/podtopologyspread
// (filtering.go, common.go) of Kubernetes:
// - only `DoNotSchedule` constraints filter; `ScheduleAnyway` ones only score;
// - a node is a candidate domain only if it carries every topology key of those constraints;
// - `nodeAffinityPolicy` (default Honor): a node whose labels fail the pod's nodeSelector and
//   required node affinity is not counted at all (its domain is not eligible);
// - `nodeTaintsPolicy` (default Ignore): the modelled nodes carry no taints, so it never excludes;
// - pods counted: placed pods, matching the label selector merged with the pod's own values of
//   `matchLabelKeys`;
// - global minimum = the fewest matching pods in an eligible domain, taken as 0 when there are
//   fewer eligible domains than `minDomains` (default 1);
// - a node fails when it lacks the topology key, or when
//   matching pods in its domain + (1 if the pod matches its own selector) - global minimum > maxSkew.
// ---------------------------------------------------------------------------------------------

/** A node as the scheduler sees it. */
export interface SchedulingNode {
  readonly name: string;
  readonly labels: Record<string, string>;
  /**
   * A modelled node stands for "a node of this zone with whatever else the pod asks for": labels
   * other than the zone and hostname are then taken to satisfy any node requirement.
   */
  readonly otherLabelsMatch?: boolean;
}

/** A required node affinity requirement in its JSON shape. */
export interface NodeRequirementView {
  readonly key: string;
  readonly operator: string;
  readonly values?: string[];
}

/** A topologySpreadConstraint in its JSON shape (the fields the scheduler reads). */
export interface SpreadConstraintView {
  readonly topologyKey: string;
  readonly maxSkew: number;
  readonly whenUnsatisfiable: string;
  readonly minDomains?: number;
  readonly labelSelector?: { readonly matchLabels?: Record<string, string> };
  readonly matchLabelKeys?: string[];
  readonly nodeAffinityPolicy?: string;
  readonly nodeTaintsPolicy?: string;
}

/** The pods of one controller (StatefulSet), as the scheduler sees their template. */
export interface SchedulingGroup {
  /** StatefulSet name: pods are `<name>-<ordinal>`. */
  readonly name: string;
  readonly replicas: number;
  /** Pod labels (each pod also gets `controller-revision-hash`, which differs between StatefulSets). */
  readonly labels: Record<string, string>;
  readonly nodeSelector?: Record<string, string>;
  /** Required node affinity: any term matches, each term needs all its requirements. */
  readonly nodeSelectorTerms?: NodeRequirementView[][];
  readonly constraints: SpreadConstraintView[];
}

/** Why the scheduler finds no node for a pod. */
export interface Unschedulable {
  /** `node-affinity`: no node satisfies the nodeSelector and required node affinity; `spread`: a constraint fails on every node that does. */
  readonly cause: 'node-affinity' | 'spread';
  /** The constraint that fails (cause `spread`). */
  readonly constraint?: SpreadConstraintView;
  /** Domains the constraint counts for this pod (cause `spread`). */
  readonly eligibleDomains?: string[];
  /** The global minimum the scheduler used (cause `spread`). */
  readonly globalMinimum?: number;
}

/** A pod the scheduler leaves Pending. */
export interface PendingPod {
  readonly pod: string;
  readonly group: string;
  readonly why: Unschedulable;
}

/** Where the model placed every pod, and which pods stay Pending. */
export interface Placement {
  /** Pod name to node name. */
  readonly nodeOf: Record<string, string>;
  readonly pending: PendingPod[];
}

const REVISION_KEY = 'controller-revision-hash';

/** Pod labels as the StatefulSet controller writes them: the template's plus the revision hash. */
function podLabels(g: SchedulingGroup): Record<string, string> {
  return { ...g.labels, [REVISION_KEY]: `${g.name}-rev` };
}

function requirementMatches(r: NodeRequirementView, node: SchedulingNode): boolean {
  const has = Object.prototype.hasOwnProperty.call(node.labels, r.key);
  if (!has && node.otherLabelsMatch && r.key !== ZONE_KEY && r.key !== HOST_KEY) return true;
  const value = node.labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return has && values.includes(value);
    case 'NotIn': return !has || !values.includes(value);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number.parseInt(value, 10) > Number.parseInt(values[0], 10);
    case 'Lt': return has && Number.parseInt(value, 10) < Number.parseInt(values[0], 10);
    default: return false;
  }
}

/** The pod's nodeSelector and required node affinity (nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)). */
export function nodeMatchesPod(g: SchedulingGroup, node: SchedulingNode): boolean {
  const selector = Object.entries(g.nodeSelector ?? {}).every(([key, value]) =>
    requirementMatches({ key, operator: 'In', values: [value] }, node));
  const terms = g.nodeSelectorTerms ?? [];
  return selector && (terms.length === 0 || terms.some((t) => t.every((r) => requirementMatches(r, node))));
}

/** The constraint's selector merged with the pod's own values of `matchLabelKeys`. */
function selectorOf(c: SpreadConstraintView, labels: Record<string, string>): Record<string, string> {
  const merged = { ...(c.labelSelector?.matchLabels ?? {}) };
  for (const key of c.matchLabelKeys ?? []) if (labels[key] !== undefined) merged[key] = labels[key];
  return merged;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** What PreFilter computes for one constraint: matching pods per eligible domain, and the global minimum. */
interface ConstraintState {
  readonly constraint: SpreadConstraintView;
  readonly selector: Record<string, string>;
  readonly perDomain: Map<string, number>;
  readonly globalMinimum: number;
}

function preFilter(g: SchedulingGroup, labels: Record<string, string>, nodes: SchedulingNode[],
  podsOn: Map<SchedulingNode, Record<string, string>[]>): ConstraintState[] {
  const required = g.constraints.filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  const states = required.map((c) => ({ constraint: c, selector: selectorOf(c, labels), perDomain: new Map<string, number>() }));
  for (const node of nodes) {
    if (!required.every((c) => node.labels[c.topologyKey] !== undefined)) continue;
    for (const s of states) {
      // nodeAffinityPolicy: Honor unless Ignore; nodeTaintsPolicy has nothing to exclude on untainted nodes.
      if ((s.constraint.nodeAffinityPolicy ?? 'Honor') === 'Honor' && !nodeMatchesPod(g, node)) continue;
      const domain = node.labels[s.constraint.topologyKey];
      const count = (podsOn.get(node) ?? []).filter((p) => selects(s.selector, p)).length;
      s.perDomain.set(domain, (s.perDomain.get(domain) ?? 0) + count);
    }
  }
  return states.map((s) => {
    const counts = [...s.perDomain.values()];
    const fewer = s.perDomain.size < (s.constraint.minDomains ?? 1);
    return { ...s, globalMinimum: fewer || counts.length === 0 ? 0 : Math.min(...counts) };
  });
}

/** The Filter of PodTopologySpread for one node: the first constraint it fails, if any. */
function failingConstraint(states: ConstraintState[], labels: Record<string, string>, node: SchedulingNode): ConstraintState | undefined {
  return states.find((s) => {
    const domain = node.labels[s.constraint.topologyKey];
    if (domain === undefined) return true;
    const self = selects(s.selector, labels) ? 1 : 0;
    return (s.perDomain.get(domain) ?? 0) + self - s.globalMinimum > s.constraint.maxSkew;
  });
}

/**
 * Places every pod of the groups on `nodes` one at a time, as kube-scheduler would: StatefulSets are
 * created together and each creates its pods in ordinal order, so pods are taken ordinal by ordinal
 * across the groups. Feasibility is the scheduler's (node affinity, then the spread Filter above);
 * among feasible nodes the model takes the one whose domains hold the fewest matching pods (what
 * the spread score prefers), so a pod it leaves Pending has no node on this cluster under any
 * balanced placement.
 */
export function placePods(nodes: SchedulingNode[], groups: SchedulingGroup[]): Placement {
  const podsOn = new Map<SchedulingNode, Record<string, string>[]>();
  const nodeOf: Record<string, string> = {};
  const pending: PendingPod[] = [];
  const rounds = Math.max(0, ...groups.map((g) => g.replicas));
  for (let ordinal = 0; ordinal < rounds; ordinal++) {
    for (const g of groups) {
      if (ordinal >= g.replicas) continue;
      const pod = `${g.name}-${ordinal}`;
      const labels = podLabels(g);
      const candidates = nodes.filter((n) => nodeMatchesPod(g, n));
      if (candidates.length === 0) {
        pending.push({ pod, group: g.name, why: { cause: 'node-affinity' } });
        continue;
      }
      const states = preFilter(g, labels, nodes, podsOn);
      const feasible = candidates.filter((n) => failingConstraint(states, labels, n) === undefined);
      if (feasible.length === 0) {
        const s = failingConstraint(states, labels, candidates[0])!;
        pending.push({
          pod,
          group: g.name,
          why: { cause: 'spread', constraint: s.constraint, eligibleDomains: [...s.perDomain.keys()], globalMinimum: s.globalMinimum },
        });
        continue;
      }
      // Matching pods per domain of every constraint (DoNotSchedule and ScheduleAnyway alike).
      const perDomain = g.constraints.map((c) => {
        const selector = selectorOf(c, labels);
        const counts = new Map<string, number>();
        for (const [n, pods] of podsOn) {
          const domain = n.labels[c.topologyKey];
          if (domain !== undefined) counts.set(domain, (counts.get(domain) ?? 0) + pods.filter((p) => selects(selector, p)).length);
        }
        return { key: c.topologyKey, counts };
      });
      const load = (n: SchedulingNode) => perDomain.reduce((sum, d) => sum + (d.counts.get(n.labels[d.key]) ?? 0), 0);
      const best = feasible.reduce((a, b) => (load(b) < load(a) ? b : a));
      podsOn.set(best, [...(podsOn.get(best) ?? []), labels]);
      nodeOf[pod] = best.name;
    }
  }
  return { nodeOf, pending };
}

/**
 * A cluster with the given zones and enough nodes in each for every pod to have its own
 * (`hostsPerZone`), labelled with zone and hostname; other node requirements are taken as met.
 * Pods Pending on it are Pending on any real cluster with these zones.
 */
export function modelCluster(zones: string[], hostsPerZone: number): SchedulingNode[] {
  return zones.flatMap((zone) => Array.from({ length: Math.max(1, hostsPerZone) }, (_, i) => ({
    name: `${zone}/node-${i}`,
    labels: { [ZONE_KEY]: zone, [HOST_KEY]: `${zone}-node-${i}` },
    otherLabelsMatch: true,
  })));
}

/** The scheduling-relevant part of a synthesized StatefulSet, read back from its JSON. */
export function schedulingGroupOf(sts: any): SchedulingGroup {
  const spec = sts.spec.template.spec ?? {};
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return {
    name: sts.metadata.name,
    replicas: sts.spec.replicas ?? 1,
    labels: sts.spec.template.metadata?.labels ?? {},
    nodeSelector: spec.nodeSelector,
    nodeSelectorTerms: terms?.map((t: any) => t.matchExpressions ?? []),
    constraints: spec.topologySpreadConstraints ?? [],
  };
}
