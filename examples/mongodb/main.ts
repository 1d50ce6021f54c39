import { App, Chart, Cron, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, Credentials, DatabasePriorityClass, Engine, IssuerKind, MongoDbVersion, Policy, Retention,
  StatefulDatabase,
} from '../../src';

// MongoDB 7.0 with TLS from cert-manager (mongod needs the combined PEM output) and
// credentials from a Secret the platform team already manages.
const app = new App();
const chart = new Chart(app, 'catalog', { namespace: 'catalog' });

const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'catalog-mongo',
  engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
  storageSize: Size.gibibytes(40),
  memory: Size.gibibytes(4),
  credentials: Credentials.fromSecretName('catalog-mongo-admin'),
  databaseName: 'catalog',
  tls: { issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER },
  priorityClassName: priority.name,
});
// A nightly mongodump to the claim catalog-backups (14 kept), restored into a throwaway mongod and checked an hour later.
new BackupSchedule(chart, 'backups', {
  database: db,
  methods: [BackupMethod.logicalDump({
    schedule: Cron.daily(),
    target: BackupTarget.pvc({ claimName: 'catalog-backups' }),
    retention: Retention.keepLast(14),
  })],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
});
db.connections.allowFrom(kplus.Pods.select(chart, 'readers', { labels: { 'app.kubernetes.io/part-of': 'catalog' } }));

Policy.enforce(app);
app.synth();
