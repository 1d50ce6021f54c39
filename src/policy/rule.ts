import { PolicyContext } from './policy-context';

/** How much a finding of a rule weighs: errors fail the synth (see `PolicyOptions.failOn`). */
export enum RuleLevel {
  ERROR = 'error',
  WARNING = 'warning',
  INFO = 'info',
}

/** What a rule says of one object. */
export enum RuleStatus {
  COMPLIANT = 'compliant',
  NON_COMPLIANT = 'non-compliant',
  NOT_APPLICABLE = 'not-applicable',
}

/** A rule's answer for one object: compliant, not applicable, or non-compliant with what exactly is wrong. */
export class Verdict {
  public static compliant(): Verdict {
    return new Verdict(RuleStatus.COMPLIANT);
  }

  public static notApplicable(): Verdict {
    return new Verdict(RuleStatus.NOT_APPLICABLE);
  }

  /** @param detail what is wrong with this object, e.g. "container `backup` has no memory limit" */
  public static nonCompliant(detail: string): Verdict {
    return new Verdict(RuleStatus.NON_COMPLIANT, detail);
  }

  /** Non-compliant when there is at least one problem, compliant otherwise. */
  public static fromProblems(problems: string[]): Verdict {
    return problems.length ? Verdict.nonCompliant(problems.join('; ')) : Verdict.compliant();
  }

  private constructor(
    public readonly status: RuleStatus,
    /** What is wrong (non-compliant only). */
    public readonly detail?: string,
  ) {}
}

/**
 * A rule over rendered Kubernetes objects (cdk-nag's design): a pure function of one object and the whole set it was
 * rendered with, so escape-hatch edits, users' own objects and other tools' YAML are checked alike.
 *
 * A user's own rule is an object with these members; put it in a pack with `PolicyPack.of(...)`.
 */
export interface IPolicyRule {
  /** Stable id, upper case letters, digits and dashes, e.g. `DOK-GUARANTEED-QOS`: suppressions name it. */
  readonly id: string;
  readonly level: RuleLevel;
  /** One line, the finding: what is wrong when the rule is not met. */
  readonly finding: string;
  /** Why it matters and how to fix it. */
  readonly explanation: string;
  /** The verdict on one object; `context` holds every object rendered with it. */
  evaluate(manifest: any, context: PolicyContext): Verdict;
}

/** The form of a rule id: it becomes part of an annotation key (63 characters at most). */
export const RULE_ID_PATTERN = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$/;
