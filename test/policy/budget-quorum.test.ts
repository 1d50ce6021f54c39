import { RuleStatus } from '../../src';
import { budgetQuorum } from '../../src/policy/rules/dok/budget-quorum';
import { DB_LABELS, budget, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const ROLE_HINT = { 'cdk8s-databases.io/runtime-labels': 'spilo-role' };
const all = { matchLabels: DB_LABELS };
const role = (value: string) => ({ matchLabels: { ...DB_LABELS, 'spilo-role': value } });
const unknownRole = { matchLabels: DB_LABELS, matchExpressions: [{ key: 'spilo-role', operator: 'DoesNotExist' }] };

describe('DOK-BUDGET-QUORUM', () => {
  test('compliant: maxUnavailable 1 of 3 keeps the majority', () => {
    expect(verdictOf(budgetQuorum, budget('orders', all, { maxUnavailable: 1 }), [statefulSet('orders')]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: maxUnavailable 50% of 3 rounds up to 2 and leaves 1 member', () => {
    expectNonCompliant(verdictOf(budgetQuorum, budget('orders', all, { maxUnavailable: '50%' }), [statefulSet('orders')]),
      /drains may evict 2 of the 3 members of `orders` at once with maxUnavailable 50% of 3 expected pods, leaving 1, below its quorum of 2/);
  });

  test('the quorum annotation overrides the majority: 4 of 5 allows one eviction, not two', () => {
    const sts = statefulSet('orders', { replicas: 5, annotations: { 'cdk8s-databases.io/quorum': '4' } });
    expect(verdictOf(budgetQuorum, budget('orders', all, { maxUnavailable: 1 }), [sts]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(budgetQuorum, budget('orders', all, { minAvailable: '60%' }), [sts]),
      /drains may evict 2 of the 5 members of `orders` at once with minAvailable 60% of 5 selected pods, leaving 3, below its quorum of 4/);
  });

  test('non-compliant: minAvailable equal to the members allows no eviction, so drains hang', () => {
    expectNonCompliant(verdictOf(budgetQuorum, budget('orders', all, { minAvailable: 3 }), [statefulSet('orders')]),
      /it allows no eviction of the 3 members of `orders` it selects \(minAvailable 3 of 3 selected pods\): node drains hang/);
  });

  test('non-compliant: maxUnavailable on the replicas role counts all 3 replicas of the StatefulSet, so no replica is ever evicted', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const replicas = budget('orders-replicas', role('replica'), { maxUnavailable: 1 });
    expectNonCompliant(verdictOf(budgetQuorum, replicas, [sts, budget('orders-primary', role('master'), { minAvailable: 1 })]),
      /it allows no eviction of the 2 members of `orders` it selects \(maxUnavailable 1 of 3 expected pods\): node drains hang/);
  });

  test('compliant: role budgets as the library writes them (primary held, one replica at a time, unknown role held)', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const budgets = [
      budget('orders-primary', role('master'), { minAvailable: 1 }),
      budget('orders-replicas', role('replica'), { minAvailable: 1 }),
      budget('orders-unknown-role', unknownRole, { minAvailable: 1 }),
    ];
    for (const b of budgets) expect(verdictOf(budgetQuorum, b, [sts, ...budgets.filter((x) => x !== b)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: the role budgets add up, one primary and one replica at once leave 1 of 3', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const primary = budget('orders-primary', role('master'), { minAvailable: 0 });
    const replicas = budget('orders-replicas', role('replica'), { minAvailable: 1 });
    expectNonCompliant(verdictOf(budgetQuorum, replicas, [sts, primary]),
      /drains may evict 2 of the 3 members of `orders` at once \(1 under this budget, 1 under `orders-primary`\) with minAvailable 1 of 2 selected pods, leaving 1, below its quorum of 2/);
  });

  test('compliant: without a quorum hint, one of a primary/standby pair keeps serving (quorum 1, not 2 of 2)', () => {
    const pair = statefulSet('orders', { replicas: 2 });
    expect(verdictOf(budgetQuorum, budget('orders', all, { maxUnavailable: 1 }), [pair]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(budgetQuorum, budget('orders', all, { maxUnavailable: 2 }), [pair]),
      /drains may evict 2 of the 2 members of `orders` at once with maxUnavailable 2 of 2 expected pods, leaving 0, below its quorum of 1/);
  });

  test('the role-values hint names the roles: `rw` selects the primary alone, `ro` the 4 replicas as the disruption controller counts them', () => {
    const hints = { 'cdk8s-databases.io/runtime-labels': 'example.com/role', 'cdk8s-databases.io/role-values': 'rw,ro', 'cdk8s-databases.io/quorum': '3' };
    const sts = statefulSet('kv', { replicas: 5, annotations: hints });
    const kv = { 'app.kubernetes.io/instance': 'kv' };
    const rwRole = { matchLabels: { ...kv, 'example.com/role': 'rw' } };
    const roRole = { matchLabels: { ...kv, 'example.com/role': 'ro' } };
    const rw = budget('kv-rw', rwRole, { minAvailable: 1 });
    const ro = budget('kv-ro', roRole, { maxUnavailable: 1 });
    expect(verdictOf(budgetQuorum, rw, [sts, ro]).status).toBe(RuleStatus.COMPLIANT);
    // expected pods are the StatefulSet's 5 replicas: desiredHealthy 4 of the 4 selected leaves no eviction.
    expectNonCompliant(verdictOf(budgetQuorum, ro, [sts, rw]),
      /it allows no eviction of the 4 members of `kv` it selects \(maxUnavailable 1 of 5 expected pods\): node drains hang/);
  });

  test('not applicable: a budget over a stateless Deployment', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'db' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.3' }] } } },
    };
    expect(verdictOf(budgetQuorum, budget('web', { matchLabels: { app: 'web' } }, { maxUnavailable: 2 }), [deployment]).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(budgetQuorum, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
