import { DatabaseStorageClass, Engine, MysqlVersion, PvcRetention, RuleStatus, StatefulDatabase } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { volumeRetention } from '../../src/policy/rules/dok/volume-retention';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const storageClass = (name: string, reclaimPolicy?: string, isDefault = false) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner: 'ebs.csi.aws.com',
  ...(reclaimPolicy ? { reclaimPolicy } : {}),
});
const withClass = (sts: any, name: string) => {
  sts.spec.volumeClaimTemplates[0].spec.storageClassName = name;
  return sts;
};

describe('DOK-VOLUME-RETENTION', () => {
  test('compliant: no retention policy (Retain) and a claim class that retains volumes', () => {
    expect(verdictOf(volumeRetention, withClass(statefulSet('orders'), 'db-retain'), [storageClass('db-retain', 'Retain')]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: a claim class that is not in the set (the cluster\'s own) is not judged', () => {
    expect(verdictOf(volumeRetention, withClass(statefulSet('orders'), 'gp3')).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: claims deleted with the StatefulSet, on a class whose reclaimPolicy is unset (Delete)', () => {
    const sts = withClass(statefulSet('orders'), 'fast');
    sts.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Retain' };
    expectNonCompliant(verdictOf(volumeRetention, sts, [storageClass('fast')]),
      /^persistentVolumeClaimRetentionPolicy\.whenDeleted is Delete; claim template `data` uses StorageClass fast, whose reclaimPolicy is unset \(Delete\)$/);
  });

  test('non-compliant: a claim naming no class takes the default class, which deletes', () => {
    expectNonCompliant(verdictOf(volumeRetention, statefulSet('orders'), [storageClass('standard', 'Delete', true), storageClass('other', 'Retain')]),
      /^claim template `data` uses StorageClass standard \(the default class\), whose reclaimPolicy is Delete$/);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(volumeRetention, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: a StatefulDatabase on a DatabaseStorageClass (Retain by default); Delete by choice is flagged', () => {
    const chart = newChart('db');
    const storage = new DatabaseStorageClass(chart, 'storage', { name: 'db-gp3', provisioner: 'ebs.csi.aws.com' });
    new StatefulDatabase(chart, 'billing', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), name: 'billing', storageClassName: storage.name });
    const manifests = synthValid(chart);
    expect(volumeRetention.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);

    const deleting = newChart('db');
    new StatefulDatabase(deleting, 'billing', {
      engine: Engine.mysql({ version: MysqlVersion.V8_4 }), name: 'billing', pvcRetentionWhenScaled: PvcRetention.DELETE,
    });
    const rendered = synthValid(deleting);
    expectNonCompliant(volumeRetention.evaluate(only(rendered, 'StatefulSet'), new PolicyContext(rendered)),
      /^persistentVolumeClaimRetentionPolicy\.whenScaled is Delete$/);
  });

  test('malformed volumeClaimTemplates (not a list) do not make the rule throw', () => {
    for (const templates of [7, {}, true]) {
      const sts = statefulSet('orders');
      sts.spec.volumeClaimTemplates = templates;
      expect(volumeRetention.evaluate(sts, new PolicyContext([sts])).status).toBe(RuleStatus.COMPLIANT);
    }
  });
});
