import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabasePriorityClass, Engine, Policy, PostgresVersion, Retention, StatefulDatabase,
} from '../../src';

const app = new App();
const chart = new Chart(app, 'orders', { namespace: 'shop' });
const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'orders-db',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  storageSize: Size.gibibytes(50),
  databaseName: 'orders',
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
// DB_USERNAME/DB_PASSWORD: the application user `app` (owner of the `orders` database, Secret orders-db-app), not the superuser.
const api = new kplus.Deployment(chart, 'api', {
  containers: [{ image: 'ghcr.io/example/orders-api:1.4.2', envVariables: db.connectionEnv() }],
});
// The restricted Pod Security Standard: cdk8s-plus-28 sets neither the seccomp profile nor the dropped capabilities.
ApiObject.of(api).addJsonPatch(
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
);
db.connections.allowFrom(api);
// Checks every object against both built-in policy packs: an error fails the synth.
Policy.enforce(app);
app.synth();
