import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { serviceAccountToken } from '../../src/policy/rules/security/service-account-token';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const job = (spec: any) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'orders-maintenance', namespace: 'db' },
  spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'run', image: 'postgres:16.6' }], ...spec } } },
});
const serviceAccount = (name: string, automount?: boolean) => ({
  apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'db' }, ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
});
const roleBinding = (subject: any) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'orders-maintenance', namespace: 'db' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-maintenance' },
  subjects: [subject],
});

describe('SEC-SERVICE-ACCOUNT-TOKEN', () => {
  test('compliant: no token mounted (pod says false, or its ServiceAccount does and the pod says nothing)', () => {
    expect(verdictOf(serviceAccountToken, job({ automountServiceAccountToken: false })).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(serviceAccountToken, job({ serviceAccountName: 'maint' }), [serviceAccount('maint', false)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: the token of a ServiceAccount a RoleBinding names (subject namespace defaulting to the binding\'s)', () => {
    const j = job({ serviceAccountName: 'maint', automountServiceAccountToken: true });
    expect(verdictOf(serviceAccountToken, j, [serviceAccount('maint'), roleBinding({ kind: 'ServiceAccount', name: 'maint' })]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: the pod\'s true wins over its ServiceAccount\'s false, and nothing binds the ServiceAccount', () => {
    const j = job({ serviceAccountName: 'maint', automountServiceAccountToken: true });
    expectNonCompliant(verdictOf(serviceAccountToken, j, [serviceAccount('maint', false), roleBinding({ kind: 'ServiceAccount', name: 'maint', namespace: 'other' })]),
      /^pod mounts a token \(automountServiceAccountToken is not false\) of ServiceAccount db\/maint, which no RoleBinding or ClusterRoleBinding in the set names/);
  });

  test('non-compliant: a projected token volume of an unbound ServiceAccount', () => {
    const j = job({
      serviceAccountName: 'maint',
      automountServiceAccountToken: false,
      volumes: [{ name: 'api-token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }],
    });
    expectNonCompliant(verdictOf(serviceAccountToken, j), /^pod mounts a token \(projected volume "api-token"\) of ServiceAccount db\/maint/);
  });

  test('non-compliant: the default ServiceAccount with the token mounted by default, even when a binding names it', () => {
    expectNonCompliant(verdictOf(serviceAccountToken, job({}), [roleBinding({ kind: 'ServiceAccount', name: 'default' })]),
      /^pod mounts a token \(automountServiceAccountToken is not false\) of the default ServiceAccount db\/default: set automountServiceAccountToken: false, or use a ServiceAccount of its own$/);
  });

  test('not applicable: objects without a pod template', () => {
    expect(verdictOf(serviceAccountToken, serviceAccount('maint')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('a StatefulDatabase mounts a token only in its credential Job, whose ServiceAccount is bound to the Role it uses', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const workloads = manifests.filter((m) => serviceAccountToken.evaluate(m, context).status !== RuleStatus.NOT_APPLICABLE);
    expect(workloads.map((w) => w.kind).sort()).toEqual(['Job', 'Job', 'StatefulSet']);
    const notCompliant = workloads.map((w) => ({ name: w.metadata.name, ...serviceAccountToken.evaluate(w, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
    const mounting = workloads.filter((w) => w.spec.template.spec.automountServiceAccountToken !== false);
    expect(mounting.map((w) => w.spec.template.spec.serviceAccountName)).toEqual(['orders-creds']);
    // Without its RoleBinding the same Job would be flagged: the rule reads the binding, not the name.
    const unbound = new PolicyContext(manifests.filter((m) => m.kind !== 'RoleBinding'));
    expect(serviceAccountToken.evaluate(mounting[0], unbound).status).toBe(RuleStatus.NON_COMPLIANT);
  });
});
