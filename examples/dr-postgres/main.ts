import { App, Cron, Duration, Size } from 'cdk8s';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, Credentials, DatabasePriorityClass, DRPair, DrStrategy, Engine, Policy,
  PostgresVersion, Retention,
} from '../../src';

// PostgreSQL on two clusters: site-a serves, site-b is a Patroni standby cluster streaming from it (warm standby).
// Synthesizes dist/orders-site-a.k8s.yaml for cluster A and dist/orders-site-b.k8s.yaml for cluster B; the report
// (dist/cdk8s-databases-report/) holds the RPO, the RTO and the failover and failback runbook.
const app = new App();
const pair = new DRPair(app, 'orders', {
  namespaceName: 'shop',
  sites: [
    // trafficSourceCidrs: where each cluster's pods reach the other from (a flat multi-cluster network here).
    { name: 'site-a', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], trafficSourceCidrs: ['10.1.0.0/16'] },
    { name: 'site-b', zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'], trafficSourceCidrs: ['10.2.0.0/16'] },
  ],
  activeSite: 'site-a',
  database: {
    name: 'orders',
    engine: Engine.postgres({ version: PostgresVersion.V16 }),
    storageSize: Size.gibibytes(100),
    databaseName: 'orders',
    // Both Secrets are synchronized to both clusters (External Secrets); the credentials one also holds
    // `replication-password`. Both sites' certificates come from Issuers of one shared CA.
    credentials: Credentials.fromSecretName('orders-credentials'),
    applicationUser: ApplicationUser.fromSecretName('orders-app'),
    tls: { issuerName: 'shared-ca' },
    priorityClassName: 'database',
  },
  strategy: DrStrategy.databaseReplication(),
  // Streaming has no RPO any setting bounds; the RTO is held: detection + decision + fence + promote + redirect.
  rto: Duration.minutes(30),
});
for (const site of ['site-a', 'site-b']) {
  // Each cluster gets the PriorityClass the database pods name, and nightly dumps of its database (14 kept), each restored
  // into a throwaway server and checked an hour later.
  new DatabasePriorityClass(pair.chart(site), 'priority', { name: 'database' });
  new BackupSchedule(pair.chart(site), 'backups', {
    database: pair.database(site),
    methods: [BackupMethod.logicalDump({
      schedule: Cron.daily(),
      target: BackupTarget.pvc({ claimName: 'orders-backups' }),
      retention: Retention.keepLast(14),
    })],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
  });
}
Policy.enforce(app);
app.synth();
