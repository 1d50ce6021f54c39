import { DatabasePriorityClass, Engine, PostgresVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { priorityClass } from '../../src/policy/rules/dok/priority-class';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const podSpec = (priorityClassName?: string) => ({ ...(priorityClassName ? { priorityClassName } : {}), containers: [{ name: 'db', image: 'postgres:16.6' }] });
const priority = (name: string, value: number, globalDefault = false) => ({
  apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, globalDefault,
});

describe('DOK-PRIORITY-CLASS', () => {
  test('compliant: a class rendered with a positive value, and a class of the cluster not in the set', () => {
    expect(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec('database') }), [priority('database', 1000000)]).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec('cluster-databases') })).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: no class named, but the global default class rendered beside it is above 0', () => {
    expect(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec() }), [priority('workloads', 1000, true)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: no class named and no global default', () => {
    expectNonCompliant(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec() })),
      /^the pod template names no priorityClassName: its pods run at priority 0, no higher than any other pod$/);
  });

  test('non-compliant: the class rendered has a negative value', () => {
    expectNonCompliant(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec('batch') }), [priority('batch', -10)]),
      /^PriorityClass batch has value -10, not above the default pods' 0$/);
  });

  test('non-compliant: a system class is for cluster components', () => {
    expectNonCompliant(verdictOf(priorityClass, statefulSet('orders', { podSpec: podSpec('system-node-critical') })),
      /^priorityClassName system-node-critical is reserved for cluster components/);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(priorityClass, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: a ReplicatedDatabase given a DatabasePriorityClass', () => {
    const chart = newChart('db');
    const cls = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
    new ReplicatedDatabase(chart, 'orders', {
      engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'], priorityClassName: cls.name,
    });
    const manifests = synthValid(chart);
    expect(priorityClass.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);
  });
});
