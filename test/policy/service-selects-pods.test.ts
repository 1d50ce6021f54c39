import { PolicyContext, RuleStatus } from '../../src';
import { serviceSelectsPods } from '../../src/policy/rules/dok/service-selects-pods';
import { DB_CONTAINERS, DB_LABELS, service, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const ROLE_HINT = { 'cdk8s-databases.io/runtime-labels': 'spilo-role' };

describe('DOK-SERVICE-SELECTS-PODS', () => {
  test('compliant: the selector matches the template and the named targetPort exists', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const svc = service('orders', DB_LABELS, [{ name: 'postgresql', port: 5432, targetPort: 'postgresql' }]);
    expect(verdictOf(serviceSelectsPods, svc, [sts]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: a role label the StatefulSet declares as set at runtime is not required in the template', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS, annotations: ROLE_HINT });
    const svc = service('orders-primary', { ...DB_LABELS, 'spilo-role': 'master' }, [{ name: 'postgresql', port: 5432, targetPort: 'postgresql' }]);
    expect(verdictOf(serviceSelectsPods, svc, [sts]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a role label nothing declares as set at runtime matches no template', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const svc = service('orders-primary', { ...DB_LABELS, 'spilo-role': 'master' }, [{ name: 'postgresql', port: 5432, targetPort: 5432 }]);
    expectNonCompliant(verdictOf(serviceSelectsPods, svc, [sts]),
      /its selector \(app.kubernetes.io\/instance=orders, app.kubernetes.io\/component=database, spilo-role=master\) matches no pod template in namespace `db`: the Service has no endpoints/);
  });

  test('non-compliant: a named targetPort no container of the selected pods declares', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const svc = service('orders', DB_LABELS, [{ name: 'postgresql', port: 5432, targetPort: 'postgres' }, { name: 'metrics', port: 9187, targetPort: 'metrics' }]);
    expectNonCompliant(verdictOf(serviceSelectsPods, svc, [sts]),
      /^port `postgresql` targets the port name `postgres`, which no container of the selected pods declares, so it gets no endpoints$/);
  });

  test('compliant: pods of a CronJob\'s job template, a Job and a ReplicationController back Services too', () => {
    const template = { metadata: { labels: { app: 'report' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'report:1.0', ports: [{ name: 'http', containerPort: 8080 }] }] } };
    const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report', namespace: 'db' }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } };
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'report', namespace: 'db' }, spec: { template } };
    const rcTemplate = { ...template, spec: { ...template.spec, restartPolicy: 'Always' } };
    const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'report', namespace: 'db' }, spec: { selector: { app: 'report' }, template: rcTemplate } };
    const svc = service('report', { app: 'report' }, [{ name: 'http', port: 80, targetPort: 'http' }]);
    for (const workload of [cronJob, job, rc]) expect(verdictOf(serviceSelectsPods, svc, [workload]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: a custom resource an operator turns into pods is in the namespace; a passive one (ServiceMonitor) is not enough', () => {
    const svc = service('orders', DB_LABELS, [{ name: 'postgresql', port: 5432, targetPort: 'postgresql' }]);
    const cluster = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'orders', namespace: 'db' }, spec: { instances: 3 } };
    const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'orders', namespace: 'db' }, spec: { selector: {}, endpoints: [] } };
    // No schema is known for an operator's CRD, so this one is evaluated without the validation verdictOf does.
    expect(serviceSelectsPods.evaluate(svc, new PolicyContext([svc, cluster])).status).toBe(RuleStatus.NOT_APPLICABLE);
    expectNonCompliant(verdictOf(serviceSelectsPods, svc, [monitor]), /matches no pod template in namespace `db`/);
  });

  test('not applicable: ExternalName and selector-less Services', () => {
    const external = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'db' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } };
    const manual = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: 'db' }, spec: { ports: [{ port: 5432 }] } };
    expect(verdictOf(serviceSelectsPods, external).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(serviceSelectsPods, manual).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(serviceSelectsPods, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(14);
  });
});
