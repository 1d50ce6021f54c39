import { FindingStatus, LEVEL_WEIGHT, PolicyFinding, RuleTally } from './policy-finding';
import { RuleLevel } from './rule';

/** The outcome of a check: every finding, and what each rule found. */
export class PolicyReport {
  constructor(
    /** Non-compliant, suppressed and failed verdicts, errors first. */
    public readonly findings: PolicyFinding[],
    /** One line per rule: how many objects were compliant, non-compliant, not applicable, suppressed. */
    public readonly tallies: RuleTally[],
    /** Findings at or above this level fail the check. */
    public readonly failOn: RuleLevel,
  ) {}

  /** Unsuppressed findings at or above `failOn` (a rule that threw always counts). */
  public get failures(): PolicyFinding[] {
    return this.findings.filter((f) => f.status === FindingStatus.RULE_FAILED
      || (f.status === FindingStatus.NON_COMPLIANT && LEVEL_WEIGHT[f.level] >= LEVEL_WEIGHT[this.failOn]));
  }

  /** Whether nothing fails the check. */
  public get passed(): boolean {
    return this.failures.length === 0;
  }

  /** The findings of objects of one construct subtree (a chart, a database), by construct path prefix. */
  public forPath(pathPrefix: string): PolicyFinding[] {
    return this.findings.filter((f) => f.constructPath === pathPrefix || f.constructPath?.startsWith(`${pathPrefix}/`));
  }

  /** One line per failing finding: `[RULE-ID] Kind ns/name: detail (fix: ...)`. */
  public failureMessages(): string[] {
    return this.failures.map((f) => `[${f.ruleId}] ${f.objectRef}${f.constructPath ? ` (${f.constructPath})` : ''}: ${f.detail}. ${f.explanation}`);
  }

  /** Machine-readable form, as written to `policy.json`. */
  public toJson(): any {
    const count = (s: FindingStatus, level?: RuleLevel) => this.findings.filter((f) => f.status === s && (!level || f.level === level)).length;
    return {
      passed: this.passed,
      failOn: this.failOn,
      summary: {
        errors: count(FindingStatus.NON_COMPLIANT, RuleLevel.ERROR),
        warnings: count(FindingStatus.NON_COMPLIANT, RuleLevel.WARNING),
        info: count(FindingStatus.NON_COMPLIANT, RuleLevel.INFO),
        suppressed: count(FindingStatus.SUPPRESSED),
        ruleFailures: count(FindingStatus.RULE_FAILED),
      },
      findings: this.findings,
      rules: this.tallies,
    };
  }
}
