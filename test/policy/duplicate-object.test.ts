import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase, Verdict } from '../../src';
import { duplicateObject } from '../../src/policy/rules/dok/duplicate-object';
import { expectNonCompliant, statefulSet } from '../support/policy';
import { newChart, synthValid } from '../support/synth';
import { assertValidManifests } from '../support/validate';

/** The validator refuses duplicates, what this rule finds: each object is checked valid on its own, then the set judged. */
function verdictOf(o: any, others: any[] = []): Verdict {
  for (const x of [o, ...others]) assertValidManifests([x]);
  return duplicateObject.evaluate(o, new PolicyContext([o, ...others]));
}

const configMap = (name: string, namespace: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });

describe('DOK-DUPLICATE-OBJECT', () => {
  test('compliant: same name in another namespace, or of another kind', () => {
    const cm = configMap('settings', 'db');
    expect(verdictOf(cm, [configMap('settings', 'staging'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'settings', namespace: 'db' } }]).status)
      .toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: two ConfigMaps of one namespace and name, named by their place in the set', () => {
    const first = configMap('settings', 'db', { a: '1' });
    expectNonCompliant(verdictOf(first, [statefulSet('orders'), configMap('settings', 'db', { a: '2' })]),
      /^ConfigMap db\/settings \(object #1 of the set\) is also object #3: applying the set makes the last one overwrite the others$/);
  });

  test('non-compliant: the version is not part of an object\'s identity', () => {
    const v1 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'db' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    };
    const v2 = { ...v1, apiVersion: 'autoscaling/v1', spec: { scaleTargetRef: v1.spec.scaleTargetRef, maxReplicas: 4 } };
    expectNonCompliant(verdictOf(v1, [v2]), /HorizontalPodAutoscaler.autoscaling db\/web \(object #1 of the set\) is also object #2 \(autoscaling\/v1\)/);
  });

  test('non-compliant: the same database synthesized twice into one set', () => {
    const objects = [1, 2].flatMap(() => {
      const chart = newChart('shop');
      new StatefulDatabase(chart, 'orders', { name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }) });
      return synthValid(chart);
    });
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    expectNonCompliant(verdictOf(sts, objects.filter((o) => o !== sts)), /^StatefulSet.apps shop\/orders \(object #1 of the set\) is also object #\d+/);
    const single = objects.slice(0, objects.length / 2);
    expect(verdictOf(single.find((o) => o.kind === 'StatefulSet'), single.filter((o) => o.kind !== 'StatefulSet')).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: an object without a name', () => {
    expect(duplicateObject.evaluate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, new PolicyContext([])).status)
      .toBe(RuleStatus.NOT_APPLICABLE);
  });
});
