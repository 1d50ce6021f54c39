import { RuleStatus } from '../../src';
import { spreadSchedulable } from '../../src/policy/rules/dok/spread-schedulable';
import { DB_LABELS, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const ZONE = 'topology.kubernetes.io/zone';
const zoneAffinity = (values: string[]) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values }] }] } },
});
const spread = (overrides: any) => ({
  topologyKey: ZONE, maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: DB_LABELS }, ...overrides,
});
const withSpread = (constraints: any[], extra: any = {}, annotations?: Record<string, string>) => statefulSet('orders', {
  annotations,
  podSpec: { containers: [{ name: 'db', image: 'postgres:16.6' }], topologySpreadConstraints: constraints, ...extra },
});

describe('DOK-SPREAD-SCHEDULABLE', () => {
  test('compliant: minDomains 3 with three zones allowed and declared, selecting the pods themselves', () => {
    const sts = withSpread([spread({ minDomains: 3 })], { affinity: zoneAffinity(['a', 'b', 'c']) }, { 'cdk8s-databases.io/zones': '3' });
    expect(verdictOf(spreadSchedulable, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: minDomains 3 when the node affinity allows 2 zones', () => {
    const sts = withSpread([spread({ minDomains: 3 })], { affinity: zoneAffinity(['a', 'b']) });
    expectNonCompliant(verdictOf(spreadSchedulable, sts),
      /the constraint on `topology.kubernetes.io\/zone` needs minDomains 3 zones, but the pod's required node affinity allows only 2 \(a, b\): each zone then takes at most maxSkew \(1\) matching pod and the rest stay Pending/);
  });

  test('non-compliant: minDomains with ScheduleAnyway is refused by the API', () => {
    const sts = withSpread([spread({ minDomains: 2, whenUnsatisfiable: 'ScheduleAnyway' })]);
    expectNonCompliant(verdictOf(spreadSchedulable, sts), /sets minDomains 2 with whenUnsatisfiable ScheduleAnyway: the API accepts minDomains only with DoNotSchedule/);
  });

  test('non-compliant: minDomains above the declared zones', () => {
    const sts = withSpread([spread({ minDomains: 3 })], {}, { 'cdk8s-databases.io/zones': '2' });
    expectNonCompliant(verdictOf(spreadSchedulable, sts), /needs minDomains 3 zones, but only 2 are declared \(cdk8s-databases.io\/zones\)/);
  });

  test('non-compliant: a labelSelector that does not select the pod template counts other pods only', () => {
    const sts = withSpread([spread({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'billing' } } })]);
    expectNonCompliant(verdictOf(spreadSchedulable, sts),
      /the constraint on `kubernetes.io\/hostname` has a labelSelector that does not select the pod template's own labels/);
  });

  test('compliant: a labelSelector on a runtime role label may select the pod', () => {
    const role = { matchLabels: { ...DB_LABELS, 'spilo-role': 'replica' } };
    const sts = withSpread([spread({ labelSelector: role })], {}, { 'cdk8s-databases.io/runtime-labels': 'spilo-role' });
    expect(verdictOf(spreadSchedulable, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: no spread constraints', () => {
    expect(verdictOf(spreadSchedulable, statefulSet('orders')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(spreadSchedulable, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
