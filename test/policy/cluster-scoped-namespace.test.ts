import { ApiObject, Testing } from 'cdk8s';
import { PolicyContext, RuleStatus, Verdict } from '../../src';
import { clusterScopedNamespace } from '../../src/policy/rules/dok/cluster-scoped-namespace';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart } from '../support/synth';
import { assertValidManifests } from '../support/validate';

/** The validator refuses what this rule finds: the object is checked valid without its namespace, then judged with it. */
function verdictWithNamespace(o: any): Verdict {
  const { namespace, ...metadata } = o.metadata;
  assertValidManifests([{ ...o, metadata }]);
  expect(namespace).toBeDefined();
  return clusterScopedNamespace.evaluate(o, new PolicyContext([o]));
}

const storageClass = (metadata: Record<string, unknown>) => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata, provisioner: 'ebs.csi.aws.com',
});

describe('DOK-CLUSTER-SCOPED-NAMESPACE', () => {
  test('compliant: a StorageClass without a namespace', () => {
    expect(verdictOf(clusterScopedNamespace, storageClass({ name: 'gp3' })).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a StorageClass that names a namespace', () => {
    expectNonCompliant(verdictWithNamespace(storageClass({ name: 'gp3', namespace: 'db' })),
      /^StorageClass `gp3` is cluster-scoped but sets metadata.namespace `db`$/);
  });

  test('non-compliant: a cluster-scoped object added to a chart with a namespace gets it', () => {
    const chart = newChart('db');
    new ApiObject(chart, 'class', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'database' }, value: 1000000 } as any);
    const priorityClass = Testing.synth(chart).find((o) => o.kind === 'PriorityClass');
    expectNonCompliant(verdictWithNamespace(priorityClass), /^PriorityClass `database` is cluster-scoped but sets metadata.namespace `db`$/);
  });

  test('not applicable: a namespaced kind', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'db' } };
    expect(verdictOf(clusterScopedNamespace, cm).status).toBe(RuleStatus.NOT_APPLICABLE);
  });
});
