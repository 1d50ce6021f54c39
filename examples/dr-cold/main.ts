import { App, Cron, Duration, Size } from 'cdk8s';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, Credentials, DatabasePriorityClass, DRPair, DrStrategy, Engine, Policy,
  PostgresVersion, Retention,
} from '../../src';

// A cold site: site-a archives its WAL continuously (WAL-G to S3); site-b holds a ready restore, its StatefulSet at
// zero replicas, that clones the newest base backup and replays the archive when the promote Job starts it.
const app = new App();
const pair = new DRPair(app, 'ledger', {
  namespaceName: 'finance',
  sites: [
    { name: 'primary', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], trafficSourceCidrs: ['10.10.0.0/16'] },
    { name: 'recovery', zones: ['us-west-2a', 'us-west-2b', 'us-west-2c'], trafficSourceCidrs: ['10.20.0.0/16'] },
  ],
  activeSite: 'primary',
  database: {
    name: 'ledger',
    engine: Engine.postgres({ version: PostgresVersion.V16 }),
    storageSize: Size.gibibytes(50),
    credentials: Credentials.fromSecretName('ledger-credentials'),
    applicationUser: ApplicationUser.superuser(),
    priorityClassName: 'database',
  },
  strategy: DrStrategy.backupRestore({
    archiving: {
      // A bucket both regions read (cross-region replication of the bucket is the object store's business).
      target: BackupTarget.s3({ bucket: 'ledger-wal', endpoint: 'https://s3.us-east-1.amazonaws.com', region: 'us-east-1', credentialsSecretName: 'ledger-s3' }),
      archiveTimeout: Duration.minutes(2),
      // Every 6 hours: a restore replays at most 6 hours of WAL after the newest base backup.
      baseBackupSchedule: Cron.schedule({ minute: '0', hour: '*/6' }),
      retention: Retention.keepLast(8),
    },
  }),
  // RPO = archive_timeout 2 min + upload 1 min; RTO includes restoring 50 GiB and replaying up to 6 h of WAL.
  rpo: Duration.minutes(5),
  rto: Duration.hours(2),
});
for (const site of ['primary', 'recovery']) {
  // Each cluster gets the PriorityClass the database pods name.
  new DatabasePriorityClass(pair.chart(site), 'priority', { name: 'database' });
}
// On the running site only (the passive one has no engine running): nightly dumps (14 kept) beside the WAL archive, each
// restored into a throwaway server and checked an hour later.
new BackupSchedule(pair.chart(pair.activeSite), 'dumps', {
  database: pair.database(pair.activeSite),
  methods: [BackupMethod.logicalDump({
    schedule: Cron.daily(),
    target: BackupTarget.s3({
      bucket: 'ledger-dumps', endpoint: 'https://s3.us-east-1.amazonaws.com', region: 'us-east-1', credentialsSecretName: 'ledger-s3',
    }),
    retention: Retention.keepLast(14),
  })],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
});
Policy.enforce(app);
app.synth();
