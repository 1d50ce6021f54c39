import { RuleLevel } from './rule';

/** How a finding stands. */
export enum FindingStatus {
  /** The object breaks the rule. */
  NON_COMPLIANT = 'non-compliant',
  /** The object breaks the rule, and a suppression with a reason accepts it. */
  SUPPRESSED = 'suppressed',
  /** The rule threw on this object: reported, never a crash. */
  RULE_FAILED = 'rule-failed',
}

/** One rule broken by one object. */
export interface PolicyFinding {
  readonly ruleId: string;
  readonly pack: string;
  readonly level: RuleLevel;
  readonly status: FindingStatus;
  /** `Kind namespace/name` */
  readonly objectRef: string;
  readonly kind: string;
  /** @default - cluster-scoped */
  readonly namespaceName?: string;
  readonly name: string;
  /**
   * The construct that rendered the object.
   * @default - unknown (plain YAML)
   */
  readonly constructPath?: string;
  /** The rule's one line. */
  readonly finding: string;
  /** What exactly is wrong with this object. */
  readonly detail: string;
  /** Why it matters, and the fix. */
  readonly explanation: string;
  /**
   * Why it is accepted (suppressed findings).
   * @default - not suppressed
   */
  readonly suppressionReason?: string;
}

/** What one rule found over all objects. */
export interface RuleTally {
  readonly ruleId: string;
  readonly pack: string;
  readonly level: RuleLevel;
  readonly finding: string;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly notApplicable: number;
  readonly suppressed: number;
  readonly failed: number;
}

export const LEVEL_WEIGHT: Record<string, number> = { error: 3, warning: 2, info: 1 };
