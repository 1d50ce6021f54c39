import { instanceQuorum, instanceReplicas, instancesOf } from './budget-model';
import { worstMembersPerDomain } from '../../../topology/spread';
import { HINT_ZONES, isDatabaseWorkload, numberHint, replicasOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

const ZONE_KEY = 'topology.kubernetes.io/zone';

/** The one zone a StatefulSet is pinned to by required node affinity (a rack), if any. */
function pinnedZone(s: any): string | undefined {
  const terms = s?.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const t of Array.isArray(terms) ? terms : []) {
    for (const e of Array.isArray(t?.matchExpressions) ? t.matchExpressions : []) {
      if (e?.key === ZONE_KEY && e.operator === 'In' && Array.isArray(e.values) && e.values.length === 1) return e.values[0];
    }
  }
  return undefined;
}

/**
 * The most members one zone can hold, as src/report/tolerance.ts computes it: racks pinned to one zone each give exact
 * counts; otherwise the zone spread bounds them (a required spread with maxSkew s puts at most
 * floor((n + (zones - 1) s) / zones) in one zone; without one, all members may share a zone).
 */
function maxMembersPerZone(members: any[], zones: number): number {
  const total = instanceReplicas(members);
  const pinned = members.map(pinnedZone);
  if (members.length > 1 && pinned.every((z) => z !== undefined)) {
    const perZone = new Map<string, number>();
    members.forEach((s, i) => perZone.set(pinned[i]!, (perZone.get(pinned[i]!) ?? 0) + replicasOf(s)));
    return Math.max(...perZone.values());
  }
  const constraints = members[0]?.spec?.template?.spec?.topologySpreadConstraints;
  const zone = (Array.isArray(constraints) ? constraints : []).find((c: any) => c?.topologyKey === ZONE_KEY);
  return worstMembersPerDomain(zone?.whenUnsatisfiable === 'DoNotSchedule', typeof zone?.maxSkew === 'number' ? zone.maxSkew : 0, total, zones);
}

/**
 * With zones declared (annotation `cdk8s-databases.io/zones`), losing the zone that holds the most members must leave a
 * quorum: that is what spreading a database over zones is for (DoK whitepaper: failure domains).
 */
export const zoneQuorum: IPolicyRule = {
  id: 'DOK-ZONE-QUORUM',
  level: RuleLevel.ERROR,
  finding: 'Losing one of the declared zones takes a replicated database below quorum.',
  explanation: 'With the zones declared in `cdk8s-databases.io/zones` and the members spread as the StatefulSets require, the zone holding '
    + 'the most members must hold no more than members - quorum. Spread over more zones (a required zone spread with maxSkew 1), '
    + 'or change the replicas; suppress the rule where losing quorum with a zone is accepted.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const members = instancesOf([o], context)[0];
    const zones = [o, ...members].map((s) => numberHint(s, HINT_ZONES)).find((z) => z !== undefined);
    const total = instanceReplicas(members);
    if (zones === undefined || total <= 1) return Verdict.notApplicable();
    const quorum = instanceQuorum(members);
    if (zones <= 1) return Verdict.nonCompliant(`only ${zones} zone is declared: losing it loses all ${total} members (quorum ${quorum})`);
    const worst = maxMembersPerZone(members, zones);
    if (total - worst >= quorum) return Verdict.compliant();
    return Verdict.nonCompliant(`${total} members over ${zones} declared zones put up to ${worst} in one zone: losing it leaves ${total - worst}, below the quorum of ${quorum}`);
  },
};
