import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { DatabaseConfigError, FindingStatus, IPolicyRule, Policy, PolicyContext, PolicyPack, RuleLevel, Verdict } from '../../src';
import { markClusterChart } from '../../src/private/clusters';

/** A team's rule: every ConfigMap carries an `owner` label. */
const ownerLabel: IPolicyRule = {
  id: 'TEAM-OWNER-LABEL',
  level: RuleLevel.ERROR,
  finding: 'A ConfigMap has no owner label.',
  explanation: 'Label it `owner: <team>` so that on-call knows whom to page.',
  evaluate: (o: any) => (o.kind !== 'ConfigMap' ? Verdict.notApplicable()
    : o.metadata?.labels?.owner ? Verdict.compliant() : Verdict.nonCompliant(`ConfigMap ${o.metadata.name} has no \`owner\` label`)),
};
/** A rule with a bug: it throws on Services. */
const throwing: IPolicyRule = {
  id: 'TEAM-BROKEN',
  level: RuleLevel.WARNING,
  finding: 'never',
  explanation: 'never',
  evaluate: (o: any, _c: PolicyContext) => { if (o.kind === 'Service') throw new Error('boom'); return Verdict.notApplicable(); },
};
const team = PolicyPack.of('team', [ownerLabel, throwing]);

function configMap(scope: Construct, id: string, labels: Record<string, string> = {}): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: id, labels }, data: { a: 'b' } } as any);
}

describe('the policy engine', () => {
  test('a user pack: compliant, non-compliant and not applicable objects are counted; findings name the object and construct', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    configMap(chart, 'good', { owner: 'payments' });
    configMap(chart, 'bad');
    const report = Policy.checkApp(app, { packs: [team] });
    const tally = report.tallies.find((t) => t.ruleId === 'TEAM-OWNER-LABEL')!;
    expect([tally.compliant, tally.nonCompliant, tally.notApplicable]).toEqual([1, 1, 0]);
    expect(report.findings).toEqual([expect.objectContaining({
      ruleId: 'TEAM-OWNER-LABEL',
      objectRef: 'ConfigMap shop/bad',
      constructPath: 'shop/bad',
      status: FindingStatus.NON_COMPLIANT,
      detail: 'ConfigMap bad has no `owner` label',
    })]);
    expect(report.passed).toBe(false);
  });

  test('a suppression is inherited down the construct tree, written as an annotation, and reported with its reason', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const legacy = new Construct(chart, 'legacy');
    configMap(legacy, 'old');
    configMap(chart, 'new');
    Policy.suppress(legacy, 'TEAM-OWNER-LABEL', 'owned by the legacy import, relabelled in Q3');
    const report = Policy.checkApp(app, { packs: [team] });
    expect(report.findings.map((f) => [f.name, f.status, f.suppressionReason])).toEqual([
      ['new', FindingStatus.NON_COMPLIANT, undefined],
      ['old', FindingStatus.SUPPRESSED, 'owned by the legacy import, relabelled in Q3'],
    ]);
    const yaml = app.synthYaml();
    expect(yaml).toContain('ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL: owned by the legacy import, relabelled in Q3');
    // The YAML alone carries the suppression: a check of the plain objects (the plugin's view) agrees.
    const plain = Policy.check(chart.toJson(), { packs: [team] });
    expect(plain.findings.map((f) => f.status)).toEqual([FindingStatus.NON_COMPLIANT, FindingStatus.SUPPRESSED]);
  });

  test('a suppression needs a reason of 10 characters; a short one in plain YAML is ignored and said so', () => {
    const chart = new Chart(new App(), 'shop');
    expect(() => Policy.suppress(chart, 'TEAM-OWNER-LABEL', 'because')).toThrow(DatabaseConfigError);
    expect(() => Policy.suppress(chart, 'TEAM-OWNER-LABEL', 'because')).toThrow(/shop: Policy.suppress: the `reason` for suppressing TEAM-OWNER-LABEL \("because"\) must say why in at least 10/);
    expect(() => Policy.suppress(chart, 'not an id', 'a long enough reason')).toThrow(/`ruleId` "not an id" is not a rule id/);
    const report = Policy.check([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { 'ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL': 'meh' } } }],
      { packs: [team] });
    expect(report.findings[0].status).toBe(FindingStatus.NON_COMPLIANT);
    expect(report.findings[0].detail).toMatch(/its suppression is ignored: the reason "meh" is shorter than 10 characters/);
  });

  test('suppressions given beside the objects (plugin properties) match by rule, kind, namespace and name', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'x' } },
    ];
    const report = Policy.check(objects, { packs: [team], suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', name: 'a', reason: 'generated by the vendor chart' }] });
    expect(report.findings.map((f) => `${f.name} ${f.status}`)).toEqual(['a suppressed', 'b non-compliant']);
  });

  test('a rule that throws becomes an error finding naming the object and the exception, never a crash', () => {
    const report = Policy.check([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} }], { packs: [team] });
    expect(report.findings).toEqual([expect.objectContaining({
      ruleId: 'TEAM-BROKEN',
      status: FindingStatus.RULE_FAILED,
      level: RuleLevel.ERROR,
      objectRef: 'Service default/s',
      detail: 'the rule failed on this object: boom',
    })]);
    expect(report.passed).toBe(false);
  });

  test('Policy.enforce fails app.synth() with one line per error; warnings alone pass unless failOn is lowered', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    configMap(chart, 'bad');
    Policy.enforce(app, { packs: [team] });
    expect(() => app.synth()).toThrow(/\[TEAM-OWNER-LABEL\] ConfigMap shop\/bad \(shop\/bad\): ConfigMap bad has no `owner` label\. Label it/);

    const warnOnly = PolicyPack.of('warn', [{ ...ownerLabel, level: RuleLevel.WARNING }]);
    const app2 = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    configMap(new Chart(app2, 'shop'), 'bad');
    Policy.enforce(app2, { packs: [warnOnly] });
    expect(() => app2.synth()).not.toThrow();
    const app3 = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    configMap(new Chart(app3, 'shop'), 'bad');
    Policy.enforce(app3, { packs: [warnOnly], failOn: RuleLevel.WARNING });
    expect(() => app3.synth()).toThrow(/TEAM-OWNER-LABEL/);
  });

  test('each cluster is checked on its own: the same object on two DR sites is no duplicate', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'policy-')) });
    const siteA = new Chart(app, 'orders-site-a', { namespace: 'shop' });
    const siteB = new Chart(app, 'orders-site-b', { namespace: 'shop' });
    const shared = new Chart(app, 'shared', { namespace: 'shop' });
    markClusterChart(siteA, 'site-a');
    markClusterChart(siteB, 'site-b');
    for (const chart of [siteA, siteB, shared]) configMap(chart, 'settings', { owner: 'payments' });
    configMap(shared, 'settings-copy', { owner: 'payments' });
    const duplicates = PolicyPack.of('dup', [{
      id: 'TEAM-UNIQUE',
      level: RuleLevel.ERROR,
      finding: 'duplicate',
      explanation: 'rename one',
      evaluate: (o: any, c: PolicyContext) => (c.ofKind(o.kind).filter((x) => x.metadata.name === o.metadata.name).length > 1
        ? Verdict.nonCompliant(`${c.objects.length} objects in this cluster`) : Verdict.compliant()),
    }]);
    const report = Policy.checkApp(app, { packs: [duplicates] });
    expect(report.findings).toEqual([]);
    // The three clusters' tallies add up: four objects, each compliant in its own cluster.
    expect(report.tallies).toEqual([expect.objectContaining({ ruleId: 'TEAM-UNIQUE', compliant: 4, nonCompliant: 0 })]);
    // The same objects in one cluster are duplicates.
    const plain = Policy.check([siteA, siteB].flatMap((c) => c.toJson()), { packs: [duplicates] });
    expect(plain.findings.map((f) => f.detail)).toEqual(['2 objects in this cluster', '2 objects in this cluster']);
  });

  test('a misspelt failOn, and two different rules under one id, are refused instead of passing everything', () => {
    expect(() => Policy.check([], { packs: [team], failOn: 'errors' as any })).toThrow(/`failOn` is "errors": use RuleLevel.ERROR/);
    const impostor = PolicyPack.of('other', [{ ...ownerLabel }]);
    expect(() => Policy.check([], { packs: [team, impostor] })).toThrow(/two different rules have the id TEAM-OWNER-LABEL \(one in pack 'other'\)/);
    // The same rule object in two packs runs once.
    const again = PolicyPack.of('again', [ownerLabel]);
    expect(Policy.check([], { packs: [team, again] }).tallies.map((t) => t.ruleId)).toEqual(['TEAM-OWNER-LABEL', 'TEAM-BROKEN']);
  });

  test('a List (kubectl get -o yaml) is checked item by item', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-a-list' } }] };
    expect(Policy.check([list], { packs: [team] }).findings.map((f) => f.objectRef)).toEqual(['ConfigMap default/in-a-list']);
  });

  test('a suppression in the options still counts when the object carries a reason too short to', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { 'ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL': 'meh' } } };
    const report = Policy.check([object], { packs: [team], suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', reason: 'labelled by the platform team' }] });
    expect(report.findings.map((f) => [f.status, f.suppressionReason])).toEqual([[FindingStatus.SUPPRESSED, 'labelled by the platform team']]);
  });

  test('a pack refuses bad rules with the reason and the fix', () => {
    expect(() => PolicyPack.of('Team', [])).toThrow(/`name` \("Team"\) must be lower case/);
    expect(() => PolicyPack.of('team', [{ ...ownerLabel, id: 'lower-case' }])).toThrow(/rule id "lower-case" must be upper case/);
    expect(() => PolicyPack.of('team', [ownerLabel, ownerLabel])).toThrow(/two rules have the id TEAM-OWNER-LABEL/);
    expect(() => PolicyPack.of('team', [{ ...ownerLabel, level: 'fatal' as any }])).toThrow(/has level "fatal": use RuleLevel/);
  });
});
