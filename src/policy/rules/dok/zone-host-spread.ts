import { templateLabels } from './database-pod';
import { instanceMembersIn } from './instance-index';
import { HOST_KEY, ZONE_KEY } from '../../../topology/spread';
import { isDatabaseWorkload, objectNamespace, podSpecOf, replicasOf, selectorMatches } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A replicated database survives the loss of a node or a zone only when its members are in different ones. A spread
 * counts whether it is `DoNotSchedule` or `ScheduleAnyway` (that the scheduler may relax it is the business of the
 * disruption rules); pod anti-affinity on the key counts too, required or preferred (a preferred term is the soft
 * spread ScheduleAnyway is, and the Bitnami charts' default). A Cassandra rack is one StatefulSet pinned to a
 * zone by required node affinity: it counts as zone-placed when other members of its instance are pinned elsewhere.
 */
export const zoneHostSpread: IPolicyRule = {
  id: 'DOK-ZONE-HOST-SPREAD',
  level: RuleLevel.ERROR,
  finding: 'A replicated database does not spread its pods over zones and hosts.',
  explanation: 'Give the StatefulSet a topologySpreadConstraint over `topology.kubernetes.io/zone` and one over `kubernetes.io/hostname` '
    + 'whose labelSelector selects its own pods (or podAntiAffinity, required or preferred, on those keys): otherwise the scheduler may put every '
    + 'replica in one zone or on one node, and losing it loses the database (DoK whitepaper: spread replicas across failure domains). '
    + 'Racks pinned to one zone each by required nodeAffinity count as a zone spread.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o) || replicasOf(o) <= 1) return Verdict.notApplicable();
    const problems: string[] = [];
    if (!spreadsOver(o, ZONE_KEY) && !zonePinnedAmongRacks(o, context)) {
      const zone = pinnedZone(o);
      problems.push(missing(o, ZONE_KEY, 'zones') + (zone === undefined ? '' : `, and its pods are pinned to zone ${zone} with no other rack of its instance in another zone`));
    }
    if (!spreadsOver(o, HOST_KEY)) problems.push(missing(o, HOST_KEY, 'hosts'));
    return Verdict.fromProblems(problems);
  },
};

function missing(o: any, key: string, domains: string): string {
  return `its ${replicasOf(o)} replicas are not spread over ${domains}: no topologySpreadConstraint or podAntiAffinity `
    + `on \`${key}\` selects its pod template`;
}

/** A topologySpreadConstraint, or an anti-affinity term (required or preferred), on `key` that counts the workload's own pods. */
function spreadsOver(o: any, key: string): boolean {
  const spec = podSpecOf(o) ?? {};
  const labels = templateLabels(o);
  const spreads: any[] = Array.isArray(spec.topologySpreadConstraints) ? spec.topologySpreadConstraints : [];
  if (spreads.some((c) => c?.topologyKey === key && selectorMatches(c.labelSelector, labels))) return true;
  const antiAffinity = spec.affinity?.podAntiAffinity;
  const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);
  const required = list(antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
  const preferred = list(antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).map((p: any) => p?.podAffinityTerm);
  return [...required, ...preferred].some((t: any) => t?.topologyKey === key && selectorMatches(t.labelSelector, labels)
    && coversOwnNamespace(t, objectNamespace(o)));
}

/** An affinity term counts pods of its own namespace unless `namespaces` lists others (a namespaceSelector widens it). */
function coversOwnNamespace(term: any, namespace: string): boolean {
  const namespaces = term.namespaces;
  return term.namespaceSelector !== undefined || !Array.isArray(namespaces) || namespaces.length === 0 || namespaces.includes(namespace);
}

/** The single zone the pods are pinned to by nodeSelector or required node affinity, if they are. */
function pinnedZone(o: any): string | undefined {
  const spec = podSpecOf(o) ?? {};
  const fromSelector = spec.nodeSelector?.[ZONE_KEY];
  if (typeof fromSelector === 'string') return fromSelector;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return undefined;
  // Terms are ORed: every term must pin the same single zone.
  const zones = new Set(terms.map((t: any) => {
    const e = (t?.matchExpressions ?? []).find((x: any) => x?.key === ZONE_KEY && x.operator === 'In' && x.values?.length === 1);
    return e ? String(e.values[0]) : undefined;
  }));
  return zones.size === 1 && !zones.has(undefined) ? [...zones][0] : undefined;
}

/** Pinned to one zone while another member of the instance (another rack) is pinned to a different zone. */
function zonePinnedAmongRacks(o: any, context: PolicyContext): boolean {
  const zone = pinnedZone(o);
  if (zone === undefined) return false;
  return instanceMembersIn(o, context).some((m) => m !== o && replicasOf(m) > 0 && (pinnedZone(m) ?? zone) !== zone);
}
