import { commonMatch, runtimeKeysOf, templateLabelsOf } from './runtime-labels';
import { HINT_ZONES, numberHint, podSpecOf, podTemplateOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

const ZONE_KEY = 'topology.kubernetes.io/zone';

/**
 * The zones the pod's required node affinity and nodeSelector allow, or undefined when they allow any zone. Node
 * selector terms are ORed, the requirements of one term ANDed (pkg/scheduler/framework/plugins/nodeaffinity).
 */
function allowedZones(spec: any): Set<string> | undefined {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  let allowed: Set<string> | undefined;
  if (Array.isArray(terms) && terms.length > 0) {
    allowed = new Set();
    for (const t of terms) {
      let termZones: Set<string> | undefined;
      for (const e of Array.isArray(t?.matchExpressions) ? t.matchExpressions : []) {
        if (e?.key !== ZONE_KEY || e.operator !== 'In' || !Array.isArray(e.values)) continue;
        const values: string[] = e.values;
        termZones = new Set(termZones ? values.filter((v) => termZones!.has(v)) : values);
      }
      if (!termZones) return undefined;
      termZones.forEach((z) => allowed!.add(z));
    }
  }
  const pinned = spec?.nodeSelector?.[ZONE_KEY];
  if (typeof pinned === 'string') allowed = new Set(allowed ? [...allowed].filter((z) => z === pinned) : [pinned]);
  return allowed;
}

/**
 * topologySpreadConstraints that leave pods Pending or do not spread at all: the scheduler takes the global minimum as
 * zero while fewer eligible domains exist than minDomains (pkg/scheduler/framework/plugins/podtopologyspread), the API
 * refuses minDomains without DoNotSchedule (validation.ValidateTopologySpreadConstraints), and a labelSelector that does
 * not select the pod itself counts only other pods, so the pod never spreads against its siblings.
 */
export const spreadSchedulable: IPolicyRule = {
  id: 'DOK-SPREAD-SCHEDULABLE',
  level: RuleLevel.ERROR,
  finding: 'A topologySpreadConstraint cannot be met, is refused by the API, or does not count the pods it spreads.',
  explanation: 'Keep minDomains at most the zones the pod may run in (required node affinity, declared zones), use it only with '
    + 'whenUnsatisfiable: DoNotSchedule, and give every constraint a labelSelector that selects the pod template itself; otherwise '
    + 'members stay Pending or pile into one domain.',
  evaluate(o: any, _context: PolicyContext): Verdict {
    const spec = podSpecOf(o);
    const constraints = spec?.topologySpreadConstraints;
    if (!Array.isArray(constraints) || constraints.length === 0) return Verdict.notApplicable();
    const labels = templateLabelsOf(o, podTemplateOf(o));
    const keys = runtimeKeysOf(o);
    const zones = allowedZones(spec);
    const declared = numberHint(o, HINT_ZONES);
    const problems: string[] = [];
    for (const c of constraints) {
      const name = `the constraint on \`${c?.topologyKey}\``;
      const minDomains = typeof c?.minDomains === 'number' ? c.minDomains : undefined;
      const required = c?.whenUnsatisfiable === 'DoNotSchedule';
      if (minDomains !== undefined && !required) {
        problems.push(`${name} sets minDomains ${minDomains} with whenUnsatisfiable ${c?.whenUnsatisfiable}: the API accepts minDomains only with DoNotSchedule`);
      }
      if (minDomains !== undefined && c?.topologyKey === ZONE_KEY && zones && c?.nodeAffinityPolicy !== 'Ignore' && minDomains > zones.size) {
        problems.push(`${name} needs minDomains ${minDomains} zones, but the pod's required node affinity allows only ${zones.size} `
          + `(${[...zones].join(', ') || 'none'}): ${pendingBeyond(c)}`);
      }
      if (minDomains !== undefined && required && c?.topologyKey === ZONE_KEY && declared !== undefined && minDomains > declared) {
        problems.push(`${name} needs minDomains ${minDomains} zones, but only ${declared} are declared (${HINT_ZONES}): ${pendingBeyond(c)}`);
      }
      if (c?.labelSelector === undefined || c?.labelSelector === null) {
        problems.push(`${name} has no labelSelector, so it counts no pods and spreads nothing`);
      } else if (commonMatch([c.labelSelector], labels, keys) === undefined) {
        problems.push(`${name} has a labelSelector that does not select the pod template's own labels, so the pods are not spread against each other`);
      }
    }
    return Verdict.fromProblems(problems);
  },
};

/** With fewer eligible domains than minDomains the global minimum is 0: each domain takes maxSkew matching pods. */
function pendingBeyond(c: any): string {
  const skew = typeof c?.maxSkew === 'number' ? c.maxSkew : 1;
  return `each zone then takes at most maxSkew (${skew}) matching pod${skew === 1 ? '' : 's'} and the rest stay Pending`;
}
