import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { rbacLeastPrivilege } from '../../src/policy/rules/security/rbac-least-privilege';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const RBAC = 'rbac.authorization.k8s.io/v1';
const role = (rules: any[]) => ({ apiVersion: RBAC, kind: 'Role', metadata: { name: 'orders-ops', namespace: 'db' }, rules });
const clusterRole = (rules: any[], labels?: Record<string, string>) => ({
  apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'secret-reader', ...(labels ? { labels } : {}) }, rules,
});
const subjects = [{ kind: 'ServiceAccount', name: 'orders-ops', namespace: 'db' }];
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', roleName: string) => ({
  apiVersion: RBAC,
  kind,
  metadata: { name: `orders-ops-${roleName}`, ...(kind === 'RoleBinding' ? { namespace: 'db' } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects,
});
const readSecrets = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] };

describe('SEC-RBAC-LEAST-PRIVILEGE', () => {
  test('compliant: a namespaced Role reading its namespace\'s Secrets and exec-ing into named pods (the library\'s snapshot Jobs)', () => {
    const r = role([readSecrets, { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['orders-0'], verbs: ['create'] }]);
    expect(verdictOf(rbacLeastPrivilege, r).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: wildcards and the self-granting verbs, rule by rule', () => {
    const r = role([
      { apiGroups: ['*'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: [''], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind', 'escalate'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
    ]);
    expectNonCompliant(verdictOf(rbacLeastPrivilege, r), new RegExp('^rules\\[0\\] uses the wildcard \\* in apiGroups; rules\\[1\\] uses the wildcard \\* in verbs, resources; '
      + 'rules\\[2\\] grants escalate, bind on roles; rules\\[3\\] grants impersonate on serviceaccounts$'));
  });

  test('a ClusterRole reading Secrets: non-compliant bound by a ClusterRoleBinding or by nothing, compliant bound only by RoleBindings', () => {
    const cr = clusterRole([readSecrets]);
    expectNonCompliant(verdictOf(rbacLeastPrivilege, cr, [binding('ClusterRoleBinding', 'secret-reader')]),
      /^rules\[0\] grants get, list, watch on secrets in every namespace \(bound by ClusterRoleBinding orders-ops-secret-reader\)$/);
    expectNonCompliant(verdictOf(rbacLeastPrivilege, cr), /\(no RoleBinding in the set limits it to a namespace\)$/);
    expect(verdictOf(rbacLeastPrivilege, cr, [binding('RoleBinding', 'secret-reader')]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a ClusterRole aggregated into the built-in roles that allows exec into any pod', () => {
    const cr = clusterRole([{ apiGroups: [''], resources: ['pods/exec', 'pods/attach'], verbs: ['create'] }], { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
    expectNonCompliant(verdictOf(rbacLeastPrivilege, cr, [binding('RoleBinding', 'secret-reader')]),
      /^rules\[0\] grants create on pods\/exec, pods\/attach in every namespace \(aggregated by the label rbac\.authorization\.k8s\.io\/aggregate-to-edit\)$/);
  });

  test('bindings: cluster-admin anywhere and edit cluster-wide are non-compliant, edit in one namespace and view are not', () => {
    expectNonCompliant(verdictOf(rbacLeastPrivilege, binding('RoleBinding', 'cluster-admin')),
      /^binds the ClusterRole cluster-admin \(every verb on every resource of the namespace\) to ServiceAccount db\/orders-ops$/);
    expectNonCompliant(verdictOf(rbacLeastPrivilege, binding('ClusterRoleBinding', 'edit')),
      /^binds the ClusterRole edit \(read and write of Secrets and workloads\) in every namespace to ServiceAccount db\/orders-ops: use a RoleBinding$/);
    expect(verdictOf(rbacLeastPrivilege, binding('RoleBinding', 'edit')).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(rbacLeastPrivilege, binding('ClusterRoleBinding', 'view')).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: objects other than roles and bindings', () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'orders-ops', namespace: 'db' } };
    expect(verdictOf(rbacLeastPrivilege, sa).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('the Roles and RoleBindings a StatefulDatabase synthesizes (the credential Job\'s create-only Role) are least-privilege', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const rbac = manifests.filter((m) => rbacLeastPrivilege.evaluate(m, context).status !== RuleStatus.NOT_APPLICABLE);
    expect(rbac.map((m) => m.kind).sort()).toEqual(['Role', 'RoleBinding']);
    const notCompliant = rbac.map((m) => ({ name: m.metadata.name, ...rbacLeastPrivilege.evaluate(m, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
  });
});
