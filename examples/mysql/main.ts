import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, DatabasePriorityClass, DatabaseStorageClass, Engine, MysqlVersion, Policy,
  Retention, StatefulDatabase,
} from '../../src';

// MySQL 8.4 LTS on an encrypted, expandable, retained gp3 volume, with a PriorityClass,
// on dedicated database nodes, scraped by Prometheus through a ServiceMonitor.
const app = new App();
const chart = new Chart(app, 'billing', { namespace: 'billing' });

const storage = new DatabaseStorageClass(chart, 'storage', {
  name: 'db-gp3-encrypted',
  provisioner: 'ebs.csi.aws.com',
  parameters: { type: 'gp3', encrypted: 'true' },
});
const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });

const db = new StatefulDatabase(chart, 'db', {
  name: 'billing-mysql',
  engine: Engine.mysql({ version: MysqlVersion.V8_4 }),
  storageClassName: storage.name,
  storageSize: Size.gibibytes(100),
  cpu: kplus.Cpu.units(2),
  memory: Size.gibibytes(8),
  priorityClassName: priority.name,
  databaseName: 'billing',
  // The application's account ('billing'@'%', ALL on `billing` only) and its Secret billing-mysql-app; the
  // superuser (root) stays for the engine's tools. connectionEnv() hands out this account.
  applicationUser: ApplicationUser.generate({ username: 'billing' }),
  dedicatedNodes: { labelKey: 'workload', labelValue: 'database' },
  serviceMonitor: true,
});
// A nightly mysqldump to the claim billing-backups (14 kept), restored into a throwaway server and checked an hour later.
new BackupSchedule(chart, 'backups', {
  database: db,
  methods: [BackupMethod.logicalDump({
    schedule: Cron.daily(),
    target: BackupTarget.pvc({ claimName: 'billing-backups' }),
    retention: Retention.keepLast(14),
  })],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
});
const api = new kplus.Deployment(chart, 'api', {
  containers: [{ image: 'ghcr.io/example/billing-api:3.2.0', envVariables: db.connectionEnv() }],
});
// The restricted Pod Security Standard: cdk8s-plus-28 sets neither the seccomp profile nor the dropped capabilities.
ApiObject.of(api).addJsonPatch(
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
);
db.connections.allowFrom(api);
db.connections.allowFrom(kplus.Namespaces.select(chart, 'apps', { names: ['billing-apps'] }));

Policy.enforce(app);
app.synth();
