import { ApiObject, App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { MIN_REASON_LENGTH } from './evaluate';
import { SUPPRESSION_PREFIX } from './manifest';
import { RULE_ID_PATTERN } from './rule';
import { DatabaseConfigError } from '../private/errors';

const SUPPRESSIONS = new WeakMap<IConstruct, Map<string, string>>();
const APPLIER_ID = 'cdk8s-databases-policy-suppressions';

/**
 * Records a suppression on a construct, and makes sure it is written, as the annotation
 * `ignore-check.cdk8s-databases.io/<RULE-ID>: <reason>`, on every object of its subtree before the YAML is: so the
 * in-process check, the `cdk8s synth --validate` plugin and any later reader of the YAML see the same suppressions.
 */
export function addSuppression(scope: IConstruct, ruleId: string, reason: string): void {
  if (!scope?.node) throw new Error('Policy.suppress: `scope` must be a construct (the chart, database or object to suppress under).');
  if (typeof ruleId !== 'string' || !RULE_ID_PATTERN.test(ruleId) || ruleId.length > 63) {
    throw new DatabaseConfigError(scope, `Policy.suppress: \`ruleId\` ${JSON.stringify(ruleId)} is not a rule id: give one from RULES.md, e.g. 'DOK-PRIORITY-CLASS'.`);
  }
  if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
    throw new DatabaseConfigError(scope, `Policy.suppress: the \`reason\` for suppressing ${ruleId} (${JSON.stringify(reason)}) must say why in at least `
      + `${MIN_REASON_LENGTH} characters: reviewers read it in the report.`);
  }
  const own = SUPPRESSIONS.get(scope) ?? new Map<string, string>();
  own.set(ruleId, reason.trim());
  SUPPRESSIONS.set(scope, own);
  const root = scope.node.root;
  if (root instanceof App && !root.node.tryFindChild(APPLIER_ID)) {
    const applier = new Construct(root, APPLIER_ID);
    applier.node.addValidation({ validate: () => { applySuppressions(root); return []; } });
  }
}

/** Writes each ApiObject's suppressions, its own and its ancestors' (the nearest reason wins), as annotations. */
export function applySuppressions(root: IConstruct): void {
  for (const c of root.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const inherited = new Map<string, string>();
    for (const scope of c.node.scopes) for (const [id, reason] of SUPPRESSIONS.get(scope) ?? []) inherited.set(id, reason);
    for (const [id, reason] of inherited) c.metadata.addAnnotation(SUPPRESSION_PREFIX + id, reason);
  }
}
