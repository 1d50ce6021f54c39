import { PolicyContext, RuleStatus } from '../../src';
import { budgetOverlap } from '../../src/policy/rules/dok/budget-overlap';
import { DB_LABELS, budget, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const ROLE_HINT = { 'cdk8s-databases.io/runtime-labels': 'spilo-role' };
const role = (value: string) => ({ matchLabels: { ...DB_LABELS, 'spilo-role': value } });

describe('DOK-BUDGET-OVERLAP', () => {
  test('compliant: one budget per role value and one for pods without a role never meet on a pod', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const primary = budget('orders-primary', role('master'), { minAvailable: 1 });
    const replicas = budget('orders-replicas', role('replica'), { minAvailable: 1 });
    const unknown = budget('orders-unknown-role', { matchLabels: DB_LABELS, matchExpressions: [{ key: 'spilo-role', operator: 'DoesNotExist' }] }, { minAvailable: 1 });
    for (const b of [primary, replicas, unknown]) {
      expect(verdictOf(budgetOverlap, b, [sts, ...[primary, replicas, unknown].filter((x) => x !== b)]).status).toBe(RuleStatus.COMPLIANT);
    }
  });

  test('non-compliant: a budget over the whole database and one on the primary both select the primary at runtime', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const all = budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 });
    const primary = budget('orders-primary', role('master'), { minAvailable: 1 });
    expectNonCompliant(verdictOf(budgetOverlap, all, [sts, primary]),
      /PodDisruptionBudget `orders-primary` also selects the pods of StatefulSet db\/orders \(pods spilo-role=master at runtime\), which the eviction API then refuses to evict/);
  });

  test('non-compliant: two budgets on the same role value', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const a = budget('orders-primary', role('master'), { minAvailable: 1 });
    const b = budget('orders-leader', { matchLabels: DB_LABELS, matchExpressions: [{ key: 'spilo-role', operator: 'In', values: ['master', 'standby-leader'] }] }, { minAvailable: 1 });
    expectNonCompliant(verdictOf(budgetOverlap, a, [sts, b]), /`orders-leader` also selects the pods of StatefulSet db\/orders \(pods spilo-role=master at runtime\)/);
  });

  test('non-compliant: two budgets over the same template without runtime labels', () => {
    const sts = statefulSet('orders');
    const a = budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 });
    const b = budget('orders-instance', { matchLabels: { 'app.kubernetes.io/instance': 'orders' } }, { minAvailable: 2 });
    // The manifest validator refuses this very overlap, so the rule is asked directly.
    expectNonCompliant(budgetOverlap.evaluate(a, new PolicyContext([a, sts, b])), /^PodDisruptionBudget `orders-instance` also selects the pods of StatefulSet db\/orders, which/);
  });

  test('not applicable: objects other than budgets', () => {
    expect(verdictOf(budgetOverlap, statefulSet('orders')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(budgetOverlap, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
