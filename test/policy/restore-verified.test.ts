import { Cron, Duration } from 'cdk8s';
import { DUMP_HINTS, cronJob } from './backup-fixtures';
import { BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, Retention, RuleStatus, StatefulDatabase } from '../../src';
import { restoreVerified } from '../../src/policy/rules/dok/restore-verified';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const S3 = BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' });
const VERIFIES = { 'cdk8s-databases.io/verifies-restore-of': 'orders' };

describe('DOK-RESTORE-VERIFIED', () => {
  test('compliant: backed up, and a CronJob restores and checks the backups', () => {
    const others = [cronJob('orders-dumps', { annotations: DUMP_HINTS }), cronJob('orders-verify', { schedule: '0 5 * * *', annotations: VERIFIES })];
    expect(verdictOf(restoreVerified, statefulSet('orders'), others).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: backed up, never restored', () => {
    expectNonCompliant(verdictOf(restoreVerified, statefulSet('orders'), [cronJob('orders-dumps', { annotations: DUMP_HINTS })]),
      /^database `orders` is backed up, but no CronJob in namespace `db` is annotated `cdk8s-databases.io\/verifies-restore-of: orders`: its backups are never restored$/);
  });

  test('non-compliant: the verification is suspended', () => {
    const others = [cronJob('orders-dumps', { annotations: DUMP_HINTS }), cronJob('orders-verify', { suspend: true, annotations: VERIFIES })];
    expectNonCompliant(verdictOf(restoreVerified, statefulSet('orders'), others),
      /^no restore verification of `orders` runs: CronJob `orders-verify` is suspended \(`spec.suspend: true`\)$/);
  });

  test('not applicable: no backups at all (DOK-BACKUP-SCHEDULED reports that), and a CronJob', () => {
    expect(verdictOf(restoreVerified, statefulSet('orders')).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(restoreVerified, cronJob('orders-dumps', { annotations: DUMP_HINTS })).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('synthesized: BackupSchedule `verification` makes it compliant, dumps alone do not', () => {
    const verdictFor = (verify: boolean) => {
      const chart = newChart('shop');
      const pg = new StatefulDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
      new BackupSchedule(chart, 'b', {
        database: pg,
        methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '3' }), target: S3, retention: Retention.maxAge(Duration.days(7)) })],
        verification: verify ? { schedule: Cron.schedule({ minute: '0', hour: '6' }) } : undefined,
      });
      const manifests = synthValid(chart);
      const sts = only(manifests, 'StatefulSet');
      return verdictOf(restoreVerified, sts, manifests.filter((m) => m !== sts));
    };
    expect(verdictFor(true).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictFor(false), /database `orders` is backed up, but no CronJob/);
  });
});
