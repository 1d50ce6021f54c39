import { Engine, PostgresVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { nineCopies } from '../../src/policy/rules/dok/nine-copies';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const storageClass = (name: string, provisioner: string, parameters: Record<string, string>) => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner, parameters,
});

function onClass(className: string, replicas = 3): any {
  const sts = statefulSet('orders', { replicas });
  sts.spec.volumeClaimTemplates[0].spec.storageClassName = className;
  return sts;
}

describe('DOK-NINE-COPIES', () => {
  test('non-compliant: 3 replicas on Longhorn volumes of 3 replicas are 9 copies', () => {
    expectNonCompliant(verdictOf(nineCopies, onClass('longhorn-3'), [storageClass('longhorn-3', 'driver.longhorn.io', { numberOfReplicas: '3' })]),
      /^claim template `data` uses StorageClass longhorn-3, whose numberOfReplicas: "3" keeps 3 copies of each volume: 3 replicas × 3 = 9 copies of the data$/);
  });

  test('non-compliant: Portworx repl 2 under 3 replicas', () => {
    expectNonCompliant(verdictOf(nineCopies, onClass('px'), [storageClass('px', 'pxd.portworx.com', { repl: '2' })]), /repl: "2" keeps 2 copies of each volume: 3 replicas × 2 = 6 copies/);
  });

  test('compliant: one side is 1 (one storage replica, or one engine replica), or the class sets no replica count', () => {
    expect(verdictOf(nineCopies, onClass('longhorn-1'), [storageClass('longhorn-1', 'driver.longhorn.io', { numberOfReplicas: '1' })]).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(nineCopies, onClass('mayastor-3', 1), [storageClass('mayastor-3', 'io.openebs.csi-mayastor', { repl: '3' })]).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(nineCopies, onClass('gp3'), [storageClass('gp3', 'ebs.csi.aws.com', { type: 'gp3' })]).status).toBe(RuleStatus.COMPLIANT);
    expect(verdictOf(nineCopies, onClass('not-in-set')).status).toBe(RuleStatus.COMPLIANT);
  });

  test('the library\'s replicated database on a 3-way Longhorn class is flagged with its copies', () => {
    const chart = newChart('shop');
    new ReplicatedDatabase(chart, 'orders', {
      name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ['a', 'b', 'c'], storageClassName: 'longhorn',
    });
    const sts = synthValid(chart).find((o) => o.kind === 'StatefulSet');
    expectNonCompliant(verdictOf(nineCopies, sts, [storageClass('longhorn', 'driver.longhorn.io', { numberOfReplicas: '3' })]),
      /uses StorageClass longhorn, whose numberOfReplicas: "3" keeps 3 copies of each volume: 3 replicas × 3 = 9 copies/);
  });

  test('non-compliant: a claim that names no class gets the default class of the set', () => {
    const sts = statefulSet('orders');
    const longhorn = storageClass('longhorn', 'driver.longhorn.io', { numberOfReplicas: '2' });
    const defaultClass = { ...longhorn, metadata: { name: 'longhorn', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } };
    expectNonCompliant(verdictOf(nineCopies, sts, [defaultClass]), /uses StorageClass longhorn, whose numberOfReplicas: "2" .* 3 replicas × 2 = 6 copies/);
    expect(verdictOf(nineCopies, sts, [longhorn]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: a stateless workload', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'db' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.3' }] } } },
    };
    expect(verdictOf(nineCopies, deployment).status).toBe(RuleStatus.NOT_APPLICABLE);
  });
});
