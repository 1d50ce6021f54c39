import { RuleStatus } from '../../src';
import { budgetPresent } from '../../src/policy/rules/dok/budget-present';
import { DB_LABELS, budget, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const ROLE_HINT = { 'cdk8s-databases.io/runtime-labels': 'spilo-role' };

describe('DOK-BUDGET-PRESENT', () => {
  test('compliant: a budget selects the pod template', () => {
    const sts = statefulSet('orders');
    expect(verdictOf(budgetPresent, sts, [budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 })]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: a budget on the runtime role label counts when the StatefulSet declares it', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const primary = budget('orders-primary', { matchLabels: { ...DB_LABELS, 'spilo-role': 'master' } }, { minAvailable: 1 });
    expect(verdictOf(budgetPresent, sts, [primary]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: the only budget selects a role label the StatefulSet does not declare as set at runtime', () => {
    const sts = statefulSet('orders');
    const primary = budget('orders-primary', { matchLabels: { ...DB_LABELS, 'spilo-role': 'master' } }, { minAvailable: 1 });
    expectNonCompliant(verdictOf(budgetPresent, sts, [primary]), /no PodDisruptionBudget in namespace `db` selects its 3 pods \(template labels app.kubernetes.io\/instance=orders/);
  });

  test('non-compliant: the budget is in another namespace', () => {
    const sts = statefulSet('orders');
    const elsewhere = { ...budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 }), metadata: { name: 'orders', namespace: 'other' } };
    expectNonCompliant(verdictOf(budgetPresent, sts, [elsewhere]), /no PodDisruptionBudget in namespace `db` selects its 3 pods/);
  });

  test('not applicable: a single-member database, and a StatefulSet without volumes', () => {
    expect(verdictOf(budgetPresent, statefulSet('orders', { replicas: 1 })).status).toBe(RuleStatus.NOT_APPLICABLE);
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(budgetPresent, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(budgetPresent, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
