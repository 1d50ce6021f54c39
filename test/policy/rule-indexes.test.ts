import { RuleStatus } from '../../src';
import { budgetOverlap } from '../../src/policy/rules/dok/budget-overlap';
import { budgetQuorum } from '../../src/policy/rules/dok/budget-quorum';
import { serviceSelectsPods } from '../../src/policy/rules/dok/service-selects-pods';
import { DB_LABELS, budget } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

/**
 * The rules comparing objects look their candidates up in per-check indexes (src/policy/rules/dok/selector-index.ts).
 * A selector term on a runtime label key matches pods whose template lacks that label, and the many databases of one
 * namespace share most of their labels: these cases would lose a finding if an index narrowed on the wrong pair.
 */
const ROLE_HINT = { 'cdk8s-databases.io/runtime-labels': 'spilo-role' };
/** Other databases of the namespace, sharing every label but the instance with `orders`. */
const neighbours = Array.from({ length: 5 }, (_, i) => statefulSet(`other${i}`, { annotations: ROLE_HINT }));

describe('rules over indexes', () => {
  test('DOK-BUDGET-OVERLAP: a budget on the runtime role key alone meets an instance budget on pods whose template has no role', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const byRole = budget('any-master', { matchLabels: { 'spilo-role': 'master' } }, { minAvailable: 1 });
    const byInstance = budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 });
    expectNonCompliant(verdictOf(budgetOverlap, byInstance, [sts, ...neighbours, byRole]),
      /PodDisruptionBudget `any-master` also selects the pods of StatefulSet db\/orders \(pods spilo-role=master at runtime\)/);
  });

  test('DOK-BUDGET-OVERLAP: compliant when the runtime-key budget names a label no template of the namespace has', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const elsewhere = budget('elsewhere', { matchLabels: { 'spilo-role': 'master', 'app.kubernetes.io/instance': 'billing' } }, { minAvailable: 1 });
    const byInstance = budget('orders', { matchLabels: DB_LABELS }, { maxUnavailable: 1 });
    expect(verdictOf(budgetOverlap, byInstance, [sts, ...neighbours, elsewhere]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('DOK-BUDGET-QUORUM: the budgets of the other instances add nothing, those of the same instance add up', () => {
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    const theirs = neighbours.map((n) => budget(`${n.metadata.name}-all`, { matchLabels: n.spec.selector.matchLabels }, { maxUnavailable: 1 }));
    const replicas = budget('orders-replicas', { matchLabels: { ...DB_LABELS, 'spilo-role': 'replica' } }, { minAvailable: 1 });
    expect(verdictOf(budgetQuorum, replicas, [sts, ...neighbours, ...theirs]).status).toBe(RuleStatus.COMPLIANT);
    const primary = budget('orders-primary', { matchLabels: { ...DB_LABELS, 'spilo-role': 'master' } }, { minAvailable: 0 });
    expectNonCompliant(verdictOf(budgetQuorum, replicas, [sts, ...neighbours, ...theirs, primary]),
      /drains may evict 2 of the 3 members of `orders` at once \(1 under this budget, 1 under `orders-primary`\)/);
  });

  test('DOK-SERVICE-SELECTS-PODS: a selector on the runtime role key and the instance selects the template that lacks the role', () => {
    const service = (selector: Record<string, string>) => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders-primary', namespace: 'db' }, spec: { selector, ports: [{ port: 5432 }] },
    });
    const sts = statefulSet('orders', { annotations: ROLE_HINT });
    expect(verdictOf(serviceSelectsPods, service({ 'spilo-role': 'master', 'app.kubernetes.io/instance': 'orders' }), [sts, ...neighbours]).status)
      .toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(serviceSelectsPods, service({ 'spilo-role': 'master', 'app.kubernetes.io/instance': 'billing' }), [sts, ...neighbours]),
      /its selector \(spilo-role=master, app.kubernetes.io\/instance=billing\) matches no pod template in namespace `db`: the Service has no endpoints/);
  });
});
