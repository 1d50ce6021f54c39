import { ApiObject, App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { PolicyOptions, evaluate, mergeReports } from './evaluate';
import { PolicyReport } from './policy-report';
import { addSuppression, applySuppressions } from './suppressions';
import { clusterOf } from '../private/clusters';
import { SynthReport, recordPolicy } from '../report/synth-report';

/** The synth-time policy check: rules over the rendered objects, in-process or over any YAML. */
export class Policy {
  /**
   * Checks the app at synth: `cdk8s synth` (and `app.synth()`) fails with one line per finding at or above
   * `failOn`, and the report holds every finding.
   */
  public static enforce(app: App, options: PolicyOptions = {}): void {
    Policy.register(app, options, true);
  }

  /** Like `enforce`, but never fails the synth: the findings go into the report only. */
  public static report(app: App, options: PolicyOptions = {}): void {
    Policy.register(app, options, false);
  }

  /** Checks the app's rendered objects now, and returns what was found (for tests). */
  public static checkApp(app: App, options: PolicyOptions = {}): PolicyReport {
    applySuppressions(app);
    // Each cluster is checked on its own (a DRPair's sites are two clusters: the same names on both are no duplicates,
    // and one site's CronJob does not back up the other's database).
    const clusters = new Map<string, { objects: any[]; paths: Map<any, string> }>();
    for (const c of app.node.findAll()) {
      if (!(c instanceof ApiObject)) continue;
      const cluster = clusters.get(clusterOf(c)) ?? { objects: [], paths: new Map<any, string>() };
      clusters.set(clusterOf(c), cluster);
      const json = c.toJson();
      cluster.paths.set(json, c.node.path);
      cluster.objects.push(json);
    }
    if (clusters.size === 0) return evaluate([], options);
    return mergeReports([...clusters.values()].map((c) => evaluate(c.objects, options, c.paths)));
  }

  /** Checks plain objects (parsed YAML from any tool). */
  public static check(objects: any[], options: PolicyOptions = {}): PolicyReport {
    if (!Array.isArray(objects)) throw new Error('Policy.check: `objects` must be a list of Kubernetes objects (parsed YAML documents).');
    return evaluate(objects, options);
  }

  /**
   * Accepts a rule's findings for every object under `scope` (inherited down the construct tree). The reason is
   * shown in the report beside the finding.
   * @param ruleId e.g. `DOK-PRIORITY-CLASS`
   * @param reason why, in at least 10 characters
   */
  public static suppress(scope: IConstruct, ruleId: string, reason: string): void {
    addSuppression(scope, ruleId, reason);
  }

  private static register(app: App, options: PolicyOptions, enforce: boolean): void {
    if (!(app instanceof App)) throw new Error('Policy.enforce: `app` must be the cdk8s App (the check reads every chart).');
    SynthReport.of(app); // created now, so that it is validated (and written) after this check
    app.node.addValidation({
      validate: () => {
        const report = Policy.checkApp(app, options);
        recordPolicy(app, report);
        return enforce ? report.failureMessages() : [];
      },
    });
  }
}
