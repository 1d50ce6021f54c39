import { IPolicyRule, RULE_ID_PATTERN } from './rule';
import { DATA_ON_KUBERNETES_RULES } from './rules/dok-pack';
import { SECURITY_BASELINE_RULES } from './rules/security-pack';

/** A named set of rules: the built-in packs, or a team's own. */
export class PolicyPack {
  /**
   * The patterns of the CNCF Data on Kubernetes database whitepaper: spread, budgets against quorum, Guaranteed QoS,
   * priority, stable identity, retention, default-deny, probes, graceful stop, backups and restores, RPO.
   */
  public static dataOnKubernetes(): PolicyPack {
    return new PolicyPack('data-on-kubernetes', DATA_ON_KUBERNETES_RULES);
  }

  /** Restricted pod security, no secrets in the YAML, pinned images, least-privilege RBAC. */
  public static securityBaseline(): PolicyPack {
    return new PolicyPack('security-baseline', SECURITY_BASELINE_RULES);
  }

  /** The built-in packs, by the names the `cdk8s synth --validate` plugin takes. */
  public static builtIn(name: string): PolicyPack | undefined {
    return PolicyPack.builtIns().find((p) => p.name === name);
  }

  /** Both built-in packs. */
  public static builtIns(): PolicyPack[] {
    return [PolicyPack.dataOnKubernetes(), PolicyPack.securityBaseline()];
  }

  /**
   * A pack of your own rules.
   * @param name a short name shown in reports, e.g. `payments-team`
   */
  public static of(name: string, rules: IPolicyRule[]): PolicyPack {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name ?? '')) {
      throw new Error(`PolicyPack.of: \`name\` (${JSON.stringify(name)}) must be lower case letters, digits and dashes, e.g. 'payments-team'.`);
    }
    if (!Array.isArray(rules)) throw new Error(`PolicyPack.of('${name}'): \`rules\` must be a list of rules.`);
    const seen = new Set<string>();
    for (const rule of rules) {
      const id = (rule as any)?.id;
      if (typeof id !== 'string' || !RULE_ID_PATTERN.test(id) || id.length > 63) {
        throw new Error(`PolicyPack.of('${name}'): rule id ${JSON.stringify(id)} must be upper case letters, digits and dashes, `
          + 'at most 63 characters (it becomes part of an annotation key), e.g. \'TEAM-BACKUP-OWNER\'.');
      }
      if (typeof (rule as any).evaluate !== 'function') throw new Error(`PolicyPack.of('${name}'): rule ${id} has no \`evaluate\` function.`);
      if (!['error', 'warning', 'info'].includes((rule as any).level)) {
        throw new Error(`PolicyPack.of('${name}'): rule ${id} has level ${JSON.stringify((rule as any).level)}: use RuleLevel.ERROR, WARNING or INFO.`);
      }
      if (seen.has(id)) throw new Error(`PolicyPack.of('${name}'): two rules have the id ${id}: ids must be unique.`);
      seen.add(id);
    }
    return new PolicyPack(name, rules);
  }

  private constructor(public readonly name: string, public readonly rules: IPolicyRule[]) {}
}
