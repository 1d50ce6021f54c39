import { App, Chart, Testing } from 'cdk8s';
import { Engine, PolicyContext, PostgresVersion, Restore, RuleStatus, StatefulDatabase } from '../../src';
import { crossNamespaceReference } from '../../src/policy/rules/dok/cross-namespace-reference';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { synthValid } from '../support/synth';

const secret = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: { password: 'x' } });
const configMap = (name: string, namespace: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: {} });
const snapshot = (name: string, namespace: string) => ({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshot',
  metadata: { name, namespace },
  spec: { source: { persistentVolumeClaimName: 'data-orders-0' } },
});

function orders(namespace = 'db'): any {
  return statefulSet('orders', {
    namespace,
    podSpec: {
      volumes: [{ name: 'conf', configMap: { name: 'orders-config' } }],
      containers: [{
        name: 'db',
        image: 'postgres:16.6',
        env: [{ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'password' } } }],
      }],
    },
  });
}

describe('DOK-CROSS-NAMESPACE-REFERENCE', () => {
  test('compliant: the Secret and ConfigMap are in the pod\'s namespace, or not in the set at all (created elsewhere)', () => {
    expect(verdictOf(crossNamespaceReference, orders(), [secret('orders-credentials', 'db'), configMap('orders-config', 'db')]).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(crossNamespaceReference, orders()).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: the Secret of the env exists only in another namespace', () => {
    expectNonCompliant(verdictOf(crossNamespaceReference, orders(), [secret('orders-credentials', 'vault'), configMap('orders-config', 'db')]),
      /^container `db` env POSTGRES_PASSWORD refers to Secret `orders-credentials`, which the set holds only in namespace `vault`, not in `db`$/);
  });

  test('compliant: a reference marked `optional: true` does not keep the pod from starting', () => {
    const optional = orders();
    optional.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.optional = true;
    optional.spec.template.spec.volumes[0].configMap.optional = true;
    expect(verdictOf(crossNamespaceReference, optional, [secret('orders-credentials', 'vault'), configMap('orders-config', 'vault')]).status)
      .toBe(RuleStatus.COMPLIANT);
  });

  test('a Secret a generator of the pod\'s namespace creates is present (ExternalSecret target, SealedSecret, Certificate); one elsewhere is not', () => {
    const others = [secret('orders-credentials', 'vault'), configMap('orders-config', 'db')];
    const certificate = (namespace: string) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'orders-tls', namespace },
      spec: { secretName: 'orders-credentials', dnsNames: ['orders.db.svc'], issuerRef: { name: 'ca', kind: 'ClusterIssuer' } },
    });
    expect(verdictOf(crossNamespaceReference, orders(), [...others, certificate('db')]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(crossNamespaceReference, orders(), [...others, certificate('vault')]), /refers to Secret `orders-credentials`, which the set holds only in namespace `vault`/);
    // No schema is known for these CRDs, so they are evaluated without the validation verdictOf does.
    const externalSecret = {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      metadata: { name: 'orders', namespace: 'db' },
      spec: { target: { name: 'orders-credentials' }, secretStoreRef: { name: 'vault' } },
    };
    const sealedSecret = { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'orders-credentials', namespace: 'db' }, spec: {} };
    for (const generator of [externalSecret, sealedSecret]) {
      expect(crossNamespaceReference.evaluate(orders(), new PolicyContext([orders(), ...others, generator])).status).toBe(RuleStatus.COMPLIANT);
    }
  });

  test('non-compliant: a claim restoring a VolumeSnapshot of another namespace, and a cross-namespace dataSourceRef', () => {
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'copy', namespace: 'staging' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '10Gi' } },
        dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly' },
      },
    };
    expectNonCompliant(verdictOf(crossNamespaceReference, claim, [snapshot('nightly', 'prod')]),
      /^the claim dataSource refers to VolumeSnapshot `nightly`, which the set holds only in namespace `prod`, not in `staging`$/);
    const viaRef = {
      ...claim,
      spec: {
        ...claim.spec,
        dataSource: undefined,
        dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly', namespace: 'prod' },
      },
    };
    expectNonCompliant(verdictOf(crossNamespaceReference, viaRef),
      /dataSourceRef reads VolumeSnapshot `nightly` from namespace `prod`: needs a ReferenceGrant there and the CrossNamespaceVolumeDataSource feature gate/);
  });

  test('the library restoring a snapshot: compliant when the snapshot is in its namespace, non-compliant when only another has it', () => {
    const chart = new Chart(Testing.app() as App, 'c', { namespace: 'staging' });
    new StatefulDatabase(chart, 'copy', { name: 'orders-copy', engine: Engine.postgres({ version: PostgresVersion.V16 }), restoreFrom: Restore.fromVolumeSnapshot('manual-1') });
    const sts = synthValid(chart).find((o) => o.kind === 'StatefulSet');
    expect(verdictOf(crossNamespaceReference, sts, [snapshot('manual-1', 'staging'), snapshot('manual-1', 'prod')]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(crossNamespaceReference, sts, [snapshot('manual-1', 'prod')]),
      /^claim template `data` dataSource refers to VolumeSnapshot `manual-1`, which the set holds only in namespace `prod`, not in `staging`$/);
  });

  test('not applicable: objects without a pod template or claims', () => {
    expect(verdictOf(crossNamespaceReference, configMap('x', 'db')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });
});
