import { App, Chart, Cron, Duration, Size } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabasePriorityClass, Engine, MongoDbVersion, Policy, PostgresVersion, ReplicatedDatabase,
  Restore, Retention, StatefulDatabase,
} from '../../src';

// Backups and the way back. `cdk8s synth` also writes the worst-case RPO of each method and its
// restore path into dist/cdk8s-databases-report/report.{json,md}.
const app = new App();
const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const objectStore = BackupTarget.s3({
  endpoint: 'https://s3.eu-west-1.amazonaws.com',
  bucket: 'acme-database-backups',
  prefix: 'prod',
  credentialsSecretName: 'backup-s3-credentials', // keys: access-key-id, secret-access-key
});

// PostgreSQL on Patroni: application-consistent snapshots of a replica every 6 hours (pg_backup_start
// and pg_backup_stop held in one session), nightly pg_dumpall to S3, WAL archiving with WAL-G for
// point-in-time recovery, a nightly restore test of the newest dump, and alerts.
const shop = new Chart(app, 'orders', { namespace: 'shop' });
// One PriorityClass for the app's serving databases (cluster-scoped: rendered once, in orders.k8s.yaml).
const priority = new DatabasePriorityClass(shop, 'priority', { name: 'database' });
const orders = new ReplicatedDatabase(shop, 'db', {
  name: 'orders-pg',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  zones,
  storageSize: Size.gibibytes(100),
  memory: Size.gibibytes(4),
  priorityClassName: priority.name,
});
new BackupSchedule(shop, 'backups', {
  database: orders,
  timeZone: 'Etc/UTC',
  methods: [
    BackupMethod.volumeSnapshot({
      snapshotClassName: 'ebs-csi-snapclass',
      schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
      retention: Retention.of({ keepLast: 28, maxAge: Duration.days(7) }),
    }),
    BackupMethod.logicalDump({
      schedule: Cron.schedule({ minute: '30', hour: '2' }),
      target: objectStore,
      retention: Retention.keepLast(30),
    }),
    BackupMethod.continuousArchiving({ target: objectStore, archiveTimeout: Duration.minutes(5) }),
  ],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '5' }) },
  alerts: true,
});

// MongoDB: nightly mongodump --archive --gzip to a PVC, with a restore test, and snapshots every 6 hours.
const catalog = new Chart(app, 'catalog', { namespace: 'catalog' });
const mongo = new StatefulDatabase(catalog, 'db', {
  name: 'catalog-mongo', engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), priorityClassName: priority.name,
});
new BackupSchedule(catalog, 'backups', {
  database: mongo,
  methods: [
    BackupMethod.logicalDump({
      schedule: Cron.schedule({ minute: '15', hour: '1' }),
      target: BackupTarget.pvc({ claimName: 'catalog-backups' }),
      retention: Retention.keepLast(14),
    }),
    BackupMethod.volumeSnapshot({
      snapshotClassName: 'ebs-csi-snapclass',
      schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
      retention: Retention.keepLast(8),
    }),
  ],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '4' }) },
});

// A copy of catalog from one of its snapshots, in the SAME namespace: a claim can only be created from a
// VolumeSnapshot of its own namespace (cross-namespace data sources are an alpha feature gate).
const copy = new StatefulDatabase(catalog, 'copy', {
  name: 'catalog-copy',
  engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
  restoreFrom: Restore.fromVolumeSnapshot('catalog-mongo-snapshots-20261120t060000z-catalog-mongo-0'),
});
// The copy is thrown away after the investigation: nothing to back up, and it must not preempt serving work.
Policy.suppress(copy, 'DOK-BACKUP-SCHEDULED', 'a throwaway copy for an investigation, deleted when it ends');
Policy.suppress(copy, 'DOK-PRIORITY-CLASS', 'a throwaway copy for an investigation: it yields to the serving databases');

// Orders as it was at 10:15 UTC yesterday: a new Patroni cluster replaying the archived WAL.
const forensics = new Chart(app, 'orders-forensics', { namespace: 'forensics' });
const pitr = new ReplicatedDatabase(forensics, 'db', {
  name: 'orders-pitr',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  zones,
  storageSize: Size.gibibytes(100),
  restoreFrom: Restore.pointInTime({ target: objectStore, sourceName: 'orders-pg', time: '2026-11-20T10:15:00+00:00' }),
});
// Likewise a throwaway forensic copy of orders, deleted once the investigation ends.
Policy.suppress(pitr, 'DOK-BACKUP-SCHEDULED', 'a throwaway point-in-time copy for an investigation, deleted when it ends');
Policy.suppress(pitr, 'DOK-PRIORITY-CLASS', 'a throwaway point-in-time copy for an investigation: it yields to the serving databases');

Policy.enforce(app);
app.synth();
