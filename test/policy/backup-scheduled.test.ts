import { Cron, Duration } from 'cdk8s';
import { DUMP_HINTS, cronJob } from './backup-fixtures';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, ReplicatedDatabase, Retention, RuleStatus, StatefulDatabase,
} from '../../src';
import { backupScheduled } from '../../src/policy/rules/dok/backup-scheduled';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const S3 = BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'acme-db-backups', credentialsSecretName: 'backup-s3' });

describe('DOK-BACKUP-SCHEDULED', () => {
  test('compliant: a nightly dump CronJob annotated with the instance and a retention', () => {
    expect(verdictOf(backupScheduled, statefulSet('orders'), [cronJob('orders-dumps', { annotations: DUMP_HINTS })]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: one good backup is enough beside a suspended one', () => {
    const others = [cronJob('orders-dumps', { annotations: DUMP_HINTS }), cronJob('orders-snapshots', { suspend: true, annotations: DUMP_HINTS })];
    expect(verdictOf(backupScheduled, statefulSet('orders'), others).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: no CronJob backs it up (one in another namespace does not count)', () => {
    const elsewhere = cronJob('orders-dumps', { namespace: 'other', annotations: DUMP_HINTS });
    expectNonCompliant(verdictOf(backupScheduled, statefulSet('orders'), [elsewhere]),
      /^no CronJob in namespace `db` is annotated `cdk8s-databases.io\/backs-up: orders`: database `orders` has no backup$/);
  });

  test('non-compliant: the only backups are suspended, never fire, or state no retention', () => {
    const noRetention = { 'cdk8s-databases.io/backs-up': 'orders' };
    const others = [
      cronJob('orders-dumps', { suspend: true, annotations: DUMP_HINTS }),
      cronJob('orders-yearly', { schedule: '0 0 30 2 *', annotations: DUMP_HINTS }),
      cronJob('orders-snapshots', { annotations: noRetention }),
    ];
    expectNonCompliant(verdictOf(backupScheduled, statefulSet('orders'), others), new RegExp([
      'no backup of `orders` runs and states its retention: CronJob `orders-dumps` is suspended \\(`spec.suspend: true`\\)',
      'CronJob `orders-yearly` has schedule "0 0 30 2 \\*", which never fires \\(no date matches it\\)',
      'CronJob `orders-snapshots` states no retention \\(`cdk8s-databases.io/retention`\\)$',
    ].join('; ')));
  });

  test('not applicable: a Deployment, and a passive DR site\'s StatefulSet at zero replicas', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'db' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.3' }] } } },
    };
    expect(verdictOf(backupScheduled, deployment).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(backupScheduled, statefulSet('orders', { replicas: 0 })).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('synthesized: a BackupSchedule\'s dumps make it compliant; without one the database is reported', () => {
    const chart = newChart('shop');
    const pg = new StatefulDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const bare = new StatefulDatabase(chart, 'bare', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'ledger' });
    new BackupSchedule(chart, 'b', {
      database: pg,
      methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0', hour: '3' }), target: S3, retention: Retention.maxAge(Duration.days(7)) })],
    });
    const manifests = synthValid(chart);
    const others = (o: any) => manifests.filter((m) => m !== o);
    const orders = only(manifests, 'StatefulSet', 'orders');
    expect(verdictOf(backupScheduled, orders, others(orders)).status).toBe(RuleStatus.COMPLIANT);
    expect(bare.name).toBe('ledger');
    const ledger = only(manifests, 'StatefulSet', 'ledger');
    expectNonCompliant(verdictOf(backupScheduled, ledger, others(ledger)), /database `ledger` has no backup/);
  });

  test('synthesized: continuous archiving, which has no CronJob, counts through the StatefulSet\'s own hints', () => {
    const chart = newChart('shop');
    const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: pg, methods: [BackupMethod.continuousArchiving({ target: S3 })] });
    const manifests = synthValid(chart);
    const sts = only(manifests, 'StatefulSet');
    expect(verdictOf(backupScheduled, sts, manifests.filter((m) => m !== sts)).status).toBe(RuleStatus.COMPLIANT);
  });
});
