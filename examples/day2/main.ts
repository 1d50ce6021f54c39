import { App, Chart, Cron, Size } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabasePriorityClass, Engine, Policy, PostgresVersion, Retention, StatefulDatabase,
} from '../../src';

// orders-db a year on. First applied as PostgreSQL 16.6 on 50Gi volumes; now a minor upgrade, volumes grown to 200Gi, a
// PriorityClass, verified nightly dumps and the application's schema migrations. Before applying:
// npx cdk8s-databases-apply-check --previous <last applied>.
const app = new App();
const chart = new Chart(app, 'orders', { namespace: 'shop' });
const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'orders-db',
  engine: Engine.postgres({ version: PostgresVersion.of('16.8') }),
  databaseName: 'orders',
  // The claim template keeps the size the volume was created with (the API server refuses to change it);
  // the member's claim is emitted at 200Gi, and `kubectl apply` grows it.
  originalStorageSize: Size.gibibytes(50),
  storageSize: Size.gibibytes(200),
  // Runs once per image tag as a Job, with the application role, before the application rolls.
  migrations: { image: 'ghcr.io/example/orders-migrations:2.3.0', args: ['migrate', '--to', 'latest'] },
  priorityClassName: priority.name,
});
// A nightly pg_dumpall to the claim orders-backups (14 kept), restored into a throwaway server and checked an hour later.
new BackupSchedule(chart, 'backups', {
  database: db,
  methods: [BackupMethod.logicalDump({
    schedule: Cron.daily(),
    target: BackupTarget.pvc({ claimName: 'orders-backups' }),
    retention: Retention.keepLast(14),
  })],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
});
Policy.enforce(app);
app.synth();
