import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PostgresVersion, ReplicatedDatabase, ValkeyVersion,
} from '../../src';

// Every engine in a three-zone layout, one chart (and one YAML file) each. `cdk8s synth` also writes
// dist/cdk8s-databases-report/report.{json,md}: what each database survives, computed from these objects.
const app = new App();
const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

// PostgreSQL on Patroni with one synchronous standby, and separate budgets for the primary and the
// replicas (the primary's node is drained after a switchover; the report prints the command).
const orders = new Chart(app, 'orders', { namespace: 'shop' });
const ordersDb = new ReplicatedDatabase(orders, 'db', {
  name: 'orders-pg',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  zones,
  synchronousStandbys: 1,
  roleBudgets: true,
  storageSize: Size.gibibytes(100),
  memory: Size.gibibytes(8),
  cpu: kplus.Cpu.units(2),
});
const api = new kplus.Deployment(orders, 'api', {
  containers: [{ image: 'ghcr.io/example/orders-api:1.4.2', envVariables: ordersDb.connectionEnv() }],
});
ordersDb.connections.allowFrom(api);

// MySQL Group Replication, single primary.
const billing = new Chart(app, 'billing', { namespace: 'billing' });
new ReplicatedDatabase(billing, 'db', {
  name: 'billing-mysql',
  engine: Engine.mysql({ version: MysqlVersion.V8_4 }),
  zones,
  databaseName: 'billing',
  memory: Size.gibibytes(4),
});

// A MongoDB replica set whose first member is the preferred primary.
const catalog = new Chart(app, 'catalog', { namespace: 'catalog' });
new ReplicatedDatabase(catalog, 'db', {
  name: 'catalog-mongo',
  engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
  zones,
  memberPriorities: [2, 1, 1],
  memory: Size.gibibytes(4),
});

// Valkey with Sentinel.
const sessions = new Chart(app, 'sessions', { namespace: 'web' });
new ReplicatedDatabase(sessions, 'db', {
  name: 'sessions',
  engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
  zones,
  memory: Size.gibibytes(2),
});

// Cassandra: three racks, one per zone, two nodes each, replication factor 3.
const events = new Chart(app, 'events', { namespace: 'events' });
new ReplicatedDatabase(events, 'db', {
  name: 'events',
  engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west-1' }),
  zones,
  replicas: 6,
  replicationFactor: 3,
  memory: Size.gibibytes(8),
  cpu: kplus.Cpu.units(2),
});

app.synth();
