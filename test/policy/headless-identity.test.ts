import { Engine, MongoDbVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { headlessIdentity } from '../../src/policy/rules/dok/headless-identity';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const labels = { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'database' };
const service = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'db' }, spec: { ports: [{ name: 'db', port: 5432 }], ...spec },
});

describe('DOK-HEADLESS-IDENTITY', () => {
  test('compliant: the headless Service named by serviceName selects the pods', () => {
    expect(verdictOf(headlessIdentity, statefulSet('orders'), [service('orders-headless', { clusterIP: 'None', selector: labels })]).status)
      .toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: the Service is not in the set', () => {
    expectNonCompliant(verdictOf(headlessIdentity, statefulSet('orders')),
      /^spec\.serviceName names Service db\/orders-headless, which is not in the rendered set$/);
  });

  test('non-compliant: the Service has a cluster IP and selects other pods', () => {
    expectNonCompliant(verdictOf(headlessIdentity, statefulSet('orders'), [service('orders-headless', { selector: { app: 'web' } })]),
      /^Service db\/orders-headless is not headless \(clusterIP unset: one is allocated, not None\); the selector of Service db\/orders-headless \(\{"app":"web"\}\) does not select the pod template$/);
  });

  test('non-compliant: a headless Service in another namespace does not count', () => {
    const elsewhere = { ...service('orders-headless', { clusterIP: 'None', selector: labels }), metadata: { name: 'orders-headless', namespace: 'other' } };
    expectNonCompliant(verdictOf(headlessIdentity, statefulSet('orders'), [elsewhere]), /names Service db\/orders-headless, which is not in the rendered set/);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(headlessIdentity, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what a MongoDB ReplicatedDatabase renders', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'catalog', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), name: 'catalog', zones: ['a', 'b', 'c'] });
    const manifests = synthValid(chart);
    expect(headlessIdentity.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);
  });
});
