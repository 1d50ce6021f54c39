import { PolicySuppression } from './evaluate';
import { SUPPRESSION_PREFIX, objectRef } from './manifest';
import { Policy } from './policy';
import { PolicyFinding, FindingStatus, LEVEL_WEIGHT } from './policy-finding';
import { PolicyPack } from './policy-pack';
import { PolicyReport } from './policy-report';
import { readManifestFiles } from './read-manifests';
import { RuleLevel } from './rule';
import { checkFailOn, checkSuppressions, loadPacks, refuseUnknownProperties } from './validation-plugin-props';

/** Properties of the `cdk8s synth --validate` plugin, as written under `properties:` in cdk8s.yaml. */
export interface PolicyValidationPluginProps {
  /**
   * The packs to check: the built-in `data-on-kubernetes` and `security-baseline`, or the path of a JavaScript module
   * that exports `PolicyPack`s (e.g. `./team-pack.js`, relative to the cdk8s project folder).
   * @default - both built-in packs
   */
  readonly packs?: string[];
  /**
   * Findings at or above this level fail `cdk8s synth --validate` (`error`, `warning` or `info`).
   * @default RuleLevel.ERROR
   */
  readonly failOn?: RuleLevel;
  /**
   * Findings accepted, by rule and object, each with its reason (at least 10 characters).
   * @default - none beside the `ignore-check.cdk8s-databases.io/<RULE-ID>` annotations on the objects
   */
  readonly suppressions?: PolicySuppression[];
}

/**
 * The policy packs as a `cdk8s synth --validate` plugin: checks every synthesized manifest (and so the objects of
 * any construct library, escape hatches included) and fails the synth on findings at or above `failOn`.
 *
 * In cdk8s.yaml: `validations: [{ package: cdk8s-databases, version: <exact version>, class: PolicyValidationPlugin,
 * properties: { packs: [data-on-kubernetes], failOn: error } }]`.
 */
export class PolicyValidationPlugin {
  private readonly packs: PolicyPack[];
  private readonly failOn: RuleLevel;
  private readonly suppressions: PolicySuppression[];

  constructor(props: PolicyValidationPluginProps = {}) {
    const given: any = props ?? {};
    refuseUnknownProperties(given);
    this.packs = loadPacks(given.packs, process.cwd());
    this.failOn = checkFailOn(given.failOn);
    this.suppressions = checkSuppressions(given.suppressions, this.packs);
  }

  /**
   * Called by the cdk8s CLI after synth: reads `context.manifests`, reports one violation per rule broken and submits
   * `failure` when a finding is at or above `failOn` (or a rule failed), `success` otherwise.
   * @param context the CLI's ValidationContext (`manifests`, `metadata`, `report`, `logger`)
   */
  public async validate(context: any): Promise<void> {
    if (!Array.isArray(context?.manifests) || typeof context?.report?.addViolation !== 'function' || typeof context?.report?.submit !== 'function') {
      throw new Error('PolicyValidationPlugin.validate: `context` must be the cdk8s CLI\'s validation context (with `manifests` and `report`): '
        + 'run it with `cdk8s synth --validate`.');
    }
    const log = (line: string) => (typeof context.logger?.log === 'function' ? context.logger.log(line) : undefined);
    const { objects, manifestOf, unreadable } = readManifestFiles(context.manifests);
    const report = Policy.check(objects, { packs: this.packs, failOn: this.failOn, suppressions: this.suppressions });
    const namer = resourceNamer(objects);
    const byRef = new Map<string, any>();
    objects.forEach((o) => byRef.has(objectRef(o)) || byRef.set(objectRef(o), o));

    for (const f of report.findings.filter((x) => x.status === FindingStatus.SUPPRESSED)) {
      log(`PolicyValidationPlugin: ${f.ruleId} suppressed on ${f.objectRef}: ${f.suppressionReason}`);
    }
    for (const violation of violationsOf(report, (f) => byRef.get(f.objectRef), manifestOf, namer)) {
      context.report.addViolation(violation);
    }
    for (const problem of unreadable) {
      context.report.addViolation({
        ruleName: 'MANIFEST-UNREADABLE: a synthesized manifest could not be read',
        recommendation: `The policy check did not see the objects of this manifest: ${problem.reason}`,
        fix: 'Check the output folder and its permissions, and synthesize again.',
        violatingResources: [{ resourceName: problem.manifestPath, locations: [problem.reason], manifestPath: problem.manifestPath }],
      });
    }
    const passed = report.passed && unreadable.length === 0;
    const summary = report.toJson().summary;
    context.report.submit(passed ? 'success' : 'failure', {
      packs: this.packs.map((p) => p.name).join(', '),
      failOn: this.failOn,
      objects: String(objects.length),
      errors: String(summary.errors),
      warnings: String(summary.warnings),
      info: String(summary.info),
      suppressed: String(summary.suppressed),
      ruleFailures: String(summary.ruleFailures),
    });
  }
}

/**
 * The CLI looks up the construct path of a violating resource by `resourceName` in construct-metadata.json, which cdk8s
 * keys by `metadata.name` alone (App.writeConstructMetadata). So the bare name is used when it names one object only;
 * a name shared by several objects (a Service and its StatefulSet) would show another object's construct path, so
 * those are named `Kind namespace/name`, which is never a key of that file.
 */
function resourceNamer(objects: any[]): (o: any) => string {
  const count = new Map<string, number>();
  for (const o of objects) {
    const name = o?.metadata?.name;
    if (typeof name === 'string') count.set(name, (count.get(name) ?? 0) + 1);
  }
  return (o) => {
    const name = o?.metadata?.name;
    return typeof name === 'string' && count.get(name) === 1 ? name : objectRef(o);
  };
}

/** One violation per rule (and one per rule that threw): suppressed findings are logged, not reported. */
function violationsOf(report: PolicyReport, objectFor: (f: PolicyFinding) => any, manifestOf: Map<any, string>,
  nameOf: (o: any) => string): any[] {
  const groups = new Map<string, PolicyFinding[]>();
  for (const f of report.findings) {
    if (f.status === FindingStatus.SUPPRESSED) continue;
    const key = `${f.ruleId}\u0000${f.status}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    const failed = first.status === FindingStatus.RULE_FAILED;
    const failing = failed || LEVEL_WEIGHT[first.level] >= LEVEL_WEIGHT[report.failOn];
    const level = failing ? first.level : `${first.level}, below failOn ${report.failOn}: reported, does not fail`;
    return {
      ruleName: failed ? `${first.ruleId}: the rule failed on these objects (a bug in the rule)` : `${first.ruleId}: ${first.finding}`,
      recommendation: `(${level}) ${first.explanation}`,
      fix: failed
        ? `Report the error to the rule's authors (pack ${first.pack}), with the object's YAML; meanwhile the objects listed are not checked by ${first.ruleId}.`
        : `Change the objects listed as recommended, or accept the finding with a reason: the annotation \`${SUPPRESSION_PREFIX}${first.ruleId}: <reason>\`, `
          + `Policy.suppress(scope, '${first.ruleId}', reason) in the app, or an entry of the plugin's \`suppressions\` property.`,
      violatingResources: group.map((f) => {
        const o = objectFor(f);
        return { resourceName: o ? nameOf(o) : f.objectRef, locations: [`${f.objectRef}: ${f.detail}`], manifestPath: manifestOf.get(o) ?? '(unknown)' };
      }),
    };
  });
}
