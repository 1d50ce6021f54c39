import { SUPPRESSION_PREFIX, annotationsOf, objectNamespace, objectRef, CLUSTER_SCOPED_KINDS } from './manifest';
import { PolicyContext } from './policy-context';
import { FindingStatus, LEVEL_WEIGHT, PolicyFinding, RuleTally } from './policy-finding';
import { PolicyPack } from './policy-pack';
import { PolicyReport } from './policy-report';
import { IPolicyRule, RuleLevel, RuleStatus, Verdict } from './rule';

/** A suppression given outside the objects (the plugin's properties, plain YAML): a rule, the objects, the reason. */
export interface PolicySuppression {
  readonly ruleId: string;
  /** At least 10 characters: why breaking the rule is right here. */
  readonly reason: string;
  /** @default - every kind */
  readonly kind?: string;
  /** @default - every namespace */
  readonly namespaceName?: string;
  /** @default - every name */
  readonly name?: string;
}

/** What to check against, and what fails. */
export interface PolicyOptions {
  /**
   * The packs to check.
   * @default - PolicyPack.dataOnKubernetes() and PolicyPack.securityBaseline()
   */
  readonly packs?: PolicyPack[];
  /**
   * Findings at or above this level fail.
   * @default RuleLevel.ERROR
   */
  readonly failOn?: RuleLevel;
  /**
   * Suppressions by rule and object, beside the ones on the objects (`Policy.suppress`, or the
   * `ignore-check.cdk8s-databases.io/<RULE-ID>` annotation).
   * @default - none
   */
  readonly suppressions?: PolicySuppression[];
}

export const MIN_REASON_LENGTH = 10;

/** Runs every rule of every pack over every object. A rule that throws is a finding, never a crash. */
export function evaluate(objects: any[], options: PolicyOptions = {}, constructPaths?: Map<any, string>): PolicyReport {
  const packs = options.packs ?? PolicyPack.builtIns();
  const failOn = checkFailOn(options.failOn);
  const context = new PolicyContext(expandLists(objects));
  const findings: PolicyFinding[] = [];
  const tallies: RuleTally[] = [];
  const seen = new Map<string, IPolicyRule>();
  for (const pack of packs) {
    for (const rule of pack.rules) {
      const first = seen.get(rule.id);
      if (first === rule) continue; // one rule in two packs runs once
      if (first) {
        throw new Error(`Policy: two different rules have the id ${rule.id} (one in pack '${pack.name}'): suppressions and reports name rules by id, `
          + 'so ids must be unique across the packs checked together. Rename your rule.');
      }
      seen.set(rule.id, rule);
      const tally = { compliant: 0, nonCompliant: 0, notApplicable: 0, suppressed: 0, failed: 0 };
      for (const object of context.objects) {
        const outcome = judge(rule, pack.name, object, context, options.suppressions ?? [], constructPaths?.get(object));
        if (!outcome) { tally.notApplicable++; continue; }
        if (outcome === 'compliant') { tally.compliant++; continue; }
        findings.push(outcome);
        if (outcome.status === FindingStatus.SUPPRESSED) tally.suppressed++;
        else if (outcome.status === FindingStatus.RULE_FAILED) tally.failed++;
        else tally.nonCompliant++;
      }
      tallies.push({ ruleId: rule.id, pack: pack.name, level: rule.level, finding: rule.finding, ...tally });
    }
  }
  findings.sort(mostSevereFirst);
  return new PolicyReport(findings, tallies, failOn);
}

function judge(rule: IPolicyRule, pack: string, object: any, context: PolicyContext, suppressions: PolicySuppression[],
  constructPath: string | undefined): PolicyFinding | 'compliant' | undefined {
  let verdict: Verdict;
  try {
    verdict = rule.evaluate(object, context);
    // By shape, not `instanceof`: a pack may be built with another copy of this library (a project's own, beside the
    // one cdk8s-cli installed the plugin from).
    if (!Object.values(RuleStatus).includes((verdict as any)?.status)) throw new Error(`returned ${JSON.stringify(verdict)} instead of a Verdict`);
  } catch (e) {
    return finding(rule, pack, object, constructPath, FindingStatus.RULE_FAILED, `the rule failed on this object: ${(e as Error)?.message ?? e}`);
  }
  if (verdict.status === RuleStatus.NOT_APPLICABLE) return undefined;
  if (verdict.status === RuleStatus.COMPLIANT) return 'compliant';
  const detail = typeof verdict.detail === 'string' && verdict.detail ? verdict.detail : rule.finding;
  const reason = suppressionOf(rule.id, object, suppressions);
  if (reason !== undefined && reason.trim().length >= MIN_REASON_LENGTH) {
    return finding(rule, pack, object, constructPath, FindingStatus.SUPPRESSED, detail, reason.trim());
  }
  const note = reason !== undefined ? ` (its suppression is ignored: the reason ${JSON.stringify(reason)} is shorter than ${MIN_REASON_LENGTH} characters)` : '';
  return finding(rule, pack, object, constructPath, FindingStatus.NON_COMPLIANT, detail + note);
}

/** The reason a finding is accepted: the object's annotation, else a suppression given in the options (a valid one wins). */
function suppressionOf(ruleId: string, object: any, suppressions: PolicySuppression[]): string | undefined {
  const annotated = annotationsOf(object)[SUPPRESSION_PREFIX + ruleId];
  const given = suppressions.find((s) => s.ruleId === ruleId && (!s.kind || s.kind === object.kind)
    && (!s.namespaceName || s.namespaceName === objectNamespace(object)) && (!s.name || s.name === object.metadata?.name))?.reason;
  const reasons = [annotated, given].filter((r): r is string => r !== undefined).map(String);
  return reasons.find((r) => r.trim().length >= MIN_REASON_LENGTH) ?? reasons[0];
}

/** `kind: List` (what `kubectl get -o yaml` writes) and `*List` kinds hold their objects in `items`. */
function expandLists(objects: any[]): any[] {
  return (Array.isArray(objects) ? objects : []).flatMap((o) => (o && typeof o.kind === 'string' && /List$/.test(o.kind) && Array.isArray(o.items)
    ? expandLists(o.items) : [o]));
}

/** The level that fails a check: a misspelt one would otherwise pass everything. */
export function checkFailOn(failOn: unknown): RuleLevel {
  if (failOn === undefined) return RuleLevel.ERROR;
  if (!Object.values(RuleLevel).includes(failOn as RuleLevel)) {
    throw new Error(`Policy: \`failOn\` is ${JSON.stringify(failOn)}: use RuleLevel.ERROR, RuleLevel.WARNING or RuleLevel.INFO ('error', 'warning', 'info').`);
  }
  return failOn as RuleLevel;
}

function finding(rule: IPolicyRule, pack: string, object: any, constructPath: string | undefined, status: FindingStatus,
  detail: string, suppressionReason?: string): PolicyFinding {
  return {
    ruleId: rule.id,
    pack,
    level: status === FindingStatus.RULE_FAILED ? RuleLevel.ERROR : rule.level,
    status,
    objectRef: objectRef(object),
    kind: object.kind,
    namespaceName: CLUSTER_SCOPED_KINDS.has(object.kind) ? undefined : objectNamespace(object),
    name: object.metadata?.name ?? '(unnamed)',
    constructPath,
    finding: rule.finding,
    detail,
    explanation: rule.explanation,
    suppressionReason,
  };
}

/** One report of several checked sets (one per cluster): findings together, tallies summed by rule. */
export function mergeReports(reports: PolicyReport[]): PolicyReport {
  if (reports.length === 1) return reports[0];
  const tallies = new Map<string, RuleTally>();
  for (const t of reports.flatMap((r) => r.tallies)) {
    const sum = tallies.get(t.ruleId);
    tallies.set(t.ruleId, !sum ? t : {
      ...sum,
      compliant: sum.compliant + t.compliant,
      nonCompliant: sum.nonCompliant + t.nonCompliant,
      notApplicable: sum.notApplicable + t.notApplicable,
      suppressed: sum.suppressed + t.suppressed,
      failed: sum.failed + t.failed,
    });
  }
  const findings = reports.flatMap((r) => r.findings);
  findings.sort(mostSevereFirst);
  return new PolicyReport(findings, [...tallies.values()], reports[0].failOn);
}

/** Errors first, then by rule and object: the order of every report. */
function mostSevereFirst(a: PolicyFinding, b: PolicyFinding): number {
  return LEVEL_WEIGHT[b.level] - LEVEL_WEIGHT[a.level] || a.ruleId.localeCompare(b.ruleId) || a.objectRef.localeCompare(b.objectRef);
}
