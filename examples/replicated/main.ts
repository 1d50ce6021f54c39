import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, CassandraVersion, DatabasePriorityClass, Engine, MongoDbVersion, MysqlVersion, Policy,
  PostgresVersion, ReplicatedDatabase, Retention, ValkeyVersion,
} from '../../src';

// Every engine in a three-zone layout, one chart (and one YAML file) each. `cdk8s synth` also writes
// dist/cdk8s-databases-report/report.{json,md}: what each database survives, computed from these objects.
const app = new App();
const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
// A nightly dump to the claim <name>-backups (14 kept), restored into a throwaway server and checked an hour later.
const nightlyDumps = (db: ReplicatedDatabase) => new BackupSchedule(db.node.scope!, 'backups', {
  database: db,
  methods: [BackupMethod.logicalDump({
    schedule: Cron.daily(),
    target: BackupTarget.pvc({ claimName: `${db.name}-backups` }),
    retention: Retention.keepLast(14),
  })],
  verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
});

// PostgreSQL on Patroni with one synchronous standby, and separate budgets for the primary and the
// replicas (the primary's node is drained after a switchover; the report prints the command).
const orders = new Chart(app, 'orders', { namespace: 'shop' });
// One PriorityClass for the app's databases (cluster-scoped: rendered once, in orders.k8s.yaml).
const priority = new DatabasePriorityClass(orders, 'priority', { name: 'database' });
const ordersDb = new ReplicatedDatabase(orders, 'db', {
  name: 'orders-pg',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  zones,
  synchronousStandbys: 1,
  roleBudgets: true,
  storageSize: Size.gibibytes(100),
  memory: Size.gibibytes(8),
  cpu: kplus.Cpu.units(2),
  priorityClassName: priority.name,
});
nightlyDumps(ordersDb);
const api = new kplus.Deployment(orders, 'api', {
  containers: [{ image: 'ghcr.io/example/orders-api:1.4.2', envVariables: ordersDb.connectionEnv() }],
});
// The restricted Pod Security Standard: cdk8s-plus-28 sets neither the seccomp profile nor the dropped capabilities.
ApiObject.of(api).addJsonPatch(
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
);
ordersDb.connections.allowFrom(api);

// MySQL Group Replication, single primary.
const billing = new Chart(app, 'billing', { namespace: 'billing' });
nightlyDumps(new ReplicatedDatabase(billing, 'db', {
  name: 'billing-mysql',
  engine: Engine.mysql({ version: MysqlVersion.V8_4 }),
  zones,
  databaseName: 'billing',
  memory: Size.gibibytes(4),
  priorityClassName: priority.name,
}));

// A MongoDB replica set whose first member is the preferred primary.
const catalog = new Chart(app, 'catalog', { namespace: 'catalog' });
nightlyDumps(new ReplicatedDatabase(catalog, 'db', {
  name: 'catalog-mongo',
  engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
  zones,
  memberPriorities: [2, 1, 1],
  memory: Size.gibibytes(4),
  priorityClassName: priority.name,
}));

// Valkey with Sentinel.
const sessions = new Chart(app, 'sessions', { namespace: 'web' });
nightlyDumps(new ReplicatedDatabase(sessions, 'db', {
  name: 'sessions',
  engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
  zones,
  memory: Size.gibibytes(2),
  priorityClassName: priority.name,
}));

// Cassandra: three racks, one per zone, two nodes each, replication factor 3.
const events = new Chart(app, 'events', { namespace: 'events' });
const eventsDb = new ReplicatedDatabase(events, 'db', {
  name: 'events',
  engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west-1' }),
  zones,
  replicas: 6,
  replicationFactor: 3,
  memory: Size.gibibytes(8),
  cpu: kplus.Cpu.units(2),
  priorityClassName: priority.name,
});
// CSI snapshots of every node's volume every 6 hours after `nodetool flush` (8 kept). The library offers no restore test
// for Cassandra: its dumps are per-node SSTable snapshots that only sstableloader loads back.
new BackupSchedule(events, 'backups', {
  database: eventsDb,
  methods: [BackupMethod.volumeSnapshot({
    snapshotClassName: 'ebs-csi-snapclass',
    schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
    retention: Retention.keepLast(8),
  })],
});
Policy.suppress(eventsDb, 'DOK-RESTORE-VERIFIED', 'the library has no restore test for Cassandra (its backups load back only through sstableloader)');

Policy.enforce(app);
app.synth();
