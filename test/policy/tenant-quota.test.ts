import { Engine, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { tenantQuota } from '../../src/policy/rules/dok/tenant-quota';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const namespace = (name = 'db') => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const quota = (hard: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'tenant', namespace: 'db' }, spec: { hard, ...extra },
});
const resources = (cpu: string, memory: string) => ({ requests: { cpu, memory }, limits: { cpu, memory } });

describe('DOK-TENANT-QUOTA', () => {
  test('compliant: a quota that covers 3 members (CPU, memory, storage, claims, pods)', () => {
    const hard = { 'requests.cpu': '3', 'limits.memory': '3Gi', 'requests.storage': '30Gi', 'persistentvolumeclaims': '3', 'pods': '3' };
    expect(verdictOf(tenantQuota, namespace(), [statefulSet('orders'), quota(hard)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: no ResourceQuota in the namespace', () => {
    expectNonCompliant(verdictOf(tenantQuota, namespace(), [statefulSet('orders')]), /^namespace `db` runs StatefulSet db\/orders but has no ResourceQuota$/);
  });

  test('non-compliant: a quota smaller than the members need', () => {
    const hard = { 'requests.cpu': '2', 'requests.storage': '20Gi' };
    expectNonCompliant(verdictOf(tenantQuota, namespace(), [statefulSet('orders'), quota(hard)]),
      /^ResourceQuota db\/tenant allows requests.cpu 2, the databases need 3 \(StatefulSet db\/orders 3 × 1\); ResourceQuota db\/tenant allows requests.storage 20Gi, the databases need 30Gi \(StatefulSet db\/orders 3 × 10Gi\)$/);
  });

  test('the pod\'s effective request: the larger of an init container and the app containers with the sidecars', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        initContainers: [
          { name: 'exporter', image: 'exporter:0.15.0', restartPolicy: 'Always', resources: resources('500m', '64Mi') },
          { name: 'restore', image: 'postgres:16.6', resources: resources('4', '1Gi') },
        ],
        containers: [{ name: 'db', image: 'postgres:16.6', resources: resources('1', '1Gi') }],
      },
    });
    // init: 4 + 0.5 (the sidecar started before it) = 4.5 per pod; app: 1 + 0.5 = 1.5; memory: max(1Gi + 64Mi, 1Gi + 64Mi).
    expectNonCompliant(verdictOf(tenantQuota, namespace(), [sts, quota({ 'requests.cpu': '12', 'requests.memory': '4Gi' })]),
      /^ResourceQuota db\/tenant allows requests.cpu 12, the databases need 13.5 \(StatefulSet db\/orders 3 × 4.5\)$/);
  });

  test('non-compliant: a quota on limits refuses pods whose containers set none; a scoped quota that selects no database pod is not counted', () => {
    const unlimited = statefulSet('orders', { podSpec: { containers: [{ name: 'db', image: 'postgres:16.6' }] } });
    expectNonCompliant(verdictOf(tenantQuota, namespace(), [unlimited, quota({ 'limits.memory': '8Gi' })]),
      /^ResourceQuota db\/tenant tracks limits.memory, but StatefulSet db\/orders container `db` set none: quota admission refuses those pods$/);
    const terminatingOnly = quota({ 'requests.cpu': '1' }, { scopes: ['Terminating'] });
    expect(verdictOf(tenantQuota, namespace(), [statefulSet('orders'), terminatingOnly]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('the library\'s database in a tenant namespace: a quota of one pod is too small for its replicas\' storage', () => {
    const chart = newChart('db');
    new StatefulDatabase(chart, 'orders', { name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }) });
    const objects = synthValid(chart);
    expect(verdictOf(tenantQuota, namespace(), [...objects, quota({ 'pods': '10', 'requests.storage': '1Ti' })]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(tenantQuota, namespace(), [...objects, quota({ 'requests.storage': '1Gi' })]),
      /^ResourceQuota db\/tenant allows requests.storage 1Gi, the databases need \d+Gi \(StatefulSet db\/orders 1 × \d+Gi\)$/);
  });

  test('not applicable: a namespace without databases', () => {
    expect(verdictOf(tenantQuota, namespace('web')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });
});
